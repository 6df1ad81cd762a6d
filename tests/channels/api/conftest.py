"""The API channel mounted on a real aiohttp server, with the memory bus and a settable clock."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from yarl import URL

from channels.api import ApiChannel
from channels.api.signature import signed_headers
from channels.base import ChannelContext
from router.bus.memory import MemoryBus
from router.events import InboundMessage
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.helpers import FAST_RETRY, RecordingIngest, local_server
from tests.helpers import Clock as BaseClock

SECRET = "wismo-api-test-secret-0001"
NOW = datetime(2026, 2, 12, 18, 26, 12, tzinfo=UTC)  # unix 1770920772


class Clock(BaseClock):
    """The injected clock, at NOW unless told otherwise."""

    def __init__(self, now: datetime = NOW) -> None:
        super().__init__(now)


@dataclass
class Api:
    channel: ApiChannel
    server: TestServer
    bus: MemoryBus
    ingest: RecordingIngest
    metrics: Metrics
    db: Database
    http: aiohttp.ClientSession
    clock: Clock

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def published(self) -> list[InboundMessage]:
        return self.ingest.published

    def signed(
        self, payload: bytes, *, secret: str = SECRET, at: datetime | None = None
    ) -> dict[str, str]:
        return signed_headers(secret.encode(), at or self.clock(), payload)

    async def post(
        self,
        body: bytes | dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """POST /webhooks/api/messages, signed with SECRET now unless `headers` are given."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        sent = {
            "Content-Type": content_type,
            **(headers if headers is not None else self.signed(data)),
        }
        async with self.http.post(self.url("/webhooks/api/messages"), data=data, headers=sent) as r:
            return r.status, await _json(r)

    async def poll(self, path: str, *, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """GET a mailbox path (with its query), signed unless `headers` over the request target
        as it goes on the wire (an HTTP client may normalise the percent-encoding it is given)."""
        url = URL(self.url(path))
        sent = headers if headers is not None else self.signed(url.raw_path_qs.encode())
        async with self.http.get(url, headers=sent) as r:
            return r.status, await _json(r)

    def rejected(self, reason: str) -> float:
        labels = {"channel": "api", "reason": reason}
        return self.metrics.registry.get_sample_value("wismo_inbound_rejected_total", labels) or 0.0


async def _json(response: aiohttp.ClientResponse) -> Any:
    body = await response.read()
    try:
        return json.loads(body) if body else None
    except ValueError:  # the router's own plain-text 404 (no service middleware here)
        return body.decode()


def question(**fields: Any) -> dict[str, Any]:
    return {
        "id": "m-1",
        "conversation_id": "c-1",
        "sender": {"id": "u-1", "name": "Alice Example"},
        "text": "Where is my order #1001? My email is alice@example.com",
        **fields,
    }


ApiFactory = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_api(db: Database, session: aiohttp.ClientSession) -> AsyncIterator[ApiFactory]:
    stack = contextlib.AsyncExitStack()

    async def make(**config: Any) -> Api:
        bus = MemoryBus(partitions=1, retry=FAST_RETRY)
        await bus.start()
        stack.push_async_callback(bus.stop)
        clock = Clock()
        metrics = Metrics()
        ingest = RecordingIngest(bus, metrics, db, clock)
        ctx = ChannelContext(
            settings=Settings(demo=False, channels={}),
            config={"secret": SECRET, **config},
            ingest=ingest,
            db=db,
            feed=ConversationFeed(),
            clock=clock,
            http=session,
        )
        channel = ApiChannel(ctx)
        server = await stack.enter_async_context(local_server(*channel.routes()))
        return Api(channel, server, bus, ingest, metrics, db, session, clock)

    async with stack:
        yield make


@pytest.fixture
async def api(make_api: ApiFactory) -> Api:
    return await make_api()
