"""The queries the roles need. Every write is idempotent (insert-or-ignore on the event id),
and each ledger row is written in the same transaction as the effect it vouches for, so a
redelivered event either finds its ledger row (and is skipped) or is safely done again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from router.classify.labels import LabelRow, Predicted
from router.events import Decision, InboundMessage, OutboundMessage
from router.store.db import Database
from router.store.models import (
    Base,
    Conversation,
    DecisionRow,
    Delivery,
    Message,
    ProcessedEvent,
)


def insert_for(session: AsyncSession) -> Callable[[type[Base]], Any]:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL alike)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_ignore(
    session: AsyncSession, model: type[Base], values: Mapping[str, Any]
) -> None:
    """INSERT … ON CONFLICT DO NOTHING."""
    await session.execute(insert_for(session)(model).values(**values).on_conflict_do_nothing())


async def is_processed(db: Database, consumer: str, event_id: str) -> bool:
    async with db.session() as session:
        found = await session.get(ProcessedEvent, (consumer, event_id))
    return found is not None


async def mark_processed(db: Database, consumer: str, event_id: str, now: datetime) -> None:
    """The ledger row of an event whose effects are all published (nothing else to record)."""
    async with db.session() as session, session.begin():
        await insert_ignore(
            session,
            ProcessedEvent,
            {"consumer": consumer, "event_id": event_id, "processed_at": now},
        )


async def _touch_conversation(
    session: AsyncSession, key: str, channel: str, provider: str, now: datetime
) -> None:
    await insert_ignore(
        session,
        Conversation,
        {
            "key": key,
            "channel": channel,
            "provider": provider,
            "created_at": now,
            "updated_at": now,
        },
    )
    # FOR UPDATE: the conversation's writers take turns until commit. PostgreSQL hands out
    # `seq` at INSERT, so a writer that started later must not commit its message first: a
    # mailbox reader would move its cursor past the earlier, still uncommitted seq and never
    # show that message. (SQLite has one writer at a time and renders no FOR UPDATE.)
    conversation = await session.get(Conversation, key, with_for_update=True)
    if conversation is not None:
        conversation.updated_at = now


async def record_inbound(db: Database, inbound: InboundMessage, now: datetime) -> None:
    """The customer's message, before anything is published about it, so the mailbox shows
    the question before the answer. Idempotent: a redelivery changes nothing."""
    async with db.session() as session, session.begin():
        await _touch_conversation(
            session, inbound.conversation_key, inbound.channel, inbound.provider, now
        )
        await insert_ignore(
            session,
            Message,
            {
                "event_id": inbound.event_id,
                "conversation_key": inbound.conversation_key,
                "direction": "in",
                "channel": inbound.channel,
                "text": inbound.text,
                "payload": {"sender": inbound.sender.id},
                "created_at": inbound.received_at,
            },
        )


async def record_decision(db: Database, consumer: str, decision: Decision, now: datetime) -> None:
    """The decision and the ledger row of its inbound message, atomically."""
    async with db.session() as session, session.begin():
        await insert_ignore(
            session,
            DecisionRow,
            {
                "id": decision.event_id,
                "inbound_id": decision.inbound_id,
                "conversation_key": decision.conversation_key,
                "order_number": decision.order.number if decision.order else None,
                "intent": decision.intent,
                "action": decision.action.value,
                "rule": decision.rule,
                "wismo": decision.wismo,
                "confidence": decision.confidence,
                "language": decision.language,
                "payload": decision.model_dump(mode="json"),
                "decided_at": decision.occurred_at,
            },
        )
        await insert_ignore(
            session,
            ProcessedEvent,
            {"consumer": consumer, "event_id": decision.inbound_id, "processed_at": now},
        )


async def record_delivery(
    db: Database,
    consumer: str,
    outbound: OutboundMessage,
    *,
    provider_message_id: str | None,
    now: datetime,
    status: str = "sent",
) -> None:
    """The sent message (also the chat mailbox), its delivery and the ledger row, atomically.

    `status` "suppressed": deliberately not sent (the customer opted out): the delivery and the
    ledger row are written, the mailbox is not.
    """
    async with db.session() as session, session.begin():
        await _touch_conversation(
            session, outbound.conversation_key, outbound.channel, outbound.provider, now
        )
        if status == "sent":
            await insert_ignore(
                session,
                Message,
                {
                    "event_id": outbound.event_id,
                    "conversation_key": outbound.conversation_key,
                    "direction": "out",
                    "channel": outbound.channel,
                    "text": outbound.text,
                    "payload": {
                        "links": [link.model_dump() for link in outbound.links],
                        "quick_replies": outbound.quick_replies,
                        "in_reply_to": outbound.inbound_id,
                        "author": outbound.author,
                    },
                    "created_at": now,
                },
            )
        await _put_delivery(session, outbound, status, provider_message_id, None, now)
        await insert_ignore(
            session,
            ProcessedEvent,
            {"consumer": consumer, "event_id": outbound.event_id, "processed_at": now},
        )


async def record_failed_delivery(
    db: Database, outbound: OutboundMessage, error: str, now: datetime
) -> None:
    """The channel gave up on this message. No ledger row: replaying it from the dead-letter
    topic sends it again (and a later success overwrites this row)."""
    async with db.session() as session, session.begin():
        await _put_delivery(session, outbound, "failed", None, error[:2000], now)


async def _put_delivery(
    session: AsyncSession,
    outbound: OutboundMessage,
    status: str,
    provider_message_id: str | None,
    error: str | None,
    now: datetime,
) -> None:
    values = {
        "status": status,
        "provider_message_id": provider_message_id,
        "error": error,
        "delivered_at": now,
    }
    statement = insert_for(session)(Delivery).values(
        outbound_id=outbound.event_id, channel=outbound.channel, **values
    )
    # A failed (or suppressed) attempt is overwritten by a later one; a sent message stays sent.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["outbound_id"], set_=values, where=Delivery.status != "sent"
        )
    )


async def messages_after(
    db: Database, conversation_key: str, after_seq: int, *, limit: int = 100
) -> list[Message]:
    query = (
        select(Message)
        .where(Message.conversation_key == conversation_key, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    async with db.session() as session:
        return list((await session.execute(query)).scalars().all())


async def last_decision(db: Database, conversation_key: str, since: datetime) -> Decision | None:
    """The conversation's latest decision after `since`: what we asked, what we were told."""
    query = (
        select(DecisionRow.payload)
        .where(DecisionRow.conversation_key == conversation_key, DecisionRow.decided_at >= since)
        .order_by(DecisionRow.decided_at.desc(), DecisionRow.id.desc())
        .limit(1)
    )
    async with db.session() as session:
        payload = (await session.execute(query)).scalar_one_or_none()
    return None if payload is None else Decision.model_validate(payload)


