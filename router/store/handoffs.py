"""Handoffs: escalations a human desk holds, and what humans did with them.

The pipeline asks `holding` whether to stay quiet; the desk role records the thread it posted
(exactly once per escalation), the human actions (each once per desk event), pick-up and
resolution, and finds the ones waiting too long. Provider-free: a desk's own reference to a
handoff (Slack: channel + thread ts) is an opaque dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from router.events import DeskAction, Escalation
from router.store.db import Database
from router.store.models import Handoff, HandoffAction
from router.store.repo import insert_ignore

State = Literal["open", "taken", "resolved"]
ACTIVE: tuple[State, ...] = ("open", "taken")


@dataclass(frozen=True, slots=True)
class HandoffView:
    """A handoff as the roles read it (detached from any session)."""

    escalation_id: str
    conversation_key: str
    state: State
    escalation: Escalation
    desk: str
    desk_ref: dict[str, Any] | None
    posting_since: datetime | None
    created_at: datetime
    picked_up_at: datetime | None
    picked_up_by: str | None
    last_human_at: datetime | None
    last_ping_at: datetime | None
    pings: int
    resolved_at: datetime | None
    resolved_by: str | None
    done: frozenset[str]  # the commands already carried out (approve_reship, …)

    def quiet_until(self, idle: timedelta) -> datetime | None:
        """While a human holds it the bot stays quiet: until resolved, or `idle` after the
        last human action. None: the bot answers."""
        if self.state != "taken":
            return None
        last = self.last_human_at or self.picked_up_at or self.created_at
        return last + idle


def _view(row: Handoff, done: Sequence[str] = ()) -> HandoffView:
    return HandoffView(
        escalation_id=row.escalation_id,
        conversation_key=row.conversation_key,
        state=row.state,  # type: ignore[arg-type]  # the column only ever holds a State
        escalation=Escalation.model_validate(row.escalation),
        desk=row.desk,
        desk_ref=row.desk_ref,
        posting_since=row.posting_since,
        created_at=row.created_at,
        picked_up_at=row.picked_up_at,
        picked_up_by=row.picked_up_by,
        last_human_at=row.last_human_at,
        last_ping_at=row.last_ping_at,
        pings=row.pings,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        done=frozenset(done),
    )


async def get(db: Database, escalation_id: str) -> HandoffView | None:
    async with db.session() as session:
        row = await session.get(Handoff, escalation_id)
        if row is None:
            return None
        done = (
            await session.scalars(
                select(HandoffAction.action).where(HandoffAction.escalation_id == escalation_id)
            )
        ).all()
    return _view(row, done)


async def active(db: Database, conversation_key: str) -> HandoffView | None:
    """The conversation's newest handoff that is not resolved, if any."""
    async with db.session() as session:
        row = await session.scalar(
            select(Handoff)
            .where(Handoff.conversation_key == conversation_key, Handoff.state.in_(ACTIVE))
            .order_by(Handoff.created_at.desc(), Handoff.escalation_id.desc())
            .limit(1)
        )
    return None if row is None else _view(row)


async def holding(
    db: Database, conversation_key: str, now: datetime, idle: timedelta
) -> HandoffView | None:
    """The handoff a human holds right now (the bot must stay quiet), else None."""
    found = await active(db, conversation_key)
    if found is None:
        return None
    until = found.quiet_until(idle)
    return found if until is not None and now < until else None


async def claim(db: Database, escalation: Escalation, desk: str, now: datetime) -> bool:
    """Record the escalation as a new open handoff about to be posted (`posting_since`).
    False when it was recorded before: a redelivery, or another consumer got it first."""
    try:
        async with db.session() as session, session.begin():
            session.add(
                Handoff(
                    escalation_id=escalation.event_id,
                    conversation_key=escalation.conversation_key,
                    channel=escalation.channel,
                    provider=escalation.provider,
                    state="open",
                    escalation=escalation.model_dump(mode="json"),
                    desk=desk,
                    desk_ref=None,
                    posting_since=now,
                    created_at=now,
                    pings=0,
                )
            )
    except IntegrityError:
        return False
    return True


async def set_desk_ref(db: Database, escalation_id: str, ref: dict[str, Any]) -> None:
    """Where the desk posted it. Set once: the first post wins."""
    async with db.session() as session, session.begin():
        await session.execute(
            update(Handoff)
            .where(Handoff.escalation_id == escalation_id, Handoff.desk_ref.is_(None))
            .values(desk_ref=ref, posting_since=None)
        )


