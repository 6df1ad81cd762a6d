"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from router.bus import RetryPolicy
from router.bus.memory import MemoryBus
from router.errors import Unavailable
from router.events import InboundMessage, OutboundMessage, Party
from router.ingest import Ingest
from router.settings import KafkaSettings
from router.store import repo
from router.store.db import Database

ROOT = Path(__file__).resolve().parent.parent
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)


def kafka_settings(bootstrap: str) -> KafkaSettings:
    """Short timeouts so rebalances in tests take a second, not ten."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        partitions=3,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        fetch_max_wait_ms=10,
        linger_ms=0,
        publish_timeout_s=5.0,
    )


# What a source may get past by asking again: time-outs, dropped connections, throttling, 5xx.
TRANSIENT = re.compile(
    r"HTTP (429|5\d\d)|THROTTLED|no answer|did not answer|request failed|: [A-Za-z]*Error$"
)


def assert_retry_flag(error: Unavailable) -> None:
    """Transient failures are marked for a retry; everything else (401, 4xx, a payload the
    API never sends) is not, so the time budget is not spent asking again."""
    assert error.retry == bool(TRANSIENT.search(str(error))), str(error)


@contextlib.asynccontextmanager
async def local_server(*routes: web.RouteDef) -> AsyncIterator[TestServer]:
    """A fake provider API on 127.0.0.1, on a free port, for the life of the block."""
    app = web.Application()
    app.add_routes(routes)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


class Clock:
    """The injected clock; tests set or advance it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingBus(MemoryBus):
    """The embedded bus, keeping every inbound message it acknowledged."""

    def __init__(self) -> None:
        super().__init__(partitions=1)
        self.inbound: list[InboundMessage] = []

    async def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> None:
        await super().publish(topic, key, value, headers)
        if headers.get("event-type") == "inbound_message":
            self.inbound.append(InboundMessage.model_validate_json(value))


@dataclass
class RecordingIngest(Ingest):
    """The real Ingest (dedupe, receipts, metrics), remembering what it put on the bus."""

    published: list[InboundMessage] = field(default_factory=list)

    async def accept(self, message: InboundMessage) -> bool:
        new = await super().accept(message)
        if new:
            self.published.append(message)
        return new


def unique_prefix() -> str:
    return f"test{uuid.uuid4().hex[:10]}."


async def sent_reply(
    db: Database,
    *,
    channel: str,
    provider: str,
    conversation_key: str,
    recipient: str,
    provider_message_id: str,
    now: datetime,
) -> OutboundMessage:
    """A reply dispatch has sent through `provider` (its delivery record), for the tests of
    delivery receipts and status callbacks."""
    outbound = OutboundMessage(
        event_id=f"reply:{provider}:{provider_message_id}",
        occurred_at=now,
        conversation_key=conversation_key,
        channel=channel,
        provider=provider,
        recipient=Party(id=recipient),
        text="On its way",
    )
    await repo.record_delivery(
        db, "dispatch", outbound, provider_message_id=provider_message_id, now=now
    )
    return outbound
