"""Twilio SMS: inbound webhooks (messages and delivery receipts) and replies.

Routes (point Twilio at them):
  POST|GET /webhooks/sms         "A message comes in" (form POST, or GET if so configured)
  POST     /webhooks/sms/status  status callbacks for the messages we send

Each request is verified first (X-Twilio-Signature over the public URL and every parameter).
A message goes to the bus and Twilio gets an empty TwiML `<Response />` once the bus has it;
STOP/START/HELP are answered here instead (see keywords.py) and never reach the bus. A message
with neither text nor media is skipped (logged) and acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import structlog
from aiohttp import web
from multidict import MultiDict
from pydantic import ValidationError
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from channels.base import ChannelContext, ChannelDisabled
from channels.sms import keywords
from channels.sms.parse import NAME, PROVIDER, InboundForm, StatusForm, first_values, to_inbound
from channels.sms.send import TwilioSender
from channels.sms.settings import SmsSettings
from channels.sms.verify import SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, Verifier
from channels.webhook import Rejected, first_error, public_url, read_body, webhook
from router.dispatch import SendResult
from router.events import InboundMessage, OutboundMessage
from router.reply.formats import Format
from router.store import channel_state

log = structlog.get_logger(__name__)

FORM = "application/x-www-form-urlencoded"


def twiml(reply: str | None = None) -> web.Response:
    """Twilio's answer: empty, or one message back to the sender (escaped by the SDK)."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return web.Response(text=str(response), content_type="text/xml")


class TwilioSmsChannel:
    name = NAME
    reply_format: Format = "sms"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = SmsSettings.model_validate(dict(ctx.config))
        if not self.cfg.account_sid:
            raise ChannelDisabled("account_sid is not set")
        if self.cfg.auth_token is None or not self.cfg.auth_token.get_secret_value():
            raise ChannelDisabled("auth_token is not set: webhooks could not be verified")
        shared_key = self.cfg.shared_key.get_secret_value() if self.cfg.shared_key else None
        self.verifier = Verifier(self.cfg.auth_token.get_secret_value(), shared_key)
        self.sender = TwilioSender(self.cfg, ctx.db, ctx.clock)
        hook = webhook(NAME, ctx.ingest)
        self._inbound = hook(self.inbound)
        self._status = hook(self.status)

    def routes(self) -> Iterable[web.RouteDef]:
        return [
            web.post("/webhooks/sms", self._inbound),
            web.get("/webhooks/sms", self._inbound, allow_head=False),
            web.post("/webhooks/sms/status", self._status),
        ]

    async def send(self, message: OutboundMessage) -> SendResult:
        return await self.sender.send(message)

    async def close(self) -> None:
        await self.sender.close()

    # -- inbound ---------------------------------------------------------------------------

    async def _signed_params(self, request: web.Request) -> Mapping[str, str]:
        """The request's parameters, once Twilio's signature over them is checked."""
        await read_body(request)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise Rejected(403, "bad_signature", f"The {SIGNATURE_HEADER} header is missing.")
        signed: Mapping[str, str]
        if request.method == "GET":  # Twilio signs the URL with its query; no body params
            params: Mapping[str, str] = request.query
            signed = {}
        else:
            params = signed = await _form(request)
        url = public_url(request, self.cfg.base_url())
        settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
        if not self.verifier.verify(url, signed, signature, settings):
            raise Rejected(403, "bad_signature", "The signature does not match this request.")
        return params

    async def inbound(self, request: web.Request) -> web.StreamResponse:
        params = await self._signed_params(request)
        try:
            form = InboundForm.model_validate(first_values(params))
        except ValidationError as exc:
            raise Rejected(400, "bad_payload", first_error(exc)) from None
        now = self.ctx.clock()
        opted_out = (
            keywords.depends_on_opt_out(form.body)
            and (await channel_state.contact(self.ctx.db, NAME, form.from_)).opted_out
        )
        keyword = keywords.match(form.body, opted_out=opted_out, opt_out_type=form.opt_out_type)
        if keyword is not None:
            return await self._keyword(form, keyword)
        message = to_inbound(form, params, now, max_bytes=self.ctx.settings.max_message_bytes)
        if message is None:
            log.info("sms_empty_skipped", message_sid=form.message_sid)
            return twiml()
        await self.ctx.ingest.accept_all([message])
        log.info(
            "sms_received",
            message_sid=form.message_sid,
            media=len(message.attachments),
            from_country=form.from_country,
        )
        return twiml()

    async def _keyword(self, form: InboundForm, keyword: keywords.Keyword) -> web.Response:
        """Store the opt-out/-in before Twilio gets its 2xx; a Twilio retry of the same
        message changes nothing again but gets the same answer (the first one was lost)."""
        event_id = InboundMessage.make_id(PROVIDER, form.message_sid)
        if not await channel_state.is_received(self.ctx.db, event_id):
            now = self.ctx.clock()
            if keyword is not keywords.Keyword.HELP:
                opted_out = keyword is keywords.Keyword.STOP
                await channel_state.set_opted_out(self.ctx.db, NAME, form.from_, opted_out, now)
            await channel_state.record_received(self.ctx.db, event_id, NAME, now)
        log.info("sms_keyword", keyword=str(keyword), message_sid=form.message_sid)
        if not self.cfg.keyword_replies:
            return twiml()
        brand = self.ctx.settings.brand
        return twiml(keywords.confirmation(keyword, brand, self.cfg.help_text))

    async def status(self, request: web.Request) -> web.StreamResponse:
        params = await self._signed_params(request)
        try:
            receipt = StatusForm.model_validate(first_values(params))
        except ValidationError as exc:
            raise Rejected(400, "bad_payload", first_error(exc)) from None
        changed = await channel_state.record_provider_status(
            self.ctx.db,
            NAME,
            receipt.message_sid,
            receipt.message_status,
            self.ctx.clock(),
            error=receipt.error_code,
        )
        log.info(
            "sms_status",
            message_sid=receipt.message_sid,
            status=receipt.message_status,
            error_code=receipt.error_code,
            recorded=changed,
        )
        return twiml()


async def _form(request: web.Request) -> MultiDict[str]:
    """The urlencoded body as a MultiDict (repeated names kept: all of them are signed)."""
    if request.content_type != FORM:
        raise Rejected(415, "unsupported_media_type", f"Expected {FORM}.")
    try:
        posted = await request.post()
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "bad_form", "The body is not valid form data.") from None
    except (LookupError, web.HTTPUnsupportedMediaType):
        raise Rejected(415, "unsupported_media_type", "Unknown charset.") from None
    return MultiDict((key, value) for key, value in posted.items() if isinstance(value, str))
