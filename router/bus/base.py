"""The EventBus contract that the in-memory bus and the Kafka bus both honour.

Semantics (checked by the same contract tests on both implementations):
- `publish` returns only after the bus has acknowledged the record (Kafka: acks=all);
  it raises BusUnavailable when it cannot, so a webhook can answer 503 instead of 2xx.
- Records with the same key land on the same partition and are handled in order.
- Each consumer group gets every record; members of one group split the partitions.
- An offset is committed only after the handler returned (or the record went to the
  dead-letter topic); a consumer that dies before that leaves the record to be redelivered.
- A handler that keeps failing is retried `max_attempts` times, then the record goes to the
  dead-letter topic with the error recorded in its headers, and the partition moves on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class BusUnavailable(Exception):
    """The bus did not acknowledge a publish (broker down, timeout): the caller must not ack."""


class PermanentError(Exception):
    """A record that no retry can fix (undecodable, invalid): straight to the dead-letter topic."""


# Header names carried by every record.
H_EVENT_TYPE = "event-type"
H_SCHEMA_VERSION = "schema-version"
H_EVENT_ID = "event-id"
H_TRACE_ID = "trace-id"
H_CONTENT_TYPE = "content-type"

# Extra headers on dead-lettered records.
H_DLQ_TOPIC = "dlq-original-topic"
H_DLQ_PARTITION = "dlq-original-partition"
H_DLQ_OFFSET = "dlq-original-offset"
H_DLQ_GROUP = "dlq-consumer-group"
H_DLQ_ERROR = "dlq-error"
H_DLQ_ATTEMPTS = "dlq-attempts"
H_DLQ_FAILED_AT = "dlq-failed-at"


@dataclass(frozen=True, slots=True)
class Record:
    """One record as a consumer sees it. `topic` is the logical name (no prefix)."""

    topic: str
    partition: int
    offset: int
    key: str
    value: bytes
    headers: Mapping[str, str]
    timestamp: datetime


Handler = Callable[[Record], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a failing handler is retried before its record is dead-lettered."""

    max_attempts: int = 5
    initial_backoff: float = 0.05
    max_backoff: float = 2.0


@dataclass(slots=True)
class BusStats:
    """Counters the metrics endpoint reads; cheap to keep, no locking needed in asyncio."""

    published: int = 0
    handled: int = 0
    retried: int = 0
    dead_lettered: int = 0
    dead_letter_by_topic: dict[str, int] = field(default_factory=dict)


class Consumer(Protocol):
    """A member of a consumer group, running until stopped."""

    @property
    def group(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Finish in-flight records, commit, leave the group."""

    async def abort(self) -> None:
        """Leave at once without committing (what a crash looks like to the group)."""


class EventBus(Protocol):
    stats: BusStats

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ping(self) -> bool:
        """True when the bus can accept and deliver records right now."""

    async def publish(
        self, topic: str, key: str, value: bytes, headers: Mapping[str, str]
    ) -> None: ...

    def consumer(
        self,
        topics: Sequence[str],
        group: str,
        handler: Handler,
        *,
        retry: RetryPolicy | None = None,
    ) -> Consumer: ...
