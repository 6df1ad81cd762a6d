"""The notify role on a real store and the memory bus: carrier events become one notice per
parcel per kind, by day, on the right channel; held for a human, dropped when answered first,
expired when no longer true, suppressed when nobody may be told; bad input changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from router.bus import Record
from router.bus import topics as t
from router.bus.codec import decode, encode
from router.bus.memory import MemoryBus
from router.events import DeskAction, DeskCommand, Escalation, OutboundMessage, TrackingUpdate
from router.events import ShipmentStatus as S
from router.metrics import Metrics
from router.notify.engine import Notifier
from router.notify.lanes import Lane, LaneModel
from router.settings import NotifySettings, Settings
from router.store import channel_state, handoffs, notices, shipments
from router.store.db import Database
from router.store.models import Notice, ShopOrder, ShopShipment
from tests.helpers import Clock

# Tuesday 24 Nov 2026, 15:00 UTC = 07:00 in Los Angeles (before 08:00: quiet), 10:00 in NY.
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PHONE_NY = "+12125550100"
TRACKING = "1ZXK3DEG0359083017"


class Outbox:
    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def __call__(self, record: Record) -> None:
        event = decode(record)
        assert isinstance(event, OutboundMessage)
        self.sent.append(event)


@dataclass
class Rig:
    notifier: Notifier
    db: Database
    bus: MemoryBus
    clock: Clock
    outbox: Outbox
    metrics: Metrics

    async def update(self, status: S, at: datetime, n: int = 1, **extra: Any) -> None:
        event = TrackingUpdate(
            event_id=f"easypost:evt_{n}",
            occurred_at=at,
            tracking_number=extra.pop("tracking_number", TRACKING),
            carrier="UPS",
            status=status,
            source="easypost",
            **extra,
        )
        key, value, headers = encode(event)
        await self.notifier.handle(Record(t.TRACKING, 0, n, key, value, headers, at))
        await self.settle()

    async def tick(self) -> None:
        await self.notifier.tick()
        await self.settle()

    async def settle(self) -> None:
        """Until the outbox consumer has seen everything the notifier published."""
        async with asyncio.timeout(10):
            await self.bus.wait_idle()

    async def ledger(self) -> list[tuple[str, str, str | None]]:
        async with self.db.session() as session:
            rows = (await session.scalars(select(Notice).order_by(Notice.id))).all()
        return [(r.kind, r.state, r.reason) for r in rows]


async def add_order(
    db: Database,
    *,
    number: str = "2001",
    phone: str | None = PHONE_NY,
    email: str = "dana@example.com",
    preferred: str | None = None,
    promised_by: date = date(2026, 11, 27),
    country: str = "US",
    postcode: str = "10001",
    tracking: str = TRACKING,
    shipped_at: datetime = NOW - timedelta(days=1),
) -> None:
    async with db.session() as session, session.begin():
        order = ShopOrder(
            number=number,
            customer_name="Dana Reyes",
            email=email,
            phone=phone,
            placed_at=shipped_at - timedelta(days=1),
            status="open",
            fulfillment_status="fulfilled",
            promised_by=promised_by,
            expected_ship_by=None,
            total=40.0,
            currency="USD",
            ship_city="New York",
            ship_postcode=postcode,
            ship_country=country,
            preferred_channel=preferred,
            updated_at=shipped_at,
        )
        order.shipments.append(
            ShopShipment(
                carrier="UPS",
                tracking_number=tracking,
                tracking_url=None,
                status="in_transit",
                status_detail=None,
                reason=None,
                estimated_delivery=promised_by,
                shipped_at=shipped_at,
                delivered_at=None,
                service="Ground",
                origin_region="US-OAK",
                updated_at=shipped_at,
            )
        )
        session.add(order)


@pytest.fixture
async def rig(db: Database) -> AsyncIterator[Rig]:
    rig = await make_rig(db)
    yield rig
    await rig.bus.stop()


async def make_rig(db: Database, **notify: Any) -> Rig:
    bus = MemoryBus(partitions=1)
    await bus.start()
    outbox = Outbox()
    consumer = bus.consumer([t.OUTBOUND], "test-outbox", outbox)
    await consumer.start()
    clock = Clock(NOW)
    metrics = Metrics()
    settings = Settings(notify=NotifySettings(**notify))
    notifier = Notifier(
        db=db,
        bus=bus,
        settings=settings,
        metrics=metrics,
        clock=clock,
        formats={"sms": "sms", "email": "email", "whatsapp": "messaging"},
    )
    return Rig(notifier, db, bus, clock, outbox, metrics)


async def test_an_exception_is_told_once_by_sms_in_the_customers_language(rig: Rig) -> None:
    await add_order(rig.db)
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1), message="Severe weather")
    [sent] = rig.outbox.sent
    assert sent.event_id == "notice:1"
    assert (sent.channel, sent.recipient.id, sent.author) == ("sms", PHONE_NY, "bot")
    assert sent.conversation_key == f"sms:{PHONE_NY}"
    assert "#2001" in sent.text
    assert await rig.ledger() == [("exception", "sent", None)]
    # Another exception scan, a tick, a redelivery: still one notice of this kind.
    await rig.update(S.EXCEPTION, NOW - timedelta(minutes=30), n=2, message="Still weather")
    await rig.tick()
    assert len(rig.outbox.sent) == 1
    assert (
        rig.metrics.registry.get_sample_value(
            "wismo_notices_total", {"kind": "exception", "outcome": "sent"}
        )
        == 1
    )


async def test_night_for_the_customer_waits_for_their_morning(rig: Rig) -> None:
    await add_order(rig.db, phone="+14155550134")  # Los Angeles: 07:00 now
    await rig.update(S.ATTEMPT_FAILED, NOW - timedelta(hours=1))
    assert rig.outbox.sent == []
    assert await rig.ledger() == [("attempt_failed", "pending", None)]
    rig.clock.advance(59 * 60)
    await rig.tick()
    assert rig.outbox.sent == []
    rig.clock.advance(60)  # 08:00 in Los Angeles
    await rig.tick()
    assert len(rig.outbox.sent) == 1


async def test_preferred_then_last_used_channel_and_opt_outs(db: Database) -> None:
    rig = await make_rig(db)
    await add_order(db, preferred="email")
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1))
    assert [(m.channel, m.recipient.id) for m in rig.outbox.sent] == [("email", "dana@example.com")]
    await rig.bus.stop()

    # Wrote on WhatsApp last: the notice goes into that conversation, by its route.
    rig = await make_rig(db)
    await add_order(db, number="2002", tracking="1ZXK3DEG0359083018")
    await channel_state.touch_contact(
        db, "sms", PHONE_NY, NOW - timedelta(days=3), conversation_key="sms:a", route={}
    )
    await channel_state.touch_contact(
        db,
        "whatsapp",
        PHONE_NY.lstrip("+"),
        NOW - timedelta(days=1),
        conversation_key="whatsapp:106:12125550100",
        route={"phone_number_id": "106"},
    )
    await rig.update(
        S.EXCEPTION, NOW - timedelta(hours=1), n=5, tracking_number="1ZXK3DEG0359083018"
    )
    [sent] = rig.outbox.sent
    assert (sent.channel, sent.conversation_key, sent.route) == (
        "whatsapp",
        "whatsapp:106:12125550100",
        {"phone_number_id": "106"},
    )
    # Opted out of WhatsApp and SMS: e-mail.
    await channel_state.set_opted_out(db, "whatsapp", PHONE_NY.lstrip("+"), True, NOW)
    await channel_state.set_opted_out(db, "sms", PHONE_NY, True, NOW)
    await rig.update(
        S.RETURN_TO_SENDER, NOW - timedelta(minutes=10), n=6, tracking_number="1ZXK3DEG0359083018"
    )
    assert rig.outbox.sent[-1].channel == "email"
    await rig.bus.stop()


async def test_nobody_to_tell_is_suppressed(db: Database) -> None:
    rig = await make_rig(db, channels=["sms"])
    await add_order(db, phone=None)
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1))
    assert rig.outbox.sent == []
    assert await rig.ledger() == [("exception", "suppressed", "no_channel")]
    await rig.bus.stop()


async def test_held_while_a_human_holds_the_conversation(rig: Rig) -> None:
    await add_order(rig.db)
    key = f"sms:{PHONE_NY}"
    escalation = Escalation(
        event_id="escalation:x",
        occurred_at=NOW,
        inbound_id="x",
        decision_id="d",
        conversation_key=key,
        channel="sms",
        provider="twilio",
        reason="r",
        rule="r",
        intent="human",
        language="en",
        customer_text="a person please",
    )
    await handoffs.claim(rig.db, escalation, "slack", NOW)

    def act(command: DeskCommand, n: int) -> DeskAction:
        return DeskAction(
            event_id=f"slack:{n}",
            occurred_at=rig.clock(),
            escalation_id="escalation:x",
            conversation_key=key,
            desk="slack",
            command=command,
            user_id="U1",
            acted_at=rig.clock(),
        )

    await handoffs.record_action(rig.db, act(DeskCommand.TAKE_OVER, 1))
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1))
    assert rig.outbox.sent == []
    assert await rig.ledger() == [("exception", "held", None)]
    rig.clock.advance(10 * 60)
    await handoffs.record_action(rig.db, act(DeskCommand.RESOLVE, 2))
    await rig.tick()
    assert len(rig.outbox.sent) == 1


async def test_answered_first_makes_the_notice_redundant(rig: Rig) -> None:
    await add_order(rig.db, phone="+14155550134")  # night in LA: the notice waits
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1))
    assert await notices.make_redundant(rig.db, "2001", NOW + timedelta(minutes=5)) == 1
    rig.clock.advance(3 * 3600)
    await rig.tick()
    assert rig.outbox.sent == []
    assert await rig.ledger() == [("exception", "redundant", "answered_first")]


async def test_no_longer_true_when_its_time_comes_expires(rig: Rig) -> None:
    await add_order(rig.db, phone="+14155550134")
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=2))
    await rig.update(S.IN_TRANSIT, NOW - timedelta(hours=1), n=2)  # it moved on
    rig.clock.advance(3 * 3600)
    await rig.tick()
    assert rig.outbox.sent == []
    assert await rig.ledger() == [("exception", "expired", "no_longer_true")]


async def test_silence_is_found_by_the_tick(rig: Rig) -> None:
    # Shipped Tue 17 Nov and not a scan since: no event will ever say so, the tick must.
    await add_order(rig.db, shipped_at=NOW - timedelta(days=7))
    await rig.tick()
    assert [k for k, _, _ in await rig.ledger()] == ["stale"]
    assert len(rig.outbox.sent) == 1


async def test_silence_names_the_day_it_counts_as_lost_and_then_offers_a_remedy(
    rig: Rig,
) -> None:
    # Shipped Tue 17 Nov, no scan since. The shop's rule: 8 business days of silence = lost.
    await add_order(rig.db, shipped_at=NOW - timedelta(days=7))
    await rig.tick()
    (stale,) = rig.outbox.sent
    # 8 business days after Tue 17 Nov, Thanksgiving skipped: Mon 30 Nov.
    assert "If it still hasn't moved by Mon 30 Nov" in stale.text
    rig.clock.advance(6 * 86400)  # Mon 30 Nov, 10:00 in New York
    await rig.tick()
    assert [k for k, _, _ in await rig.ledger()] == ["stale", "lost"]
    lost = rig.outbox.sent[-1]
    assert "lost in transit" in lost.text
    assert "replacement or a refund" in lost.text
    rig.clock.advance(86400)
    await rig.tick()
    assert len(rig.outbox.sent) == 2  # once per kind


async def test_without_the_lost_notice_silence_promises_no_day(db: Database) -> None:
    kinds = [k for k in NotifySettings().kinds if k != "lost"]
    rig = await make_rig(db, kinds=kinds)
    try:
        await add_order(rig.db, shipped_at=NOW - timedelta(days=7))
        await rig.tick()
        (stale,) = rig.outbox.sent
        assert "hasn't moved by" not in stale.text
        rig.clock.advance(6 * 86400)
        await rig.tick()
        assert [k for k, _, _ in await rig.ledger()] == ["stale"]
    finally:
        await rig.bus.stop()


async def test_edd_past_the_promise(rig: Rig) -> None:
    await add_order(rig.db)
    await rig.update(S.IN_TRANSIT, NOW - timedelta(hours=1), estimated_delivery=date(2026, 12, 1))
    assert await rig.ledger() == [("edd_past_promise", "sent", None)]


async def test_bad_input_keeps_state_consistent_and_quiet(rig: Rig) -> None:
    await add_order(rig.db)
    await rig.update(S.DELIVERED, NOW - timedelta(hours=1))
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=5), n=2)  # older: ignored
    await rig.update(S.DELIVERED, NOW - timedelta(hours=1))  # duplicate
    await rig.update(S.EXCEPTION, NOW + timedelta(days=30), n=3)  # from the future
    await rig.update(S.EXCEPTION, NOW - timedelta(days=900), n=4)  # years old
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1), n=5, tracking_number="UNKNOWN1")
    state = await shipments.get(rig.db, TRACKING)
    assert state is not None
    assert state.status == S.DELIVERED
    await rig.tick()
    assert rig.outbox.sent == []
    assert await rig.ledger() == []
    assert await shipments.get(rig.db, "UNKNOWN1") is not None


async def test_disabled_keeps_the_state_and_sends_nothing(db: Database) -> None:
    rig = await make_rig(db, enabled=False)
    await add_order(db)
    await rig.update(S.EXCEPTION, NOW - timedelta(hours=1))
    await rig.tick()
    state = await shipments.get(db, TRACKING)
    assert state is not None
    assert state.status == S.EXCEPTION
    assert rig.outbox.sent == []
    assert await rig.ledger() == []
    await rig.bus.stop()


async def test_only_one_of_two_notify_processes_sends(db: Database) -> None:
    first, second = await make_rig(db), await make_rig(db)
    await add_order(db, phone="+14155550134")
    await first.update(S.EXCEPTION, NOW - timedelta(hours=1))
    for rig in (first, second):
        rig.clock.advance(3 * 3600)
    await asyncio.gather(first.tick(), second.tick())
    assert len(first.outbox.sent) + len(second.outbox.sent) == 1
    for rig in (first, second):
        await rig.bus.stop()


async def test_an_order_not_shipped_by_its_ship_by_day_is_told_once(rig: Rig) -> None:
    async with rig.db.session() as session, session.begin():
        session.add(
            ShopOrder(
                number="3001",
                customer_name="Dana Reyes",
                email="dana@example.com",
                phone=PHONE_NY,
                placed_at=NOW - timedelta(days=3),
                status="open",
                fulfillment_status="unfulfilled",
                promised_by=date(2026, 11, 27),
                expected_ship_by=date(2026, 11, 23),
                total=40.0,
                currency="USD",
                ship_city="New York",
                ship_postcode="10001",
                ship_country="US",
                preferred_channel=None,
                updated_at=NOW,
            )
        )
    await rig.tick()
    [sent] = rig.outbox.sent
    assert "#3001" in sent.text
    assert "order:" not in sent.text  # no tracking number to show yet
    assert await rig.ledger() == [("predicted_late", "sent", None)]
    # It ships, late; the lanes would call it late again: the customer already knows.
    async with rig.db.session() as session, session.begin():
        order_id = await session.scalar(select(ShopOrder.id).where(ShopOrder.number == "3001"))
        assert order_id is not None
        session.add(
            ShopShipment(
                order_id=order_id,
                carrier="UPS",
                tracking_number="1ZXK3DEG0359083042",
                tracking_url=None,
                status="in_transit",
                status_detail=None,
                reason=None,
                estimated_delivery=None,
                shipped_at=NOW,
                delivered_at=None,
                service="Ground",
                origin_region="US-OAK",
                updated_at=NOW,
            )
        )
    rig.clock.advance(3600)
    lane = Lane("UPS", "Ground", "US-OAK", "US-100")
    slow = LaneModel.of([(lane, 500.0)] * 30, min_samples=5)  # this lane: always late
    rig.notifier._lanes = (rig.clock(), slow)
    await rig.tick()
    assert await rig.ledger() == [("predicted_late", "sent", None)]
    assert len(rig.outbox.sent) == 1
