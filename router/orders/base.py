"""What the resolver knows about an order, whatever shop it came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from pydantic import AwareDatetime, Field

from router.events import FactSource, Model, ShipmentStatus


class Scan(Model):
    occurred_at: AwareDatetime
    status: ShipmentStatus
    description: str
    location: str | None = None


class Shipment(Model):
    carrier: str
    tracking_number: str
    tracking_url: str | None = None
    status: ShipmentStatus
    status_detail: str | None = None
    reason: str | None = Field(default=None, description="delayed_weather, lost, address_issue…")
    action_required: bool = False
    estimated_delivery: date | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    scans: list[Scan] = Field(default_factory=list, description="Oldest first")
    sources: list[FactSource] = Field(
        default_factory=list, description="Where the tracking facts came from, if not the shop"
    )

    @property
    def last_scan(self) -> Scan | None:
        return self.scans[-1] if self.scans else None


class Order(Model):
    number: str = Field(description="As the shop shows it to the customer, without '#'")
    customer_name: str
    email: str
    phone: str | None = None
    placed_at: AwareDatetime
    status: str = Field(description="open | cancelled | closed")
    fulfillment_status: str = Field(description="unfulfilled | partial | fulfilled")
    promised_by: date | None = None
    expected_ship_by: date | None = None
    total: float
    currency: str
    ship_city: str
    ship_postcode: str
    ship_country: str
    shipments: list[Shipment] = Field(default_factory=list)
    source: FactSource


class OrderSource(Protocol):
    """A shop (own DB, Shopify, WooCommerce…) the resolver can ask about orders."""

    name: str

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        """The order with this customer-facing number, or None."""

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        """Recent orders of the customer with this e-mail or phone, newest first."""
