"""From order and carrier records to the facts a reply states, and what they mean.

Pure functions of the records, the policy and `now`. Business days skip weekends and the public
holidays of the destination country (the `holidays` package).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime, timedelta

import holidays

from router.events import FactSource, OrderFacts, ShipmentFacts, ShipmentStatus
from router.orders.base import Order, Scan, Shipment
from router.settings import PolicySettings
from router.tracking.base import TrackingInfo

S = ShipmentStatus
MOVING = frozenset({S.PRE_TRANSIT, S.IN_TRANSIT, S.UNKNOWN})
DONE = frozenset({S.DELIVERED, S.AVAILABLE_FOR_PICKUP})


@functools.lru_cache(maxsize=64)
def holidays_of(country: str) -> holidays.HolidayBase:
    """The country's public holidays; a country the package does not know: weekends only."""
    if country.upper() in holidays.list_supported_countries():
        return holidays.country_holidays(country.upper())
    return holidays.HolidayBase()


def business_days_between(start: date, end: date, country: str) -> int:
    """Business days after `start` up to and including `end`."""
    calendar = holidays_of(country)
    days = 0
    current = start + timedelta(days=1)
    while current <= end:
        if current.weekday() < 5 and current not in calendar:
            days += 1
        current += timedelta(days=1)
    return days


def add_business_days(start: date, days: int, country: str) -> date:
    calendar = holidays_of(country)
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in calendar:
            days -= 1
    return current


def with_tracking(order: Order, tracking: Mapping[str, TrackingInfo]) -> Order:
    """The order with each shipment's carrier facts, when the carrier knows more than the shop.

    The carrier's record wins when its latest scan is at least as recent as the shop's: shops
    copy carrier events late, if at all. Each fact keeps its source for the audit trail.
    """
    shipments = []
    for shipment in order.shipments:
        info = tracking.get(shipment.tracking_number)
        if info is None:
            shipments.append(shipment)
            continue
        carrier_last = info.events[-1].occurred_at if info.events else None
        shop_last = shipment.last_scan.occurred_at if shipment.last_scan else None
        if shop_last is not None and (carrier_last is None or carrier_last < shop_last):
            shipments.append(shipment)
            continue
        shipments.append(
            shipment.model_copy(
                update={
                    "status": info.status,
                    "status_detail": info.status_detail or shipment.status_detail,
                    "reason": info.reason,
                    "action_required": info.action_required,
                    "estimated_delivery": info.estimated_delivery or shipment.estimated_delivery,
                    "delivered_at": info.delivered_at or shipment.delivered_at,
                    "scans": [
                        Scan(
                            occurred_at=e.occurred_at,
                            status=e.status,
                            description=e.description,
                            location=e.location,
                        )
                        for e in info.events
                    ]
                    or shipment.scans,
                    "sources": [
                        *shipment.sources,
                        FactSource(
                            system=info.source, record_id=info.record_id, fetched_at=info.fetched_at
                        ),
                    ],
                }
            )
        )
    return order.model_copy(update={"shipments": shipments})


def shipment_facts(shipment: Shipment) -> ShipmentFacts:
    last = shipment.last_scan
    return ShipmentFacts(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        status=shipment.status,
        status_detail=shipment.status_detail or (last.description if last else None),
        reason=shipment.reason,
        action_required=shipment.action_required,
        last_scan_at=last.occurred_at if last else None,
        last_location=last.location if last else None,
        estimated_delivery=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at,
    )


def order_facts(order: Order) -> OrderFacts:
    return OrderFacts(
        number=order.number,
        placed_at=order.placed_at,
        status=order.status,
        fulfillment_status=order.fulfillment_status,
        promised_by=order.promised_by,
        expected_ship_by=order.expected_ship_by,
        shipments=[shipment_facts(s) for s in order.shipments],
    )


def sources(order: Order) -> list[FactSource]:
    """Every system a fact in this order's answer came from."""
    return [order.source, *(src for s in order.shipments for src in s.sources)]


def notes(order: Order, now: datetime, policy: PolicySettings | None = None) -> list[str]:
    """What the facts mean, as stable tags the policy and the reply both read.

    - `cancelled`: the order was cancelled.
    - `not_shipped`: nothing shipped yet; `ship_overdue` when past the expected ship date.
    - `partly_shipped`: some items are still to ship.
    - `split`: more than one shipment.
    - `late`: not delivered and past the promised date, or the carrier's date is after it.
    - `stale:<tracking>:<n>`: a moving shipment without a scan for n business days (policy).
    - `lost:<tracking>`: the carrier says lost/failed, or no scan long enough to count as lost.
    - `delivered:<tracking>:<date>`: delivered on that date (for "delivered but not here").
    - `action_required:<tracking>`: the carrier needs the customer to act.
    """
    policy = policy or PolicySettings()
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
        silent = (
            business_days_between(last.occurred_at.date(), today, order.ship_country)
            if s.status in MOVING and last is not None
            else 0
        )
        if silent >= policy.stale_after_business_days:
            tags.append(f"stale:{s.tracking_number}:{silent}")
        if s.status == S.FAILURE or s.reason == "lost" or silent >= policy.lost_after_business_days:
            tags.append(f"lost:{s.tracking_number}")
        if s.status == S.DELIVERED:
            when = (s.delivered_at or (last.occurred_at if last else now)).date()
            tags.append(f"delivered:{s.tracking_number}:{when.isoformat()}")
        if s.action_required:
            tags.append(f"action_required:{s.tracking_number}")
    return tags


def tagged(tags: list[str], prefix: str) -> list[list[str]]:
    """The parts of every tag with this prefix: tagged(["lost:1Z…"], "lost") → [["1Z…"]]."""
    return [t.split(":")[1:] for t in tags if t.split(":", 1)[0] == prefix]
