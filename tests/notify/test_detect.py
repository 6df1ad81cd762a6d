"""Findings per parcel: carrier events, EDD past the promise, silence, predicted lateness."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from router.events import ShipmentStatus as S
from router.notify.detect import OrderFacts, Parcel, detect, promise_deadline
from router.notify.lanes import Lane, LaneModel
from router.settings import NotifySettings

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday
NY = ZoneInfo("America/New_York")
CFG = NotifySettings()
ORDER = OrderFacts("1001", "open", date(2026, 11, 27), "US", "10001")
PARCEL = Parcel(
    tracking_number="1ZXK3DEG0359083017",
    carrier="UPS",
    service="Ground",
    origin_region="US-OAK",
    status=S.IN_TRANSIT,
    reason=None,
    message="Arrived at facility",
    location="Oakland, CA",
    estimated_delivery=date(2026, 11, 26),
    shipped_at=NOW - timedelta(days=1),
    last_event_at=NOW - timedelta(hours=3),
    delivered_at=None,
)
EMPTY = LaneModel()


def kinds(
    parcel: Parcel = PARCEL,
    order: OrderFacts = ORDER,
    lanes: LaneModel = EMPTY,
    now: datetime = NOW,
) -> list[str]:
    return [f.kind for f in detect(parcel, order, lanes, now=now, zone=NY, cfg=CFG)]


def test_a_parcel_on_time_needs_no_notice() -> None:
    assert kinds() == []


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (S.EXCEPTION, "exception"),
        (S.ATTEMPT_FAILED, "attempt_failed"),
        (S.RETURN_TO_SENDER, "return_to_sender"),
        (S.AVAILABLE_FOR_PICKUP, "available_for_pickup"),
    ],
)
def test_carrier_events(status: S, kind: str) -> None:
    parcel = replace(PARCEL, status=status, message="Weather delay")
    [finding] = detect(parcel, ORDER, EMPTY, now=NOW, zone=NY, cfg=CFG)
    assert finding.kind == kind
    assert finding.facts["reason"] == "Weather delay"
    assert finding.facts["place"] == "Oakland, CA"
    assert finding.facts["tracking"] == PARCEL.tracking_number
    # The carrier's date has not moved since the problem: not repeated, it would likely pass.
    assert "day" not in finding.facts
    moved = replace(parcel, estimated_delivery=date(2026, 11, 30))
    found = {f.kind: f for f in detect(moved, ORDER, EMPTY, now=NOW, zone=NY, cfg=CFG)}
    assert found[kind].facts["day"] == "2026-11-30"


@pytest.mark.parametrize("reason", ["delayed_weather", "delayed_carrier", "address_issue"])
def test_an_in_transit_scan_with_a_delay_reason_is_an_exception(reason: str) -> None:
    parcel = replace(PARCEL, reason=reason, message="Delayed: severe weather conditions")
    [finding] = detect(parcel, ORDER, EMPTY, now=NOW, zone=NY, cfg=CFG)
    assert (finding.kind, finding.facts["reason"]) == (
        "exception",
        "Delayed: severe weather conditions",
    )
    assert kinds(replace(PARCEL, reason="lost")) == []  # not a delay the customer can wait out


def test_old_events_never_notify() -> None:
    old = replace(PARCEL, status=S.EXCEPTION, last_event_at=NOW - timedelta(days=400))
    assert "exception" not in kinds(old)


def test_delivered_and_cancelled_need_nothing() -> None:
    assert kinds(replace(PARCEL, status=S.DELIVERED, estimated_delivery=date(2026, 12, 9))) == []
    late = replace(PARCEL, estimated_delivery=date(2026, 12, 9))
    assert kinds(late, replace(ORDER, status="cancelled")) == []


def test_edd_moved_past_the_promise() -> None:
    [finding] = detect(
        replace(PARCEL, estimated_delivery=date(2026, 11, 30)),
        ORDER,
        EMPTY,
        now=NOW,
        zone=NY,
        cfg=CFG,
    )
    assert (finding.kind, finding.facts["day"]) == ("edd_past_promise", "2026-11-30")
    assert kinds(replace(PARCEL, estimated_delivery=date(2026, 11, 27))) == []  # on the day


def test_stale_after_business_days_weekends_and_holidays_skipped() -> None:
    # Last scan Friday 20 Nov; Thanksgiving is Thursday 26 Nov 2026.
    parcel = replace(PARCEL, last_event_at=datetime(2026, 11, 20, 15, tzinfo=UTC))
    assert "stale" in kinds(parcel, now=datetime(2026, 11, 25, 15, tzinfo=UTC))  # Mon Tue Wed
    assert "stale" not in kinds(parcel, now=datetime(2026, 11, 24, 15, tzinfo=UTC))  # 2 days
    thanksgiving = replace(PARCEL, last_event_at=datetime(2026, 11, 24, 15, tzinfo=UTC))
    # Wed, (Thu holiday), Fri: 2 business days by Friday, 3 by Monday.
    assert "stale" not in kinds(thanksgiving, now=datetime(2026, 11, 27, 15, tzinfo=UTC))
    assert "stale" in kinds(thanksgiving, now=datetime(2026, 11, 30, 15, tzinfo=UTC))


def test_predicted_late_before_the_carrier_admits_it() -> None:
    lane = Lane("UPS", "Ground", "US-OAK", "US-100")
    # Most parcels on this lane take 3 days; a quarter take 11.
    lanes = LaneModel.of([(lane, 72.0)] * 30 + [(lane, 264.0)] * 10, min_samples=5)
    assert "predicted_late" not in kinds(lanes=lanes)  # 1 day in: 25 % late, under 60 %
    # Still travelling after 5 days: only the slow ones got that far.
    slow = replace(PARCEL, shipped_at=NOW - timedelta(days=5), estimated_delivery=None)
    found = {f.kind: f for f in detect(slow, ORDER, lanes, now=NOW, zone=NY, cfg=CFG)}
    assert found["predicted_late"].facts["probability"] == 1.0
    # 264 working hours after Thu 19 Nov 15:00, weekends and Thanksgiving left out.
    assert found["predicted_late"].facts["day"] == "2026-12-07"
    # After the deadline it is too late to warn: the EDD / stale rules speak then.
    after = NOW + timedelta(days=4)
    assert "predicted_late" not in kinds(slow, lanes=lanes, now=after)


def test_predicted_late_gives_way_to_the_carriers_own_word() -> None:
    lane = Lane("UPS", "Ground", "US-OAK", "US-100")
    lanes = LaneModel.of([(lane, 192.0)] * 30, min_samples=5)
    told = replace(PARCEL, estimated_delivery=date(2026, 11, 30))
    assert kinds(told, lanes=lanes) == ["edd_past_promise"]


def test_promise_deadline_is_the_end_of_the_local_day() -> None:
    assert promise_deadline(date(2026, 11, 27), NY) == datetime(2026, 11, 28, 5, tzinfo=UTC)


def test_not_shipped_after_its_ship_by_day_is_predicted_late() -> None:
    unshipped = replace(PARCEL, shipped_at=None, last_event_at=None, estimated_delivery=None)
    order = replace(ORDER, expected_ship_by=date(2026, 11, 23))  # Monday; now Tuesday in NY
    [finding] = detect(unshipped, order, EMPTY, now=NOW, zone=NY, cfg=CFG)
    assert finding.kind == "predicted_late"
    assert finding.facts == {
        "status": "not_shipped",
        "ship_by": "2026-11-23",
        "promised_by": "2026-11-27",
    }
    on_the_day = replace(ORDER, expected_ship_by=date(2026, 11, 24))
    assert detect(unshipped, on_the_day, EMPTY, now=NOW, zone=NY, cfg=CFG) == []
    after_the_promise = NOW + timedelta(days=4)
    assert detect(unshipped, order, EMPTY, now=after_the_promise, zone=NY, cfg=CFG) == []
    assert detect(unshipped, ORDER, EMPTY, now=NOW, zone=NY, cfg=CFG) == []  # no ship-by date


def test_a_parcel_still_leaving_hubs_on_the_eve_is_predicted_late_by_its_last_leg() -> None:
    lane = Lane("UPS", "Ground", "US-OAK", "US-100")
    lanes = LaneModel(min_samples=5)
    for _ in range(30):  # 3 days door to door, the last hub scan 64 working hours out
        lanes.add(lane, 72.0, last_leg=64.0)
    # Promise Fri 27 Nov (NY), Thanksgiving Thu 26: from Tue 15:00 UTC the deadline is 57 h
    # of working time away. Still at a hub now: the last leg alone takes 64 h.
    eve = replace(PARCEL, estimated_delivery=None, last_hub_at=NOW - timedelta(hours=1))
    found = {f.kind: f for f in detect(eve, ORDER, lanes, now=NOW, zone=NY, cfg=CFG)}
    assert found["predicted_late"].facts["basis"] == "last_leg"
    assert found["predicted_late"].facts["probability"] == 1.0
    # Already at the facility that delivers it, or without stages: the transit time only.
    arrived = replace(eve, at_facility_at=NOW - timedelta(minutes=30))
    assert kinds(arrived, lanes=lanes) == []
    assert kinds(replace(eve, last_hub_at=None), lanes=lanes) == []
    # Out for delivery: nothing to predict.
    assert kinds(replace(eve, status=S.OUT_FOR_DELIVERY), lanes=lanes) == []


def test_a_silent_parcel_names_the_day_it_counts_as_lost_then_is_lost() -> None:
    parcel = replace(PARCEL, last_event_at=datetime(2026, 11, 16, 15, tzinfo=UTC))  # Monday

    def found(day: int, lost_after: int | None = 8) -> list[tuple[str, str | None]]:
        now = datetime(2026, 11, day, 15, tzinfo=UTC)
        findings = detect(parcel, ORDER, EMPTY, now=now, zone=NY, cfg=CFG, lost_after=lost_after)
        return [(f.kind, f.facts.get("act_on")) for f in findings]

    # 8 business days after Mon 16 Nov, Thanksgiving (Thu 26) skipped: Fri 27 Nov.
    assert found(19) == [("stale", "2026-11-27")]
    assert found(27) == [("lost", None)]
    # A shop that offers no remedy: silence is only ever "stale", with no day promised.
    assert found(27, lost_after=None) == [("stale", None)]


def test_not_shipped_late_on_its_ship_by_day_is_predicted_late_from_the_shops_history() -> None:
    lanes = LaneModel(min_samples=5)
    for hour in (14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0):  # labelled in time
        for _ in range(5):
            lanes.add_fulfilment(hour, late=False)
    for _ in range(6):  # labelled the next day: the promise was missed
        lanes.add_fulfilment(38.0, late=True)
    unshipped = replace(PARCEL, shipped_at=None, last_event_at=None, estimated_delivery=None)
    order = replace(ORDER, expected_ship_by=date(2026, 11, 24))  # today, Tuesday

    def found(hour: int) -> list[dict[str, object]]:
        now = datetime(2026, 11, 24, hour, tzinfo=UTC)
        return [f.facts for f in detect(unshipped, order, lanes, now=now, zone=NY, cfg=CFG)]

    assert found(15) == []  # 6 of 36 still waiting at 15:00 were late: not yet
    [facts] = found(22)  # no label by 22:00 UTC: only the late ones waited that long
    assert facts == {
        "status": "not_shipped",
        "ship_by": "2026-11-24",
        "promised_by": "2026-11-27",
        "probability": 1.0,
        "samples": 6,
        "basis": "fulfilment",
    }
    assert found(1) == []  # before the ship-by day
