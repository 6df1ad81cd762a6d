"""Test support for the e-mail channel: a real SMTP server (aiosmtpd) on 127.0.0.1, a recording
bus, and the channel mounted on a local aiohttp server."""

from __future__ import annotations

import base64
import contextlib
import email
import email.message
import email.policy
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.base import ChannelContext
from channels.email import EmailChannel
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store import channel_state
from router.store.db import Database
from tests.helpers import RecordingBus

NOW = datetime(2026, 2, 12, 18, 27, 12, tzinfo=UTC)  # 60 s after the Mailgun vector's timestamp

POSTMARK_AUTH = ("postmark", "pm-inbound-secret")
MIME_AUTH = ("mta", "mime-secret")
MIME_BEARER = "mime-bearer-token-123"
SENDGRID_TOKEN = "sg-parse-token-0123456789"
SENDGRID_AUTH = ("sendgrid", "sg-basic-secret")
MAILGUN_KEY = "key-test-signing-key"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


UNSUBSCRIBE_SECRET = "unsubscribe-secret-0123456789"
PUBLIC_BASE_URL = "https://wismo.shop.example"

INBOUND_CONFIG: dict[str, Any] = {
    "from_address": "support@shop.example",
    "postmark_inbound_user": POSTMARK_AUTH[0],
    "postmark_inbound_password": POSTMARK_AUTH[1],
    "mime_user": MIME_AUTH[0],
    "mime_password": MIME_AUTH[1],
    "mime_bearer_token": MIME_BEARER,
    "sendgrid_parse_token": SENDGRID_TOKEN,
    "sendgrid_parse_user": SENDGRID_AUTH[0],
    "sendgrid_parse_password": SENDGRID_AUTH[1],
    "mailgun_signing_key": MAILGUN_KEY,
    "trusted_authserv_ids": ["mx.shop.example"],
}
# Inbound plus unsubscribe links (the routes, and the links in notices once a transport is set).
UNSUBSCRIBE_CONFIG: dict[str, Any] = {
    **INBOUND_CONFIG,
    "unsubscribe_secret": UNSUBSCRIBE_SECRET,
    "public_base_url": PUBLIC_BASE_URL,
}


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class SmtpSink:
    """Accepts every message (or answers the scripted replies first, one per message)."""

    received: list[Received] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.script:
            return self.script.pop(0)
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.received.append(
            Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], parsed)
        )
        return "250 2.0.0 OK"


@contextlib.asynccontextmanager
async def smtp_server() -> AsyncIterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 in this event loop."""
    import asyncio

    sink = SmtpSink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="smtp.test", enable_SMTPUTF8=True), "127.0.0.1", 0
    )
    sink.port = int(server.sockets[0].getsockname()[1])
    try:
        yield sink
    finally:
        server.close()
        await server.wait_closed()


# --- the channel on a local server ------------------------------------------------------------


@dataclass
class Harness:
    channel: EmailChannel
    bus: RecordingBus
    metrics: Metrics
    db: Database
    http: aiohttp.ClientSession
    base: str
    clock: Callable[[], datetime]

    def rejected(self, reason: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "wismo_inbound_rejected_total", {"channel": "email", "reason": reason}
        )
        return value or 0.0

    def ignored(self, reason: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "wismo_inbound_ignored_total", {"channel": "email", "reason": reason}
        )
        return value or 0.0

    async def opted_out(self, address: str) -> bool:
        return (await channel_state.contact(self.db, "email", address)).opted_out

    async def post(
        self, path: str, data: Any = None, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.http.post(self.base + path, data=data, headers=headers) as response:
            body = await response.json(content_type=None)
            return response.status, body


@contextlib.asynccontextmanager
async def harness(
    db: Database,
    config: Mapping[str, Any] | None = None,
    *,
    clock: Callable[[], datetime] = lambda: NOW,
    max_message_bytes: int = 4096,
) -> AsyncIterator[Harness]:
    bus = RecordingBus()
    await bus.start()
    metrics = Metrics()
    settings = Settings(max_message_bytes=max_message_bytes)
    async with aiohttp.ClientSession() as http:
        ctx = ChannelContext(
            settings=settings,
            config=dict(config if config is not None else INBOUND_CONFIG),
            ingest=Ingest(bus, metrics, db, clock),
            db=db,
            feed=ConversationFeed(),
            clock=clock,
            http=http,
        )
        channel = EmailChannel(ctx)
        app = web.Application(client_max_size=1024 * 1024)
        app.add_routes(list(channel.routes()))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            yield Harness(channel, bus, metrics, db, http, str(server.make_url("")), clock)
        finally:
            await channel.close()
            await server.close()
            await bus.stop()
