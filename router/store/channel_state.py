"""What channels remember between requests: which inbound messages are already on the bus,
each address's opt-out and last message (for SMS STOP and the 24-hour messaging windows),
provider thread references (e-mail Message-IDs) and the delivery receipts providers send back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from router.store.db import Database
from router.store.models import Contact, Delivery, InboundReceipt, ThreadRef
from router.store.repo import insert_for, insert_ignore

# --- inbound receipts ---------------------------------------------------------------------------


async def is_received(db: Database, event_id: str) -> bool:
    async with db.session() as session:
        return await session.get(InboundReceipt, event_id) is not None


async def record_received(db: Database, event_id: str, channel: str, now: datetime) -> None:
    async with db.session() as session, session.begin():
        await insert_ignore(
            session, InboundReceipt, {"event_id": event_id, "channel": channel, "received_at": now}
        )


# --- contacts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactState:
    opted_out: bool = False
    opted_out_at: datetime | None = None
    last_inbound_at: datetime | None = None
    last_conversation_key: str | None = None
    last_route: dict[str, Any] | None = None


async def contact(db: Database, channel: str, address: str) -> ContactState:
    """What we know of this address; a stranger is opted in and has never written."""
    async with db.session() as session:
        row = await session.get(Contact, (channel, address))
    if row is None:
        return ContactState()
    return ContactState(
        row.opted_out,
        row.opted_out_at,
        row.last_inbound_at,
        row.last_conversation_key,
        row.last_route,
    )


async def _upsert(db: Database, channel: str, address: str, **values: object) -> None:
    async with db.session() as session, session.begin():
        statement = insert_for(session)(Contact).values(channel=channel, address=address, **values)
        await session.execute(
            statement.on_conflict_do_update(index_elements=["channel", "address"], set_=values)
        )


async def touch_contact(
    db: Database,
    channel: str,
    address: str,
    at: datetime,
    *,
    conversation_key: str | None = None,
    route: Mapping[str, str] | None = None,
) -> None:
    """The address wrote to us at `at`, in that conversation, by that route (a later message
    never moves them back)."""
    state = await contact(db, channel, address)
    if state.last_inbound_at is None or at > state.last_inbound_at:
        values: dict[str, object] = {"last_inbound_at": at}
        if conversation_key is not None:
            values |= {"last_conversation_key": conversation_key, "last_route": dict(route or {})}
        await _upsert(db, channel, address, **values)


async def set_opted_out(
    db: Database, channel: str, address: str, opted_out: bool, at: datetime
) -> None:
    await _upsert(db, channel, address, opted_out=opted_out, opted_out_at=at if opted_out else None)


# --- thread references --------------------------------------------------------------------------


async def link_thread(
    db: Database, channel: str, refs: Iterable[str], conversation_key: str, now: datetime
) -> None:
    """Remember that these references (e.g. Message-IDs) belong to the conversation; a
    reference already linked keeps its first conversation."""
    async with db.session() as session, session.begin():
        for ref in dict.fromkeys(r for r in refs if r):
            await insert_ignore(
                session,
                ThreadRef,
                {
                    "channel": channel,
                    "ref": ref[:998],
                    "conversation_key": conversation_key,
                    "created_at": now,
                },
            )


async def find_thread(db: Database, channel: str, refs: Iterable[str]) -> str | None:
    """The conversation of the first reference we know, in the order given."""
    wanted = [r[:998] for r in dict.fromkeys(r for r in refs if r)]
    if not wanted:
        return None
    query = select(ThreadRef.ref, ThreadRef.conversation_key).where(
        ThreadRef.channel == channel, ThreadRef.ref.in_(wanted)
    )
    async with db.session() as session:
        found: dict[str, str] = dict((await session.execute(query)).all())
    return next((found[r] for r in wanted if r in found), None)


# --- delivery receipts --------------------------------------------------------------------------


async def record_provider_status(
    db: Database,
    channel: str,
    provider_message_id: str,
    status: str,
    at: datetime,
    *,
    error: str | None = None,
) -> bool:
    """A status callback / delivery receipt for a message we sent. Callbacks arrive out of
    order, so an older one never overwrites a newer one. False when nothing changed: no such
    delivery (a callback can overtake our own record) or a newer status is already there."""
    values: dict[str, object] = {"provider_status": status[:32], "provider_status_at": at}
    if error:
        values["error"] = error
    statement = (
        update(Delivery)
        .where(
            Delivery.channel == channel,
            Delivery.provider_message_id == provider_message_id,
            or_(Delivery.provider_status_at.is_(None), Delivery.provider_status_at <= at),
        )
        .values(**values)
    )
    async with db.session() as session, session.begin():
        result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
