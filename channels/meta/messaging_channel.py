"""One implementation for Messenger and Instagram; each package subclasses it with its Spec.

Inbound: `GET /webhooks/<name>` (handshake) and `POST /webhooks/<name>` (signed events).
Outbound: `POST {graph}/{version}/me/messages` with the Page (or Instagram) access token as a
Bearer header. `/me` is the token's own Page/account, which is right for both products (an
Instagram entry id is not the Page id the `/{page_id}/messages` form would need). A text over
the product's limit (Messenger 2,000 characters, Instagram 1,000 bytes) goes as several
messages, split at lines or words, the quick replies on the last; the last one's id is
returned. If a later part fails after an earlier one was sent, a retry of the whole reply
repeats the earlier part: Meta takes no idempotency key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from channels.base import ChannelContext
from channels.meta.graph import GraphApi
from channels.meta.handshake import handshake
from channels.meta.inbound import (
    acknowledged,
    envelope,
    read_update,
    record_receipts,
    validate,
)
from channels.meta.messaging_parse import Spec, parse
from channels.meta.messaging_payload import MessagingPayload
from channels.meta.messaging_send import messaging_type, quick_replies, send_body
from channels.meta.settings import MetaSettings, credentials
from channels.meta.text import Limit
from channels.webhook import webhook
from router.dispatch import SendFailed, SendResult
from router.events import OutboundMessage
from router.reply.formats import Format
from router.store import channel_state

log = structlog.get_logger(__name__)


class SendAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recipient_id: str | None = None
    message_id: str | None = None


class MessagingChannel:
    """Subclasses set `name`, `spec` and `text_limit`."""

    name: str
    spec: ClassVar[Spec]
    text_limit: ClassVar[Limit]
    reply_format: Format = "messaging"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = MetaSettings.model_validate(dict(ctx.config))
        self.creds = credentials(self.cfg, self.name)
        self.graph = GraphApi(
            ctx.http,
            provider=self.spec.provider,
            base_url=self.cfg.graph_base_url,
            version=self.cfg.api_version,
            access_token=self.creds.access_token,
            retry=self.cfg.retry,
        )
        self.path = f"/webhooks/{self.name}"

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        return [
            web.get(self.path, handshake(self.name, self.ctx.ingest, self.creds.verify_token)),
            web.post(self.path, webhook(self.name, self.ctx.ingest)(self.receive)),
        ]

    async def receive(self, request: web.Request) -> web.StreamResponse:
        data = await read_update(request, self.creds.app_secret)
        if envelope(data, self.spec.object, self.name) is None:
            return acknowledged(ignored=True)
        payload = validate(MessagingPayload, data)
        parsed = parse(
            payload,
            self.spec,
            now=self.ctx.clock(),
            max_bytes=self.ctx.settings.max_message_bytes,
        )
        accepted = await self.ctx.ingest.accept_all(parsed.messages)
        await record_receipts(self.ctx.db, self.name, parsed.receipts)
        return acknowledged(accepted)

    async def send(self, message: OutboundMessage) -> SendResult:
        user = message.route.get(self.spec.user_key) or message.recipient.id
        contact = await channel_state.contact(self.ctx.db, self.name, user)
        window = messaging_type(contact.last_inbound_at, self.ctx.clock(), message.author)
        parts = self.text_limit.split(message.text)
        if not parts:
            raise SendFailed(f"{self.name}: the reply is empty")
        replies = quick_replies(message.quick_replies)
        message_id: str | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            body = send_body(user, part, window, replies if last else None)
            message_id = _message_id(await self.graph.post("me/messages", body))
        log.info(
            "meta_sent",
            channel=self.name,
            event_id=message.event_id,
            parts=len(parts),
            message_type=window["messaging_type"],
        )
        return SendResult(provider_message_id=message_id)

    async def close(self) -> None:
        """The HTTP session is shared and closed by the service."""


def _message_id(answer: Any) -> str | None:
    try:
        return SendAnswer.model_validate(answer).message_id
    except ValidationError:
        log.warning("meta_send_answer_unreadable")
        return None
