"""What a carrier-tracking source reports, normalized to the canonical shipment vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Protocol

from pydantic import AwareDatetime, Field

from router.errors import Unavailable
from router.events import Model, ShipmentStatus, TrackingUpdate


class TrackingError(Unavailable):
    """The source could not answer (network, 5xx, malformed payload): try later or escalate."""


class SignatureError(Exception):
    """A webhook whose signature does not verify: answer 401, change nothing."""


class PayloadError(Exception):
    """A webhook body that is not what the provider sends: answer 400, change nothing."""


class TrackingEvent(Model):
    occurred_at: AwareDatetime
    status: ShipmentStatus
    description: str
    location: str | None = None
    source_status: str | None = None


class TrackingInfo(Model):
    """One parcel as a tracking source sees it right now."""

    tracking_number: str
    carrier: str | None = None
    status: ShipmentStatus
    reason: str | None = Field(default=None, description="delayed_weather, lost, address_issue…")
    action_required: bool = False
    source: str = Field(description="easypost | aftership | shippo")
    source_status: str | None = None
    source_substatus: str | None = None
    status_detail: str | None = None
    estimated_delivery: date | None = None
    delivered_at: AwareDatetime | None = None
    signed_by: str | None = None
    events: list[TrackingEvent] = Field(default_factory=list, description="Oldest first")
    record_id: str = Field(description="The source's id for this tracker")
    fetched_at: AwareDatetime


class TrackingSource(Protocol):
    """A carrier-tracking aggregator the resolver can ask about one parcel."""

    name: str

    async def lookup(
        self, tracking_number: str, carrier: str | None, *, now: datetime
    ) -> TrackingInfo | None:
        """Current tracking, or None when the source does not know the number."""


class TrackingWebhook(Protocol):
    """Verifies and parses one aggregator's tracking webhook."""

    name: str

    def parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> list[TrackingUpdate]:
        """Raises SignatureError or PayloadError; never returns partial garbage."""
