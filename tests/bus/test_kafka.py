"""What only the Kafka bus has: topic names on the wire, life without a broker."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from router.bus import Record
from router.bus import topics as t
from router.bus.kafka import KafkaBus
from tests.helpers import FAST_RETRY, kafka_settings, unique_prefix


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_a_consumer_without_a_broker_stops_promptly() -> None:
    bus = KafkaBus(kafka_settings(f"127.0.0.1:{closed_port()}"), retry=FAST_RETRY)
    await bus.start()

    async def handle(record: Record) -> None:
        raise AssertionError("nothing can arrive")

    consumer = bus.consumer([t.INBOUND], "g", handle)
    await consumer.start()
    await asyncio.sleep(1.5)  # it is now waiting to reconnect
    started = time.monotonic()
    await consumer.stop()
    await bus.stop()
    assert time.monotonic() - started < 1.0


@pytest.mark.kafka
async def test_topics_are_created_with_the_prefix_and_partitions(kafka_bootstrap: str) -> None:
    prefix = unique_prefix()
    bus = KafkaBus(kafka_settings(kafka_bootstrap), topic_prefix=prefix, create_topics=t.ALL)
    await bus.start()
    try:
        async with asyncio.timeout(30):
            await bus.wait_ready()
    finally:
        await bus.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        names = {n for n in await admin.list_topics() if n.startswith(prefix)}
        described = await admin.describe_topics([prefix + t.INBOUND])
    finally:
        await admin.close()
    assert names == {prefix + name for name in t.ALL}
    assert len(described[0]["partitions"]) == 3


@pytest.mark.kafka
async def test_records_carry_the_logical_topic_name(kafka_bootstrap: str) -> None:
    bus = KafkaBus(kafka_settings(kafka_bootstrap), topic_prefix=unique_prefix())
    await bus.start()
    got: asyncio.Queue[Record] = asyncio.Queue()

    async def handle(record: Record) -> None:
        await got.put(record)

    consumer = bus.consumer([t.TRACKING], "g-logical", handle)
    try:
        await consumer.start()
        await bus.publish(
            t.TRACKING, "1ZXK3DEG0359083017", b"{}", {"event-type": "tracking_update"}
        )
        async with asyncio.timeout(30):
            record = await got.get()
    finally:
        await consumer.stop()
        await bus.stop()
    assert record.topic == t.TRACKING
    assert record.key == "1ZXK3DEG0359083017"
