"""Orders built in memory for the pure-function tests (reasoning, replies): Alice's #1001,
its parcels, and the decision on a question about it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from router.classify.base import Result
from router.events import Entities, FactSource, Party, ShipmentStatus
from router.orders.base import Order, Scan, Shipment
from router.resolve.decide import History, Lookups, Resolution, decide
from router.settings import PolicySettings

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday
UPS = "1ZXK3DEG0359083017"
USPS = "9400111423667127684262"
UPS_URL = f"https://www.ups.com/track?tracknum={UPS}"
USPS_URL = f"https://tools.usps.com/go/TrackConfirmAction?tLabels={USPS}"


def at(day: int, hour: int = 10) -> datetime:
    """A time in November 2026."""
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def make_order(*shipments: Shipment, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "number": "1001",
        "customer_name": "Alice Johnson",
        "email": "alice@example.com",
        "placed_at": at(12),
        "status": "open",
        "fulfillment_status": "fulfilled" if shipments else "unfulfilled",
        "total": 89.90,
        "currency": "USD",
        "ship_city": "San Francisco",
        "ship_postcode": "94107",
        "ship_country": "US",
        "shipments": list(shipments),
        "source": FactSource(system="sql", record_id="order:1001", fetched_at=NOW),
    }
    fields.update(changes)
    return Order(**fields)


def shipment(status: ShipmentStatus, *, place: str = "Oakland, CA", **changes: Any) -> Shipment:
    """A UPS parcel shipped on the 16th, last scanned then at `place`."""
    fields: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": UPS,
        "tracking_url": UPS_URL,
        "status": status,
        "shipped_at": at(16),
        "scans": [
            Scan(
                occurred_at=at(16),
                status=status,
                description="Arrived at facility",
                location=place,
            )
        ],
    }
    fields.update(changes)
    return Shipment(**fields)


def resolve(
    order: Order,
    intent: str = "wismo.status",
    *,
    lang: str = "en",
    now: datetime = NOW,
    policy: PolicySettings | None = None,
    history: History | None = None,
    angry: bool = False,
) -> Resolution:
    """The customer asks about `order` by number and e-mail; the policy decides."""
    result = Result(
        intent, True, 0.9, lang, Entities(order_numbers=[order.number], emails=[order.email])
    )
    return decide(
        result,
        Party(id="s1"),
        Lookups(by_number={order.number: order}),
        now=now,
        threshold=0.6,
        policy=policy,
        history=history,
        angry=angry,
    )
