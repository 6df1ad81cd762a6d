"""Facts and what they mean: business days, late, stale, lost, delivered, action required, split,
not shipped, cancelled; carrier facts merged into the shop's.

The clock is Wednesday 18 November 2026, 15:00 UTC. Nearby US federal holidays: Veterans Day
(Wednesday 11 November) and Thanksgiving (Thursday 26 November); neither is a UK holiday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from router.events import FactSource, OrderFacts, ShipmentFacts, ShipmentStatus
from router.orders.base import Scan, Shipment
from router.resolve.reasoning import (
    add_business_days,
    business_days_between,
    notes,
    order_facts,
    shipment_facts,
    sources,
    tagged,
    with_tracking,
)
from router.settings import PolicySettings
from router.tracking.base import TrackingEvent, TrackingInfo
from tests.orders_factory import NOW, UPS, USPS, at, make_order

S = ShipmentStatus


def scan(day: int, status: S = S.IN_TRANSIT, description: str = "Departed facility") -> Scan:
    return Scan(occurred_at=at(day), status=status, description=description, location="Reno, NV")


def shipment(status: S = S.IN_TRANSIT, *, last_scan_day: int = 17, **changes: Any) -> Shipment:
    fields: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": UPS,
        "status": status,
        "shipped_at": at(14),
        "scans": [scan(14, S.PRE_TRANSIT, "Label created"), scan(last_scan_day, status)],
    }
    fields.update(changes)
    return Shipment(**fields)


# --- business days ---------------------------------------------------------------------------


def test_default_thresholds() -> None:
    policy = PolicySettings()
    assert (policy.stale_after_business_days, policy.lost_after_business_days) == (5, 8)


@pytest.mark.parametrize(
    ("start", "end", "country", "days"),
    [
        # Tue 10 → Wed 18 Nov: Wed 11 is Veterans Day in the US, a working day in the UK.
        (date(2026, 11, 10), date(2026, 11, 18), "US", 5),
        (date(2026, 11, 10), date(2026, 11, 18), "GB", 6),
        # A country the holidays package does not know: weekends only.
        (date(2026, 11, 10), date(2026, 11, 18), "ZZ", 6),
        # Wed 25 → Mon 30 Nov: Thu 26 Thanksgiving, Sat/Sun; Fri 27 and Mon 30 count.
        (date(2026, 11, 25), date(2026, 11, 30), "US", 2),
        (date(2026, 11, 25), date(2026, 11, 30), "GB", 3),
        # Fri 13 → Mon 16: the weekend does not count.
        (date(2026, 11, 13), date(2026, 11, 16), "US", 1),
        (date(2026, 11, 14), date(2026, 11, 15), "US", 0),
        # Start is excluded, end included.
        (date(2026, 11, 17), date(2026, 11, 18), "US", 1),
        (date(2026, 11, 18), date(2026, 11, 18), "US", 0),
        (date(2026, 11, 18), date(2026, 11, 10), "US", 0),
        # Christmas Day 2026 is a Friday.
        (date(2026, 12, 21), date(2026, 12, 28), "US", 4),
    ],
)
def test_business_days_between(start: date, end: date, country: str, days: int) -> None:
    assert business_days_between(start, end, country) == days


@pytest.mark.parametrize(
    ("start", "days", "country", "end"),
    [
        (date(2026, 11, 18), 0, "US", date(2026, 11, 18)),
        (date(2026, 11, 14), 0, "US", date(2026, 11, 14)),  # zero days: even from a Saturday
        (date(2026, 11, 17), 1, "US", date(2026, 11, 18)),
        # Fri 13 + 1 → Mon 16 (weekend); from Saturday too.
        (date(2026, 11, 13), 1, "US", date(2026, 11, 16)),
        (date(2026, 11, 14), 1, "US", date(2026, 11, 16)),
        # Tue 10 + 1: Wed 11 is Veterans Day in the US only.
        (date(2026, 11, 10), 1, "US", date(2026, 11, 12)),
        (date(2026, 11, 10), 1, "GB", date(2026, 11, 11)),
        (date(2026, 11, 10), 1, "ZZ", date(2026, 11, 11)),
        # Wed 25 + 1 → Fri 27 (Thanksgiving), + 2 → Mon 30.
        (date(2026, 11, 25), 1, "US", date(2026, 11, 27)),
        (date(2026, 11, 25), 2, "US", date(2026, 11, 30)),
        # Thu 24 Dec + 1: Christmas Fri 25; the UK also observes Boxing Day on Mon 28.
        (date(2026, 12, 24), 1, "US", date(2026, 12, 28)),
        (date(2026, 12, 24), 1, "GB", date(2026, 12, 29)),
        (date(2026, 11, 18), 10, "US", date(2026, 12, 3)),
    ],
)
def test_add_business_days(start: date, days: int, country: str, end: date) -> None:
    assert add_business_days(start, days, country) == end


@pytest.mark.parametrize("country", ["US", "GB", "DE", "ZZ"])
@pytest.mark.parametrize("days", [1, 3, 5, 8, 20])
def test_add_business_days_is_the_inverse_of_counting_them(country: str, days: int) -> None:
    for start in (date(2026, 11, 10), date(2026, 12, 19), date(2026, 12, 24)):
        end = add_business_days(start, days, country)
        assert business_days_between(start, end, country) == days
        assert end.weekday() < 5


# --- facts -------------------------------------------------------------------------------------


def test_shipment_facts_take_detail_and_place_from_the_last_scan() -> None:
    s = shipment(S.IN_TRANSIT, estimated_delivery=date(2026, 11, 20), tracking_url="https://t/1")
    assert shipment_facts(s) == ShipmentFacts(
        carrier="UPS",
        tracking_number=UPS,
        tracking_url="https://t/1",
        status=S.IN_TRANSIT,
        status_detail="Departed facility",
        last_scan_at=at(17),
        last_location="Reno, NV",
        estimated_delivery=date(2026, 11, 20),
        delivered_at=None,
    )


def test_shipment_detail_wins_over_the_scan_description() -> None:
    s = shipment(S.DELIVERED, status_detail="Left at front door", delivered_at=at(17, 14))
    facts = shipment_facts(s)
    assert facts.status_detail == "Left at front door"
    assert facts.delivered_at == at(17, 14)


def test_shipment_without_scans() -> None:
    facts = shipment_facts(shipment(S.UNKNOWN, scans=[]))
    assert (facts.status_detail, facts.last_scan_at, facts.last_location) == (None, None, None)


def test_order_facts() -> None:
    order = make_order(shipment(), promised_by=date(2026, 11, 20), fulfillment_status="fulfilled")
    assert order_facts(order) == OrderFacts(
        number="1001",
        placed_at=at(12),
        status="open",
        fulfillment_status="fulfilled",
        promised_by=date(2026, 11, 20),
        shipments=[shipment_facts(order.shipments[0])],
    )


# --- notes -------------------------------------------------------------------------------------


def test_on_time_in_transit_has_no_notes() -> None:
    order = make_order(
        shipment(estimated_delivery=date(2026, 11, 20)), promised_by=date(2026, 11, 20)
    )
    assert notes(order, NOW) == []


def test_cancelled_says_only_cancelled() -> None:
    order = make_order(
        shipment(last_scan_day=2),
        shipment(tracking_number=USPS, carrier="USPS"),
        status="cancelled",
        promised_by=date(2026, 11, 1),
    )
    assert notes(order, NOW) == ["cancelled"]


def test_not_shipped() -> None:
    assert notes(make_order(expected_ship_by=date(2026, 11, 19)), NOW) == ["not_shipped"]
    assert notes(make_order(expected_ship_by=date(2026, 11, 18)), NOW) == ["not_shipped"]


def test_not_shipped_past_the_expected_ship_date() -> None:
    order = make_order(expected_ship_by=date(2026, 11, 17))
    assert notes(order, NOW) == ["not_shipped", "ship_overdue"]


def test_not_shipped_past_the_promised_date_is_late() -> None:
    order = make_order(expected_ship_by=date(2026, 11, 13), promised_by=date(2026, 11, 17))
    assert notes(order, NOW) == ["not_shipped", "ship_overdue", "late"]


def test_partly_shipped() -> None:
    order = make_order(shipment(), fulfillment_status="partial")
    assert notes(order, NOW) == ["partly_shipped"]


def test_split() -> None:
    order = make_order(shipment(), shipment(S.DELIVERED, tracking_number=USPS, carrier="USPS"))
    assert notes(order, NOW) == ["split", f"delivered:{USPS}:2026-11-17"]


def test_partly_shipped_and_split() -> None:
    order = make_order(
        shipment(), shipment(tracking_number=USPS, carrier="USPS"), fulfillment_status="partial"
    )
    assert notes(order, NOW) == ["partly_shipped", "split"]


def test_late_when_past_the_promised_date_and_not_delivered() -> None:
    order = make_order(shipment(), promised_by=date(2026, 11, 17))
    assert notes(order, NOW) == ["late"]


def test_promised_today_is_not_late_yet() -> None:
    order = make_order(shipment(), promised_by=date(2026, 11, 18))
    assert notes(order, NOW) == []


def test_late_when_the_carrier_date_is_after_the_promise() -> None:
    order = make_order(
        shipment(estimated_delivery=date(2026, 11, 24)), promised_by=date(2026, 11, 23)
    )
    assert notes(order, NOW) == ["late"]


def test_delivered_after_the_promise_is_not_late_any_more() -> None:
    order = make_order(
        shipment(S.DELIVERED, delivered_at=at(17)),
        shipment(S.AVAILABLE_FOR_PICKUP, tracking_number=USPS, carrier="USPS"),
        promised_by=date(2026, 11, 10),
    )
    assert notes(order, NOW) == ["split", f"delivered:{UPS}:2026-11-17"]


def test_late_counts_only_undelivered_parcels() -> None:
    order = make_order(
        shipment(S.DELIVERED, delivered_at=at(17), estimated_delivery=date(2026, 11, 30)),
        shipment(tracking_number=USPS, carrier="USPS", estimated_delivery=date(2026, 11, 19)),
        promised_by=date(2026, 11, 20),
    )
    assert notes(order, NOW) == ["split", f"delivered:{UPS}:2026-11-17"]


def test_stale_after_five_business_days_without_a_scan() -> None:
    # Last scan Tue 10 Nov; Veterans Day skipped: 12, 13, 16, 17, 18 → 5 business days.
    order = make_order(shipment(last_scan_day=10))
    assert notes(order, NOW) == [f"stale:{UPS}:5"]


def test_not_stale_after_four_business_days_in_the_us() -> None:
    # Last scan Thu 12 Nov: 13, 16, 17, 18 → 4 business days.
    order = make_order(shipment(last_scan_day=12))
    assert notes(order, NOW) == []


def test_stale_depends_on_the_destination_countrys_holidays() -> None:
    # Last scan Mon 9 Nov: US 10, 12, 13, 16, 17, 18 = 6; UK adds Wed 11 = 7.
    assert notes(make_order(shipment(last_scan_day=9)), NOW) == [f"stale:{UPS}:6"]
    uk = make_order(shipment(last_scan_day=9), ship_country="GB", ship_postcode="SW1A 1AA")
    assert notes(uk, NOW) == [f"stale:{UPS}:7"]
    # Last scan Tue 10 Nov: US 5 (stale); an order to a place with no known holidays: 6.
    assert notes(make_order(shipment(last_scan_day=10), ship_country="ZZ"), NOW) == [
        f"stale:{UPS}:6"
    ]


@pytest.mark.parametrize("status", [S.PRE_TRANSIT, S.IN_TRANSIT, S.UNKNOWN])
def test_moving_statuses_can_go_stale(status: S) -> None:
    # Last scan Fri 6 Nov: 9, 10, 12, 13, 16, 17, 18 → 7 business days: stale, not yet lost.
    assert notes(make_order(shipment(status, last_scan_day=6)), NOW) == [f"stale:{UPS}:7"]


@pytest.mark.parametrize("status", [S.PRE_TRANSIT, S.IN_TRANSIT, S.UNKNOWN])
def test_moving_statuses_silent_for_eight_business_days_are_lost(status: S) -> None:
    # Last scan Thu 5 Nov: 6, 9, 10, 12, 13, 16, 17, 18 → 8 business days.
    assert notes(make_order(shipment(status, last_scan_day=5)), NOW) == [
        f"stale:{UPS}:8",
        f"lost:{UPS}",
    ]
    assert notes(make_order(shipment(status, last_scan_day=2)), NOW) == [
        f"stale:{UPS}:11",
        f"lost:{UPS}",
    ]


@pytest.mark.parametrize(
    "status",
    [
        S.OUT_FOR_DELIVERY,
        S.AVAILABLE_FOR_PICKUP,
        S.EXCEPTION,
        S.RETURN_TO_SENDER,
        S.ATTEMPT_FAILED,
        S.CANCELLED,
        S.EXPIRED,
    ],
)
def test_other_statuses_do_not_go_stale_or_lost(status: S) -> None:
    assert notes(make_order(shipment(status, last_scan_day=2)), NOW) == []


def test_shipment_without_scans_is_not_stale() -> None:
    assert notes(make_order(shipment(scans=[])), NOW) == []


def test_every_note_at_once() -> None:
    order = make_order(
        shipment(last_scan_day=2),
        shipment(
            tracking_number=USPS,
            carrier="USPS",
            last_scan_day=17,
            estimated_delivery=date(2026, 11, 25),
        ),
        fulfillment_status="partial",
        promised_by=date(2026, 11, 20),
    )
    assert notes(order, NOW) == [
        "partly_shipped",
        "split",
        "late",
        f"stale:{UPS}:11",
        f"lost:{UPS}",
    ]


def test_now_in_another_timezone_uses_its_own_date() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 18 Nov 20:00 UTC is already 19 Nov in Tokyo: the promise for the 18th is broken there.
    order = make_order(shipment(), promised_by=date(2026, 11, 18))
    assert notes(order, datetime(2026, 11, 18, 20, 0, tzinfo=UTC)) == []
    assert notes(order, datetime(2026, 11, 19, 5, 0, tzinfo=tokyo)) == ["late"]


# --- thresholds from the policy ----------------------------------------------------------------


def test_stale_and_lost_thresholds_come_from_the_policy() -> None:
    policy = PolicySettings(stale_after_business_days=2, lost_after_business_days=3)
    # Last scan Tue 17 Nov: 1 business day; Mon 16: 2; Fri 13: 3.
    assert notes(make_order(shipment(last_scan_day=17)), NOW, policy) == []
    assert notes(make_order(shipment(last_scan_day=16)), NOW, policy) == [f"stale:{UPS}:2"]
    assert notes(make_order(shipment(last_scan_day=13)), NOW, policy) == [
        f"stale:{UPS}:3",
        f"lost:{UPS}",
    ]
    # The same parcels under the default policy: nothing to say yet.
    assert notes(make_order(shipment(last_scan_day=13)), NOW) == []


def test_a_lost_threshold_below_the_stale_one_is_honoured() -> None:
    policy = PolicySettings(stale_after_business_days=10, lost_after_business_days=3)
    assert notes(make_order(shipment(last_scan_day=13)), NOW, policy) == [f"lost:{UPS}"]


def test_the_lost_threshold_counts_holidays_of_the_destination() -> None:
    # Last scan Thu 5 Nov: 8 business days in the US (Veterans Day), 9 in the UK.
    policy = PolicySettings(lost_after_business_days=9)
    assert notes(make_order(shipment(last_scan_day=5)), NOW, policy) == [f"stale:{UPS}:8"]
    uk = make_order(shipment(last_scan_day=5), ship_country="GB")
    assert notes(uk, NOW, policy) == [f"stale:{UPS}:9", f"lost:{UPS}"]


# --- lost, delivered, action required ------------------------------------------------------------


def test_a_carrier_failure_is_lost() -> None:
    order = make_order(shipment(S.FAILURE, status_detail="Package could not be located"))
    assert notes(order, NOW) == [f"lost:{UPS}"]


def test_a_carrier_reason_lost_is_lost_whatever_the_status() -> None:
    order = make_order(shipment(S.EXCEPTION, reason="lost"))
    assert notes(order, NOW) == [f"lost:{UPS}"]
    assert notes(make_order(shipment(S.EXCEPTION, reason="delayed_weather")), NOW) == []


def test_delivered_is_tagged_with_the_delivery_date() -> None:
    order = make_order(shipment(S.DELIVERED, last_scan_day=16, delivered_at=at(17, 14)))
    assert notes(order, NOW) == [f"delivered:{UPS}:2026-11-17"]


def test_delivered_without_a_delivery_time_uses_the_last_scan() -> None:
    order = make_order(shipment(S.DELIVERED, last_scan_day=16))
    assert notes(order, NOW) == [f"delivered:{UPS}:2026-11-16"]


def test_delivered_without_any_time_uses_today() -> None:
    order = make_order(shipment(S.DELIVERED, scans=[]))
    assert notes(order, NOW) == [f"delivered:{UPS}:2026-11-18"]


def test_available_for_pickup_is_not_delivered() -> None:
    assert notes(make_order(shipment(S.AVAILABLE_FOR_PICKUP)), NOW) == []


def test_action_required() -> None:
    order = make_order(shipment(S.EXCEPTION, reason="address_issue", action_required=True))
    assert notes(order, NOW) == [f"action_required:{UPS}"]


def test_tags_per_parcel_in_order() -> None:
    order = make_order(
        shipment(S.DELIVERED, delivered_at=at(17, 9)),
        shipment(
            S.EXCEPTION,
            tracking_number=USPS,
            carrier="USPS",
            reason="held_for_payment",
            action_required=True,
        ),
    )
    tags = notes(order, NOW)
    assert tags == ["split", f"delivered:{UPS}:2026-11-17", f"action_required:{USPS}"]
    assert tagged(tags, "delivered") == [[UPS, "2026-11-17"]]
    assert tagged(tags, "action_required") == [[USPS]]
    assert tagged(tags, "lost") == []
    assert tagged(["late", "lateness:x"], "late") == [[]]


# --- carrier facts -------------------------------------------------------------------------------


def tracking(
    status: S = S.OUT_FOR_DELIVERY,
    *,
    number: str = UPS,
    event_at: datetime | None = None,
    **changes: Any,
) -> TrackingInfo:
    when = event_at or at(18, 8)
    fields: dict[str, Any] = {
        "tracking_number": number,
        "carrier": "UPS",
        "status": status,
        "source": "easypost",
        "status_detail": "Out for delivery",
        "estimated_delivery": date(2026, 11, 18),
        "events": [
            TrackingEvent(
                occurred_at=when,
                status=status,
                description="Out for delivery",
                location="San Francisco, CA",
            )
        ],
        "record_id": "trk_123",
        "fetched_at": NOW,
    }
    fields.update(changes)
    return TrackingInfo(**fields)


EASYPOST = FactSource(system="easypost", record_id="trk_123", fetched_at=NOW)


def test_newer_carrier_facts_win() -> None:
    order = make_order(shipment(estimated_delivery=date(2026, 11, 20)))
    merged = with_tracking(order, {UPS: tracking(reason="none", action_required=True)})
    [s] = merged.shipments
    assert (s.status, s.status_detail, s.reason, s.action_required) == (
        S.OUT_FOR_DELIVERY,
        "Out for delivery",
        "none",
        True,
    )
    assert s.estimated_delivery == date(2026, 11, 18)
    assert s.scans == [
        Scan(
            occurred_at=at(18, 8),
            status=S.OUT_FOR_DELIVERY,
            description="Out for delivery",
            location="San Francisco, CA",
        )
    ]
    assert s.sources == [EASYPOST]
    assert (s.carrier, s.tracking_number) == ("UPS", UPS)
    assert sources(merged) == [order.source, EASYPOST]
    # Everything else about the order stays the shop's.
    assert merged.model_copy(update={"shipments": order.shipments}) == order


def test_carrier_facts_as_recent_as_the_shops_win() -> None:
    order = make_order(shipment(last_scan_day=17))
    merged = with_tracking(order, {UPS: tracking(event_at=at(17))})
    assert merged.shipments[0].status == S.OUT_FOR_DELIVERY


def test_newer_shop_facts_are_kept() -> None:
    order = make_order(shipment(S.DELIVERED, last_scan_day=18, delivered_at=at(18)))
    merged = with_tracking(order, {UPS: tracking(S.IN_TRANSIT, event_at=at(17, 9))})
    assert merged == order
    assert sources(merged) == [order.source]


def test_carrier_without_events_does_not_override_shop_scans() -> None:
    order = make_order(shipment())
    assert with_tracking(order, {UPS: tracking(events=[])}) == order


def test_carrier_facts_fill_a_shipment_without_scans() -> None:
    order = make_order(shipment(S.UNKNOWN, scans=[], status_detail="Label created"))
    merged = with_tracking(
        order, {UPS: tracking(S.IN_TRANSIT, events=[], status_detail=None, estimated_delivery=None)}
    )
    [s] = merged.shipments
    assert s.status == S.IN_TRANSIT
    assert s.status_detail == "Label created"  # the carrier had none: the shop's stays
    assert s.estimated_delivery is None
    assert s.scans == []
    assert s.sources == [EASYPOST]


def test_carrier_delivery_is_merged_and_tagged() -> None:
    order = make_order(shipment())
    info = tracking(S.DELIVERED, event_at=at(18, 11), delivered_at=at(18, 11))
    merged = with_tracking(order, {UPS: info})
    assert merged.shipments[0].delivered_at == at(18, 11)
    assert notes(merged, NOW) == [f"delivered:{UPS}:2026-11-18"]


def test_carrier_failure_makes_the_parcel_lost() -> None:
    order = make_order(shipment())
    merged = with_tracking(order, {UPS: tracking(S.FAILURE, reason="lost")})
    assert notes(merged, NOW) == [f"lost:{UPS}"]


def test_only_parcels_the_carrier_answered_for_change() -> None:
    order = make_order(shipment(), shipment(tracking_number=USPS, carrier="USPS"))
    merged = with_tracking(order, {UPS: tracking()})
    assert merged.shipments[0].status == S.OUT_FOR_DELIVERY
    assert merged.shipments[1] == order.shipments[1]
    assert with_tracking(order, {}) == order


def test_facts_keep_the_shops_sources_before_the_carriers() -> None:
    shop_feed = FactSource(system="aftership", record_id="at_1", fetched_at=at(17))
    order = make_order(shipment(sources=[shop_feed]))
    merged = with_tracking(order, {UPS: tracking()})
    assert merged.shipments[0].sources == [shop_feed, EASYPOST]
    assert sources(merged) == [order.source, shop_feed, EASYPOST]
