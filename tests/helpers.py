"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from router.bus import RetryPolicy
from router.errors import Unavailable
from router.settings import KafkaSettings

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


def unique_prefix() -> str:
    return f"test{uuid.uuid4().hex[:10]}."
