"""router/store/repo.py: idempotent turn/delivery records, the ledger, the mailbox, context."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from router.events import (
    Action,
    Decision,
    IdentityCheck,
    InboundMessage,
    Link,
    OutboundMessage,
    Party,
)
from router.store import repo
from router.store.db import Database
from router.store.models import Base, Conversation, DecisionRow, Delivery, Message, ProcessedEvent

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def inbound(n: int, conversation: str = "webchat:s1", at: datetime = T0) -> InboundMessage:
    return InboundMessage(
        event_id=f"webchat:{conversation}:{n}",
        occurred_at=at,
        channel="webchat",
        provider="webchat",
        provider_message_id=f"{conversation}:{n}",
        conversation_key=conversation,
        sender=Party(id="s1"),
        text=f"message {n}",
        received_at=at,
    )


def decision(message: InboundMessage, at: datetime, rule: str = "answer.status") -> Decision:
    return Decision(
        event_id=Decision.make_id(message.event_id),
        occurred_at=at,
        inbound_id=message.event_id,
        conversation_key=message.conversation_key,
        channel=message.channel,
        provider=message.provider,
        intent="wismo.status",
        wismo=True,
        confidence=0.9,
        language="en",
        action=Action.ASK if rule.startswith("ask.") else Action.ANSWER,
        rule=rule,
        identity=IdentityCheck(verified=False),
        asked_for=["email_or_phone"] if rule.startswith("ask.") else [],
        reply_text=f"reply to {message.text}",
        classifier="rules@1",
    )


def outbound(message: InboundMessage, at: datetime = T0) -> OutboundMessage:
    return OutboundMessage(
        event_id=OutboundMessage.make_id(message.event_id),
        occurred_at=at,
        inbound_id=message.event_id,
        decision_id=Decision.make_id(message.event_id),
        conversation_key=message.conversation_key,
        channel=message.channel,
        provider=message.provider,
        recipient=message.sender,
        text=f"reply to {message.text}",
        links=[Link(label="Track", url="https://example.com/t/1")],
        quick_replies=["Thanks"],
        received_at=message.received_at,
    )


async def count(db: Database, model: type[Base]) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def record_turn(
    db: Database, consumer: str, inbound: InboundMessage, made: Decision, now: datetime
) -> None:
    """What the pipeline writes for one turn: the message first, then decision + ledger."""
    await repo.record_inbound(db, inbound, now)
    await repo.record_decision(db, consumer, made, now)


async def test_record_turn_twice_writes_one_message_one_decision_one_ledger_row(
    db: Database,
) -> None:
    message = inbound(1)
    later = T0 + timedelta(seconds=30)
    await record_turn(db, "pipeline", message, decision(message, T0), T0)
    await record_turn(db, "pipeline", message, decision(message, T0), later)
    assert await count(db, Message) == 1
    assert await count(db, DecisionRow) == 1
    assert await count(db, ProcessedEvent) == 1
    assert await count(db, Conversation) == 1
    async with db.session() as session:
        row = (await session.execute(select(Message))).scalar_one()
        conversation = await session.get(Conversation, "webchat:s1")
        stored = await session.get(DecisionRow, "decision:webchat:webchat:s1:1")
    assert (row.event_id, row.direction, row.text, row.payload) == (
        "webchat:webchat:s1:1",
        "in",
        "message 1",
        {"sender": "s1"},
    )
    assert conversation is not None
    assert (conversation.created_at, conversation.updated_at) == (T0, later)
    assert stored is not None
    assert (stored.inbound_id, stored.action, stored.rule, stored.decided_at) == (
        "webchat:webchat:s1:1",
        "answer",
        "answer.status",
        T0,
    )
    assert Decision.model_validate(stored.payload) == decision(message, T0)


async def test_record_delivery_twice_writes_one_message_one_delivery(db: Database) -> None:
    message = inbound(1)
    reply = outbound(message)
    await repo.record_delivery(db, "dispatch", reply, provider_message_id="p-1", now=T0)
    await repo.record_delivery(
        db, "dispatch", reply, provider_message_id="p-2", now=T0 + timedelta(seconds=5)
    )
    assert await count(db, Message) == 1
    assert await count(db, Delivery) == 1
    assert await count(db, ProcessedEvent) == 1
    async with db.session() as session:
        row = (await session.execute(select(Message))).scalar_one()
        delivery = await session.get(Delivery, reply.event_id)
    assert (row.event_id, row.direction, row.text, row.created_at) == (
        "reply:webchat:webchat:s1:1",
        "out",
        "reply to message 1",
        T0,
    )
    assert row.payload == {
        "links": [{"label": "Track", "url": "https://example.com/t/1"}],
        "quick_replies": ["Thanks"],
        "in_reply_to": "webchat:webchat:s1:1",
        "author": "bot",
    }
    assert delivery is not None
    assert (delivery.channel, delivery.status, delivery.provider_message_id, delivery.error) == (
        "webchat",
        "sent",
        "p-1",
        None,
    )
    assert delivery.delivered_at == T0


async def test_is_processed_is_per_consumer_and_event(db: Database) -> None:
    message = inbound(1)
    assert await repo.is_processed(db, "pipeline", message.event_id) is False
    await record_turn(db, "pipeline", message, decision(message, T0), T0)
    assert await repo.is_processed(db, "pipeline", message.event_id) is True
    assert await repo.is_processed(db, "dispatch", message.event_id) is False
    assert await repo.is_processed(db, "pipeline", inbound(2).event_id) is False
    reply = outbound(message)
    await repo.record_delivery(db, "dispatch", reply, provider_message_id=None, now=T0)
    assert await repo.is_processed(db, "dispatch", reply.event_id) is True
    assert await repo.is_processed(db, "dispatch", message.event_id) is False


async def _conversation_with_other_traffic(db: Database) -> list[str]:
    """Four messages in webchat:s1 interleaved with messages of webchat:s2; s1's ids in order."""
    ids = []
    for n in range(1, 3):
        mine, other = inbound(n), inbound(n, conversation="webchat:s2")
        await record_turn(db, "pipeline", mine, decision(mine, T0), T0)
        await record_turn(db, "pipeline", other, decision(other, T0), T0)
        await repo.record_delivery(db, "dispatch", outbound(mine), provider_message_id=None, now=T0)
        ids += [mine.event_id, outbound(mine).event_id]
    return ids


