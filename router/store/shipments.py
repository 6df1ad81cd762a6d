"""The latest carrier state of each parcel, from tracking webhooks and wismo.tracking.v1.

Updates arrive late, twice and out of order (aggregators retry, several sources report one
parcel), so the carrier's own event time orders them, never the arrival:

- an update older than the one applied changes nothing ("older"); the same event id again
  changes nothing ("duplicate");
- two updates with the same carrier time: the one further along the parcel's life wins
  (`TIE_RANK`: delivered beats out for delivery beats in transit …), whatever order they came
  in, so concurrent consumers end in the same state; the same status at the same time is
  nothing new ("tie");
- an update more than `FUTURE_SKEW` ahead of our clock is refused ("future"): a carrier clock
  or time zone gone wrong would otherwise pin the parcel and hide every real update after it;
- a later update wins even when it contradicts an earlier one (delivered, then "in transit":
  carriers do correct mis-scans).

Each update is one transaction: the state row (locked FOR UPDATE on PostgreSQL; SQLite has one
writer at a time and the transaction starts with its write), and, when the parcel is one of the
project's own shop shipments, the same facts mirrored there with the scan appended, so the order
source and the state never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.events import ShipmentStatus, TrackingUpdate
from router.store.db import Database
from router.store.models import ShipmentState, ShopShipment, ShopTrackingEvent
from router.store.repo import insert_for

__all__ = [
    "DONE",
    "FUTURE_SKEW",
    "TIE_RANK",
    "Applied",
    "ShipmentStateView",
    "apply_update",
    "get",
    "in_transit",
]

log = structlog.get_logger(__name__)

FUTURE_SKEW = timedelta(days=1)
"""How far ahead of our clock a carrier time may be (time zones, clock drift) and still count."""

DONE: frozenset[ShipmentStatus] = frozenset(
    {
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURN_TO_SENDER,
        ShipmentStatus.CANCELLED,
        ShipmentStatus.EXPIRED,
        ShipmentStatus.FAILURE,
    }
)
"""Statuses a parcel does not move on from by itself: not in transit any more."""

TIE_RANK: dict[ShipmentStatus, int] = {
    status: rank
    for rank, status in enumerate(
        (
            ShipmentStatus.UNKNOWN,
            ShipmentStatus.PRE_TRANSIT,
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.OUT_FOR_DELIVERY,
            ShipmentStatus.AVAILABLE_FOR_PICKUP,
            ShipmentStatus.ATTEMPT_FAILED,
            ShipmentStatus.EXCEPTION,
            ShipmentStatus.RETURN_TO_SENDER,
            ShipmentStatus.EXPIRED,
            ShipmentStatus.CANCELLED,
            ShipmentStatus.FAILURE,
            ShipmentStatus.DELIVERED,
        )
    )
}
"""Equal carrier times: the higher rank (further along, more final) wins. A total order, so the
outcome does not depend on which update arrived first."""


@dataclass(frozen=True, slots=True)
class ShipmentStateView:
    """One parcel's state as the roles read it (detached from any session)."""

    tracking_number: str
    carrier: str | None
    status: ShipmentStatus
    reason: str | None
    action_required: bool
    estimated_delivery: date | None
    message: str | None
    location: str | None
    source: str
    last_event_id: str
    last_event_at: datetime
    first_seen_at: datetime
    delivered_at: datetime | None
    updated_at: datetime
    last_hub_at: datetime | None = None
    at_facility_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """What `apply_update` did. `previous` is the state before (None: a new parcel), `state`
    the state after; when not applied they are the same and `reason` says why: "duplicate",
    "older", "tie" or "future"."""

    applied: bool
    state: ShipmentStateView | None
    previous: ShipmentStateView | None
    reason: str | None


def _view(row: ShipmentState) -> ShipmentStateView:
    return ShipmentStateView(
        tracking_number=row.tracking_number,
        carrier=row.carrier,
        status=ShipmentStatus(row.status),
        reason=row.reason,
        action_required=row.action_required,
        estimated_delivery=row.estimated_delivery,
        message=row.message,
        location=row.location,
        source=row.source,
        last_event_id=row.last_event_id,
        last_event_at=row.last_event_at,
        first_seen_at=row.first_seen_at,
        delivered_at=row.delivered_at,
        updated_at=row.updated_at,
        last_hub_at=row.last_hub_at,
        at_facility_at=row.at_facility_at,
    )


def _stage(update: TrackingUpdate, at: datetime) -> dict[str, datetime]:
    """The stage columns an applied update sets: reaching the delivery facility, or another
    scan in transit before that (a hub). Later scans at the facility change neither."""
    if update.at_delivery_facility:
        return {"at_facility_at": at}
    if update.status is ShipmentStatus.IN_TRANSIT:
        return {"last_hub_at": at}
    return {}


def _clip(value: str | None, length: int) -> str | None:
    """Free text from a carrier, cut to its column (PostgreSQL refuses longer values)."""
    return None if value is None else value[:length]


def _refusal(update: TrackingUpdate, current: ShipmentStateView) -> str | None:
    """Why this update must not change `current`, or None when it is newer news."""
    if update.event_id == current.last_event_id:
        return "duplicate"
    if update.occurred_at < current.last_event_at:
        return "older"
    if update.occurred_at == current.last_event_at and (
        TIE_RANK[update.status] <= TIE_RANK[current.status]
    ):
        return "tie"
    return None


