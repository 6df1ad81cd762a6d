"""Facts and what they mean: business days, late, stale, split, not shipped, cancelled.

The clock is Wednesday 18 November 2026, 15:00 UTC. Nearby US federal holidays: Veterans Day
(Wednesday 11 November) and Thanksgiving (Thursday 26 November); neither is a UK holiday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from router.events import OrderFacts, ShipmentFacts, ShipmentStatus
from router.orders.base import Scan, Shipment
from router.resolve.reasoning import (
    STALE_AFTER_BUSINESS_DAYS,
    business_days_between,
    notes,
    order_facts,
    shipment_facts,
)
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


def test_stale_threshold() -> None:
    assert STALE_AFTER_BUSINESS_DAYS == 5


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
    assert notes(order, NOW) == ["split"]


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
    assert notes(order, NOW) == ["split"]


def test_late_counts_only_undelivered_parcels() -> None:
    order = make_order(
        shipment(S.DELIVERED, delivered_at=at(17), estimated_delivery=date(2026, 11, 30)),
        shipment(tracking_number=USPS, carrier="USPS", estimated_delivery=date(2026, 11, 19)),
        promised_by=date(2026, 11, 20),
    )
    assert notes(order, NOW) == ["split"]


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
    assert notes(make_order(shipment(status, last_scan_day=2)), NOW) == [f"stale:{UPS}:11"]


@pytest.mark.parametrize(
    "status",
    [
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
        S.AVAILABLE_FOR_PICKUP,
        S.EXCEPTION,
        S.RETURN_TO_SENDER,
        S.FAILURE,
        S.ATTEMPT_FAILED,
        S.CANCELLED,
        S.EXPIRED,
    ],
)
def test_other_statuses_do_not_go_stale(status: S) -> None:
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
    assert notes(order, NOW) == ["partly_shipped", "split", "late", f"stale:{UPS}:11"]


def test_now_in_another_timezone_uses_its_own_date() -> None:
    tokyo = timezone(timedelta(hours=9))
    # 18 Nov 20:00 UTC is already 19 Nov in Tokyo: the promise for the 18th is broken there.
    order = make_order(shipment(), promised_by=date(2026, 11, 18))
    assert notes(order, datetime(2026, 11, 18, 20, 0, tzinfo=UTC)) == []
    assert notes(order, datetime(2026, 11, 19, 5, 0, tzinfo=tokyo)) == ["late"]
