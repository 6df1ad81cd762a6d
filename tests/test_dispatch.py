"""router/dispatch.py: send once through the channel's sender, record it, signal the chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from router.bus import PermanentError, Record
from router.bus import topics as t
from router.bus.codec import encode
from router.dispatch import Dispatcher, SendFailed, SendResult
from router.events import InboundMessage, OutboundMessage, Party
from router.live import ConversationFeed
from router.metrics import Metrics
from router.store import repo
from router.store.db import Database
from router.store.models import Delivery, Message

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
RECEIVED = NOW - timedelta(seconds=2.5)


class FakeSender:
    """The channel boundary: records what it was asked to send, or fails."""

    def __init__(self, fail: Exception | None = None, *, suppress: bool = False) -> None:
        self.sent: list[OutboundMessage] = []
        self.fail = fail
        self.suppress = suppress

    async def __call__(self, message: OutboundMessage) -> SendResult:
        if self.fail is not None:
            raise self.fail
        if self.suppress:
            return SendResult(status="suppressed")
        self.sent.append(message)
        return SendResult(provider_message_id=f"provider-{len(self.sent)}")


def reply(channel: str = "webchat", n: int = 1) -> OutboundMessage:
    inbound_id = InboundMessage.make_id(channel, f"s1:{n}")
    return OutboundMessage(
        event_id=OutboundMessage.make_id(inbound_id),
        occurred_at=NOW,
        inbound_id=inbound_id,
        decision_id=f"decision:{inbound_id}",
        conversation_key=f"{channel}:s1",
        channel=channel,
        provider=channel,
        recipient=Party(id="s1"),
        route={"session": "s1"},
        text="Order #1001: on its way.",
        received_at=RECEIVED,
    )


def record(message: OutboundMessage, offset: int = 0) -> Record:
    key, value, headers = encode(message)
    return Record(t.OUTBOUND, 0, offset, key, value, headers, NOW)


@pytest.fixture
def feed() -> ConversationFeed:
    return ConversationFeed()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def dispatcher(
    db: Database, feed: ConversationFeed, metrics: Metrics, sender: FakeSender
) -> Dispatcher:
    return Dispatcher(
        senders={"webchat": sender}, db=db, feed=feed, metrics=metrics, clock=lambda: NOW
    )


async def deliveries(db: Database) -> list[Delivery]:
    async with db.session() as session:
        return list((await session.execute(select(Delivery))).scalars().all())


async def message_count(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Message))).scalar_one())


async def test_delivers_records_notifies_and_observes_latency(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    sender = FakeSender()
    with feed.listen("webchat:s1") as changed:
        await dispatcher(db, feed, metrics, sender).handle(record(reply()))
        assert changed.is_set()
    assert sender.sent == [reply()]
    [delivery] = await deliveries(db)
    assert (delivery.outbound_id, delivery.channel, delivery.status, delivery.error) == (
        "reply:webchat:s1:1",
        "webchat",
        "sent",
        None,
    )
    assert (delivery.provider_message_id, delivery.delivered_at) == ("provider-1", NOW)
    [row] = await repo.messages_after(db, "webchat:s1", 0)
    assert (row.event_id, row.direction, row.text, row.created_at) == (
        "reply:webchat:s1:1",
        "out",
        "Order #1001: on its way.",
        NOW,
    )
    assert await repo.is_processed(db, "dispatch", "reply:webchat:s1:1") is True
    sample = metrics.registry.get_sample_value
    assert sample("wismo_outbound_messages_total", {"channel": "webchat"}) == 1.0
    assert sample("wismo_end_to_end_latency_seconds_count", {"channel": "webchat"}) == 1.0
    assert sample("wismo_end_to_end_latency_seconds_sum", {"channel": "webchat"}) == 2.5


async def test_no_latency_without_received_at(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    message = reply().model_copy(update={"received_at": None})
    await dispatcher(db, feed, metrics, FakeSender()).handle(record(message))
    sample = metrics.registry.get_sample_value
    assert sample("wismo_outbound_messages_total", {"channel": "webchat"}) == 1.0
    assert sample("wismo_end_to_end_latency_seconds_count", {"channel": "webchat"}) is None


async def test_a_duplicate_is_not_sent_twice(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    sender = FakeSender()
    handler = dispatcher(db, feed, metrics, sender)
    await handler.handle(record(reply(), offset=0))
    with feed.listen("webchat:s1") as changed:
        await handler.handle(record(reply(), offset=1))
        assert not changed.is_set()
    assert len(sender.sent) == 1
    assert len(await deliveries(db)) == 1
    assert await message_count(db) == 1
    sample = metrics.registry.get_sample_value
    assert sample("wismo_outbound_messages_total", {"channel": "webchat"}) == 1.0


async def test_unknown_channel_is_a_permanent_error(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    sender = FakeSender()
    with pytest.raises(PermanentError, match="'sms'"):
        await dispatcher(db, feed, metrics, sender).handle(record(reply(channel="sms")))
    assert sender.sent == []
    assert await deliveries(db) == []
    assert await repo.is_processed(db, "dispatch", reply(channel="sms").event_id) is False


async def test_a_failing_sender_propagates_and_records_nothing(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    boom = ConnectionError("provider down")
    with feed.listen("webchat:s1") as changed:
        with pytest.raises(ConnectionError) as caught:
            await dispatcher(db, feed, metrics, FakeSender(fail=boom)).handle(record(reply()))
        assert not changed.is_set()
    assert caught.value is boom
    assert await deliveries(db) == []
    assert await message_count(db) == 0
    assert await repo.is_processed(db, "dispatch", reply().event_id) is False
    sample = metrics.registry.get_sample_value
    assert sample("wismo_errors_total", {"role": "dispatch", "kind": "ConnectionError"}) == 1.0
    assert sample("wismo_outbound_messages_total", {"channel": "webchat"}) is None


async def test_a_redelivery_after_a_failure_is_sent(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    with pytest.raises(ConnectionError):
        await dispatcher(db, feed, metrics, FakeSender(fail=ConnectionError())).handle(
            record(reply())
        )
    sender = FakeSender()
    await dispatcher(db, feed, metrics, sender).handle(record(reply()))
    assert sender.sent == [reply()]
    assert len(await deliveries(db)) == 1


async def test_an_undecodable_record_is_a_permanent_error(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    sender = FakeSender()
    handler = dispatcher(db, feed, metrics, sender)
    _, _, headers = encode(reply())
    with pytest.raises(PermanentError):
        await handler.handle(Record(t.OUTBOUND, 0, 0, "k", b"{not json", headers, NOW))
    wrong_type = {**headers, "event-type": "decision"}
    with pytest.raises(PermanentError):
        await handler.handle(Record(t.OUTBOUND, 0, 1, "k", encode(reply())[1], wrong_type, NOW))
    assert sender.sent == []


async def test_a_channel_that_gives_up_is_recorded_and_dead_lettered_at_once(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    """SendFailed is permanent: the bus must not retry it, the reason travels to the DLQ."""
    sender = FakeSender(SendFailed("HTTP 400 (21211: invalid 'To' number)"))
    with pytest.raises(PermanentError, match="webchat: HTTP 400 \\(21211"):
        await dispatcher(db, feed, metrics, sender).handle(record(reply()))
    [delivery] = await deliveries(db)
    assert (delivery.status, delivery.error) == ("failed", "HTTP 400 (21211: invalid 'To' number)")
    assert await message_count(db) == 0
    assert await repo.is_processed(db, "dispatch", "reply:webchat:s1:1") is False
    sample = metrics.registry.get_sample_value
    assert sample("wismo_delivery_status_total", {"channel": "webchat", "status": "failed"}) == 1


async def test_a_replayed_failure_that_then_succeeds_is_recorded_as_sent(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    with pytest.raises(PermanentError):
        await dispatcher(db, feed, metrics, FakeSender(SendFailed("HTTP 503"))).handle(
            record(reply())
        )
    await dispatcher(db, feed, metrics, FakeSender()).handle(record(reply(), offset=1))
    [delivery] = await deliveries(db)
    assert (delivery.status, delivery.error, delivery.provider_message_id) == (
        "sent",
        None,
        "provider-1",
    )


async def test_a_suppressed_message_is_recorded_not_mailed(
    db: Database, feed: ConversationFeed, metrics: Metrics
) -> None:
    """An opted-out customer: nothing sent, nothing in the conversation, never retried."""
    with feed.listen("webchat:s1") as changed:
        await dispatcher(db, feed, metrics, FakeSender(suppress=True)).handle(record(reply()))
        assert not changed.is_set()
    [delivery] = await deliveries(db)
    assert (delivery.status, delivery.provider_message_id) == ("suppressed", None)
    assert await message_count(db) == 0
    assert await repo.is_processed(db, "dispatch", "reply:webchat:s1:1") is True
    sample = metrics.registry.get_sample_value
    assert (
        sample("wismo_delivery_status_total", {"channel": "webchat", "status": "suppressed"}) == 1
    )
    assert sample("wismo_outbound_messages_total", {"channel": "webchat"}) is None
