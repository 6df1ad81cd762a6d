"""The signed JSON API, for custom widgets and help centres that talk to us from their server.

    POST /webhooks/api/messages                                   a customer's message
    GET  /webhooks/api/conversations/{conversation_id}/messages?after=<seq>   the mailbox

Every request is signed (channels/api/signature.py). A new message is answered 202
{"id", "event_id", "duplicate": false} once it is on the bus; the same id again is answered
200 with "duplicate": true and changes nothing (the id is the client's idempotency key, so a
retry after a lost answer is safe; a different text under a used id is ignored too).

Replies are POSTed, signed, to `callback_url` when one is set; either way they are in the
conversation's mailbox, which a client without a public URL polls. The secret is a
server-to-server credential: it can read every conversation, so it must never reach a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import structlog
from aiohttp import web

from channels.api.messages import mailbox_entry, reply_body
from channels.api.parse import NAME, conversation_key, is_client_id, read_posted, to_inbound
from channels.api.send import Callback
from channels.api.settings import ApiSettings
from channels.api.signature import verify
from channels.base import ChannelContext, ChannelDisabled
from channels.webhook import Rejected, read_body, webhook
from router.dispatch import SendResult
from router.events import OutboundMessage
from router.reply.formats import Format
from router.store import repo

log = structlog.get_logger(__name__)

MESSAGES_PATH = "/webhooks/api/messages"
MAILBOX_PATH = "/webhooks/api/conversations/{conversation_id}/messages"
SEQ = re.compile(r"[0-9]{1,18}")


class ApiChannel:
    name = NAME
    reply_format: Format = "chat"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = ApiSettings.model_validate(dict(ctx.config))
        if self.cfg.secret is None:
            raise ChannelDisabled("no secret: requests could not be verified")
        self._secret = self.cfg.secret.get_secret_value().encode("utf-8")
        self.callback = (
            Callback(ctx.http, self.cfg.callback_url, self._secret, self.cfg.retry, ctx.clock)
            if self.cfg.callback_url
            else None
        )

    def routes(self) -> Iterable[web.RouteDef]:
        hook = webhook(NAME, self.ctx.ingest)
        return [
            web.post(MESSAGES_PATH, hook(self.receive)),
            web.get(MAILBOX_PATH, hook(self.mailbox)),
        ]

    async def close(self) -> None:
        """The HTTP session is shared and closed by the service."""

    def _verify(self, request: web.Request, payload: bytes) -> None:
        verify(self._secret, request.headers, payload, self.ctx.clock(), self.cfg.window_s)

    async def receive(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        self._verify(request, body)
        if request.content_type != "application/json":
            raise Rejected(415, "unsupported_media_type", "Messages must be application/json.")
        posted = read_posted(body)
        inbound = to_inbound(
            posted, now=self.ctx.clock(), max_bytes=self.ctx.settings.max_message_bytes
        )
        new = await self.ctx.ingest.accept_all([inbound]) == 1
        log.info("api_message_accepted", event_id=inbound.event_id, duplicate=not new)
        return web.json_response(
            {"id": posted.id, "event_id": inbound.event_id, "duplicate": not new},
            status=202 if new else 200,
        )

    async def mailbox(self, request: web.Request) -> web.StreamResponse:
        """The conversation's messages after `after` (default 0), oldest first, up to 100."""
        await read_body(request)
        self._verify(request, request.raw_path.encode("utf-8"))
        conversation_id = request.match_info["conversation_id"]
        if not is_client_id(conversation_id):
            raise Rejected(400, "bad_request", "conversation_id: 1-128 of A-Z a-z 0-9 _ . : -")
        after = request.query.get("after", "0")
        if not SEQ.fullmatch(after):
            raise Rejected(400, "bad_request", "after: a message seq (a whole number >= 0)")
        rows = await repo.messages_after(self.ctx.db, conversation_key(conversation_id), int(after))
        return web.json_response({"messages": [mailbox_entry(row) for row in rows]})

    async def send(self, message: OutboundMessage) -> SendResult:
        """With a callback URL: POST it there (2xx = delivered). Without: the mailbox that
        dispatch writes is the delivery, as for the web chat."""
        if self.callback is not None:
            await self.callback.post(reply_body(message, self.ctx.clock()), message.event_id)
        return SendResult(provider_message_id=message.event_id)
