"""Our own web chat: a page at `/`, a WebSocket for live chat, and an HTTP fallback.

WebSocket protocol (JSON text frames):
  client → server  {"type": "message", "id": "<client message id>", "text": "…"}
                   {"type": "ping"}
  server → client  {"type": "session", "session": "<token>"}            on connect
                   {"type": "ack", "id": "<client message id>"}          once the bus has it,
                                                          always before that message's echo
                   {"type": "message", "seq": n, "id": …, "direction": "in"|"out", "text": …,
                    "links": [{"label", "url"}], "quick_replies": […], "at": iso8601}
                   {"type": "error", "code": …, "message": …, "id": <client id or null>}
                   {"type": "pong"}
Error codes: bad_frame, bad_utf8 (a binary frame that is not UTF-8), empty, too_long,
rate_limited, unavailable. An error frame never closes the connection. A *text* frame that is
not UTF-8 breaks the WebSocket protocol itself: RFC 6455 requires closing that connection
(code 1007), which aiohttp does; the process and every other connection carry on.
`?session=<token>&after=<seq>` resumes a conversation. The rate limit is per session, so a
reconnect does not reset it.

Replies reach the browser from the conversation's mailbox (the messages table): dispatch writes
them there and signals this process; sockets in other processes notice by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterable
from importlib import resources
from typing import Annotated, Any, Literal

import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from channels.base import ChannelContext
from channels.webchat.session import Sessions
from channels.webhook import first_error
from router.bus import BusUnavailable
from router.dispatch import SendResult
from router.events import InboundMessage, OutboundMessage, Party
from router.reply.formats import Format
from router.store import repo
from router.store.models import Message

log = structlog.get_logger(__name__)

NAME = "webchat"
MAX_FRAME_BYTES = 64 * 1024
MAX_TRACKED_SESSIONS = 10_000
STATIC = resources.files("channels.webchat") / "static"


class WebChatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_secret: SecretStr | None = Field(
        default=None, description="HMAC key for visitor sessions; set it when running >1 process"
    )
    messages_per_minute: int = Field(default=20, ge=1)
    poll_interval_s: float = Field(default=2.0, gt=0)


class ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["message"]
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    text: str


class ClientPing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["ping"]


class PostedMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session: str | None = None
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    text: str


ClientFrame = TypeAdapter[ClientMessage | ClientPing](
    Annotated[ClientMessage | ClientPing, Field(discriminator="type")]
)


class Rejected(Exception):
    """A client error: becomes an error frame (WebSocket) or a 4xx (HTTP)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class RateLimit:
    """At most `limit` messages in any 60 s window, per session."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self.sent and now - self.sent[0] > 60:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            return False
        self.sent.append(now)
        return True


def _language(request: web.Request) -> str | None:
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip()
    return first.split("-", 1)[0].lower() or None


def message_frame(row: Message) -> dict[str, Any]:
    payload = row.payload or {}
    return {
        "type": "message",
        "seq": row.seq,
        "id": row.event_id,
        "direction": row.direction,
        "text": row.text,
        "links": payload.get("links", []),
        "quick_replies": payload.get("quick_replies", []),
        "at": row.created_at.isoformat(),
    }


class WebChatChannel:
    name = NAME
    reply_format: Format = "chat"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = WebChatSettings.model_validate(dict(ctx.config))
        secret = self.cfg.session_secret
        if secret is None:
            log.warning(
                "webchat_session_secret_unset", effect="sessions end when the process restarts"
            )
            key = secrets.token_bytes(32)
        else:
            key = secret.get_secret_value().encode()
        self.sessions = Sessions(key)
        self.max_bytes = ctx.settings.max_message_bytes
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._limits: OrderedDict[str, RateLimit] = OrderedDict()

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        return [
            web.get("/", self.page),
            web.get("/webchat/chat.js", self.script),
            web.get("/webchat/ws", self.websocket),
            web.post("/webchat/messages", self.post_message),
            web.get("/webchat/messages", self.get_messages),
        ]

    async def send(self, message: OutboundMessage) -> SendResult:
        """Web chat delivers through the mailbox dispatch records; nothing to call here."""
        return SendResult(provider_message_id=message.event_id)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")

    # -- page ------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        html = html.replace("{{brand}}", _escape(self.ctx.settings.brand.name))
        return web.Response(text=html, content_type="text/html", headers=_SECURITY_HEADERS)

    async def script(self, request: web.Request) -> web.Response:
        js = (STATIC / "chat.js").read_text(encoding="utf-8")
        return web.Response(text=js, content_type="application/javascript")

    # -- shared by both transports ---------------------------------------------------------

    def _inbound(self, sid: str, client_id: str, text: str, language: str | None) -> InboundMessage:
        text = text.strip()
        if not text:
            raise Rejected("empty", "The message is empty.")
        if len(text.encode("utf-8")) > self.max_bytes:
            raise Rejected(
                "too_long", f"The message is longer than {self.max_bytes} bytes.", status=413
            )
        now = self.ctx.clock()
        provider_id = f"{sid}:{client_id}"
        return InboundMessage(
            event_id=InboundMessage.make_id(NAME, provider_id),
            trace_id=uuid.uuid4().hex,
            occurred_at=now,
            channel=NAME,
            provider=NAME,
            provider_message_id=provider_id,
            conversation_key=f"{NAME}:{sid}",
            sender=Party(id=sid),
            text=text,
            language=language,
            received_at=now,
            route={"session": sid},
        )

    async def _accept(self, inbound: InboundMessage) -> None:
        try:
            await self.ctx.ingest.accept(inbound)
        except BusUnavailable as exc:
            raise Rejected(
                "unavailable", "We can't take messages right now; please retry.", status=503
            ) from exc

    # -- WebSocket -------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        self._sockets.add(ws)
        sid = self.sessions.verify(request.query.get("session"))
        if sid is None:
            sid, token = self.sessions.new()
            await ws.send_json({"type": "session", "session": token})
        else:
            await ws.send_json({"type": "session", "session": request.query["session"]})
        after = _int(request.query.get("after"), default=0)
        language = _language(request)
        # A message is acked before its own echo reaches the client: the pusher waits while
        # a frame is being accepted.
        sending = asyncio.Lock()
        pusher = asyncio.create_task(self._push(ws, f"{NAME}:{sid}", after, sending))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    async with sending:
                        await self._on_frame(ws, sid, msg.data, language)
                elif msg.type == WSMsgType.BINARY:
                    try:
                        data = msg.data.decode("utf-8")
                    except UnicodeDecodeError:
                        self.ctx.ingest.reject(NAME, "bad_utf8")
                        await _error(ws, "bad_utf8", "Frames must be UTF-8 JSON.")
                        continue
                    async with sending:
                        await self._on_frame(ws, sid, data, language)
                elif msg.type == WSMsgType.ERROR:
                    log.info("webchat_socket_error", error=str(ws.exception()))
        finally:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
            self._sockets.discard(ws)
        return ws

    async def _on_frame(
        self,
        ws: web.WebSocketResponse,
        sid: str,
        data: str,
        language: str | None,
    ) -> None:
        client_id: str | None = None
        try:
            try:
                frame = ClientFrame.validate_json(data)
            except ValidationError as exc:
                raise Rejected("bad_frame", first_error(exc)) from exc
            if isinstance(frame, ClientPing):
                await ws.send_json({"type": "pong"})
                return
            client_id = frame.id
            inbound = self._inbound(sid, frame.id, frame.text, language)
            self._check_rate(sid)
            await self._accept(inbound)
        except Rejected as exc:
            self._count(exc)
            await _error(ws, exc.code, exc.message, client_id)
            return
        await ws.send_json({"type": "ack", "id": client_id})

    async def _push(
        self, ws: web.WebSocketResponse, key: str, after: int, sending: asyncio.Lock
    ) -> None:
        """Send the conversation's new messages as they are recorded.

        If reading the mailbox fails, the socket is closed so the client reconnects and
        resumes from its cursor, rather than staying open and silently getting nothing.
        """
        cursor = after
        try:
            with self.ctx.feed.listen(key) as changed:
                while not ws.closed:
                    changed.clear()
                    async with sending:
                        rows = await repo.messages_after(self.ctx.db, key, cursor)
                        for row in rows:
                            await ws.send_json(message_frame(row))
                            cursor = row.seq
                    if rows:
                        continue
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.cfg.poll_interval_s):
                            await changed.wait()
        except Exception as exc:
            log.warning("webchat_push_failed", error=f"{type(exc).__name__}: {exc}")
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"please reconnect")

    # -- HTTP fallback ---------------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        try:
            try:
                posted = PostedMessage.model_validate_json(await request.read())
            except ValidationError as exc:
                raise Rejected("bad_request", first_error(exc)) from exc
            sid = self.sessions.verify(posted.session)
            token = posted.session
            if sid is None:
                if posted.session is not None:
                    raise Rejected("bad_session", "Unknown session.", status=401)
                sid, token = self.sessions.new()
            inbound = self._inbound(sid, posted.id, posted.text, _language(request))
            self._check_rate(sid)
            await self._accept(inbound)
        except Rejected as exc:
            self._count(exc)
            headers = {"Retry-After": "5"} if exc.status == 503 else None
            return web.json_response(
                {"error": exc.code, "message": exc.message}, status=exc.status, headers=headers
            )
        return web.json_response({"id": posted.id, "session": token}, status=202)

    def _check_rate(self, sid: str) -> None:
        """Per-session limits shared by both transports, the least recent forgotten first."""
        limit = self._limits.get(sid)
        if limit is None:
            limit = self._limits[sid] = RateLimit(self.cfg.messages_per_minute)
            while len(self._limits) > MAX_TRACKED_SESSIONS:
                self._limits.popitem(last=False)
        self._limits.move_to_end(sid)
        if not limit.allow():
            raise Rejected("rate_limited", "Too many messages; please wait a minute.", 429)

    def _count(self, exc: Rejected) -> None:
        if exc.code != "unavailable":  # Ingest.accept already counted bus_unavailable
            self.ctx.ingest.reject(NAME, exc.code)

    async def get_messages(self, request: web.Request) -> web.Response:
        sid = self.sessions.verify(request.query.get("session"))
        if sid is None:
            return web.json_response(
                {"error": "bad_session", "message": "Unknown session."}, status=401
            )
        after = _int(request.query.get("after"), default=0)
        rows = await repo.messages_after(self.ctx.db, f"{NAME}:{sid}", after)
        return web.json_response({"messages": [message_frame(r) for r in rows]})


_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _int(value: str | None, *, default: int) -> int:
    try:
        return max(0, int(value)) if value is not None else default
    except ValueError:
        return default


async def _error(
    ws: web.WebSocketResponse, code: str, message: str, client_id: str | None = None
) -> None:
    await ws.send_json({"type": "error", "code": code, "message": message, "id": client_id})