async def record_action(
    db: Database, action: DeskAction, result: dict[str, Any] | None = None
) -> bool:
    """The audit row of one human action, and what it does to the handoff's state, in one
    transaction. False when this desk event was recorded before (a redelivery)."""
    now = action.acted_at
    command = action.command.value
    async with db.session() as session, session.begin():
        existing = await session.get(HandoffAction, action.event_id)
        if existing is not None:
            return False
        await insert_ignore(
            session,
            HandoffAction,
            {
                "event_id": action.event_id,
                "escalation_id": action.escalation_id,
                "action": command,
                "user_id": action.user_id,
                "user_name": action.user_name,
                "text": action.text,
                "result": result or {},
                "at": now,
            },
        )
        row = await session.get(Handoff, action.escalation_id, with_for_update=True)
        if row is None:
            raise LookupError(f"no handoff {action.escalation_id}")
        if command == "resolve":
            row.state = "resolved"
            row.resolved_at = now
            row.resolved_by = action.user_id
        elif command != "note":
            # A human acted or answered: the bot stays quiet from here (until resolved/idle).
            row.state = "taken"
            row.last_human_at = now
            if row.picked_up_at is None:
                row.picked_up_at = now
                row.picked_up_by = action.user_id
    return True


async def resolve_idle(db: Database, now: datetime, idle: timedelta) -> list[HandoffView]:
    """Resolve taken handoffs nobody touched for `idle`: the bot answers again. Returns them
    (for the desk to update its cards)."""
    async with db.session() as session, session.begin():
        rows = (
            await session.scalars(select(Handoff).where(Handoff.state == "taken").with_for_update())
        ).all()
        expired = []
        for row in rows:
            last = row.last_human_at or row.picked_up_at or row.created_at
            if last + idle <= now:
                row.state = "resolved"
                row.resolved_at = now
                row.resolved_by = None
                expired.append(_view(row))
    return expired


async def due_for_ping(
    db: Database, now: datetime, sla: timedelta, *, limit: int = 100
) -> list[HandoffView]:
    """Open handoffs nobody picked up within `sla` and not pinged in the last `sla`."""
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(Handoff)
                .where(
                    Handoff.state == "open",
                    Handoff.desk_ref.is_not(None),
                    Handoff.created_at <= now - sla,
                    or_(Handoff.last_ping_at.is_(None), Handoff.last_ping_at <= now - sla),
                )
                .order_by(Handoff.created_at)
                .limit(limit)
            )
        ).all()
    return [_view(row) for row in rows]


async def claim_ping(db: Database, escalation_id: str, now: datetime, sla: timedelta) -> bool:
    """Take this round's reminder for one process: True for the one whose guarded update
    found it still open and still due; every other desk process skips it."""
    async with db.session() as session, session.begin():
        result = await session.execute(
            update(Handoff)
            .where(
                Handoff.escalation_id == escalation_id,
                Handoff.state == "open",
                or_(Handoff.last_ping_at.is_(None), Handoff.last_ping_at <= now - sla),
            )
            .values(last_ping_at=now, pings=Handoff.pings + 1)
        )
    return bool(getattr(result, "rowcount", 0))


async def waiting(db: Database) -> int:
    """Handoffs nobody has picked up yet (the /metrics gauge)."""
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Handoff).where(Handoff.state == "open")
        )
    return int(count or 0)


async def first_time(db: Database, event_id: str) -> bool:
    """This event was not handled for any handoff yet (a human action recorded, a message
    shown in a thread: see `record_action` and `remember`)."""
    async with db.session() as session:
        return await session.get(HandoffAction, event_id) is None


async def remember(
    db: Database, escalation_id: str, event_id: str, kind: str, at: datetime
) -> None:
    """That an event (a customer message, a repeated escalation) was shown in the thread:
    a redelivery does not show it twice. Not a human action: the state stays as it is."""
    async with db.session() as session, session.begin():
        await insert_ignore(
            session,
            HandoffAction,
            {
                "event_id": event_id,
                "escalation_id": escalation_id,
                "action": kind,
                "user_id": "wismo",
                "user_name": None,
                "text": None,
                "result": {},
                "at": at,
            },
        )
