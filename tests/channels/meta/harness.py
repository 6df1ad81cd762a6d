"""Test pieces the Meta channel tests share: a fake Graph API on 127.0.0.1, a bus that keeps
what was published, a settable clock, and a channel served on a local port."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from channels.base import ChannelContext
from channels.meta.signature import sign
from router.dispatch import SendResult
from router.events import OutboundMessage, Party
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.helpers import Clock as BaseClock
from tests.helpers import RecordingBus, local_server

APP_SECRET = "app_secret_123"
VERIFY_TOKEN = "verify-me-please"
ACCESS_TOKEN = "EAAG-test-access-token"
API_VERSION = "v21.0"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
FAST_RETRY = {"attempts": 3, "backoff_s": 0.01, "max_backoff_s": 0.02, "timeout_s": 2.0}


class Clock(BaseClock):
    """The injected clock, at NOW unless told otherwise."""

    def __init__(self, now: datetime = NOW) -> None:
        super().__init__(now)


# --- the fake Graph API -------------------------------------------------------------------------


def graph_error(
    message: str,
    code: int,
    subcode: int | None = None,
    type_: str = "OAuthException",
    status: int = 400,
    headers: Mapping[str, str] | None = None,
) -> Callable[[], web.Response]:
    """A Graph API error answer, shaped as Meta sends it."""
    error: dict[str, Any] = {
        "message": message,
        "type": type_,
        "code": code,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return lambda: web.json_response({"error": error}, status=status, headers=headers)


@dataclass
class Sent:
    path: str
    body: dict[str, Any]
    authorization: str | None


@dataclass
class FakeGraph:
    """`POST /{version}/{phone_number_id}/messages` (WhatsApp) and `POST /{version}/me/messages`
    (Messenger, Instagram): checks the Bearer token, records each body, answers like Meta (or
    with the scripted answers, one per request)."""

    token: str = ACCESS_TOKEN
    sent: list[Sent] = field(default_factory=list)
    script: list[Callable[[], web.Response]] = field(default_factory=list)
    counter: int = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post(f"/{API_VERSION}/{{node}}/messages", self.handle)]

    async def handle(self, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization")
        if authorization != f"Bearer {self.token}":
            return graph_error("Invalid OAuth access token.", 190, status=401)()
        body = await request.json()
        self.sent.append(Sent(request.path, body, authorization))
        if self.script:
            return self.script.pop(0)()
        self.counter += 1
        node = request.match_info["node"]
        if node == "me":
            return web.json_response(
                {"recipient_id": body["recipient"]["id"], "message_id": f"m_fake{self.counter}"}
            )
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.FAKE{self.counter}"}],
            }
        )


@contextlib.asynccontextmanager
async def fake_graph(graph: FakeGraph | None = None) -> AsyncIterator[tuple[FakeGraph, str]]:
    """The fake on a free port, and the graph_base_url that points at it."""
    graph = graph or FakeGraph()
    async with local_server(*graph.routes()) as server:
        yield graph, str(server.make_url("")).rstrip("/")


# --- a channel on a local port ------------------------------------------------------------------


class AnyChannel(Protocol):
    def routes(self) -> Iterable[web.AbstractRouteDef]: ...

    async def send(self, message: OutboundMessage) -> SendResult: ...


@dataclass
class Rig:
    """One channel with its context, its bus, and (once served) its base URL."""

    ctx: ChannelContext
    bus: RecordingBus
    metrics: Metrics
    clock: Clock
    url: str = ""

    def rejected(self, channel: str, reason: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "wismo_inbound_rejected_total", {"channel": channel, "reason": reason}
        )
        return value or 0.0


async def make_rig(
    db: Database,
    http: aiohttp.ClientSession,
    config: Mapping[str, Any],
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> Rig:
    bus = RecordingBus()
    await bus.start()
    metrics = Metrics()
    clock = clock or Clock()
    ctx = ChannelContext(
        settings=settings or Settings(),
        config=config,
        ingest=Ingest(bus, metrics, db, clock),
        db=db,
        feed=ConversationFeed(),
        clock=clock,
        http=http,
    )
    return Rig(ctx, bus, metrics, clock)


@contextlib.asynccontextmanager
async def serve(channel: AnyChannel) -> AsyncIterator[str]:
    """The channel's routes on a free port; yields the base URL."""
    route_defs = [r for r in channel.routes() if isinstance(r, web.RouteDef)]
    async with local_server(*route_defs) as server:
        yield str(server.make_url("")).rstrip("/")


def body_of(payload: Any) -> bytes:
    """JSON as Meta writes it: compact, non-ASCII escaped as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":")).encode("ascii")


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret.encode(), body)}


async def post(
    http: aiohttp.ClientSession,
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    """POST a correctly signed payload (or raw bytes with the headers given)."""
    body = payload if isinstance(payload, bytes) else body_of(payload)
    async with http.post(url, data=body, headers=headers or signed(body)) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


def outbound(
    channel: str,
    text: str,
    route: dict[str, str],
    *,
    recipient: str,
    quick_replies: list[str] | None = None,
    author: str = "bot",
    event_id: str = "reply:x:1",
) -> OutboundMessage:
    return OutboundMessage(
        event_id=event_id,
        occurred_at=NOW,
        conversation_key=f"{channel}:test",
        channel=channel,
        provider="meta",
        recipient=Party(id=recipient),
        route=route,
        text=text,
        quick_replies=quick_replies or [],
        author="human" if author == "human" else "bot",
    )
