"""One run of the synthetic shop through the real service, on a simulated clock.

The service is the production `Service` with every role, the memory bus, SQLite in a temporary
directory and the SMS channel pointed at a local fake Twilio. The loop steps the clock in fixed
steps; in each step it (1) writes the orders placed and labels created into the shop tables,
(2) publishes the carrier scans of the step on wismo.tracking.v1, (3) waits until every
consumer caught up, lets the notify role run its time-based checks (`notifier.tick()`) and
waits again, (4) hands the notices that reached the fake to their customers, (5) lets the
customers who want to write text the service through its signed webhook, waits, and reads the
replies and decisions; a customer asked for their order number answers a few minutes later.

Everything the service does happens while the clock stands still, so replies take no simulated
time; the service's own timers (wall-clock) are set too long to fire. The only wall-clock
figures kept are the run time and the reply path's latency, reported apart (`timing`).
"""

from __future__ import annotations

import random
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, insert, select, update

from router.app import Service
from router.bus import topics as t
from router.bus.codec import publish_event
from router.bus.memory import MemoryBus, MemoryConsumer
from router.events import ShipmentStatus as S
from router.events import TrackingUpdate
from router.settings import (
    ROLES,
    BusSettings,
    NotifySettings,
    PolicySettings,
    Settings,
    SourcesSettings,
)
from router.simulate.customers import Behaviour, Customer, Desk
from router.simulate.fakes import ACCOUNT_SID, FROM_NUMBER, FakeTwilio, Sent, message_sid
from router.simulate.fakes import text_service as send_text
from router.simulate.shop import Scan, Shop, SimOrder, build
from router.store.models import (
    DecisionRow,
    Notice,
    ShipmentState,
    ShopOrder,
    ShopShipment,
    ShopTrackingEvent,
)

Progress = Callable[[str], None]
SOURCE = "simulator"  # TrackingUpdate.source of the simulated carrier scans
RESOLVING_RULES = ("escalate.lost_needs_approval", "escalate.claim_needs_approval")
REMEDY_NOTICES = ("lost",)  # notice kinds that offer a replacement or a refund
MAX_FOLLOW_UPS = 2


@dataclass(frozen=True)
class Options:
    seed: int = 7
    days: int = 14
    orders_per_day: int = 30
    warmup_days: int = 90
    step_minutes: int = 30
    tail_days: int = 10  # after the last order: parcels finish, late customers still write


