"""The notify role: carrier events in, honest notices out — once, on the right channel, by day.

Two triggers: each TrackingUpdate on wismo.tracking.v1 (applied to the parcel's state, then
that parcel is checked), and `tick()` every few minutes (silence and predicted lateness need
no event; notices held for the night or for a human come due). A finding becomes a pending
notice once per parcel per kind (the ledger's unique key), timed for the customer's daytime.
When its time comes it is checked again — still true? answered already? a human holding the
conversation? the customer opted out? — and only then rendered in the customer's language
and published to wismo.outbound.v1 with the id `notice:<id>` (dispatch sends it once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select

from router.bus import EventBus, Record
from router.bus import topics as t
from router.bus.codec import decode_as, publish_event
from router.events import OutboundMessage, Party, ShipmentStatus, TrackingUpdate
from router.metrics import Metrics
from router.notify import lanes as lane_model
from router.notify.detect import Finding, OrderFacts, Parcel, detect
from router.notify.quiet import customer_zone, next_allowed, parse_clock
from router.periodic import Periodic
from router.reply.formats import Format
from router.reply.notice import render_notice
from router.settings import Settings
from router.store import channel_state, handoffs, notices, repo, shipments
from router.store.db import Database
from router.store.models import ShipmentState, ShopOrder, ShopShipment, ShopTrackingEvent
from router.store.notices import NoticeView

log = structlog.get_logger(__name__)

CONSUMER = "notify"
LANGUAGES = {
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE", "UY", "EC", "VE"), "es"),
    **dict.fromkeys(("FR", "BE", "LU", "MC"), "fr"),
    **dict.fromkeys(("DE", "AT", "LI"), "de"),
    **dict.fromkeys(("PT", "BR", "AO", "MZ"), "pt"),
}
LOOKBACK = timedelta(days=3650)  # "the customer's last language": any time they wrote
LIVE = (notices.PENDING, notices.HELD, notices.SENDING, notices.SENT)
ORDER_KEY = "order:"  # the ledger key of an order that has not shipped: no tracking number yet


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    email: str | None
    phone: str | None
    preferred_channel: str | None


@dataclass(frozen=True, slots=True)
class Tracked:
    parcel: Parcel
    order: OrderFacts
    customer: Customer


@dataclass(frozen=True, slots=True)
class Route:
    channel: str
    address: str
    conversation_key: str
    route: dict[str, str]


class Notifier:
    def __init__(
        self,
        *,
        db: Database,
        bus: EventBus,
        settings: Settings,
        metrics: Metrics,
        clock: Callable[[], datetime],
        formats: Mapping[str, Format],
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.cfg = settings.notify
        self.metrics = metrics
        self.clock = clock
        self.formats = formats
        self.quiet = (parse_clock(self.cfg.quiet_start), parse_clock(self.cfg.quiet_end))
        self._lanes: tuple[datetime, lane_model.LaneModel] | None = None
        self.ticker = Periodic(
            "notify", self.tick, lambda: self.cfg.check_interval_s, wait_first=True
        )
        self._known: set[tuple[str, str]] = set()  # (tracking number, kind) already queued

    # -- the role ------------------------------------------------------------------------------

    async def handle(self, record: Record) -> None:
        update = decode_as(TrackingUpdate, record)
        now = self.clock()
        applied = await shipments.apply_update(self.db, update, now)
        if not applied.applied:
            log.info("tracking_update_skipped", event_id=update.event_id, reason=applied.reason)
            return
        if self.cfg.enabled:
            await self.check(update.tracking_number, now)
            await self.send_due(now)

    async def start(self) -> None:
        self.ticker.start()

    async def close(self) -> None:
        await self.ticker.stop()

    async def tick(self) -> None:
        """Time-based findings for every parcel on its way, then whatever is due."""
        if not self.cfg.enabled:
            return
        now = self.clock()
        for tracked in await self._tracked(None):
            await self._check(tracked, now)
        await self.send_due(now)

    # -- findings → pending notices ------------------------------------------------------------

    async def check(self, tracking_number: str, now: datetime) -> None:
        for tracked in await self._tracked([tracking_number]):
            await self._check(tracked, now)

    async def _check(self, tracked: Tracked, now: datetime) -> None:
        zone = self._zone(tracked)
        lanes = await self._lane_model(now)
        for finding in self._findings(tracked, lanes, now):
            key = (tracked.parcel.tracking_number, finding.kind)
            if key in self._known:
                continue  # a ledger row exists (rows are never deleted): skip the write
            if finding.kind == "predicted_late" and await self._warned_before_shipping(tracked):
                continue  # they already heard it may be late, before it even shipped
            self._known.add(key)
            queued = await notices.queue(
                self.db,
                tracking_number=tracked.parcel.tracking_number,
                kind=finding.kind,
                order_number=tracked.order.number,
                facts=finding.facts,
                detected_at=now,
                not_before=next_allowed(now, zone, *self.quiet),
            )
            if queued:
                self._count(finding.kind, "queued")
                log.info("notice_queued", kind=finding.kind, order=tracked.order.number)

    async def _warned_before_shipping(self, tracked: Tracked) -> bool:
        if tracked.parcel.shipped_at is None:
            return False
        earlier = await notices.for_parcel(self.db, ORDER_KEY + tracked.order.number)
        return any(n.kind == "predicted_late" and n.state in LIVE for n in earlier)

    def _findings(
        self, tracked: Tracked, lanes: lane_model.LaneModel, now: datetime
    ) -> list[Finding]:
        policy = self.settings.policy
        found = detect(
            tracked.parcel,
            tracked.order,
            lanes,
            now=now,
            zone=self._zone(tracked),
            cfg=self.cfg,
            # The silence notice promises "we'll get in touch" on the lost day only when the
            # shop offers remedies and the lost notice that keeps that promise is enabled.
            lost_after=(
                policy.lost_after_business_days
                if policy.offers and "lost" in self.cfg.kinds
                else None
            ),
        )
        return [f for f in found if f.kind in self.cfg.kinds]

    def _zone(self, tracked: Tracked) -> ZoneInfo:
        return customer_zone(
            phone=tracked.customer.phone,
            country=tracked.order.country,
            postcode=tracked.order.postcode,
            default=self.cfg.default_timezone,
        )

    async def _lane_model(self, now: datetime) -> lane_model.LaneModel:
        """Relearned at most hourly: delivered parcels change slowly."""
        if (
            self._lanes is None
            or now - self._lanes[0] >= timedelta(hours=1)
            or now < self._lanes[0]
        ):
            model = await lane_model.load(
                self.db,
                now,
                window_days=self.cfg.lane_window_days,
                min_samples=self.cfg.lane_min_samples,
                default_zone=self.cfg.default_timezone,
            )
            self._lanes = (now, model)
        return self._lanes[1]

    # -- pending notices → messages ------------------------------------------------------------

    async def send_due(self, now: datetime) -> None:
        for notice in await notices.due(self.db, now):
            await self._deliver(notice, now)

    async def _deliver(self, notice: NoticeView, now: datetime) -> None:
        tracked = next(iter(await self._tracked([notice.tracking_number])), None)
        if tracked is None or tracked.order.number != notice.order_number:
            await self._finish(notice, "expired", now, reason="parcel_gone")
            return
        current = {f.kind: f for f in self._findings(tracked, await self._lane_model(now), now)}
        if notice.kind not in current:
            await self._finish(notice, "expired", now, reason="no_longer_true")
            return
        zone = self._zone(tracked)
        wake = next_allowed(now, zone, *self.quiet)
        if wake > now:  # it was held, and now it is night there
            await notices.transition(self.db, notice.id, notice.state, now, not_before=wake)
            return
        route = await self._route(tracked)
        if route is None:
            await self._finish(notice, "suppressed", now, reason="no_channel")
            return
        holding = await handoffs.holding(
            self.db,
            route.conversation_key,
            now,
            timedelta(minutes=self.settings.handoff.idle_minutes),
        )
        if holding is not None:
            later = now + timedelta(seconds=self.cfg.check_interval_s)
            if notice.state != notices.HELD:
                self._count(notice.kind, "held")
            await notices.transition(self.db, notice.id, notices.HELD, now, not_before=later)
            return
        expect = (notices.SENDING,) if notice.state == notices.SENDING else notices.OPEN
        if not await notices.transition(self.db, notice.id, notices.SENDING, now, expect=expect):
            return  # another notify process has it
        finding = current[notice.kind]
        language = await self._language(tracked, route)
        outbound = self._message(notice, finding, tracked, route, language, now)
        await publish_event(self.bus, t.OUTBOUND, outbound)
        await notices.transition(
            self.db,
            notice.id,
            notices.SENT,
            now,
            expect=(notices.SENDING,),
            sent_at=now,
            channel=route.channel,
            address=route.address,
            conversation_key=route.conversation_key,
            outbound_id=outbound.event_id,
            text=outbound.text,
            language=language,
            facts=finding.facts,
        )
        self._count(notice.kind, "sent")
        log.info("notice_sent", kind=notice.kind, order=notice.order_number, channel=route.channel)

    async def _finish(self, notice: NoticeView, state: str, now: datetime, *, reason: str) -> None:
        if await notices.transition(self.db, notice.id, state, now, reason=reason):
            self._count(notice.kind, state)

    def _message(
        self,
        notice: NoticeView,
        finding: Finding,
        tracked: Tracked,
        route: Route,
        language: str,
        now: datetime,
    ) -> OutboundMessage:
        facts = finding.facts
        shipped_yet = tracked.parcel.shipped_at is not None
        reply = render_notice(
            notice.kind,
            number=tracked.order.number,
            carrier=tracked.parcel.carrier or None,
            tracking=None if shipped_yet is False else tracked.parcel.tracking_number,
            day=_day(facts.get("last_scan") if "last_scan" in facts else facts.get("day")),
            act_on=_day(facts.get("act_on")),
            place=facts.get("place"),
            reason=facts.get("reason"),
            language=language,
            fmt=self.formats.get(route.channel, "chat"),
            brand=self.settings.brand,
            now=now,
            name=tracked.customer.name,
        )
        customer = tracked.customer
        return OutboundMessage(
            event_id=f"notice:{notice.id}",
            occurred_at=now,
            conversation_key=route.conversation_key,
            channel=route.channel,
            provider=route.channel,
            recipient=Party(
                id=route.address, name=customer.name, email=customer.email, phone=customer.phone
            ),
            route=route.route,
            text=reply.text,
            subject=reply.subject,
            html=reply.html,
            links=reply.links,
        )

    async def _route(self, tracked: Tracked) -> Route | None:
        """The customer's preferred channel, else the one they last wrote on, else the first
        configured one we have an address for; never one they opted out of."""
        customer = tracked.customer
        addresses = {
            "sms": customer.phone,
            "whatsapp": customer.phone.lstrip("+") if customer.phone else None,
            "email": customer.email.lower() if customer.email else None,
        }
        allowed = [c for c in self.cfg.channels if c in self.formats and addresses.get(c)]
        states = {c: await channel_state.contact(self.db, c, str(addresses[c])) for c in allowed}
        recent = sorted(
            (c for c in allowed if states[c].last_inbound_at is not None),
            key=lambda c: states[c].last_inbound_at or datetime.min,
            reverse=True,
        )
        order = [customer.preferred_channel, *recent, *allowed]
        for channel in dict.fromkeys(c for c in order if c in allowed):
            state = states[channel]
            if state.opted_out:
                continue
            address = str(addresses[channel])
            return Route(
                channel,
                address,
                state.last_conversation_key or f"{channel}:{address}",
                {k: str(v) for k, v in (state.last_route or {}).items()},
            )
        return None

    async def _language(self, tracked: Tracked, route: Route) -> str:
        """What they last wrote in, else their country's language."""
        previous = await repo.last_decision(
            self.db, route.conversation_key, self.clock() - LOOKBACK
        )
        if previous is not None and previous.language:
            return previous.language
        return LANGUAGES.get(tracked.order.country.upper(), "en")

    def _count(self, kind: str, outcome: str) -> None:
        self.metrics.notices.labels(kind=kind, outcome=outcome).inc()

    # -- what the store knows about parcels ----------------------------------------------------

    async def _tracked(self, tracking_numbers: list[str] | None) -> list[Tracked]:
        """Parcels of open orders that have shipped and are not delivered (or the given ones),
        with the carrier's latest state where there is one."""
        last_scan = (
            select(
                ShopTrackingEvent.shipment_id,
                func.max(ShopTrackingEvent.occurred_at).label("at"),
            )
            .group_by(ShopTrackingEvent.shipment_id)
            .subquery()
        )
        statement = (
            select(ShopShipment, ShopOrder, ShipmentState, last_scan.c.at)
            .join(ShopOrder, ShopShipment.order_id == ShopOrder.id)
            .outerjoin(ShipmentState, ShipmentState.tracking_number == ShopShipment.tracking_number)
            .outerjoin(last_scan, last_scan.c.shipment_id == ShopShipment.id)
            .where(ShopShipment.shipped_at.is_not(None))
        )
        unshipped = (
            select(ShopOrder)
            .where(
                ShopOrder.status == "open",
                ShopOrder.fulfillment_status == "unfulfilled",
                ShopOrder.expected_ship_by.is_not(None),
                ~select(ShopShipment.id).where(ShopShipment.order_id == ShopOrder.id).exists(),
            )
            .order_by(ShopOrder.id)
        )
        if tracking_numbers is None:
            statement = statement.where(
                ShopShipment.delivered_at.is_(None), ShopOrder.status != "cancelled"
            )
        else:
            keys = [n for n in tracking_numbers if not n.startswith(ORDER_KEY)]
            numbers = [n.removeprefix(ORDER_KEY) for n in tracking_numbers if n not in keys]
            statement = statement.where(ShopShipment.tracking_number.in_(keys))
            unshipped = unshipped.where(ShopOrder.number.in_(numbers))
        async with self.db.session() as session:
            rows = (await session.execute(statement)).all()
            waiting = (await session.scalars(unshipped)).all()
        return [_tracked(ship, order, state, scan) for ship, order, state, scan in rows] + [
            _not_shipped(order) for order in waiting
        ]