async def apply_update(db: Database, update: TrackingUpdate, now: datetime) -> Applied:
    """Apply one carrier update if it is news (see the module docstring), in one transaction
    with its mirror into the shop tables. Never raises for a number nobody ordered: every
    parcel gets a state row, whoever ships it."""
    if update.occurred_at > now + FUTURE_SKEW:
        log.warning(
            "tracking_update_from_the_future",
            tracking_number=update.tracking_number,
            event_id=update.event_id,
            source=update.source,
            occurred_at=update.occurred_at.isoformat(),
            now=now.isoformat(),
        )
        current = await get(db, update.tracking_number)
        return Applied(applied=False, state=current, previous=current, reason="future")

    at, now = update.occurred_at.astimezone(UTC), now.astimezone(UTC)
    delivered_at = at if update.status is ShipmentStatus.DELIVERED else None
    async with db.session() as session, session.begin():
        # The write comes first: on SQLite it takes the writer lock before anything is read
        # (a read-then-write transaction could be refused as stale), on PostgreSQL it waits
        # for a concurrent first insert of the same parcel to commit.
        inserted = await session.scalar(
            insert_for(session)(ShipmentState)
            .values(
                tracking_number=update.tracking_number,
                carrier=_clip(update.carrier, 64),
                status=update.status.value,
                reason=_clip(update.reason, 64),
                action_required=update.action_required,
                estimated_delivery=update.estimated_delivery,
                message=update.message,
                location=_clip(update.location, 256),
                source=update.source,
                last_event_id=update.event_id,
                last_event_at=at,
                first_seen_at=now,
                delivered_at=delivered_at,
                updated_at=now,
                **_stage(update, at),
            )
            .on_conflict_do_nothing(index_elements=["tracking_number"])
            .returning(ShipmentState.tracking_number)
        )
        row = await session.get(
            ShipmentState, update.tracking_number, with_for_update=True, populate_existing=True
        )
        assert row is not None  # inserted above, or there before
        if inserted is not None:
            state = _view(row)
            await _mirror(session, update, state, now)
            return Applied(applied=True, state=state, previous=None, reason=None)

        previous = _view(row)
        refused = _refusal(update, previous)
        if refused is not None:
            return Applied(applied=False, state=previous, previous=previous, reason=refused)

        row.carrier = _clip(update.carrier, 64) or row.carrier
        row.status = update.status.value
        row.reason = _clip(update.reason, 64)
        row.action_required = update.action_required
        if update.estimated_delivery is not None:
            row.estimated_delivery = update.estimated_delivery
        row.message = update.message
        # The last place the parcel was seen stays true until a scan names another.
        row.location = _clip(update.location, 256) or row.location
        row.source = update.source
        row.last_event_id = update.event_id
        row.last_event_at = at
        stage = _stage(update, at)
        if "at_facility_at" in stage and row.at_facility_at is None:
            row.at_facility_at = at
        if "last_hub_at" in stage and row.at_facility_at is None:
            row.last_hub_at = at
        if update.status is not ShipmentStatus.DELIVERED:
            row.delivered_at = None
        elif previous.status is not ShipmentStatus.DELIVERED or row.delivered_at is None:
            row.delivered_at = at
        row.updated_at = now
        state = _view(row)
        await _mirror(session, update, state, now)
    return Applied(applied=True, state=state, previous=previous, reason=None)


def _description(update: TrackingUpdate) -> str:
    """The scan's words for the shop's history: the carrier's message, else the status."""
    return update.message or update.status.value.replace("_", " ").capitalize()


async def _mirror(
    session: AsyncSession, update: TrackingUpdate, state: ShipmentStateView, now: datetime
) -> None:
    """The applied update onto the shop shipments with this number (usually none or one; a
    reshipped parcel can share it), and the scan into their history."""
    shipments = (
        await session.scalars(
            select(ShopShipment)
            .where(ShopShipment.tracking_number == update.tracking_number)
            .order_by(ShopShipment.id)
            .with_for_update()
        )
    ).all()
    for shipment in shipments:
        shipment.status = state.status.value
        shipment.status_detail = state.message
        shipment.reason = _clip(state.reason, 32)
        shipment.action_required = state.action_required
        if update.estimated_delivery is not None:
            shipment.estimated_delivery = update.estimated_delivery
        shipment.delivered_at = state.delivered_at
        shipment.updated_at = now
        session.add(
            ShopTrackingEvent(
                shipment_id=shipment.id,
                occurred_at=state.last_event_at,
                status=update.status.value,
                description=_description(update),
                location=_clip(update.location, 256),
            )
        )


async def get(db: Database, tracking_number: str) -> ShipmentStateView | None:
    async with db.session() as session:
        row = await session.get(ShipmentState, tracking_number)
    return None if row is None else _view(row)


async def in_transit(db: Database, *, limit: int | None = None) -> list[ShipmentStateView]:
    """Parcels still on their way (not delivered, returned, cancelled, expired or failed),
    longest silent first: the ones a stale-parcel check looks at before the others."""
    query = (
        select(ShipmentState)
        .where(ShipmentState.status.not_in([s.value for s in DONE]))
        .order_by(ShipmentState.last_event_at, ShipmentState.tracking_number)
        .limit(limit)
    )
    async with db.session() as session:
        rows = (await session.scalars(query)).all()
    return [_view(row) for row in rows]
