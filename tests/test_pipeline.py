"""router/pipeline.py on the in-memory bus, a migrated SQLite DB and the seeded demo shop.

Facts come from a Gatherer over the demo shop's SQL source (wrapped to count its look-ups, or
replaced by a broken shop); the wall clock and the monotonic clock of the limits are injected.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
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
    DeskAction,
    DeskCommand,
    Escalation,
    Event,
    HandoffMessage,
    InboundMessage,
    OutboundMessage,
    Party,
)
from router.facts import Gatherer
from router.metrics import Metrics
from router.orders import demo
from router.orders.base import Order
from router.orders.sql import SqlOrderSource
from router.pipeline import Pipeline
from router.reply.catalog import text
from router.reply.formats import Format, sms_segments, to_gsm7
from router.settings import Settings
from router.store import handoffs, notices, repo
from router.store.db import Database
from tests.helpers import FAST_RETRY

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TRACKING_1001 = "1ZXK3DEG0359083017"


class Clock:
    """The wall clock and, for the look-up limits, the monotonic clock: both move together."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return (self.now - NOW).total_seconds()

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Counting:
    """The demo shop's SQL source, counting the look-ups that reach it."""

    def __init__(self, inner: SqlOrderSource) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        self.calls += 1
        return await self.inner.by_number(number, now=now)

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        self.calls += 1
        return await self.inner.by_contact(email=email, phone=phone, now=now, limit=limit)


class BrokenShop:
    """A shop whose API is down."""

    name = "broken-shop"

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        raise ConnectionError("503 Service Unavailable")

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        raise ConnectionError("503 Service Unavailable")


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

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):
            while not done():
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Harness:
    pipeline: Pipeline
    bus: MemoryBus
    db: Database
    clock: Clock
    published: Published
    metrics: Metrics
    shop: Counting

    def rebuild(
        self, *, facts: Gatherer | None = None, formats: Mapping[str, Format] | None = None
    ) -> Pipeline:
        """A pipeline on the same database, bus and clocks, with other facts or formats."""
        self.pipeline = make_pipeline(
            self.db, self.bus, self.clock, self.metrics, facts or Gatherer([self.shop]), formats
        )
        return self.pipeline

    def decisions(self) -> list[Decision]:
        return [e for e in self.published.on(t.DECISIONS) if isinstance(e, Decision)]

    def replies(self) -> list[OutboundMessage]:
        return [e for e in self.published.on(t.OUTBOUND) if isinstance(e, OutboundMessage)]

    def escalations(self) -> list[Escalation]:
        return [e for e in self.published.on(t.ESCALATIONS) if isinstance(e, Escalation)]


def make_pipeline(
    db: Database,
    bus: MemoryBus,
    clock: Clock,
    metrics: Metrics,
    facts: Gatherer,
    formats: Mapping[str, Format] | None = None,
) -> Pipeline:
    return Pipeline(
        db=db,
        bus=bus,
        facts=facts,
        classifier=CLASSIFIER,
        settings=Settings(),
        metrics=metrics,
        clock=clock,
        formats=dict(formats or {}),
        monotonic=clock.monotonic,
    )


CLASSIFIER = ModelClassifier.load()


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
    shop = Counting(SqlOrderSource(db))
    pipeline = make_pipeline(db, bus, clock, metrics, Gatherer([shop]))
    try:
        yield Harness(pipeline, bus, db, clock, published, metrics, shop)
    finally:
        await consumer.stop()
        await bus.stop()
        await db.close()


