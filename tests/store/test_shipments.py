"""Shipment states on SQLite and PostgreSQL: the carrier's time orders updates, repeats and
older news change nothing, and an applied update reaches the shop's own shipment rows."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from router.events import ShipmentStatus as S
from router.events import TrackingUpdate
from router.store import shipments
from router.store.db import Database
from router.store.models import ShopOrder, ShopShipment, ShopTrackingEvent

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NUMBER = "1Z999AA10123456784"


def at(hours: float) -> datetime:
    """A carrier time, `hours` before NOW."""
    return NOW - timedelta(hours=hours)


def update(
    n: int,
    status: S,
    when: datetime,
    *,
    number: str = NUMBER,
    **changes: Any,
) -> TrackingUpdate:
    values: dict[str, Any] = {
        "event_id": f"easypost:evt_{n}",
        "occurred_at": when,
        "tracking_number": number,
        "carrier": "UPS",
        "status": status,
        "source": "easypost",
        "message": f"scan {n}",
        "location": f"City {n}",
    }
    values.update(changes)
    return TrackingUpdate(**values)


async def test_first_update_inserts(db: Database) -> None:
    first = update(1, S.IN_TRANSIT, at(5), estimated_delivery=date(2026, 11, 30))
    result = await shipments.apply_update(db, first, NOW)

    assert (result.applied, result.previous, result.reason) == (True, None, None)
    assert result.state == shipments.ShipmentStateView(
        tracking_number=NUMBER,
        carrier="UPS",
        status=S.IN_TRANSIT,
        reason=None,
        action_required=False,
        estimated_delivery=date(2026, 11, 30),
        message="scan 1",
        location="City 1",
        source="easypost",
        last_event_id="easypost:evt_1",
        last_event_at=at(5),
        first_seen_at=NOW,
        delivered_at=None,
        updated_at=NOW,
        last_hub_at=at(5),  # a scan in transit before the delivery facility
        at_facility_at=None,
    )
    assert await shipments.get(db, NUMBER) == result.state
    assert await shipments.get(db, "nobody-knows-this") is None


async def test_stages_last_hub_then_delivery_facility(db: Database) -> None:
    """The last hub scan is the latest in transit before the delivery facility; scans after
    the facility (another in-transit scan there, out for delivery) change neither stage."""
    steps = [
        update(1, S.PRE_TRANSIT, at(9)),
        update(2, S.IN_TRANSIT, at(8)),
        update(3, S.IN_TRANSIT, at(7), reason="delayed_weather"),
        update(4, S.IN_TRANSIT, at(6), at_delivery_facility=True),
        update(5, S.IN_TRANSIT, at(5)),
        update(6, S.IN_TRANSIT, at(4), at_delivery_facility=True),
        update(7, S.OUT_FOR_DELIVERY, at(3)),
    ]
    seen = []
    for step in steps:
        state = (await shipments.apply_update(db, step, NOW)).state
        assert state is not None
        seen.append((state.last_hub_at, state.at_facility_at))
    assert seen == [
        (None, None),
        (at(8), None),
        (at(7), None),
        (at(7), at(6)),
        (at(7), at(6)),
        (at(7), at(6)),
        (at(7), at(6)),
    ]
    older = await shipments.apply_update(db, update(8, S.IN_TRANSIT, at(10)), NOW)
    assert older.reason == "older"
    assert older.state is not None
    assert older.state.last_hub_at == at(7)


async def test_newer_update_wins(db: Database) -> None:
    first = await shipments.apply_update(db, update(1, S.IN_TRANSIT, at(5)), NOW)
    later = NOW + timedelta(minutes=1)
    second = update(
        2,
        S.EXCEPTION,
        at(1),
        reason="delayed_weather",
        action_required=True,
        source="aftership",
        carrier="ups",
    )
    result = await shipments.apply_update(db, second, later)

    assert result.applied
    assert result.previous == first.state
    state = result.state
    assert state is not None
    assert (state.status, state.reason, state.action_required) == (
        S.EXCEPTION,
        "delayed_weather",
        True,
    )
    assert (state.source, state.carrier, state.last_event_id) == (
        "aftership",
        "ups",
        "easypost:evt_2",
    )
    assert (state.last_event_at, state.first_seen_at, state.updated_at) == (at(1), NOW, later)
    assert await shipments.get(db, NUMBER) == state


async def test_older_update_changes_nothing(db: Database) -> None:
    newer = await shipments.apply_update(db, update(2, S.OUT_FOR_DELIVERY, at(1)), NOW)
    result = await shipments.apply_update(db, update(1, S.IN_TRANSIT, at(5)), NOW)

    assert (result.applied, result.reason) == (False, "older")
    assert result.state == result.previous == newer.state
    assert await shipments.get(db, NUMBER) == newer.state


async def test_same_event_again_changes_nothing(db: Database) -> None:
    first = await shipments.apply_update(db, update(1, S.IN_TRANSIT, at(5)), NOW)
    again = update(1, S.IN_TRANSIT, at(5), message="retried")
    result = await shipments.apply_update(db, again, NOW + timedelta(minutes=5))

    assert (result.applied, result.reason) == (False, "duplicate")
    assert await shipments.get(db, NUMBER) == first.state


async def test_equal_time_the_further_status_wins_in_any_order(db: Database) -> None:
    """Same carrier time, different event: the status further along wins, whichever came
    first; the same status again is nothing new."""
    out = update(1, S.OUT_FOR_DELIVERY, at(2), number="A1")
    delivered = update(2, S.DELIVERED, at(2), number="A1")
    assert (await shipments.apply_update(db, out, NOW)).applied
    won = await shipments.apply_update(db, delivered, NOW)
    assert (won.applied, won.state and won.state.status) == (True, S.DELIVERED)

    assert (
        await shipments.apply_update(
            db, delivered.model_copy(update={"tracking_number": "B1"}), NOW
        )
    ).applied
    lost = await shipments.apply_update(db, out.model_copy(update={"tracking_number": "B1"}), NOW)
    assert (lost.applied, lost.reason) == (False, "tie")
    b1 = await shipments.get(db, "B1")
    assert b1 is not None
    assert b1.status is S.DELIVERED

    same = update(3, S.DELIVERED, at(2), number="A1", message="Delivered, front porch")
    result = await shipments.apply_update(db, same, NOW)
    assert (result.applied, result.reason) == (False, "tie")
    a1 = await shipments.get(db, "A1")
    assert a1 is not None
    assert (a1.last_event_id, a1.message) == ("easypost:evt_2", "scan 2")


def test_tie_rank_orders_every_status() -> None:
    """A status nobody ranked would make ties undecidable (and raise): every one has a rank."""
    assert sorted(shipments.TIE_RANK) == sorted(S)
    assert len(set(shipments.TIE_RANK.values())) == len(S)
    assert max(shipments.TIE_RANK, key=shipments.TIE_RANK.__getitem__) is S.DELIVERED


async def test_far_future_update_is_refused(db: Database) -> None:
    ahead = update(1, S.DELIVERED, NOW + timedelta(days=1, minutes=1))
    refused = await shipments.apply_update(db, ahead, NOW)
    assert refused == shipments.Applied(applied=False, state=None, previous=None, reason="future")
    assert await shipments.get(db, NUMBER) is None

    known = await shipments.apply_update(db, update(2, S.IN_TRANSIT, at(3)), NOW)
    refused = await shipments.apply_update(db, ahead, NOW)
    assert (refused.applied, refused.reason, refused.state) == (False, "future", known.state)

    # Within a day ahead is a time zone or a drifting clock, not nonsense: applied.
    slightly = update(3, S.OUT_FOR_DELIVERY, NOW + timedelta(hours=23))
    assert (await shipments.apply_update(db, slightly, NOW)).applied


async def test_times_in_other_zones_compare_as_instants(db: Database) -> None:
    """A carrier writing local time with an offset is ordered by the instant it names."""
    await shipments.apply_update(db, update(1, S.IN_TRANSIT, at(2)), NOW)
    eastern = timezone(timedelta(hours=-5))
    earlier = at(3).astimezone(eastern)  # reads "later" on the wall clock, is an hour earlier
    result = await shipments.apply_update(db, update(2, S.DELIVERED, earlier), NOW)
    assert (result.applied, result.reason) == (False, "older")
    later = at(1).astimezone(eastern)
    result = await shipments.apply_update(db, update(3, S.DELIVERED, later), NOW)
    assert result.applied
    assert result.state is not None
    assert result.state.last_event_at == at(1)
    assert result.state.last_event_at.tzinfo is UTC


async def test_delivered_then_in_transit_follows_the_carrier_time(db: Database) -> None:
    delivered = await shipments.apply_update(db, update(1, S.DELIVERED, at(10)), NOW)
    assert delivered.state is not None
    assert delivered.state.delivered_at == at(10)

    # The carrier corrects a mis-scan: the later time wins and the parcel is not delivered.
    moving = await shipments.apply_update(db, update(2, S.IN_TRANSIT, at(5)), NOW)
    assert moving.state is not None
    assert (moving.state.status, moving.state.delivered_at) == (S.IN_TRANSIT, None)

    again = await shipments.apply_update(db, update(3, S.DELIVERED, at(1)), NOW)
    assert again.state is not None
    assert (again.state.status, again.state.delivered_at) == (S.DELIVERED, at(1))

    # A later scan that still says delivered (a signature added) keeps the delivery time.
    signed = await shipments.apply_update(db, update(4, S.DELIVERED, at(0.5)), NOW)
    assert signed.state is not None
    assert signed.state.delivered_at == at(1)


async def test_estimate_and_place_kept_when_an_update_has_none(db: Database) -> None:
    edd = date(2026, 11, 30)
    await shipments.apply_update(
        db, update(1, S.IN_TRANSIT, at(5), estimated_delivery=edd, reason="delayed_weather"), NOW
    )
    result = await shipments.apply_update(
        db, update(2, S.IN_TRANSIT, at(3), location=None, message=None), NOW
    )
    assert result.state is not None
    assert (result.state.estimated_delivery, result.state.location) == (edd, "City 1")
    # What describes the status itself is the latest update's, even when it says nothing.
    assert (result.state.message, result.state.reason) == (None, None)

    revised = date(2026, 12, 2)
    result = await shipments.apply_update(
        db, update(3, S.IN_TRANSIT, at(1), estimated_delivery=revised), NOW
    )
    assert result.state is not None
    assert result.state.estimated_delivery == revised


async def _seed_order(db: Database, *numbers: str) -> list[int]:
    """A shop order with one shipment per number; returns the shipment ids."""
    order = ShopOrder(
        number="1001",
        customer_name="Alice",
        email="alice@example.com",
        phone=None,
        placed_at=NOW - timedelta(days=3),
        status="open",
        fulfillment_status="fulfilled",
        promised_by=date(2026, 11, 29),
        expected_ship_by=None,
        total=42.0,
        currency="USD",
        ship_city="Oakland",
        ship_postcode="94607",
        ship_country="US",
        updated_at=NOW - timedelta(days=3),
    )
    for number in numbers:
        order.shipments.append(
            ShopShipment(
                carrier="UPS",
                tracking_number=number,
                tracking_url=None,
                status=S.IN_TRANSIT.value,
                status_detail="Departed facility",
                reason=None,
                action_required=False,
                estimated_delivery=date(2026, 11, 28),
                shipped_at=NOW - timedelta(days=2),
                delivered_at=None,
                updated_at=NOW - timedelta(days=2),
            )
        )
    async with db.session() as session, session.begin():
        session.add(order)
    return [s.id for s in order.shipments]


async def _shop(db: Database, shipment_id: int) -> tuple[ShopShipment, list[ShopTrackingEvent]]:
    async with db.session() as session:
        shipment = await session.get(ShopShipment, shipment_id)
        assert shipment is not None
        events = (
            await session.scalars(
                select(ShopTrackingEvent)
                .where(ShopTrackingEvent.shipment_id == shipment_id)
                .order_by(ShopTrackingEvent.occurred_at, ShopTrackingEvent.id)
            )
        ).all()
    return shipment, list(events)


async def test_applied_update_is_mirrored_into_the_shop(db: Database) -> None:
    [mine, other] = await _seed_order(db, NUMBER, "1Z-OTHER")
    later = NOW + timedelta(minutes=10)

    exception = update(
        1,
        S.EXCEPTION,
        at(4),
        reason="address_issue",
        action_required=True,
        estimated_delivery=date(2026, 12, 1),
        message="Address incomplete",
    )
    assert (await shipments.apply_update(db, exception, later)).applied
    shipment, events = await _shop(db, mine)
    assert (shipment.status, shipment.status_detail, shipment.reason) == (
        "exception",
        "Address incomplete",
        "address_issue",
    )
    assert shipment.action_required
    assert (shipment.estimated_delivery, shipment.delivered_at, shipment.updated_at) == (
        date(2026, 12, 1),
        None,
        later,
    )
    assert [(e.occurred_at, e.status, e.description, e.location) for e in events] == [
        (at(4), "exception", "Address incomplete", "City 1")
    ]

    # No message: the event reads as its status; no estimate: the shop's is kept.
    delivered = update(2, S.DELIVERED, at(1), message=None, location=None)
    assert (await shipments.apply_update(db, delivered, later)).applied
    shipment, events = await _shop(db, mine)
    assert (shipment.status, shipment.status_detail, shipment.reason) == ("delivered", None, None)
    assert not shipment.action_required
    assert (shipment.estimated_delivery, shipment.delivered_at) == (date(2026, 12, 1), at(1))
    assert [(e.status, e.description, e.location) for e in events] == [
        ("exception", "Address incomplete", "City 1"),
        ("delivered", "Delivered", None),
    ]

    # What is not applied is not mirrored either.
    assert not (await shipments.apply_update(db, delivered, later)).applied
    assert not (await shipments.apply_update(db, update(3, S.IN_TRANSIT, at(6)), later)).applied
    assert len((await _shop(db, mine))[1]) == 2

    untouched, untouched_events = await _shop(db, other)
    assert (untouched.status, untouched.status_detail, untouched_events) == (
        "in_transit",
        "Departed facility",
        [],
    )


async def test_unknown_number_gets_a_state_row_only(db: Database) -> None:
    [mine] = await _seed_order(db, NUMBER)
    stranger = update(1, S.IN_TRANSIT, at(1), number="NOBODY-ORDERED-THIS")
    result = await shipments.apply_update(db, stranger, NOW)
    assert result.applied
    assert await shipments.get(db, "NOBODY-ORDERED-THIS") == result.state
    shipment, events = await _shop(db, mine)
    assert (shipment.status, events) == ("in_transit", [])


async def test_in_transit_lists_parcels_still_moving(db: Database) -> None:
    statuses = {
        "T-PRE": (S.PRE_TRANSIT, 9),
        "T-MOVING": (S.IN_TRANSIT, 8),
        "T-EXCEPTION": (S.EXCEPTION, 7),
        "T-DELIVERED": (S.DELIVERED, 6),
        "T-RETURNED": (S.RETURN_TO_SENDER, 5),
        "T-CANCELLED": (S.CANCELLED, 4),
        "T-EXPIRED": (S.EXPIRED, 3),
        "T-FAILURE": (S.FAILURE, 2),
        "T-OUT": (S.OUT_FOR_DELIVERY, 1),
    }
    for n, (number, (status, hours)) in enumerate(statuses.items()):
        await shipments.apply_update(db, update(n, status, at(hours), number=number), NOW)

    moving = await shipments.in_transit(db)
    assert [s.tracking_number for s in moving] == ["T-PRE", "T-MOVING", "T-EXCEPTION", "T-OUT"]
    limited = await shipments.in_transit(db, limit=2)
    assert [s.tracking_number for s in limited] == ["T-PRE", "T-MOVING"]


async def test_concurrent_updates_end_in_the_newest_state(db: Database) -> None:
    """Ten updates of one parcel applied at once, in a shuffled order: the newest carrier
    time wins, every one is applied at most once, the shop history has no duplicates."""
    [mine] = await _seed_order(db, NUMBER)
    lifecycle = [S.PRE_TRANSIT, *[S.IN_TRANSIT] * 6, S.OUT_FOR_DELIVERY, S.EXCEPTION, S.DELIVERED]
    updates = [
        update(n, status, at(10 - n), estimated_delivery=date(2026, 11, 20 + n))
        for n, status in enumerate(lifecycle)
    ]
    shuffled = updates * 2  # every update twice: redelivery racing the first delivery
    random.Random(20261127).shuffle(shuffled)

    results = await asyncio.gather(*(shipments.apply_update(db, u, NOW) for u in shuffled))

    final = await shipments.get(db, NUMBER)
    assert final is not None
    newest = updates[-1]
    assert (final.status, final.last_event_id, final.last_event_at) == (
        S.DELIVERED,
        newest.event_id,
        newest.occurred_at,
    )
    assert (final.delivered_at, final.estimated_delivery) == (
        newest.occurred_at,
        date(2026, 11, 29),
    )
    applied = [r for r in results if r.applied]
    assert 1 <= len(applied) <= len(updates)
    assert len({r.state.last_event_id for r in applied if r.state is not None}) == len(applied)
    assert sum(r.previous is None for r in applied) == 1  # one insert, the rest updates
    # Each applied update moved the state forward in carrier time.
    for r in applied:
        if r.previous is not None and r.state is not None:
            assert r.state.last_event_at > r.previous.last_event_at

    shipment, events = await _shop(db, mine)
    assert (shipment.status, shipment.delivered_at) == ("delivered", newest.occurred_at)
    assert len(events) == len(applied)
    assert events[-1].occurred_at == newest.occurred_at
