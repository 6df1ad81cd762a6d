"""The Telegram channel mounted on a real aiohttp server, with the memory bus behind it."""

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

from channels.base import ChannelContext
from channels.telegram import TelegramChannel
from channels.telegram.channel import SECRET_HEADER
from router.bus.memory import MemoryBus
from router.events import InboundMessage
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.helpers import FAST_RETRY, RecordingIngest, local_server

# From /work/shared/reference/vectors/telegram.json ("self-generated"; scheme from the Bot API
# setWebhook secret_token parameter, https://core.telegram.org/bots/api#setwebhook).
SECRET = "tg-Secret_token-123"
# The example token of the Bot API docs (https://core.telegram.org/bots/api#authorizing-your-bot).
BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
BOT_ID = "123456"
NOW = datetime(2026, 2, 12, 18, 26, 12, tzinfo=UTC)


@dataclass
class Hook:
    channel: TelegramChannel
    server: TestServer
    bus: MemoryBus
    ingest: RecordingIngest
    metrics: Metrics
    db: Database
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return str(self.server.make_url("/webhooks/telegram"))

    @property
    def published(self) -> list[InboundMessage]:
        return self.ingest.published

    async def post(
        self,
        body: bytes | dict[str, Any],
        *,
        token: str | None = SECRET,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        headers = {"Content-Type": content_type}
        if token is not None:
            headers[SECRET_HEADER] = token
        async with self.http.post(self.url, data=data, headers=headers) as response:
            return response.status, await response.read()

    def rejected(self, reason: str) -> float:
        labels = {"channel": "telegram", "reason": reason}
        return self.metrics.registry.get_sample_value("wismo_inbound_rejected_total", labels) or 0.0


HookFactory = Callable[..., Awaitable[Hook]]


def settings(**config: Any) -> dict[str, Any]:
    return {"bot_token": BOT_TOKEN, "secret_token": SECRET, **config}


@pytest.fixture
async def make_hook(
    db: Database, session: aiohttp.ClientSession
) -> AsyncIterator[Callable[..., Awaitable[Hook]]]:
    stack = contextlib.AsyncExitStack()

    async def make(**config: Any) -> Hook:
        bus = MemoryBus(partitions=1, retry=FAST_RETRY)
        await bus.start()
        stack.push_async_callback(bus.stop)
        metrics = Metrics()
        ingest = RecordingIngest(bus, metrics, db, lambda: NOW)
        ctx = ChannelContext(
            settings=Settings(demo=False, channels={}),
            config=settings(**config),
            ingest=ingest,
            db=db,
            feed=ConversationFeed(),
            clock=lambda: NOW,
            http=session,
        )
        channel = TelegramChannel(ctx)
        server = await stack.enter_async_context(local_server(*channel.routes()))
        return Hook(channel, server, bus, ingest, metrics, db, session)

    async with stack:
        yield make


@pytest.fixture
async def hook(make_hook: HookFactory) -> Hook:
    return await make_hook()