def _tracked(
    ship: ShopShipment, order: ShopOrder, state: ShipmentState | None, scan: datetime | None
) -> Tracked:
    status = ShipmentStatus(state.status if state is not None else ship.status)
    last = state.last_event_at if state is not None else scan
    parcel = Parcel(
        tracking_number=ship.tracking_number,
        carrier=(state.carrier if state is not None and state.carrier else ship.carrier),
        service=ship.service,
        origin_region=ship.origin_region,
        status=status,
        reason=state.reason if state is not None else ship.reason,
        message=state.message if state is not None else ship.status_detail,
        location=state.location if state is not None else None,
        estimated_delivery=(
            state.estimated_delivery
            if state is not None and state.estimated_delivery
            else ship.estimated_delivery
        ),
        shipped_at=ship.shipped_at,
        last_event_at=last or ship.shipped_at,
        delivered_at=state.delivered_at if state is not None else ship.delivered_at,
        last_hub_at=state.last_hub_at if state is not None else None,
        at_facility_at=state.at_facility_at if state is not None else None,
    )
    return Tracked(parcel, _order_facts(order), _customer(order))


def _order_facts(order: ShopOrder) -> OrderFacts:
    return OrderFacts(
        number=order.number,
        status=order.status,
        promised_by=order.promised_by,
        country=order.ship_country,
        postcode=order.ship_postcode,
        expected_ship_by=order.expected_ship_by,
    )


def _customer(order: ShopOrder) -> Customer:
    return Customer(order.customer_name, order.email, order.phone, order.preferred_channel)


def _not_shipped(order: ShopOrder) -> Tracked:
    """An order no carrier has yet, as the notifier tracks it: under the ledger key
    `order:<number>`, with no carrier, tracking number or scans."""
    parcel = Parcel(
        tracking_number=ORDER_KEY + order.number,
        carrier="",
        service=None,
        origin_region=None,
        status=ShipmentStatus.PRE_TRANSIT,
        reason=None,
        message=None,
        location=None,
        estimated_delivery=None,
        shipped_at=None,
        last_event_at=None,
        delivered_at=None,
    )
    return Tracked(parcel, _order_facts(order), _customer(order))


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None
