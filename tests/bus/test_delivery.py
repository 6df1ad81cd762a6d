"""Retry, then dead-letter; never drop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from router.bus import BusStats, BusUnavailable, PermanentError, Record, RetryPolicy
from router.bus.delivery import MAX_ERROR_CHARS, deliver

RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.002)
RECORD = Record("wismo.inbound.v1", 2, 41, "conv", b"body", {"event-id": "e1"}, datetime.now(UTC))


class Sink:
    def __init__(self, fail: bool = False) -> None:
        self.records: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.fail = fail

    async def __call__(
        self, topic: str, key: str, value: bytes, headers: Mapping[str, str]
    ) -> None:
        if self.fail:
            raise BusUnavailable("down")
        self.records.append((topic, key, value, dict(headers)))


async def test_success_after_transient_failures_is_not_dead_lettered() -> None:
    calls = 0

    async def flaky(record: Record) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("blip")

    stats, sink = BusStats(), Sink()
    await deliver(RECORD, flaky, group="g", retry=RETRY, publish=sink, stats=stats)
    assert calls == 3
    assert sink.records == []
    assert (stats.handled, stats.retried, stats.dead_lettered) == (1, 2, 0)


async def test_exhausted_retries_dead_letter_with_the_reason() -> None:
    async def broken(record: Record) -> None:
        raise RuntimeError("x" * 5000)

    stats, sink = BusStats(), Sink()
    await deliver(RECORD, broken, group="g", retry=RETRY, publish=sink, stats=stats)
    [(topic, key, value, headers)] = sink.records
    assert (topic, key, value) == ("wismo.dlq.v1", "conv", b"body")
    assert headers["event-id"] == "e1"
    assert headers["dlq-original-topic"] == "wismo.inbound.v1"
    assert headers["dlq-original-partition"] == "2"
    assert headers["dlq-original-offset"] == "41"
    assert headers["dlq-consumer-group"] == "g"
    assert headers["dlq-attempts"] == "4"
    assert headers["dlq-error"].startswith("RuntimeError: xxx")
    assert len(headers["dlq-error"]) == MAX_ERROR_CHARS
    datetime.fromisoformat(headers["dlq-failed-at"])
    assert stats.dead_letter_by_topic == {"wismo.inbound.v1": 1}


async def test_permanent_error_skips_retries() -> None:
    calls = 0

    async def bad(record: Record) -> None:
        nonlocal calls
        calls += 1
        raise PermanentError("undecodable")

    sink = Sink()
    await deliver(RECORD, bad, group="g", retry=RETRY, publish=sink, stats=BusStats())
    assert calls == 1
    assert sink.records[0][3]["dlq-attempts"] == "1"


async def test_when_the_dead_letter_publish_fails_the_error_propagates() -> None:
    async def broken(record: Record) -> None:
        raise RuntimeError("no")

    with pytest.raises(BusUnavailable):
        await deliver(
            RECORD, broken, group="g", retry=RETRY, publish=Sink(fail=True), stats=BusStats()
        )


async def test_cancellation_is_not_retried() -> None:
    calls = 0

    async def slow(record: Record) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(10)

    task = asyncio.create_task(
        deliver(RECORD, slow, group="g", retry=RETRY, publish=Sink(), stats=BusStats())
    )
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == 1
