"""The embedded default: an in-process bus with Kafka's semantics for one process.

Partitioned logs with offsets, consumer groups that split partitions, commits after the
handler, redelivery from the last commit when a member dies, dead-lettering. What it does
not have is durability: records live in memory, so a crash of the process loses records
that were acknowledged but not yet handled. Run on Kafka when that matters.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import structlog

from router.bus.base import BusStats, BusUnavailable, Handler, Record, RetryPolicy
from router.bus.delivery import deliver

log = structlog.get_logger(__name__)

TopicPartition = tuple[str, int]

_member_ids = itertools.count(1)


def partition_for(key: str, partitions: int) -> int:
    """Stable across processes and runs (unlike hash()), so a key keeps its partition."""
    return zlib.crc32(key.encode()) % partitions


class _Log:
    """One partition: an append-only list of records with a moving start (retention)."""

    def __init__(self, retention: int) -> None:
        self.records: deque[Record] = deque()
        self.base = 0
        self.retention = retention
        self._appended = asyncio.Event()

    @property
    def end(self) -> int:
        return self.base + len(self.records)

    def append(
        self, topic: str, partition: int, key: str, value: bytes, headers: Mapping[str, str]
    ) -> Record:
        record = Record(topic, partition, self.end, key, value, headers, datetime.now(UTC))
        self.records.append(record)
        while len(self.records) > self.retention:
            self.records.popleft()
            self.base += 1
        self._appended.set()
        self._appended = asyncio.Event()
        return record

    def get(self, offset: int) -> Record | None:
        if offset < self.end:
            return self.records[max(offset, self.base) - self.base]
        return None

    async def wait_beyond(self, offset: int) -> None:
        while offset >= self.end:
            await self._appended.wait()

    def trim_to(self, offset: int) -> None:
        while self.records and self.base < offset:
            self.records.popleft()
            self.base += 1


class _Group:
    def __init__(self, name: str) -> None:
        self.name = name
        self.members: dict[int, MemoryConsumer] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.lock = asyncio.Lock()


class MemoryBus:
    def __init__(
        self,
        *,
        partitions: int = 8,
        retention: int = 10_000,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.partitions = partitions
        self.retention = retention
        self.retry = retry or RetryPolicy()
        self.stats = BusStats()
        self._logs: dict[TopicPartition, _Log] = {}
        self._groups: dict[str, _Group] = {}
        self._running = False
        self._committed = asyncio.Event()

    async def start(self) -> None:
        self._running = True

    async def stop(self) -> None:
        self._running = False

    async def ping(self) -> bool:
        return self._running

    def _log(self, topic: str, partition: int) -> _Log:
        tp = (topic, partition)
        found = self._logs.get(tp)
        if found is None:
            found = self._logs[tp] = _Log(self.retention)
        return found

    async def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> None:
        if not self._running:
            raise BusUnavailable("memory bus is not running")
        partition = partition_for(key, self.partitions)
        self._log(topic, partition).append(topic, partition, key, value, dict(headers))
        self.stats.published += 1

    def consumer(
        self,
        topics: Sequence[str],
        group: str,
        handler: Handler,
        *,
        retry: RetryPolicy | None = None,
    ) -> MemoryConsumer:
        found = self._groups.get(group)
        if found is None:
            found = self._groups[group] = _Group(group)
        return MemoryConsumer(self, found, tuple(topics), handler, retry or self.retry)

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        found = self._groups.get(group)
        return None if found is None else found.committed.get((topic, partition))

    def idle(self) -> bool:
        """Every consumer group has handled everything published to the topics it reads."""
        for group in self._groups.values():
            for (topic, partition), log in self._logs.items():
                if _reads(group, topic) and group.committed.get((topic, partition), 0) < log.end:
                    return False
        return True

    async def wait_idle(self) -> None:
        """Until `idle()`: a simulation steps its clock only once the service caught up.
        Only a commit can make the bus idle, so it waits for the next commit in between."""
        while not self.idle():
            await self._committed.wait()

    def _commit(self, group: _Group, tp: TopicPartition, offset: int) -> None:
        group.committed[tp] = offset
        self._committed.set()
        self._committed = asyncio.Event()
        # Free what every group that reads this topic has already committed.
        readers = [g for g in self._groups.values() if _reads(g, tp[0])]
        low = min(g.committed.get(tp, 0) for g in readers)
        self._log(*tp).trim_to(low)

    async def _rebalance(self, group: _Group) -> None:
        """Revoke first, then assign, so no partition is ever handled by two members."""
        members = sorted(group.members.values(), key=lambda m: m.member_id)
        wanted: dict[int, set[TopicPartition]] = {m.member_id: set() for m in members}
        topics = sorted({t for m in members for t in m.topics})
        for topic in topics:
            readers = [m for m in members if topic in m.topics]
            for p in range(self.partitions):
                wanted[readers[p % len(readers)].member_id].add((topic, p))
        for m in members:
            await m._revoke(m.assigned - wanted[m.member_id])
        for m in members:
            m._assign(wanted[m.member_id] - m.assigned)


def _reads(group: _Group, topic: str) -> bool:
    return any(topic in m.topics for m in group.members.values()) or any(
        tp[0] == topic for tp in group.committed
    )


class _Worker:
    """Handles one partition for one member, one record at a time."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.busy = False
        self.stopping = False


