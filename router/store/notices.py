"""The notice ledger: one row per parcel per kind, ever (the unique key), and where each stands.
Queueing is insert-or-ignore, so a finding seen again (every tick, every scan) never becomes a
second notice; each state change is one guarded UPDATE, so two notify processes cannot both
send one notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from router.store.db import Database
from router.store.models import Notice
from router.store.repo import insert_for

PENDING = "pending"
HELD = "held"
SENDING = "sending"
SENT = "sent"
OPEN = (PENDING, HELD)
STUCK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    tracking_number: str
    kind: str
    order_number: str
    state: str
    detected_at: datetime
    not_before: datetime
    facts: dict[str, Any]
    channel: str | None
    address: str | None
    conversation_key: str | None
    sent_at: datetime | None
    text: str | None
    reason: str | None


def _view(row: Notice) -> NoticeView:
    return NoticeView(
        id=row.id,
        tracking_number=row.tracking_number,
        kind=row.kind,
        order_number=row.order_number,
        state=row.state,
        detected_at=row.detected_at,
        not_before=row.not_before,
        facts=dict(row.facts or {}),
        channel=row.channel,
        address=row.address,
        conversation_key=row.conversation_key,
        sent_at=row.sent_at,
        text=row.text,
        reason=row.reason,
    )


async def queue(
    db: Database,
    *,
    tracking_number: str,
    kind: str,
    order_number: str,
    facts: dict[str, Any],
    detected_at: datetime,
    not_before: datetime,
) -> bool:
    """A new pending notice; False when this parcel had one of this kind already."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            insert_for(session)(Notice)
            .values(
                tracking_number=tracking_number,
                kind=kind,
                order_number=order_number,
                state=PENDING,
                detected_at=detected_at,
                not_before=not_before,
                facts=facts,
                updated_at=detected_at,
            )
            .on_conflict_do_nothing()
        )
    return bool(getattr(result, "rowcount", 0))


async def due(
    db: Database, now: datetime, *, limit: int = 200, stuck_after: timedelta = STUCK
) -> list[NoticeView]:
    """Open notices whose time has come, and any a crashed sender left half-sent (they are
    sent again with the same outbound id, which dispatch deduplicates)."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Notice)
                .where(
                    or_(
                        and_(Notice.state.in_(OPEN), Notice.not_before <= now),
                        and_(Notice.state == SENDING, Notice.updated_at <= now - stuck_after),
                    )
                )
                .order_by(Notice.not_before, Notice.id)
                .limit(limit)
            )
        ).all()
    return [_view(r) for r in rows]


async def transition(
    db: Database,
    notice_id: int,
    to: str,
    now: datetime,
    *,
    expect: tuple[str, ...] = OPEN,
    **values: Any,
) -> bool:
    """Move a notice from one of `expect` to `to` (with `values`); False when another process
    moved it first."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.state.in_(expect))
            .values(state=to, updated_at=now, **values)
        )
    return bool(getattr(result, "rowcount", 0))


async def for_parcel(db: Database, tracking_number: str) -> list[NoticeView]:
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Notice).where(Notice.tracking_number == tracking_number).order_by(Notice.id)
            )
        ).all()
    return [_view(r) for r in rows]


async def sent_for_order(db: Database, order_number: str, since: datetime) -> list[NoticeView]:
    """Notices the customer got about this order recently, oldest first (the closed loop)."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Notice)
                .where(
                    Notice.order_number == order_number,
                    Notice.state == SENT,
                    Notice.sent_at >= since,
                )
                .order_by(Notice.sent_at, Notice.id)
            )
        ).all()
    return [_view(r) for r in rows]


async def make_redundant(db: Database, order_number: str, now: datetime) -> int:
    """The customer asked about the order and was answered before the notice went out: the
    pending notices found until now say nothing new."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Notice)
            .where(
                Notice.order_number == order_number,
                Notice.state.in_(OPEN),
                Notice.detected_at <= now,
            )
            .values(state="redundant", reason="answered_first", updated_at=now)
        )
    return int(getattr(result, "rowcount", 0) or 0)