async def test_messages_after_returns_the_conversation_in_seq_order(db: Database) -> None:
    expected = await _conversation_with_other_traffic(db)
    rows = await repo.messages_after(db, "webchat:s1", 0)
    assert [r.event_id for r in rows] == expected
    assert [r.direction for r in rows] == ["in", "out", "in", "out"]
    seqs = [r.seq for r in rows]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 4
    assert {r.conversation_key for r in rows} == {"webchat:s1"}


async def test_messages_after_is_a_cursor(db: Database) -> None:
    expected = await _conversation_with_other_traffic(db)
    rows = await repo.messages_after(db, "webchat:s1", 0)
    after_first = await repo.messages_after(db, "webchat:s1", rows[0].seq)
    assert [r.event_id for r in after_first] == expected[1:]
    after_third = await repo.messages_after(db, "webchat:s1", rows[2].seq)
    assert [r.event_id for r in after_third] == expected[3:]
    assert await repo.messages_after(db, "webchat:s1", rows[-1].seq) == []
    assert await repo.messages_after(db, "webchat:unknown", 0) == []


async def test_messages_after_limit(db: Database) -> None:
    expected = await _conversation_with_other_traffic(db)
    first_two = await repo.messages_after(db, "webchat:s1", 0, limit=2)
    assert [r.event_id for r in first_two] == expected[:2]
    next_two = await repo.messages_after(db, "webchat:s1", first_two[-1].seq, limit=2)
    assert [r.event_id for r in next_two] == expected[2:]


async def test_last_decision_is_the_latest_within_the_window(db: Database) -> None:
    first, second = inbound(1), inbound(2)
    at_first, at_second = T0, T0 + timedelta(minutes=10)
    await record_turn(db, "pipeline", first, decision(first, at_first, "ask.identity"), at_first)
    await record_turn(db, "pipeline", second, decision(second, at_second), at_second)
    latest = await repo.last_decision(db, "webchat:s1", T0 - timedelta(minutes=30))
    assert latest == decision(second, at_second)
    assert await repo.last_decision(db, "webchat:s1", at_second) == decision(second, at_second)


async def test_last_decision_respects_since(db: Database) -> None:
    first = inbound(1)
    await record_turn(db, "pipeline", first, decision(first, T0, "ask.identity"), T0)
    found = await repo.last_decision(db, "webchat:s1", T0)
    assert found is not None
    assert (found.rule, found.asked_for) == ("ask.identity", ["email_or_phone"])
    assert await repo.last_decision(db, "webchat:s1", T0 + timedelta(microseconds=1)) is None
    assert await repo.last_decision(db, "webchat:s1", T0 + timedelta(minutes=31)) is None