def inbound(
    text: str,
    n: int = 1,
    session: str = "s1",
    *,
    channel: str = "webchat",
    sender: Party | None = None,
) -> InboundMessage:
    return InboundMessage(
        event_id=InboundMessage.make_id(channel, f"{session}:{n}"),
        trace_id=f"trace-{n}",
        occurred_at=NOW,
        channel=channel,
        provider=channel,
        provider_message_id=f"{session}:{n}",
        conversation_key=f"{channel}:{session}",
        sender=sender or Party(id=session),
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
        "escalate.non_wismo",
        f"intent {decision.intent}",
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


# --- limits, repeat contacts, anger, failures, formats --------------------------------------------


async def turn(h: Harness, message: InboundMessage, *, escalated: bool = False) -> Decision:
    """Handle one message; its decision once it (and its reply, escalation) are published."""
    await h.pipeline.handle(record(message, offset=len(h.decisions())))
    inbound_id = message.event_id

    def published() -> bool:
        done = any(d.inbound_id == inbound_id for d in h.decisions()) and any(
            r.inbound_id == inbound_id for r in h.replies()
        )
        if escalated:
            done = done and any(e.inbound_id == inbound_id for e in h.escalations())
        return done

    await h.published.until(published)
    [decision] = [d for d in h.decisions() if d.inbound_id == inbound_id]
    return decision


def reply_to(h: Harness, decision: Decision) -> OutboundMessage:
    [reply] = [r for r in h.replies() if r.decision_id == decision.event_id]
    return reply


async def test_the_eleventh_look_up_in_an_hour_is_limited(harness: Harness) -> None:
    numbers = [f"{n}" for n in range(1001, 1012)]
    rules = []
    for n, number in enumerate(numbers, start=1):
        harness.clock.advance(timedelta(minutes=5))
        message = inbound(f"Where is my order #{number}? My email is alice@example.com", n=n)
        decision = await turn(harness, message, escalated=number in ("1019",))
        rules.append(decision.rule)
    assert "limit.lookups" not in rules[:10]
    assert rules[10] == "limit.lookups"
    assert harness.shop.calls == 10  # nothing looked up for the 11th
    last = harness.decisions()[-1]
    assert (last.action, last.order, last.facts) == (Action.ASK, None, [])
    assert reply_to(harness, last).text == text("en", "limit.lookups")

    # Just over an hour after the first look-up (at +5 min), one more is allowed again.
    harness.clock.advance(timedelta(minutes=11))
    decision = await turn(harness, inbound("Where is order #1026? alice@example.com", n=12))
    assert decision.rule == "answer.status"
    assert harness.shop.calls == 11


async def test_messages_without_a_look_up_do_not_count(harness: Harness) -> None:
    for n in range(1, 13):
        assert (await turn(harness, inbound("hello!", n=n))).rule == "greeting"
    decision = await turn(harness, inbound("Where is order #1001? alice@example.com", n=13))
    assert decision.rule == "answer.status"


async def test_six_failed_checks_on_one_order_are_limited(harness: Harness) -> None:
    """Guessing the e-mail of order 1002 (Ben's), from six different senders."""
    rules = []
    for n in range(1, 7):
        message = inbound("Where is my order #1002? alice@example.com", session=f"guess{n}")
        rules.append((await turn(harness, message)).rule)
    assert rules == ["ask.not_found"] * 5 + ["limit.lookups"]
    assert harness.shop.calls == 1  # the answer was cached; the sixth is not looked up at all

    # The limit is on the order: even its owner waits out the hour …
    owner = inbound("Where is my order #1002? ben.carter@example.com", session="ben")
    assert (await turn(harness, owner)).rule == "limit.lookups"
    # … while other orders are unaffected.
    other = inbound("Where is my order #1001? alice@example.com", session="alice")
    assert (await turn(harness, other)).rule == "answer.status"


async def test_ask_identity_is_not_a_failed_check(harness: Harness) -> None:
    for n in range(1, 7):
        message = inbound("Where is my order #1002?", session=f"s{n}")
        assert (await turn(harness, message)).rule == "ask.identity"


async def test_a_second_question_about_the_same_order_is_escalated(harness: Harness) -> None:
    first = await turn(harness, inbound("Where is my order #1001? alice@example.com", n=1))
    assert first.rule == "answer.status"
    assert harness.escalations() == []

    harness.clock.advance(timedelta(hours=47))
    message = inbound("Any news on order #1001? alice@example.com", n=2)
    second = await turn(harness, message, escalated=True)
    assert (second.action, second.rule) == (Action.ESCALATE, "escalate.repeat_contact")
    assert second.order is not None
    assert second.order.number == "1001"
    reply = reply_to(harness, second)
    assert TRACKING_1001 in reply.text
    assert reply.text.endswith(text("en", "handoff.also"))

    [escalation] = harness.escalations()
    assert [topic for topic, e in harness.published.events if e is escalation] == [
        "wismo.escalations.v1"
    ]
    assert (escalation.rule, escalation.reason) == (
        "escalate.repeat_contact",
        "asked 2 times in 48 h",
    )
    assert escalation.inbound_id == message.event_id
    assert escalation.order == second.order
    assert escalation.suggested_reply == reply.text
    assert escalation.customer_text == message.text


async def test_a_question_after_the_repeat_window_is_answered(harness: Harness) -> None:
    await turn(harness, inbound("Where is my order #1001? alice@example.com", n=1))
    harness.clock.advance(timedelta(hours=49))
    second = await turn(harness, inbound("Where is my order #1001? alice@example.com", n=2))
    assert second.rule == "answer.status"


async def test_an_angry_customer_gets_the_facts_and_a_human(harness: Harness) -> None:
    message = inbound("Where is my order #1001?? alice@example.com This is ridiculous!")
    decision = await turn(harness, message, escalated=True)
    assert (decision.action, decision.rule) == (Action.ESCALATE, "escalate.anger")
    assert TRACKING_1001 in reply_to(harness, decision).text
    [escalation] = harness.escalations()
    assert (escalation.rule, escalation.reason) == ("escalate.anger", "the customer is upset")


async def test_a_failing_shop_holds_and_escalates_without_facts(harness: Harness) -> None:
    harness.rebuild(facts=Gatherer([BrokenShop()], attempts=1))
    message = inbound("Where is my order #1001? My email is alice@example.com")
    decision = await turn(harness, message, escalated=True)
    assert (decision.action, decision.rule) == (Action.ESCALATE, "hold.source_unavailable")
    assert (decision.order, decision.facts, decision.notes) == (None, [], [])
    reply = reply_to(harness, decision)
    assert reply.text == text("en", "hold.source_unavailable")
    assert reply.links == []
    [escalation] = harness.escalations()
    assert escalation.reason == "unavailable: broken-shop"
    assert escalation.order is None


async def test_the_reply_format_follows_the_channel(harness: Harness) -> None:
    harness.rebuild(formats={"sms": "sms", "email": "email"})
    alice_sms = Party(id="+14155550134", phone="+14155550134")
    sms = await turn(harness, inbound("Where is my order #1001?", channel="sms", sender=alice_sms))
    assert (sms.rule, sms.identity.method) == ("answer.status", "sender_phone")
    reply = reply_to(harness, sms)
    assert reply.links == []
    assert reply.quick_replies == []
    assert (reply.subject, reply.html) == (None, None)
    assert "\n" not in reply.text
    assert to_gsm7(reply.text) == reply.text
    assert sms_segments(reply.text) <= 2
    assert "#1001" in reply.text
    assert TRACKING_1001 in reply.text
    assert reply.text == sms.reply_text

    alice_mail = Party(id="alice@example.com", email="alice@example.com", name="Alice")
    mail = await turn(
        harness, inbound("Where is my order #1001?", channel="email", sender=alice_mail)
    )
    email = reply_to(harness, mail)
    assert email.subject == "Your order #1001"
    assert email.text.startswith("Hi Alice,")
    assert email.html is not None
    assert TRACKING_1001 in email.html

    chat = await turn(harness, inbound("Where is my order #1001? alice@example.com", n=3))
    assert reply_to(harness, chat).links != []
    assert reply_to(harness, chat).subject is None


# --- handoff to a human desk -----------------------------------------------------------------


def _take_over(escalation_id: str, at: datetime) -> DeskAction:
    return DeskAction(
        event_id=f"slack:action:{escalation_id}:take",
        occurred_at=at,
        escalation_id=escalation_id,
        conversation_key="webchat:s1",
        desk="slack",
        command=DeskCommand.TAKE_OVER,
        user_id="U1",
        acted_at=at,
    )


async def test_escalation_carries_what_a_human_needs_to_answer(harness: Harness) -> None:
    message = inbound("I want to talk to a real person please", sender=Party(id="s1", name="Al"))
    await harness.pipeline.handle(record(message))
    await harness.published.wait_for(3)
    [escalation] = harness.escalations()
    assert escalation.recipient == message.sender
    assert escalation.route == message.route
    assert escalation.received_at == message.received_at
    assert escalation.classifier == CLASSIFIER.name
    assert escalation.confidence is not None


async def test_open_handoff_bot_answers_and_the_thread_sees_both(harness: Harness) -> None:
    first = inbound("I want to talk to a real person please")
    await harness.pipeline.handle(record(first))
    await harness.published.wait_for(3)
    [escalation] = harness.escalations()
    assert await handoffs.claim(harness.db, escalation, "slack", NOW)

    second = inbound("Where is my order #1001? My email is alice@example.com", n=2)
    await harness.pipeline.handle(record(second, 1))
    await harness.published.wait_for(6)
    [mirrored] = [e for e in harness.published.on(t.ESCALATIONS) if isinstance(e, HandoffMessage)]
    assert mirrored.event_id == "handoff:webchat:s1:2"
    assert mirrored.customer_text == second.text
    assert mirrored.bot_reply is not None
    assert "#1001" in mirrored.bot_reply
    assert len(harness.replies()) == 2  # the bot still answers while nobody took it


async def test_taken_handoff_keeps_the_bot_quiet_until_idle(harness: Harness) -> None:
    await harness.pipeline.handle(record(inbound("I want to talk to a real person please")))
    await harness.published.wait_for(3)
    [escalation] = harness.escalations()
    await handoffs.claim(harness.db, escalation, "slack", NOW)
    await handoffs.record_action(harness.db, _take_over(escalation.event_id, NOW))

    quiet = inbound("Where is my order #1001? My email is alice@example.com", n=2)
    await harness.pipeline.handle(record(quiet, 1))
    await harness.published.wait_for(4)
    held = [e for e in harness.published.on(t.ESCALATIONS) if isinstance(e, HandoffMessage)]
    assert [(m.customer_text, m.bot_reply) for m in held] == [(quiet.text, None)]
    assert len(harness.replies()) == 1  # only the first message's holding reply
    assert len(harness.decisions()) == 1
    # Redelivered: the ledger skips it.
    await harness.pipeline.handle(record(quiet, 1))
    await asyncio.sleep(0.05)
    assert len(harness.published.on(t.ESCALATIONS)) == 2

    # Idle for the configured time: the bot answers again.
    harness.clock.advance(timedelta(minutes=Settings().handoff.idle_minutes))
    later = inbound("Where is my order #1001? My email is alice@example.com", n=3)
    await harness.pipeline.handle(record(later, 2))
    await harness.published.wait_for(7)
    assert len(harness.replies()) == 2


# --- the closed loop with proactive notices ----------------------------------------------------


async def _notice(harness: Harness, state: str, status: str = "exception") -> int:
    await notices.queue(
        harness.db,
        tracking_number="1ZXK3DEG0359083017",
        kind="exception",
        order_number="1001",
        facts={"status": status},
        detected_at=NOW - timedelta(days=2),
        not_before=NOW - timedelta(days=2),
    )
    [pending] = await notices.due(harness.db, NOW)
    if state == "sent":
        await notices.transition(
            harness.db, pending.id, "sent", NOW, sent_at=NOW - timedelta(days=2)
        )
    return pending.id


async def test_an_answer_after_a_notice_refers_to_it_and_says_what_changed(
    harness: Harness,
) -> None:
    await _notice(harness, "sent", status="exception")  # we told them of an exception
    message = inbound("Where is my order #1001? My email is alice@example.com")
    await harness.pipeline.handle(record(message))
    await harness.published.wait_for(2)
    [reply] = harness.replies()
    told = (NOW - timedelta(days=2)).strftime("%a %-d %b")
    assert f"We last wrote to you about this order on {told}." in reply.text
    assert "Since then, its status has changed to" in reply.text  # now in transit


async def test_asking_first_makes_the_pending_notice_redundant(harness: Harness) -> None:
    notice_id = await _notice(harness, "pending")
    message = inbound("Where is my order #1001? My email is alice@example.com")
    await harness.pipeline.handle(record(message))
    await harness.published.wait_for(2)
    [reply] = harness.replies()
    assert "We last wrote" not in reply.text
    [found] = await notices.for_parcel(harness.db, "1ZXK3DEG0359083017")
    assert (found.id, found.state, found.reason) == (notice_id, "redundant", "answered_first")
