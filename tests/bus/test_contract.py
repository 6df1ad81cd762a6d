"""The EventBus contract, run on the in-memory bus and on a real Kafka broker."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

import pytest

from router.bus import BusUnavailable, Consumer, EventBus, PermanentError, Record
from router.bus import topics as t
from router.bus.base import (
    H_DLQ_ATTEMPTS,
    H_DLQ_ERROR,
    H_DLQ_GROUP,
    H_DLQ_TOPIC,
    H_EVENT_ID,
    H_EVENT_TYPE,
    H_SCHEMA_VERSION,
    H_TRACE_ID,
)
from router.bus.kafka import KafkaBus, KafkaConsumer
from router.bus.memory import MemoryBus
from tests.helpers import FAST_RETRY, kafka_settings

WAIT = 30.0


def headers(n: int) -> dict[str, str]:
    return {
        H_EVENT_TYPE: "inbound_message",
        H_SCHEMA_VERSION: "1",
        H_EVENT_ID: f"test:{n}",
        H_TRACE_ID: f"trace-{n}",
    }


class Collector:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self._changed = asyncio.Event()

    async def __call__(self, record: Record) -> None:
        self.records.append(record)
        self._changed.set()

    async def wait_for(self, n: int) -> list[Record]:
        async with asyncio.timeout(WAIT):
            while len(self.records) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.records


async def publish_n(bus: EventBus, n: int, key: Callable[[int], str] = str) -> None:
    for i in range(n):
        await bus.publish(t.INBOUND, key(i), f"value-{i}".encode(), headers(i))


async def test_publish_delivers_value_key_and_headers(bus: EventBus) -> None:
    got = Collector()
    consumer = bus.consumer([t.INBOUND], "g-headers", got)
    await consumer.start()
    await publish_n(bus, 1, key=lambda i: "conv-1")
    [record] = await got.wait_for(1)
    await consumer.stop()
    assert record.topic == t.INBOUND
    assert record.key == "conv-1"
    assert record.value == b"value-0"
    assert record.headers[H_EVENT_TYPE] == "inbound_message"
    assert record.headers[H_SCHEMA_VERSION] == "1"
    assert record.headers[H_EVENT_ID] == "test:0"
    assert record.headers[H_TRACE_ID] == "trace-0"


async def test_order_is_kept_per_key(bus: EventBus) -> None:
    got = Collector()
    consumer = bus.consumer([t.INBOUND], "g-order", got)
    await consumer.start()
    await publish_n(bus, 60, key=lambda i: f"conv-{i % 6}")
    records = await got.wait_for(60)
    await consumer.stop()
    by_key: dict[str, list[int]] = defaultdict(list)
    for r in records:
        by_key[r.key].append(int(r.value.decode().split("-")[1]))
    assert len(by_key) == 6
    for seen in by_key.values():
        assert seen == sorted(seen)
        assert len(seen) == 10


async def test_every_group_gets_every_record(bus: EventBus) -> None:
    a, b = Collector(), Collector()
    consumers = [bus.consumer([t.INBOUND], "g-a", a), bus.consumer([t.INBOUND], "g-b", b)]
    for c in consumers:
        await c.start()
    await publish_n(bus, 20, key=lambda i: f"k{i}")
    await a.wait_for(20)
    await b.wait_for(20)
    for c in consumers:
        await c.stop()
    assert sorted(r.value for r in a.records) == sorted(r.value for r in b.records)


async def test_members_of_one_group_split_the_partitions(bus: EventBus) -> None:
    got = Collector()
    handled_by: dict[str, set[int]] = defaultdict(set)

    def tagged(tag: str) -> Callable[[Record], Awaitable[None]]:
        async def handle(record: Record) -> None:
            handled_by[tag].add(record.partition)
            await got(record)

        return handle

    one = bus.consumer([t.INBOUND], "g-split", tagged("one"))
    two = bus.consumer([t.INBOUND], "g-split", tagged("two"))
    await one.start()
    await two.start()
    if isinstance(bus, KafkaBus):
        await _assigned(one, two)
    await publish_n(bus, 60, key=lambda i: f"k{i}")
    records = await got.wait_for(60)
    await asyncio.sleep(0.3)  # nothing more may arrive: each record exactly once
    await one.stop()
    await two.stop()
    assert len(records) == 60
    assert len({r.value for r in records}) == 60
    assert handled_by["one"]
    assert handled_by["two"]
    assert not handled_by["one"] & handled_by["two"]


async def _assigned(*consumers: Consumer) -> None:
    """Kafka: wait until the group settled so both members own partitions."""
    async with asyncio.timeout(WAIT):
        for c in consumers:
            assert isinstance(c, KafkaConsumer)
            await c.assigned.wait()
    await asyncio.sleep(1.0)


async def test_unacknowledged_record_is_redelivered_after_consumer_dies(bus: EventBus) -> None:
    first_seen: list[str] = []
    release = asyncio.Event()
    stuck = asyncio.Event()

    async def slow(record: Record) -> None:
        first_seen.append(record.value.decode())
        if record.value == b"value-1":
            stuck.set()
            await release.wait()  # never released: the consumer dies holding it

    dying = bus.consumer([t.INBOUND], "g-redeliver", slow)
    await dying.start()
    await publish_n(bus, 3, key=lambda i: "same-conversation")
    async with asyncio.timeout(WAIT):
        await stuck.wait()
    await dying.abort()

    got = Collector()
    survivor = bus.consumer([t.INBOUND], "g-redeliver", got)
    await survivor.start()
    records = await got.wait_for(2)
    await asyncio.sleep(0.3)
    await survivor.stop()
    assert first_seen == ["value-0", "value-1"]
    # value-0 was handled and committed; value-1 was not, so it comes again, then value-2.
    assert [r.value for r in records] == [b"value-1", b"value-2"]


async def test_handled_records_are_not_redelivered_after_graceful_stop(bus: EventBus) -> None:
    got = Collector()
    first = bus.consumer([t.INBOUND], "g-commit", got)
    await first.start()
    await publish_n(bus, 5, key=lambda i: "k")
    await got.wait_for(5)
    await first.stop()

    again = Collector()
    second = bus.consumer([t.INBOUND], "g-commit", again)
    await second.start()
    await publish_n(bus, 1, key=lambda i: "k")
    records = await again.wait_for(1)
    await asyncio.sleep(0.3)
    await second.stop()
    assert [r.value for r in records] == [b"value-0"]  # only the new record
    assert len(records) == 1


async def test_failing_record_goes_to_dead_letter_topic_after_retries(bus: EventBus) -> None:
    attempts: list[str] = []
    good = Collector()

    async def flaky(record: Record) -> None:
        attempts.append(record.value.decode())
        if record.value == b"value-0":
            raise ValueError("carrier API said no")
        await good(record)

    dead = Collector()
    consumer = bus.consumer([t.INBOUND], "g-dlq", flaky)
    dlq = bus.consumer([t.DLQ], "g-dlq-reader", dead)
    await consumer.start()
    await dlq.start()
    await publish_n(bus, 2, key=lambda i: "one-partition")
    [dead_record] = await dead.wait_for(1)
    await good.wait_for(1)  # the partition moved on past the dead record
    await consumer.stop()
    await dlq.stop()

    assert attempts.count("value-0") == FAST_RETRY.max_attempts
    assert dead_record.value == b"value-0"
    assert dead_record.key == "one-partition"
    assert dead_record.headers[H_DLQ_TOPIC] == t.INBOUND
    assert dead_record.headers[H_DLQ_GROUP] == "g-dlq"
    assert dead_record.headers[H_DLQ_ATTEMPTS] == str(FAST_RETRY.max_attempts)
    assert "ValueError: carrier API said no" in dead_record.headers[H_DLQ_ERROR]
    assert dead_record.headers[H_EVENT_ID] == "test:0"  # original headers kept
    assert bus.stats.dead_lettered == 1


async def test_permanent_error_is_dead_lettered_without_retries(bus: EventBus) -> None:
    attempts = 0

    async def reject(record: Record) -> None:
        nonlocal attempts
        attempts += 1
        raise PermanentError("not an event")

    dead = Collector()
    consumer = bus.consumer([t.INBOUND], "g-permanent", reject)
    dlq = bus.consumer([t.DLQ], "g-permanent-reader", dead)
    await consumer.start()
    await dlq.start()
    await publish_n(bus, 1)
    [record] = await dead.wait_for(1)
    await consumer.stop()
    await dlq.stop()
    assert attempts == 1
    assert record.headers[H_DLQ_ATTEMPTS] == "1"
    assert "PermanentError: not an event" in record.headers[H_DLQ_ERROR]


async def test_ping_is_true_when_running(bus: EventBus) -> None:
    assert await bus.ping()


async def test_memory_bus_refuses_publish_when_stopped() -> None:
    bus = MemoryBus()
    await bus.start()
    await bus.stop()
    assert not await bus.ping()
    with pytest.raises(BusUnavailable):
        await bus.publish(t.INBOUND, "k", b"v", {})


async def test_kafka_bus_refuses_publish_when_broker_unreachable() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bus = KafkaBus(kafka_settings(f"127.0.0.1:{port}"), retry=FAST_RETRY)
    await bus.start()
    try:
        assert not await bus.ping()
        with pytest.raises(BusUnavailable):
            await bus.publish(t.INBOUND, "k", b"v", {})
    finally:
        await bus.stop()
