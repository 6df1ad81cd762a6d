"""Handle one record: retry the handler, then dead-letter it. Shared by both buses.

Nothing is dropped: when even the dead-letter publish fails, the error propagates and the
consumer must not commit past this record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

import structlog
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from router.bus.base import (
    H_DLQ_ATTEMPTS,
    H_DLQ_ERROR,
    H_DLQ_FAILED_AT,
    H_DLQ_GROUP,
    H_DLQ_OFFSET,
    H_DLQ_PARTITION,
    H_DLQ_TOPIC,
    BusStats,
    Handler,
    PermanentError,
    Record,
    RetryPolicy,
)
from router.bus.topics import DLQ

log = structlog.get_logger(__name__)

Publish = Callable[[str, str, bytes, Mapping[str, str]], Awaitable[None]]

MAX_ERROR_CHARS = 2000


def _retryable(exc: BaseException) -> bool:
    """Ordinary errors are retried; cancellation and PermanentError are not."""
    return isinstance(exc, Exception) and not isinstance(exc, PermanentError)


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS]


async def deliver(
    record: Record,
    handler: Handler,
    *,
    group: str,
    retry: RetryPolicy,
    publish: Publish,
    stats: BusStats,
) -> None:
    """Run `handler` until it succeeds or `retry.max_attempts` is spent, then dead-letter."""
    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(retry.max_attempts),
            wait=wait_random_exponential(multiplier=retry.initial_backoff, max=retry.max_backoff),
            retry=retry_if_exception(_retryable),
            reraise=False,
        ):
            with attempt:
                attempts += 1
                if attempts > 1:
                    stats.retried += 1
                await handler(record)
        stats.handled += 1
        return
    except RetryError as exc:
        error: BaseException = exc.last_attempt.exception() or exc
    except PermanentError as exc:
        error = exc
    await dead_letter(record, error, attempts=attempts, group=group, publish=publish, stats=stats)


async def dead_letter(
    record: Record,
    error: BaseException,
    *,
    attempts: int,
    group: str,
    publish: Publish,
    stats: BusStats,
) -> None:
    headers = dict(record.headers)
    headers.update(
        {
            H_DLQ_TOPIC: record.topic,
            H_DLQ_PARTITION: str(record.partition),
            H_DLQ_OFFSET: str(record.offset),
            H_DLQ_GROUP: group,
            H_DLQ_ERROR: describe(error),
            H_DLQ_ATTEMPTS: str(attempts),
            H_DLQ_FAILED_AT: datetime.now(UTC).isoformat(),
        }
    )
    await publish(DLQ, record.key, record.value, headers)
    stats.dead_lettered += 1
    stats.dead_letter_by_topic[record.topic] = stats.dead_letter_by_topic.get(record.topic, 0) + 1
    log.error(
        "dead_lettered",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        group=group,
        attempts=attempts,
        error=describe(error),
    )