class SimClock:
    """The service's clock: the simulated time, moved only by the loop."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class CustomerMessage:
    order: str
    at: datetime
    text: str
    inbound_id: str
    contact: int  # the order's n-th contact (1-based) this message belongs to
    follow_up: bool  # an answer to our question, not a new contact


@dataclass(frozen=True)
class OurMessage:
    order: str | None
    at: datetime
    text: str
    token: str  # the outbound event id: reply:<inbound id> or notice:<id>
    reply_to: str | None


@dataclass(frozen=True)
class Verdict:
    action: str
    rule: str
    intent: str
    wismo: bool


@dataclass(frozen=True)
class NoticeRow:
    outbound_id: str | None
    kind: str
    tracking_number: str
    order: str
    state: str
    sent_at: datetime | None


@dataclass
class RunResult:
    notices_enabled: bool
    messages: list[CustomerMessage] = field(default_factory=list)
    sent: list[OurMessage] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    desk_answers: dict[str, datetime] = field(default_factory=dict)
    notices: list[NoticeRow] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    reply_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Event:
    at: datetime
    rank: int  # 0 order placed, 1 scan
    order: int  # index into shop.orders
    scan: int


def settings_for(directory: str, api_base_url: str, auth_token: str, *, notices: bool) -> Settings:
    """The service as deployed, except: local fakes, a throwaway database, one partition per
    topic (each role handles records in the order they were published, so a run is a function
    of its seed), and limits that read the wall clock (look-up rate limits, the fact cache,
    source time-outs) set out of reach so that they cannot make two runs of a seed differ."""
    return Settings(
        host="127.0.0.1",
        port=0,
        demo=False,
        bus=BusSettings(backend="memory", memory_partitions=1),
        database={"url": f"sqlite+aiosqlite:///{directory}/sim.db"},
        roles=list(ROLES),
        channels={
            "sms": {
                "account_sid": ACCOUNT_SID,
                "auth_token": auth_token,
                "from_number": FROM_NUMBER,
                "api_base_url": api_base_url,
                "status_callbacks": False,
            },
            "webchat": {"session_secret": secrets.token_hex(16)},
        },
        notify=NotifySettings(enabled=notices, check_interval_s=86_400),
        sources=SourcesSettings(cache_ttl_s=0, budget_s=30),
        policy=PolicySettings(
            lookups_per_sender_per_hour=1_000_000, failed_checks_per_order_per_hour=1_000_000
        ),
    )


def _order_row(order: SimOrder, now: datetime) -> dict[str, Any]:
    c = order.customer
    return {
        "id": order.id,
        "number": order.number,
        "customer_name": c.name,
        "email": c.email,
        "phone": c.phone,
        "placed_at": order.placed_at,
        "status": "closed" if order.warmup else "open",
        "fulfillment_status": "fulfilled" if order.warmup else "unfulfilled",
        "promised_by": order.promised_by,
        "expected_ship_by": order.ship_by,
        "total": order.total,
        "currency": "USD",
        "ship_city": c.city.name,
        "ship_postcode": c.city.postcode,
        "ship_country": "US",
        "preferred_channel": "sms",
        "updated_at": now,
    }


def _shipment_row(order: SimOrder, scan: Scan, now: datetime) -> dict[str, Any]:
    p = order.parcel
    delivered = scan.at if scan.status == S.DELIVERED else None
    return {
        "id": order.id,
        "order_id": order.id,
        "carrier": p.carrier,
        "tracking_number": p.tracking_number,
        "tracking_url": p.tracking_url,
        "status": scan.status.value,
        "status_detail": scan.message,
        "reason": scan.reason,
        "action_required": scan.action_required,
        "estimated_delivery": scan.eta,
        "shipped_at": p.label_at,
        "delivered_at": delivered,
        "service": p.service,
        "origin_region": p.origin_region,
        "updated_at": now,
    }


def _history_shipment(order: SimOrder) -> dict[str, Any]:
    """A finished parcel as the shop keeps it: delivered (a lane sample), or lost/returned."""
    last = order.parcel.scans[-1]
    row = _shipment_row(order, last, last.at)
    if order.parcel.fate == "lost":
        row |= {"status": "failure", "reason": "lost", "status_detail": "Lost in transit"}
    return row


def _history_state(order: SimOrder) -> dict[str, Any] | None:
    """What the notify role kept of a delivered parcel's scans, had it been running then: the
    stages its lane model learns the last leg from. None for lost or returned parcels."""
    p = order.parcel
    if p.arrived_at is None:
        return None
    facility = next((s.at for s in p.scans if s.at_facility), None)
    hubs = [s.at for s in p.scans if s.status == S.IN_TRANSIT and not s.at_facility]
    last = p.scans[-1]
    return {
        "tracking_number": p.tracking_number,
        "carrier": p.carrier,
        "status": last.status.value,
        "reason": last.reason,
        "estimated_delivery": last.eta,
        "message": last.message,
        "location": last.location,
        "source": SOURCE,
        "last_event_id": f"{SOURCE}:{p.tracking_number}:{len(p.scans) - 1}",
        "last_event_at": last.at,
        "first_seen_at": p.label_at,
        "delivered_at": last.at if last.status == S.DELIVERED else None,
        "updated_at": last.at,
        "last_hub_at": max((h for h in hubs if facility is None or h < facility), default=None),
        "at_facility_at": facility,
    }


def update_for(order: SimOrder, index: int) -> TrackingUpdate:
    scan = order.parcel.scans[index]
    return TrackingUpdate(
        event_id=f"{SOURCE}:{order.parcel.tracking_number}:{index}",
        occurred_at=scan.at,
        tracking_number=order.parcel.tracking_number,
        carrier=order.parcel.carrier,
        status=scan.status,
        reason=scan.reason,
        action_required=scan.action_required,
        source=SOURCE,
        source_status=scan.status.value,
        message=scan.message,
        location=scan.location,
        estimated_delivery=scan.eta,
        at_delivery_facility=scan.at_facility,
    )


class _Run:
    def __init__(
        self,
        service: Service,
        fake: FakeTwilio,
        clock: SimClock,
        shop: Shop,
        options: Options,
        behaviour: Behaviour,
        desk: Desk,
        progress: Progress | None,
        label: str,
    ) -> None:
        assert isinstance(service.bus, MemoryBus), "the simulation steps the memory bus"
        self.service = service
        self.bus: MemoryBus = service.bus
        self.fake = fake
        self.clock = clock
        self.shop = shop
        self.options = options
        self.desk = desk
        self.progress = progress
        self.label = label
        self.behaviour = behaviour
        self.result = RunResult(notices_enabled=service.settings.notify.enabled)
        if not any(
            isinstance(c, MemoryConsumer) and t.TRACKING in c.topics for c in service.consumers
        ):
            self.result.checks.append("no role reads wismo.tracking.v1: no scan reaches the shop")
        self.customers = {o.number: Customer(o, shop.seed, behaviour) for o in shop.orders}
        self.by_phone = {o.customer.phone: o.number for o in shop.orders}
        self.posted_at: dict[str, float] = {}
        self.texts: dict[str, int] = {}
        self.follow_ups: list[tuple[Customer, int]] = []  # (customer, contact number)
        self.events = sorted(
            [_Event(o.placed_at, 0, i, -1) for i, o in enumerate(shop.orders)]
            + [
                _Event(s.at, 1, i, j)
                for i, o in enumerate(shop.orders)
                for j, s in enumerate(o.parcel.scans)
            ],
            key=lambda e: (e.at, e.rank, e.order, e.scan),
        )

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, http: aiohttp.ClientSession) -> RunResult:
        started = time.perf_counter()
        self.http = http
        await self.seed_history()
        step = timedelta(minutes=self.options.step_minutes)
        hours = step.total_seconds() / 3600
        total_days = self.options.days + self.options.tail_days
        end = self.shop.start + timedelta(days=total_days)
        now, position, reported = self.shop.start, 0, 0
        while now < end:
            now += step
            self.clock.now = now
            batch = []
            while position < len(self.events) and self.events[position].at <= now:
                batch.append(self.events[position])
                position += 1
            await self.apply(batch, now)
            await self.settle()
            await self.hear(self.fake.take())
            writers = [
                c
                for number, c in sorted(self.customers.items())
                if c.order.placed_at <= now and c.wants_to_write(now, hours)
            ]
            await self.write([(c, c.compose(now), len(c.contacts) + 1, False) for c in writers])
            for round_ in range(1, MAX_FOLLOW_UPS + 1):
                if not self.follow_ups:
                    break
                minutes = round_ * self.behaviour.followup_minutes
                self.clock.now = now + timedelta(minutes=minutes)
                pending, self.follow_ups = self.follow_ups, []
                await self.write([(c, c.follow_up(), contact, True) for c, contact in pending])
            day = int((now - self.shop.start) / timedelta(days=1))
            if day > reported and self.progress is not None:
                reported = day
                self.progress(self.status(day, total_days, started))
        await self.collect()
        self.result.wall_s = time.perf_counter() - started
        return self.result

    def status(self, day: int, total: int, started: float) -> str:
        placed = sum(1 for o in self.shop.orders if o.placed_at <= self.clock.now)
        contacts = sum(len(c.contacts) for c in self.customers.values())
        notices = sum(1 for m in self.result.sent if m.reply_to is None)
        return (
            f"[{self.label}] day {day}/{total}: {placed} orders, {contacts} contacts, "
            f"{notices} notices ({time.perf_counter() - started:.0f} s)"
        )

    async def settle(self) -> None:
        """Until the service caught up; then its time-based checks, and caught up again."""
        await self.bus.wait_idle()
        if self.service.notifier is not None:
            await self.service.notifier.tick()
            await self.bus.wait_idle()

    # -- the shop and the carriers ------------------------------------------------------------

    async def seed_history(self) -> None:
        history = self.shop.history
        if not history:
            return
        async with self.service.db.session() as session, session.begin():
            await session.execute(insert(ShopOrder), [_order_row(o, o.placed_at) for o in history])
            await session.execute(insert(ShopShipment), [_history_shipment(o) for o in history])
            states = [row for o in history if (row := _history_state(o)) is not None]
            if states:
                await session.execute(insert(ShipmentState), states)

    async def apply(self, batch: Sequence[_Event], now: datetime) -> None:
        """The shop's writes (orders placed, labels created), then the carriers' scans. The
        notify role mirrors each applied scan into the shop tables itself."""
        orders = self.shop.orders
        placed = [orders[e.order] for e in batch if e.rank == 0]
        labels = [orders[e.order] for e in batch if e.rank == 1 and e.scan == 0]
        if placed or labels:
            async with self.service.db.session() as session, session.begin():
                if placed:
                    await session.execute(insert(ShopOrder), [_order_row(o, now) for o in placed])
                if labels:
                    rows = [_shipment_row(o, o.parcel.scans[0], now) for o in labels]
                    await session.execute(insert(ShopShipment), rows)
                    await session.execute(
                        update(ShopOrder)
                        .where(ShopOrder.id.in_([o.id for o in labels]))
                        .values(fulfillment_status="fulfilled", updated_at=now)
                    )
        for e in batch:
            if e.rank == 1:
                await publish_event(self.bus, t.TRACKING, update_for(orders[e.order], e.scan))

    # -- customers --------------------------------------------------------------------------

    async def write(self, items: Sequence[tuple[Customer, str, int, bool]]) -> None:
        """Post the texts, wait for the service, then read replies and decisions."""
        if not items:
            return
        assert self.service.port is not None
        url = f"http://127.0.0.1:{self.service.port}"
        now = self.clock.now
        written = []
        for customer, text, contact, follow_up in items:
            number = customer.order.number
            self.texts[number] = self.texts.get(number, 0) + 1
            sid = message_sid(number, self.texts[number])
            if not follow_up:
                customer.contacts.append(now)
            message = CustomerMessage(number, now, text, f"twilio:{sid}", contact, follow_up)
            written.append((customer, message))
            self.result.messages.append(message)
            self.posted_at[message.inbound_id] = time.perf_counter()
            await send_text(
                self.http,
                url,
                self.fake.auth_token,
                sender=customer.order.customer.phone,
                body=text,
                sid=sid,
            )
        await self.bus.wait_idle()
        await self.hear(self.fake.take())
        verdicts = await self.verdicts([m.inbound_id for _, m in written])
        for customer, message in written:
            verdict = verdicts.get(message.inbound_id)
            if verdict is None:
                continue
            self.result.verdicts[message.inbound_id] = verdict
            if verdict.rule.startswith("offer.") or verdict.rule in RESOLVING_RULES:
                customer.resolved = True
            if verdict.action == "escalate":
                rng = random.Random(f"wismo-sim:{self.shop.seed}:desk:{message.inbound_id}")
                answer = self.desk.answers_at(message.at, rng)
                self.result.desk_answers[message.inbound_id] = answer
            asked = sum(
                1
                for m in self.result.messages
                if m.order == message.order and m.contact == message.contact and m.follow_up
            )
            if verdict.action == "ask" and asked < MAX_FOLLOW_UPS:
                self.follow_ups.append((customer, message.contact))

    async def hear(self, sent: Sequence[Sent]) -> None:
        """Our messages reach their customers (replies and notices alike). A `lost` notice
        offers the remedy, as an `offer.*` answer does: that customer is resolved."""
        tokens = [s.token for s in sent if s.reply_to is None]
        offers: set[str] = set()
        if tokens:
            query = select(Notice.outbound_id).where(
                Notice.outbound_id.in_(tokens), Notice.kind.in_(REMEDY_NOTICES)
            )
            async with self.service.db.session() as session:
                offers = {str(t) for t in (await session.scalars(query)).all()}
        for s in sent:
            number = self.by_phone.get(s.to)
            reply_to = s.reply_to
            self.result.sent.append(OurMessage(number, s.at, s.body, s.token, reply_to))
            if reply_to is not None and reply_to in self.posted_at:
                self.result.reply_ms.append((s.wall - self.posted_at[reply_to]) * 1000)
            if number is not None:
                source = "answer" if reply_to is not None else "notice"
                self.customers[number].hear(s.at, s.body, source)
                if s.token in offers:
                    self.customers[number].resolved = True

    async def verdicts(self, inbound_ids: Sequence[str]) -> dict[str, Verdict]:
        found: dict[str, Verdict] = {}
        ids = list(inbound_ids)
        for start in range(0, len(ids), 500):
            query = select(DecisionRow).where(DecisionRow.inbound_id.in_(ids[start : start + 500]))
            async with self.service.db.session() as session:
                for row in (await session.scalars(query)).all():
                    found[row.inbound_id] = Verdict(row.action, row.rule, row.intent, row.wismo)
        return found

    async def collect(self) -> None:
        """What the service recorded: every notice, and whether the shop tables followed."""
        async with self.service.db.session() as session:
            rows = (await session.scalars(select(Notice).order_by(Notice.id))).all()
            self.result.notices = [
                NoticeRow(
                    r.outbound_id, r.kind, r.tracking_number, r.order_number, r.state, r.sent_at
                )
                for r in rows
            ]
            events = await session.scalar(select(func.count()).select_from(ShopTrackingEvent))
            shipments = (
                await session.scalars(select(ShopShipment).where(ShopShipment.order_id < 1_000_000))
            ).all()
        now = self.clock.now
        behind = 0
        for row in shipments:
            order = self.shop.orders[row.order_id - 1]
            seen = [s for s in order.parcel.scans if s.at <= now]
            if seen and row.status != seen[-1].status.value:
                behind += 1
        if not events and shipments:
            self.result.checks.append("no carrier scan was recorded in shop_tracking_events")
        if behind:
            self.result.checks.append(
                f"{behind} shop shipments do not show their latest carrier status"
            )


async def run_once(
    shop: Shop,
    options: Options,
    *,
    notices: bool,
    behaviour: Behaviour | None = None,
    desk: Desk | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """The shop through a fresh service, with or without proactive notices."""
    clock = SimClock(shop.start)
    fake = FakeTwilio(clock)
    api = await fake.start()
    label = "notices on" if notices else "notices off"
    try:
        with tempfile.TemporaryDirectory(prefix="wismo-sim-") as directory:
            settings = settings_for(directory, api, fake.auth_token, notices=notices)
            service = Service(settings, clock=clock)
            await service.start()
            try:
                async with aiohttp.ClientSession() as http:
                    run = _Run(
                        service,
                        fake,
                        clock,
                        shop,
                        options,
                        behaviour or Behaviour(),
                        desk or Desk(),
                        progress,
                        label,
                    )
                    return await run.run(http)
            finally:
                await service.stop()
    finally:
        await fake.stop()


@dataclass(frozen=True)
class Simulation:
    shop: Shop
    options: Options
    without: RunResult
    with_notices: RunResult


async def simulate(
    options: Options,
    *,
    behaviour: Behaviour | None = None,
    desk: Desk | None = None,
    progress: Progress | None = None,
) -> Simulation:
    """The same seeded shop twice through the real service: notices off, then on."""
    shop = build(
        options.seed,
        days=options.days,
        orders_per_day=options.orders_per_day,
        warmup_days=options.warmup_days,
    )
    if progress is not None:
        late = sum(o.late for o in shop.orders)
        progress(
            f"shop: {len(shop.orders)} orders ({late} late), {len(shop.history)} delivered "
            f"before day 0 for the lanes"
        )
    without = await run_once(
        shop, options, notices=False, behaviour=behaviour, desk=desk, progress=progress
    )
    with_notices = await run_once(
        shop, options, notices=True, behaviour=behaviour, desk=desk, progress=progress
    )
    return Simulation(shop, options, without, with_notices)
