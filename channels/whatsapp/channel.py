"""WhatsApp through the Cloud API (Meta hosts it; no on-premises client).

Inbound: `GET /webhooks/whatsapp` (handshake) and `POST /webhooks/whatsapp` (signed
notifications: messages and statuses, batched). Outbound: `POST {graph}/{version}/
{phone_number_id}/messages` with the access token as a Bearer header, to the number the
customer wrote to (from the route), honouring the 24-hour customer-service window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
from channels.meta.settings import credentials
from channels.meta.text import split_text
from channels.webhook import webhook
from channels.whatsapp.parse import NAME, PROVIDER, parse
from channels.whatsapp.payload import WhatsAppPayload
from channels.whatsapp.send import (
    TEXT_MAX_CHARS,
    free_form,
    inside_window,
    template_body,
)
from channels.whatsapp.settings import WhatsAppSettings
from router.dispatch import SendFailed, SendResult
from router.events import OutboundMessage
from router.reply.formats import Format
from router.store import channel_state

log = structlog.get_logger(__name__)

OBJECT = "whatsapp_business_account"
GRAPH_ID = re.compile(r"[0-9]{1,32}")  # it becomes part of the URL path
PATH = f"/webhooks/{NAME}"


class SentId(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str


class SendAnswer(BaseModel):
    """`{"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid…"}]}`"""

    model_config = ConfigDict(extra="ignore")

    messages: list[SentId] = Field(default_factory=list)


class WhatsAppChannel:
    name = NAME
    reply_format: Format = "messaging"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = WhatsAppSettings.model_validate(dict(ctx.config))
        self.creds = credentials(self.cfg, NAME)
        self.graph = GraphApi(
            ctx.http,
            provider=PROVIDER,
            base_url=self.cfg.graph_base_url,
            version=self.cfg.api_version,
            access_token=self.creds.access_token,
            retry=self.cfg.retry,
        )
        if self.cfg.template_name is None:
            log.info("whatsapp_no_template", effect="replies outside the 24-hour window fail")

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        return [
            web.get(PATH, handshake(NAME, self.ctx.ingest, self.creds.verify_token)),
            web.post(PATH, webhook(NAME, self.ctx.ingest)(self.receive)),
        ]

    async def receive(self, request: web.Request) -> web.StreamResponse:
        data = await read_update(request, self.creds.app_secret)
        if envelope(data, OBJECT, NAME) is None:
            return acknowledged(ignored=True)
        parsed = parse(
            validate(WhatsAppPayload, data),
            now=self.ctx.clock(),
            max_bytes=self.ctx.settings.max_message_bytes,
            media_root=self.graph.root,
        )
        accepted = await self.ctx.ingest.accept_all(parsed.messages)
        await record_receipts(self.ctx.db, NAME, parsed.receipts)
        return acknowledged(accepted)

    async def send(self, message: OutboundMessage) -> SendResult:
        to = message.route.get("to") or message.recipient.id
        phone_number_id = message.route.get("phone_number_id", "")
        if not GRAPH_ID.fullmatch(phone_number_id):
            raise SendFailed(f"{NAME}: no phone_number_id in the route")
        contact = await channel_state.contact(self.ctx.db, NAME, to)
        if inside_window(contact.last_inbound_at, self.ctx.clock()):
            parts = split_text(message.text, TEXT_MAX_CHARS)
            if not parts:
                raise SendFailed(f"{NAME}: the reply is empty")
            bodies = free_form(to, parts, message.quick_replies, preview_url=self.cfg.preview_url)
        else:
            bodies = [template_body(to, message.text, self.cfg)]
        wamid: str | None = None
        for body in bodies:
            wamid = _wamid(await self.graph.post(f"{phone_number_id}/messages", body))
        log.info(
            "whatsapp_sent",
            event_id=message.event_id,
            parts=len(bodies),
            kind=bodies[-1]["type"],
        )
        return SendResult(provider_message_id=wamid)

    async def close(self) -> None:
        """The HTTP session is shared and closed by the service."""


def _wamid(answer: Any) -> str | None:
    try:
        sent = SendAnswer.model_validate(answer).messages
    except ValidationError:
        sent = []
    if not sent:
        log.warning("whatsapp_send_answer_unreadable")
        return None
    return sent[0].id
