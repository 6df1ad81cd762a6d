"""Transit times per lane and the conditional chance of missing a deadline."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from router.notify.lanes import (
    Estimate,
    Lane,
    LaneModel,
    add_business_hours,
    business_hours,
    destination_region,
    load,
)
from router.resolve.reasoning import holidays_of
from router.store.db import Database
from router.store.models import ShipmentState, ShopOrder, ShopShipment

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WEST = Lane("UPS", "Ground", "US-OAK", "US-100")


def test_business_hours_skip_weekends_and_holidays() -> None:
    friday = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert business_hours(friday, monday, "US") == 12.0  # Fri 18-24, Mon 0-6
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    friday_noon = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert business_hours(wednesday, friday_noon, "US") == 24.0  # Thanksgiving left out
    assert business_hours(wednesday, friday_noon, "DE") == 48.0
    assert business_hours(friday_noon, wednesday, "US") == 0.0
    assert add_business_hours(friday, 12.0, "US") == monday
    assert add_business_hours(wednesday, 24.0, "US") == friday_noon
    for hours in (0.0, 5.5, 30.0, 200.0):
        there = add_business_hours(friday, hours, "US")
        assert abs(business_hours(friday, there, "US") - hours) < 1e-9


def test_destination_region() -> None:
    assert destination_region("us", "10001-1234") == "US-100"
    assert destination_region("GB", "sw1a 1aa") == "GB-SW"
    assert destination_region("PT", "1100-148") == "PT-11"


def test_conditional_probability_uses_parcels_that_lasted_as_long() -> None:
    # 40 parcels took 48 h, 10 took 120 h.
    model = LaneModel.of([(WEST, 48.0)] * 40 + [(WEST, 120.0)] * 10, min_samples=5)
    fresh = model.estimate(WEST, elapsed_h=1, deadline_h=72)
    assert fresh is not None
    assert fresh.late_probability == 10 / 50
    assert fresh.level == "lane"
    # Still travelling after 60 h: only the slow ones lasted that long.
    slow = model.estimate(WEST, elapsed_h=60, deadline_h=72)
    assert slow is not None
    assert (slow.late_probability, slow.samples, slow.expected_hours) == (1.0, 10, 120.0)


def test_thin_lanes_fall_back_to_coarser_levels_then_nothing() -> None:
    other_zip = Lane("UPS", "Ground", "US-OAK", "US-945")
    model = LaneModel.of([(other_zip, 50.0)] * 30, min_samples=20)
    estimate = model.estimate(WEST, elapsed_h=0, deadline_h=72)
    assert estimate is not None
    assert estimate.level == "country"
    assert model.estimate(Lane("FedEx", None, None, "US-100"), 0, 72) is None
    assert model.estimate(WEST, elapsed_h=60, deadline_h=72) is None  # none lasted 60 h


def test_last_leg_counts_from_the_last_hub_scan() -> None:
    model = LaneModel(min_samples=5)
    for _ in range(20):  # hub -> door: 40 h for most, 64 h for a few
        model.add(WEST, 72.0, last_leg=40.0)
    for _ in range(5):
        model.add(WEST, 96.0, last_leg=64.0)
    model.add(WEST, 30.0)  # a parcel whose source reported no stages: no last-leg sample
    leg = model.last_leg(WEST, elapsed_h=2, deadline_h=30)
    assert leg is not None
    assert (leg.late_probability, leg.samples, leg.level) == (1.0, 25, "lane")
    assert model.last_leg(WEST, elapsed_h=2, deadline_h=50) == Estimate(5 / 25, 25, "lane", 40.0)


def test_last_leg_only_on_lanes_that_show_the_facility_stage() -> None:
    model = LaneModel(min_samples=5)
    for _ in range(25):
        model.add(WEST, 72.0, last_leg=40.0)
    # A thin lane to another ZIP of the same country borrows the leg from the country level.
    east = Lane("UPS", "Ground", "US-OAK", "US-021")
    model.add(east, 70.0, last_leg=41.0)
    borrowed = model.last_leg(east, elapsed_h=2, deadline_h=30)
    assert borrowed is not None
    assert borrowed.level == "country"
    # A one-day lane whose on-time parcels never show a facility scan: its "last hub" is the
    # pickup, so no leg learned elsewhere applies.
    near = Lane("UPS", "Ground", "US-OAK", "US-945")
    for _ in range(9):
        model.add(near, 24.0)
    model.add(near, 48.0, last_leg=40.0)  # the one slow parcel that did show it
    assert model.last_leg(near, elapsed_h=2, deadline_h=30) is None
    assert model.estimate(near, elapsed_h=2, deadline_h=30) is not None  # transit time: yes


def shipped_order(
    number: str,
    *,
    shipped_at: datetime,
    delivered_at: datetime | None,
    placed_at: datetime | None = None,
    promised_by: date = date(2026, 1, 1),
    expected_ship_by: date | None = None,
    phone: str | None = None,
) -> ShopOrder:
    """A New York order of one UPS Ground parcel from Oakland (the WEST lane)."""
    order = ShopOrder(
        number=number,
        customer_name="x",
        email="x@example.com",
        phone=phone,
        placed_at=placed_at or shipped_at - timedelta(days=1),
        status="closed",
        fulfillment_status="fulfilled",
        promised_by=promised_by,
        expected_ship_by=expected_ship_by,
        total=1.0,
        currency="USD",
        ship_city="NYC",
        ship_postcode="10001",
        ship_country="US",
        updated_at=NOW,
    )
    order.shipments.append(
        ShopShipment(
            carrier="UPS",
            tracking_number=f"1Z{number}",
            tracking_url=None,
            status="delivered" if delivered_at else "in_transit",
            status_detail=None,
            reason=None,
            estimated_delivery=None,
            service="Ground",
            origin_region="US-OAK",
            shipped_at=shipped_at,
            delivered_at=delivered_at,
            updated_at=NOW,
        )
    )
    return order


async def test_load_takes_the_last_leg_from_the_parcel_stages(db: Database) -> None:
    delivered = NOW - timedelta(days=2)
    stages = [  # (last hub, delivery facility): only a hub before the facility gives a leg
        (delivered - timedelta(hours=30), delivered - timedelta(hours=10)),
        (delivered - timedelta(hours=30), delivered - timedelta(hours=12)),
        (delivered - timedelta(hours=30), None),
        (None, delivered - timedelta(hours=10)),
    ]
    async with db.session() as session, session.begin():
        for i, (hub, facility) in enumerate(stages):
            number = f"1ZLEG{i}"
            session.add(
                shipped_order(
                    f"LEG{i}", shipped_at=delivered - timedelta(hours=50), delivered_at=delivered
                )
            )
            session.add(
                ShipmentState(
                    tracking_number=number,
                    carrier="UPS",
                    status="delivered",
                    source="easypost",
                    last_event_id=f"e{i}",
                    last_event_at=delivered,
                    first_seen_at=delivered - timedelta(hours=50),
                    delivered_at=delivered,
                    updated_at=delivered,
                    last_hub_at=hub,
                    at_facility_at=facility,
                )
            )
    model = await load(db, NOW, window_days=120, min_samples=1)
    leg = model.last_leg(WEST, elapsed_h=0, deadline_h=29)
    assert leg is not None
    assert (leg.samples, leg.late_probability, leg.expected_hours) == (2, 1.0, 30.0)
    transit = model.estimate(WEST, elapsed_h=0, deadline_h=60)
    assert transit is not None
    assert transit.samples == 4


async def test_load_learns_from_delivered_parcels_in_the_window(db: Database) -> None:
    async with db.session() as session, session.begin():
        for i, (days_ago, hours) in enumerate([(7, 30.0), (21, 50.0), (400, 90.0)]):
            delivered = NOW - timedelta(days=days_ago)
            shipped = delivered - timedelta(hours=hours)
            session.add(shipped_order(f"L{i}", shipped_at=shipped, delivered_at=delivered))
    model = await load(db, NOW, window_days=120, min_samples=1)
    estimate = model.estimate(WEST, elapsed_h=0, deadline_h=40)
    assert estimate is not None
    assert (estimate.samples, estimate.late_probability) == (2, 0.5)  # the 400-day one is out


def test_fulfilment_compares_with_orders_that_waited_as_long() -> None:
    model = LaneModel(min_samples=3)
    for hours, late in [(10.0, False), (12.0, False), (12.0, True), (30.0, True), (31.0, True)]:
        model.add_fulfilment(hours, late)
    early = model.fulfilment(1.0)
    assert early is not None
    assert (early.late_probability, early.samples, early.level) == (3 / 5, 5, "shop")
    # strictly longer than 12 h: the two next-day labels, under min_samples
    assert model.fulfilment(12.0) is None
    assert model.fulfilment(11.0) == Estimate(3 / 4, 4, "shop", 21.0)


async def test_load_learns_fulfilment_from_decided_orders(db: Database) -> None:
    ship_by = date(2026, 11, 23)  # Monday
    # (label, delivered, promised): in time; label a day late and delivered late; lost; and one
    # still on its way before its promised day (not decided: left out).
    cases = [
        (datetime(2026, 11, 23, 18, tzinfo=UTC), datetime(2026, 11, 24, 16, tzinfo=UTC), 24),
        (datetime(2026, 11, 24, 18, tzinfo=UTC), datetime(2026, 11, 26, 16, tzinfo=UTC), 24),
        (datetime(2026, 11, 23, 19, tzinfo=UTC), None, 24),
        (datetime(2026, 11, 23, 20, tzinfo=UTC), None, 30),
    ]
    async with db.session() as session, session.begin():
        for i, (label, delivered, promised_day) in enumerate(cases):
            order = shipped_order(
                f"F{i}",
                shipped_at=label,
                delivered_at=delivered,
                placed_at=datetime(2026, 11, 22, 12, tzinfo=UTC),
                promised_by=date(2026, 11, promised_day),
                expected_ship_by=ship_by,
                phone="+12125550100",
            )
            session.add(order)
    model = await load(db, NOW, window_days=120, min_samples=1)
    waited = model.fulfilment(0.0)
    assert waited is not None
    assert (waited.samples, waited.late_probability) == (3, 2 / 3)
    next_day = model.fulfilment(20.0)  # only the order labelled on Tuesday waited that long
    assert next_day is not None
    assert (next_day.samples, next_day.late_probability) == (1, 1.0)


def test_business_hours_agree_with_counting_hour_by_hour() -> None:
    """The day-span shortcut against the plainest definition, over weekends and holidays."""
    rng = random.Random(7)
    start_of_span = datetime(2026, 11, 20, tzinfo=UTC)  # Fri; Thanksgiving Thu 26, Christmas
    for _ in range(300):
        start = start_of_span + timedelta(minutes=rng.randrange(0, 60 * 24 * 40))
        end = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 12))
        plain = 0.0
        cursor = start
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=UTC)
            step = min(end, cursor + timedelta(minutes=30), midnight)
            if cursor.weekday() < 5 and cursor.date() not in holidays_of("US"):
                plain += (step - cursor).total_seconds() / 3600
            cursor = step
        assert business_hours(start, end, "US") == pytest.approx(plain), (start, end)