async def test_last_decision_is_per_conversation(db: Database) -> None:
    mine = inbound(1)
    await record_turn(db, "pipeline", mine, decision(mine, T0), T0)
    assert await repo.last_decision(db, "webchat:s2", T0 - timedelta(hours=1)) is None


async def _three_decided_turns(db: Database) -> list[InboundMessage]:
    """Messages 1-3, ten minutes apart, decided with confidence 0.9, 0.55 and 0.7; each
    answered, so outbound messages sit in the same table."""
    messages = [inbound(n, at=T0 + timedelta(minutes=10 * n)) for n in (1, 2, 3)]
    for message, confidence in zip(messages, (0.9, 0.55, 0.7), strict=True):
        made = decision(message, message.received_at).model_copy(
            update={"confidence": confidence, "language": "de"}
        )
        await record_turn(db, "pipeline", message, made, message.received_at)
        await repo.record_delivery(
            db,
            "dispatch",
            outbound(message, message.received_at),
            provider_message_id=None,
            now=message.received_at,
        )
    return messages


async def test_decisions_to_label_least_sure_first(db: Database) -> None:
    await _three_decided_turns(db)
    rows = await repo.decisions_to_label(db)
    assert [r.text for r in rows] == ["message 2", "message 3", "message 1"]  # not the replies
    first = rows[0]
    assert (first.wismo, first.intent, first.label()) == (None, None, None)
    assert (first.language, first.channel, first.inbound_id) == (
        "de",
        "webchat",
        "webchat:webchat:s1:2",
    )
    assert first.decided_at == T0 + timedelta(minutes=20)
    assert first.predicted is not None
    assert first.predicted.model_dump() == {
        "wismo": True,
        "intent": "wismo.status",
        "confidence": 0.55,
        "rule": "answer.status",
    }


async def test_decisions_to_label_by_time_window_and_limit(db: Database) -> None:
    await _three_decided_turns(db)
    by_time = await repo.decisions_to_label(db, least_sure_first=False)
    assert [r.text for r in by_time] == ["message 1", "message 2", "message 3"]
    window = await repo.decisions_to_label(
        db, since=T0 + timedelta(minutes=20), until=T0 + timedelta(minutes=30)
    )
    assert [r.text for r in window] == ["message 2"]
    assert [r.text for r in await repo.decisions_to_label(db, limit=2)] == [
        "message 2",
        "message 3",
    ]
    assert await repo.decisions_to_label(db, since=T0 + timedelta(hours=1)) == []


async def _until_a_session_waits_for_a_lock(db: Database) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10):
        while True:
            async with db.engine.connect() as conn:
                if (await conn.execute(query)).scalar_one():
                    return
            await asyncio.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.parametrize("later", [timedelta(0), timedelta(seconds=1)], ids=["same-now", "later"])
async def test_the_mailbox_cursor_never_skips_a_message_committed_late(
    postgres_db: Database, later: timedelta
) -> None:
    """PostgreSQL hands out `seq` at INSERT, not at COMMIT. The reply to message 1 is inserted
    (seq n+1) and then held up before its commit (here: by a lock on its delivery row); the
    customer's message 2 arrives meanwhile. If it could commit first (seq n+2), a socket that
    reads it moves its cursor past n+1 and never shows the reply."""
    db = postgres_db
    first, second = inbound(1), inbound(2)
    reply = outbound(first)
    await record_turn(db, "pipeline", first, decision(first, T0), T0)
    (row,) = await repo.messages_after(db, "webchat:s1", 0)
    cursor = row.seq
    async with db.engine.connect() as blocker:
        held = await blocker.begin()
        await blocker.execute(
            insert(Delivery).values(
                outbound_id=reply.event_id, channel="webchat", status="failed", delivered_at=T0
            )
        )
        late = asyncio.create_task(
            repo.record_delivery(db, "dispatch", reply, provider_message_id=None, now=T0 + later)
        )
        await _until_a_session_waits_for_a_lock(db)
        meanwhile = asyncio.create_task(repo.record_inbound(db, second, T0 + later))
        await asyncio.wait([meanwhile], timeout=0.5)
        # A connected socket reads the mailbox now (dispatch or its poll wakes it up).
        seen = await repo.messages_after(db, "webchat:s1", cursor)
        await held.rollback()
    await late
    await meanwhile
    if seen:
        cursor = seen[-1].seq
    seen += await repo.messages_after(db, "webchat:s1", cursor)
    assert [m.event_id for m in seen] == [reply.event_id, second.event_id]