class MemoryConsumer:
    def __init__(
        self,
        bus: MemoryBus,
        group: _Group,
        topics: tuple[str, ...],
        handler: Handler,
        retry: RetryPolicy,
    ) -> None:
        self.bus = bus
        self._group = group
        self.topics = topics
        self.handler = handler
        self.retry = retry
        self.member_id = next(_member_ids)
        self._workers: dict[TopicPartition, _Worker] = {}

    @property
    def group(self) -> str:
        return self._group.name

    @property
    def assigned(self) -> set[TopicPartition]:
        return set(self._workers)

    async def start(self) -> None:
        async with self._group.lock:
            self._group.members[self.member_id] = self
            await self.bus._rebalance(self._group)

    async def stop(self) -> None:
        async with self._group.lock:
            if self._group.members.pop(self.member_id, None) is None:
                return
            await self._revoke(self.assigned)
            await self.bus._rebalance(self._group)

    async def abort(self) -> None:
        async with self._group.lock:
            if self._group.members.pop(self.member_id, None) is None:
                return
            workers = list(self._workers.values())
            self._workers.clear()
            for w in workers:
                if w.task is not None:
                    w.task.cancel()
            for w in workers:
                if w.task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await w.task
            await self.bus._rebalance(self._group)

    def _assign(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            worker = self._workers[tp] = _Worker()
            worker.task = asyncio.create_task(
                self._run(tp, worker), name=f"memory-consumer:{self.group}:{tp[0]}:{tp[1]}"
            )

    async def _revoke(self, partitions: set[TopicPartition]) -> None:
        """Let the record in hand finish (and commit); interrupt only an idle wait."""
        workers = [self._workers.pop(tp) for tp in partitions if tp in self._workers]
        for w in workers:
            w.stopping = True
            if not w.busy and w.task is not None:
                w.task.cancel()
        for w in workers:
            if w.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await w.task

    async def _run(self, tp: TopicPartition, worker: _Worker) -> None:
        partition_log = self.bus._log(*tp)
        failures = 0
        while not worker.stopping:
            offset = max(self._group.committed.get(tp, 0), partition_log.base)
            record = partition_log.get(offset)
            if record is None:
                await partition_log.wait_beyond(offset)
                continue
            worker.busy = True
            try:
                await deliver(
                    record,
                    self.handler,
                    group=self.group,
                    retry=self.retry,
                    publish=self.bus.publish,
                    stats=self.bus.stats,
                )
            except Exception as exc:  # the dead-letter publish failed: keep the record
                failures += 1
                log.warning("redeliver_after_error", topic=tp[0], partition=tp[1], error=str(exc))
                worker.busy = False
                await asyncio.sleep(min(self.retry.max_backoff, 0.05 * 2**failures))
                continue
            failures = 0
            self.bus._commit(self._group, tp, record.offset + 1)
            worker.busy = False
