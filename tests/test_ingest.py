"""router/ingest.py on the in-memory bus: accept publishes once per message, or says the bus is
unavailable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from router.bus import BusUnavailable, Record
from router.bus import topics as t
from router.bus.codec import decode_as
from router.bus.memory import MemoryBus
from router.events import InboundMessage, Party
from router.ingest import Ingest
from router.metrics import Metrics
from router.store import channel_state
from router.store.db import Database
from tests.helpers import FAST_RETRY

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def message(n: int = 1) -> InboundMessage:
    return InboundMessage(
        event_id=f"webchat:s1:{n}",
        trace_id=f"trace-{n}",
        occurred_at=NOW,
        channel="webchat",
        provider="webchat",
        provider_message_id=f"s1:{n}",
        conversation_key="webchat:s1",
        sender=Party(id="s1"),
        text="where is my order #1001",
        received_at=NOW,
        route={"session": "s1"},
    )


@pytest.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    made = MemoryBus(partitions=2, retry=FAST_RETRY)
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def test_accept_publishes_the_message_with_headers(bus: MemoryBus, db: Database) -> None:
    metrics = Metrics()
    got: list[Record] = []
    arrived = asyncio.Event()

    async def collect(record: Record) -> None:
        got.append(record)
        arrived.set()

    consumer = bus.consumer([t.INBOUND], "test-ingest", collect)
    await consumer.start()
    try:
        assert await Ingest(bus, metrics, db).accept(message())
        async with asyncio.timeout(10):
            await arrived.wait()
    finally:
        await consumer.stop()
    [record] = got
    assert record.topic == t.INBOUND
    assert record.key == "webchat:s1"
    assert dict(record.headers) == {
        "event-type": "inbound_message",
        "schema-version": "1",
        "event-id": "webchat:s1:1",
        "trace-id": "trace-1",
        "content-type": "application/json",
    }
    assert decode_as(InboundMessage, record) == message()
    sample = metrics.registry.get_sample_value
    assert sample("wismo_inbound_messages_total", {"channel": "webchat"}) == 1.0
    assert bus.stats.published == 1


async def test_accept_on_a_stopped_bus_raises_and_counts_the_rejection(
    bus: MemoryBus, db: Database
) -> None:
    metrics = Metrics()
    ingest = Ingest(bus, metrics, db)
    await ingest.accept(message(1))
    await bus.stop()
    with pytest.raises(BusUnavailable):
        await ingest.accept(message(2))
    assert (
        metrics.registry.get_sample_value(
            "wismo_inbound_rejected_total", {"channel": "webchat", "reason": "bus_unavailable"}
        )
        == 1.0
    )
    assert (
        metrics.registry.get_sample_value("wismo_inbound_messages_total", {"channel": "webchat"})
        == 1.0
    )
    assert bus.stats.published == 1


async def test_a_message_the_bus_refused_is_taken_when_the_provider_retries(
    bus: MemoryBus, db: Database
) -> None:
    ingest = Ingest(bus, Metrics(), db)
    await bus.stop()
    with pytest.raises(BusUnavailable):
        await ingest.accept(message(1))
    assert not await channel_state.is_received(db, message(1).event_id)
    await bus.start()
    assert await ingest.accept(message(1))
    assert bus.stats.published == 1


async def test_a_provider_retry_is_acknowledged_but_not_published_again(
    bus: MemoryBus, db: Database
) -> None:
    metrics = Metrics()
    ingest = Ingest(bus, metrics, db)
    assert await ingest.accept(message(1))
    assert not await ingest.accept(message(1))
    assert await ingest.accept(message(2))
    assert bus.stats.published == 2
    sample = metrics.registry.get_sample_value
    assert sample("wismo_inbound_duplicates_total", {"channel": "webchat"}) == 1
    assert sample("wismo_inbound_messages_total", {"channel": "webchat"}) == 2


async def test_racing_deliveries_of_one_message_publish_it_once(
    bus: MemoryBus, db: Database
) -> None:
    ingest = Ingest(bus, Metrics(), db)
    results = await asyncio.gather(*(ingest.accept(message(7)) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert bus.stats.published == 1
    assert ingest._locks == {}  # nothing kept once the deliveries are done


async def test_accept_all_counts_the_new_ones(bus: MemoryBus, db: Database) -> None:
    ingest = Ingest(bus, Metrics(), db)
    assert await ingest.accept_all([message(1), message(2), message(1)]) == 2
    assert bus.stats.published == 2


def test_reject_counts_by_channel_and_reason(db: Database) -> None:
    metrics = Metrics()
    ingest = Ingest(MemoryBus(), metrics, db)
    ingest.reject("webchat", "too_long")
    ingest.reject("webchat", "too_long")
    ingest.reject("sms", "bad_signature")
    sample = metrics.registry.get_sample_value
    assert sample("wismo_inbound_rejected_total", {"channel": "webchat", "reason": "too_long"}) == 2
    assert (
        sample("wismo_inbound_rejected_total", {"channel": "sms", "reason": "bad_signature"}) == 1
    )


def test_ignore_counts_apart_from_rejections(db: Database) -> None:
    metrics = Metrics()
    Ingest(MemoryBus(), metrics, db).ignore("email", "auto_reply")
    sample = metrics.registry.get_sample_value
    assert sample("wismo_inbound_ignored_total", {"channel": "email", "reason": "auto_reply"}) == 1
    assert (
        sample("wismo_inbound_rejected_total", {"channel": "email", "reason": "auto_reply"}) is None
    )
