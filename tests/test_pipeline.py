"""router/pipeline.py on the in-memory bus, a migrated SQLite DB and the seeded demo shop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from router.bus import PermanentError, Record
from router.bus import topics as t
from router.bus.codec import decode, encode
from router.bus.memory import MemoryBus
from router.classify import ModelClassifier
from router.events import (
    Action,
    Decision,
    Escalation,
    Event,
    InboundMessage,
    OutboundMessage,
    Party,
)
from router.metrics import Metrics
from router.orders import demo
from router.orders.sql import SqlOrderSource
from router.pipeline import Pipeline
from router.settings import Settings
from router.store import repo
from router.store.db import Database
from tests.helpers import FAST_RETRY

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TRACKING_1001 = "1ZXK3DEG0359083017"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Published:
    """Every event the pipeline published, read back from the bus by a consumer group."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []
        self._changed = asyncio.Event()

    async def __call__(self, record: Record) -> None:
        self.events.append((record.topic, decode(record)))
        self._changed.set()

    async def wait_for(self, n: int) -> list[tuple[str, Event]]:
        async with asyncio.timeout(10):
            while len(self.events) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.events

    def on(self, topic: str) -> list[Event]:
        return [event for name, event in self.events if name == topic]


@dataclass
class Harness:
    pipeline: Pipeline
    bus: MemoryBus
    db: Database
    clock: Clock
    published: Published
    metrics: Metrics


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await db.migrate()
    await demo.seed(db, NOW)
    bus = MemoryBus(partitions=3, retry=FAST_RETRY)
    await bus.start()
    published = Published()
    consumer = bus.consumer([t.DECISIONS, t.OUTBOUND, t.ESCALATIONS], "test-published", published)
    await consumer.start()
    clock = Clock(NOW)
    metrics = Metrics()
    pipeline = Pipeline(
        db=db,
        bus=bus,
        orders=SqlOrderSource(db),
        classifier=ModelClassifier.load(),
        settings=Settings(),
        metrics=metrics,
        clock=clock,
    )
    try:
        yield Harness(pipeline, bus, db, clock, published, metrics)
    finally:
        await consumer.stop()
        await bus.stop()
        await db.close()


def inbound(text: str, n: int = 1, session: str = "s1") -> InboundMessage:
    return InboundMessage(
        event_id=InboundMessage.make_id("webchat", f"{session}:{n}"),
        trace_id=f"trace-{n}",
        occurred_at=NOW,
        channel="webchat",
        provider="webchat",
        provider_message_id=f"{session}:{n}",
        conversation_key=f"webchat:{session}",
        sender=Party(id=session),
        text=text,
        received_at=NOW - timedelta(seconds=1),
        route={"session": session},
    )


def record(message: InboundMessage, offset: int = 0) -> Record:
    key, value, headers = encode(message)
    return Record(t.INBOUND, 0, offset, key, value, headers, NOW)


async def test_wismo_with_number_and_email_is_answered(harness: Harness) -> None:
    message = inbound("Where is my order #1001? My email is alice@example.com")
    await harness.pipeline.handle(record(message))
    await harness.published.wait_for(2)
    [decision] = harness.published.on(t.DECISIONS)
    [reply] = harness.published.on(t.OUTBOUND)
    assert harness.published.on(t.ESCALATIONS) == []
    assert isinstance(decision, Decision)
    assert isinstance(reply, OutboundMessage)

    assert decision.event_id == "decision:webchat:s1:1"
    assert (decision.inbound_id, decision.conversation_key) == ("webchat:s1:1", "webchat:s1")
    assert (decision.action, decision.rule, decision.wismo) == (
        Action.ANSWER,
        "answer.status",
        True,
    )
    assert decision.intent.startswith("wismo.")
    assert decision.identity.verified is True
    assert decision.identity.method == "order_number+email"
    order = await SqlOrderSource(harness.db).by_number("1001", now=NOW)
    assert order is not None
    assert [(f.system, f.record_id, f.fetched_at) for f in decision.facts] == [
        ("sql", order.source.record_id, NOW)
    ]
    assert decision.order is not None
    assert decision.order.number == "1001"
    assert [s.tracking_number for s in decision.order.shipments] == [TRACKING_1001]
    assert decision.trace_id == "trace-1"
    assert decision.occurred_at == NOW

    assert reply.event_id == "reply:webchat:s1:1"
    assert (reply.inbound_id, reply.decision_id) == ("webchat:s1:1", "decision:webchat:s1:1")
    assert (reply.channel, reply.provider, reply.route) == (
        "webchat",
        "webchat",
        {"session": "s1"},
    )
    assert reply.recipient == message.sender
    assert reply.received_at == message.received_at
    assert TRACKING_1001 in reply.text
    assert reply.text == decision.reply_text
    assert [link.url for link in reply.links] == [order.shipments[0].tracking_url]

    assert await repo.is_processed(harness.db, "pipeline", "webchat:s1:1") is True
    assert (
        harness.metrics.registry.get_sample_value(
            "wismo_decisions_total", {"intent": decision.intent, "action": "answer"}
        )
        == 1.0
    )