async def decisions_to_label(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
    least_sure_first: bool = True,
) -> list[LabelRow]:
    """Customer messages with what was decided about them, for people to label (`wismo
    export-decisions`). Least sure first by default: those teach a model the most."""
    query = (
        select(Message.text, Message.channel, DecisionRow)
        .join(Message, Message.event_id == DecisionRow.inbound_id)
        .where(Message.direction == "in")
    )
    if since is not None:
        query = query.where(DecisionRow.decided_at >= since)
    if until is not None:
        query = query.where(DecisionRow.decided_at < until)
    order = (DecisionRow.confidence,) if least_sure_first else ()
    query = query.order_by(*order, DecisionRow.decided_at, DecisionRow.id).limit(limit)
    async with db.session() as session:
        rows = (await session.execute(query)).all()
    return [
        LabelRow(
            text=text,
            language=row.language,
            channel=channel,
            decided_at=row.decided_at,
            inbound_id=row.inbound_id,
            predicted=Predicted(
                wismo=row.wismo, intent=row.intent, confidence=row.confidence, rule=row.rule
            ),
        )
        for text, channel, row in rows
    ]


async def recent_answers(
    db: Database,
    order_number: str,
    since: datetime,
    *,
    conversation_key: str | None = None,
    same_contact_since: datetime | None = None,
) -> int:
    """How often this order was already answered about since `since` (repeat contacts).

    Turns of the current conversation after `same_contact_since` are the same contact, not a
    repeat: a customer who adds their e-mail a minute later has not come back."""
    query = select(func.count()).where(
        DecisionRow.order_number == order_number,
        DecisionRow.decided_at >= since,
        DecisionRow.wismo.is_(True),
    )
    if conversation_key is not None and same_contact_since is not None:
        query = query.where(
            ~(
                (DecisionRow.conversation_key == conversation_key)
                & (DecisionRow.decided_at >= same_contact_since)
            )
        )
    async with db.session() as session:
        return int((await session.execute(query)).scalar_one())
