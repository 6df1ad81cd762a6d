"""From order records to the facts a reply states, and what they mean (late? silent?).

Pure functions of the order and `now`. Business days skip weekends and the public holidays of
the destination country (the `holidays` package).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import holidays

from router.events import OrderFacts, ShipmentFacts, ShipmentStatus
from router.orders.base import Order, Shipment

STALE_AFTER_BUSINESS_DAYS = 5

MOVING = frozenset({ShipmentStatus.PRE_TRANSIT, ShipmentStatus.IN_TRANSIT, ShipmentStatus.UNKNOWN})
DONE = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.AVAILABLE_FOR_PICKUP})


@functools.lru_cache(maxsize=64)
def _holidays(country: str) -> holidays.HolidayBase:
    """The country's public holidays; a country the package does not know: weekends only."""
    if country.upper() in holidays.list_supported_countries():
        return holidays.country_holidays(country.upper())
    return holidays.HolidayBase()


def business_days_between(start: date, end: date, country: str) -> int:
    """Business days after `start` up to and including `end`."""
    calendar = _holidays(country)
    days = 0
    current = start + timedelta(days=1)
    while current <= end:
        if current.weekday() < 5 and current not in calendar:
            days += 1
        current += timedelta(days=1)
    return days


def shipment_facts(shipment: Shipment) -> ShipmentFacts:
    last = shipment.last_scan
    return ShipmentFacts(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        status=shipment.status,
        status_detail=shipment.status_detail or (last.description if last else None),
        last_scan_at=last.occurred_at if last else None,
        last_location=last.location if last else None,
        estimated_delivery=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at,
    )


def order_facts(order: Order) -> OrderFacts:
    return OrderFacts(
        number=order.number,
        placed_at=order.placed_at,
        fulfillment_status=order.fulfillment_status,
        promised_by=order.promised_by,
        shipments=[shipment_facts(s) for s in order.shipments],
    )


def notes(order: Order, now: datetime) -> list[str]:
    """What the facts mean, as stable tags the policy and the reply both read.

    - `cancelled`: the order was cancelled.
    - `not_shipped`: nothing shipped yet; `ship_overdue` when past the expected ship date.
    - `partly_shipped`: some items are still to ship.
    - `split`: more than one shipment.
    - `late`: not delivered and past the promised date, or the carrier's date is after it.
    - `stale:<tracking>:<n>`: a moving shipment without a scan for n >= 5 business days.
    """
    today = now.date()
    tags: list[str] = []
    if order.status == "cancelled":
        return ["cancelled"]
    if not order.shipments:
        tags.append("not_shipped")
        if order.expected_ship_by and order.expected_ship_by < today:
            tags.append("ship_overdue")
    elif order.fulfillment_status == "partial":
        tags.append("partly_shipped")
    if len(order.shipments) > 1:
        tags.append("split")
    undelivered = [s for s in order.shipments if s.status not in DONE]
    if order.promised_by and (not order.shipments or undelivered):
        etas = [s.estimated_delivery for s in undelivered if s.estimated_delivery]
        if order.promised_by < today or any(eta > order.promised_by for eta in etas):
            tags.append("late")
    for s in order.shipments:
        last = s.last_scan
        if s.status in MOVING and last is not None:
            silent = business_days_between(last.occurred_at.date(), today, order.ship_country)
            if silent >= STALE_AFTER_BUSINESS_DAYS:
                tags.append(f"stale:{s.tracking_number}:{silent}")
    return tags