async def test_decisions_and_replies_are_keyed_by_conversation(harness: Harness) -> None:
    await harness.pipeline.handle(record(inbound("where is my order #1001")))
    await harness.published.wait_for(2)
    keys = {event.key() for _, event in harness.published.events}
    assert keys == {"webchat:s1"}


async def test_a_non_wismo_message_is_also_escalated(harness: Harness) -> None:
    message = inbound("I want a refund for my jacket, please")
    await harness.pipeline.handle(record(message))
    await harness.published.wait_for(3)
    [decision] = harness.published.on(t.DECISIONS)
    [escalation] = harness.published.on(t.ESCALATIONS)
    [reply] = harness.published.on(t.OUTBOUND)
    assert isinstance(decision, Decision)
    assert isinstance(escalation, Escalation)
    assert isinstance(reply, OutboundMessage)
    assert decision.action == Action.ESCALATE
    assert decision.wismo is False
    assert escalation.event_id == "escalation:webchat:s1:1"
    assert (escalation.inbound_id, escalation.decision_id) == (
        "webchat:s1:1",
        "decision:webchat:s1:1",
    )
    assert (escalation.rule, escalation.reason, escalation.intent) == (
        decision.rule,
        decision.rule,
        decision.intent,
    )
    assert escalation.customer_text == message.text
    assert reply.event_id == "reply:webchat:s1:1"
    assert reply.text == decision.reply_text


async def test_the_same_record_handled_twice_is_published_once(harness: Harness) -> None:
    message = inbound("Where is my order #1001? My email is alice@example.com")
    await harness.pipeline.handle(record(message, offset=0))
    assert harness.bus.stats.published == 2
    await harness.pipeline.handle(record(message, offset=1))
    assert harness.bus.stats.published == 2
    await harness.published.wait_for(2)
    assert [topic for topic, _ in harness.published.events].count(t.OUTBOUND) == 1
    rows = await repo.messages_after(harness.db, "webchat:s1", 0)
    assert [r.event_id for r in rows] == ["webchat:s1:1"]


async def test_a_two_turn_conversation(harness: Harness) -> None:
    await harness.pipeline.handle(record(inbound("where is my order #1001", n=1)))
    await harness.published.wait_for(2)
    [first] = harness.published.on(t.DECISIONS)
    assert isinstance(first, Decision)
    assert (first.action, first.rule) == (Action.ASK, "ask.identity")
    assert first.identity.verified is False
    assert first.order is None
    assert "#1001" in first.reply_text
    assert TRACKING_1001 not in first.reply_text

    harness.clock.now = NOW + timedelta(minutes=2)
    await harness.pipeline.handle(record(inbound("alice@example.com", n=2), offset=1))
    await harness.published.wait_for(4)
    second = harness.published.on(t.DECISIONS)[1]
    reply = harness.published.on(t.OUTBOUND)[1]
    assert isinstance(second, Decision)
    assert isinstance(reply, OutboundMessage)
    assert (second.action, second.rule) == (Action.ANSWER, "answer.status")
    assert second.identity.verified is True
    assert second.order is not None
    assert second.order.number == "1001"
    assert reply.event_id == "reply:webchat:s1:2"
    assert TRACKING_1001 in reply.text


async def test_a_follow_up_after_the_context_window_starts_afresh(harness: Harness) -> None:
    await harness.pipeline.handle(record(inbound("where is my order #1001", n=1)))
    harness.clock.now = NOW + timedelta(minutes=31)
    await harness.pipeline.handle(record(inbound("alice@example.com", n=2), offset=1))
    await harness.published.wait_for(4)
    second = harness.published.on(t.DECISIONS)[1]
    assert isinstance(second, Decision)
    assert second.rule != "answer.status"
    assert second.order is None


async def test_another_conversation_does_not_continue_the_question(harness: Harness) -> None:
    await harness.pipeline.handle(record(inbound("where is my order #1001", n=1, session="s1")))
    await harness.pipeline.handle(record(inbound("alice@example.com", n=1, session="s2"), offset=1))
    await harness.published.wait_for(4)
    decisions = [e for e in harness.published.on(t.DECISIONS) if isinstance(e, Decision)]
    other = next(d for d in decisions if d.conversation_key == "webchat:s2")
    assert other.order is None
    assert other.rule != "answer.status"


async def test_an_undecodable_record_is_a_permanent_error(harness: Harness) -> None:
    _, _, headers = encode(inbound("hello"))
    with pytest.raises(PermanentError):
        await harness.pipeline.handle(Record(t.INBOUND, 0, 0, "k", b"\xff not json", headers, NOW))
    with pytest.raises(PermanentError):
        await harness.pipeline.handle(
            Record(t.INBOUND, 0, 1, "k", b'{"event_id": "x"}', headers, NOW)
        )
    with pytest.raises(PermanentError):
        await harness.pipeline.handle(
            Record(t.INBOUND, 0, 2, "k", encode(inbound("hi"))[1], {}, NOW)
        )
    assert harness.bus.stats.published == 0
