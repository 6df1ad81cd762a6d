"""What only the in-memory bus has: partitioning by a stable hash, retention, trimming."""

from __future__ import annotations

import asyncio

from router.bus import Record
from router.bus.memory import MemoryBus, partition_for


def test_partition_is_stable_and_within_range() -> None:
    assert partition_for("webchat:abc", 8) == partition_for("webchat:abc", 8)
    assert {partition_for(f"k{i}", 4) for i in range(200)} == {0, 1, 2, 3}


async def test_retention_keeps_the_newest_records_per_partition() -> None:
    bus = MemoryBus(partitions=1, retention=3)
    await bus.start()
    for i in range(5):
        await bus.publish("t", "k", str(i).encode(), {})
    got: list[Record] = []
    done = asyncio.Event()

    async def handle(record: Record) -> None:
        got.append(record)
        if len(got) == 3:
            done.set()

    consumer = bus.consumer(["t"], "late-group", handle)
    await consumer.start()
    async with asyncio.timeout(5):
        await done.wait()
    await consumer.stop()
    assert [(r.offset, r.value) for r in got] == [(2, b"2"), (3, b"3"), (4, b"4")]


async def test_records_every_group_committed_are_freed() -> None:
    bus = MemoryBus(partitions=1)
    await bus.start()
    seen = asyncio.Event()

    async def handle(record: Record) -> None:
        if record.value == b"last":
            seen.set()

    consumer = bus.consumer(["t"], "only-group", handle)
    await consumer.start()
    for value in (b"a", b"b", b"last"):
        await bus.publish("t", "k", value, {})
    async with asyncio.timeout(5):
        await seen.wait()
    await consumer.stop()
    assert bus.committed("only-group", "t", 0) == 3
    log = bus._log("t", 0)
    assert len(log.records) == 0
    assert log.base == 3


async def test_headers_are_copied_at_publish() -> None:
    bus = MemoryBus(partitions=1)
    await bus.start()
    headers = {"event-id": "1"}
    await bus.publish("t", "k", b"v", headers)
    headers["event-id"] = "changed"
    record = bus._log("t", 0).get(0)
    assert record is not None
    assert record.headers == {"event-id": "1"}


async def test_a_restarted_member_resumes_from_the_commit() -> None:
    bus = MemoryBus(partitions=2)
    await bus.start()
    got: list[bytes] = []

    async def handle(record: Record) -> None:
        got.append(record.value)

    first = bus.consumer(["t"], "g", handle)
    await first.start()
    await bus.publish("t", "k", b"1", {})
    async with asyncio.timeout(5):
        while not got:
            await asyncio.sleep(0.01)
    await first.stop()
    await bus.publish("t", "k", b"2", {})
    second = bus.consumer(["t"], "g", handle)
    await second.start()
    async with asyncio.timeout(5):
        while len(got) < 2:
            await asyncio.sleep(0.01)
    await second.stop()
    assert got == [b"1", b"2"]


async def test_idle_once_every_group_handled_everything_it_reads() -> None:
    bus = MemoryBus(partitions=2)
    await bus.start()
    assert bus.idle()
    release = asyncio.Event()
    seen: list[bytes] = []

    async def slow(record: Record) -> None:
        await release.wait()
        seen.append(record.value)

    async def fast(record: Record) -> None:
        pass

    consumers = [bus.consumer(["a"], "slow", slow), bus.consumer(["a", "b"], "fast", fast)]
    for consumer in consumers:
        await consumer.start()
    for i in range(4):
        await bus.publish("a", f"k{i}", str(i).encode(), {})
    await bus.publish("b", "k", b"b", {})
    await asyncio.sleep(0.05)
    assert not bus.idle()  # "slow" has not handled topic a yet
    release.set()
    async with asyncio.timeout(5):
        await bus.wait_idle()
    assert sorted(seen) == [b"0", b"1", b"2", b"3"]
    for consumer in consumers:
        await consumer.stop()
