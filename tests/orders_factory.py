"""Orders built in memory for the pure-function tests (reasoning, replies): Alice's #1001."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from router.events import FactSource
from router.orders.base import Order, Shipment

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday
UPS = "1ZXK3DEG0359083017"
USPS = "9400111423667127684262"


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
