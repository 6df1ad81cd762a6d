"""Transit times per lane and the conditional chance of missing a deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from router.notify.lanes import (
    Lane,
    LaneModel,
    add_business_hours,
    business_hours,
    destination_region,
    load,
)
from router.store.db import Database
from router.store.models import ShopOrder, ShopShipment

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


async def test_load_learns_from_delivered_parcels_in_the_window(db: Database) -> None:
    async with db.session() as session, session.begin():
        for i, (days_ago, hours) in enumerate([(7, 30.0), (21, 50.0), (400, 90.0)]):
            delivered = NOW - timedelta(days=days_ago)
            order = ShopOrder(
                number=f"L{i}",
                customer_name="x",
                email="x@example.com",
                phone=None,
                placed_at=delivered - timedelta(days=3),
                status="closed",
                fulfillment_status="fulfilled",
                promised_by=date(2026, 1, 1),
                expected_ship_by=None,
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
                    tracking_number=f"1Z{i}",
                    tracking_url=None,
                    status="delivered",
                    status_detail=None,
                    reason=None,
                    estimated_delivery=None,
                    service="Ground",
                    origin_region="US-OAK",
                    shipped_at=delivered - timedelta(hours=hours),
                    delivered_at=delivered,
                    updated_at=NOW,
                )
            )
            session.add(order)
    model = await load(db, NOW, window_days=120, min_samples=1)
    estimate = model.estimate(WEST, elapsed_h=0, deadline_h=40)
    assert estimate is not None
    assert (estimate.samples, estimate.late_probability) == (2, 0.5)  # the 400-day one is out
