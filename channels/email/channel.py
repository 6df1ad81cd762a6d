"""The e-mail channel: four inbound routes (SendGrid Parse, Mailgun, Postmark, raw MIME), one
outbound transport (SMTP, Postmark or SendGrid), replies threaded into the customer's mail.

Routes (each mounted only when its credentials are configured):
  POST /webhooks/email/sendgrid[/<token>]   SendGrid Inbound Parse: path token and/or basic auth
  POST /webhooks/email/mailgun[/mime]       Mailgun forward(): HMAC signature, window, replay
  POST /webhooks/email/postmark             Postmark inbound: basic auth
  POST /webhooks/email/mime                 message/rfc822 from an MTA: basic auth or bearer
  GET|POST /unsubscribe/email               a notice's unsubscribe link (unsubscribe_page.py)
Auth is checked before the body is read (a stranger's 25 MB is not read); then the body is read
once, parsed into a Mail, and a mail that must not be answered (auto-reply, bounce, list, our
own) is acknowledged 200, counted in wismo_inbound_rejected_total{reason=<kind>} and dropped.

Opt-outs, as SMS STOP: an UNSUBSCRIBE mail, the link's one-click POST or its page's button
opt the address out, and from then on `send` suppresses every mail to it, answers to the
customer's own questions included, until a SUBSCRIBE mail (from a sender the provider vouches
for) opts it back in. Proactive notices (no inbound message) carry the unsubscribe links.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiohttp import web

from channels.base import ChannelContext, ChannelDisabled
from channels.email import threads, unsubscribe
from channels.email.compose import compose, proactive, recipient
from channels.email.form import parse_form
from channels.email.inbound import NAME, Accepted, Ignored, Subscription, to_inbound
from channels.email.mailgun import ReplayGuard, parse_mailgun
from channels.email.mailgun import verify as verify_mailgun
from channels.email.model import Mail
from channels.email.postmark import parse_postmark
from channels.email.raw import parse_raw
from channels.email.sendgrid import parse_sendgrid
from channels.email.settings import EmailSettings
from channels.email.transports import (
    PostmarkTransport,
    SendGridTransport,
    SmtpTransport,
    Transport,
)
from channels.email.unsubscribe_page import UnsubscribePage
from channels.webhook import Rejected, basic_auth_ok, read_body, same_secret, webhook
from router.dispatch import SendFailed, SendResult
from router.events import OutboundMessage
from router.reply.formats import Format
from router.store import channel_state

log = structlog.get_logger(__name__)

MIME_TYPES = frozenset({"message/rfc822", "text/plain", "application/octet-stream"})


def _unauthorized() -> Rejected:
    return Rejected(401, "unauthorized", "Missing or wrong credentials.")


class EmailChannel:
    name = NAME
    reply_format: Format = "email"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = EmailSettings.model_validate(dict(ctx.config))
        cfg = self.cfg
        transport = cfg.chosen_transport()
        if not cfg.inbound_enabled and transport is None:
            raise ChannelDisabled("no inbound provider credentials and no outbound transport")
        self.transport: Transport | None = None
        if transport == "smtp":
            self.transport = SmtpTransport(cfg, cfg.retry)
        elif transport == "postmark":
            self.transport = PostmarkTransport(cfg, ctx.http)
        elif transport == "sendgrid":
            self.transport = SendGridTransport(cfg, ctx.http)
        self.replays = ReplayGuard()
        self.from_name = cfg.from_name or ctx.settings.brand.name
        self.languages = tuple(cfg.quote_languages)
        self.trusted_ids = frozenset(cfg.trusted_authserv_ids)
        # Mail to our own address reaches us only through an inbound route.
        self.inbound_address = cfg.from_address if cfg.inbound_enabled else None
        self.unsubscribe_page: UnsubscribePage | None = None
        if cfg.unsubscribe_secret is not None:
            self.unsubscribe_page = UnsubscribePage(
                db=ctx.db,
                clock=ctx.clock,
                secret=cfg.unsubscribe_secret.get_secret_value(),
                brand=self.from_name,
                inbound=self.inbound_address,
            )

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        guard = webhook(NAME, self.ctx.ingest)
        routes: list[web.AbstractRouteDef] = []
        if self.cfg.sendgrid_enabled:
            routes.append(web.post("/webhooks/email/sendgrid", guard(self.sendgrid)))
            routes.append(web.post("/webhooks/email/sendgrid/{token}", guard(self.sendgrid)))
        if self.cfg.mailgun_enabled:
            routes.append(web.post("/webhooks/email/mailgun", guard(self.mailgun)))
            routes.append(web.post("/webhooks/email/mailgun/mime", guard(self.mailgun)))
        if self.cfg.postmark_enabled:
            routes.append(web.post("/webhooks/email/postmark", guard(self.postmark)))
        if self.cfg.mime_enabled:
            routes.append(web.post("/webhooks/email/mime", guard(self.mime)))
        if self.unsubscribe_page is not None:
            page = self.unsubscribe_page
            routes.append(web.get(unsubscribe.PATH, guard(page.show)))
            routes.append(web.post(unsubscribe.PATH, guard(page.confirm)))
        return routes

    async def close(self) -> None:
        """Nothing held open: SMTP connects per message, the HTTP session is shared."""

    # -- inbound ---------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> bytes:
        """The raw body, read once, up to the e-mail limit (mails carry attachments)."""
        return await read_body(request.clone(client_max_size=self.cfg.max_body_bytes))

    async def sendgrid(self, request: web.Request) -> web.StreamResponse:
        cfg = self.cfg
        if cfg.sendgrid_parse_token is not None and not same_secret(
            request.match_info.get("token"), cfg.sendgrid_parse_token.get_secret_value()
        ):
            raise _unauthorized()
        if cfg.sendgrid_parse_password is not None and not basic_auth_ok(
            request, cfg.sendgrid_parse_user or "", cfg.sendgrid_parse_password.get_secret_value()
        ):
            raise _unauthorized()
        body = await self._body(request)
        return await self._ingest(
            parse_sendgrid(parse_form(request.headers.get("Content-Type"), body))
        )

    async def mailgun(self, request: web.Request) -> web.StreamResponse:
        key = self.cfg.mailgun_signing_key
        assert key is not None  # the route is mounted only with a key
        body = await self._body(request)
        form = parse_form(request.headers.get("Content-Type"), body)
        token, until = verify_mailgun(
            form, key.get_secret_value(), self.ctx.clock(), self.cfg.mailgun_max_age_s, self.replays
        )
        response = await self._ingest(parse_mailgun(form))
        self.replays.remember(token, until)
        return response

    async def postmark(self, request: web.Request) -> web.StreamResponse:
        password = self.cfg.postmark_inbound_password
        assert password is not None
        if not basic_auth_ok(
            request, self.cfg.postmark_inbound_user or "", password.get_secret_value()
        ):
            raise _unauthorized()
        body = await self._body(request)
        if request.content_type != "application/json":
            raise Rejected(415, "unsupported_media_type", "Expected application/json.")
        return await self._ingest(parse_postmark(body))

    async def mime(self, request: web.Request) -> web.StreamResponse:
        cfg = self.cfg
        allowed = False
        if cfg.mime_password is not None:
            allowed = basic_auth_ok(
                request, cfg.mime_user or "", cfg.mime_password.get_secret_value()
            )
        if not allowed and cfg.mime_bearer_token is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            allowed = scheme.lower() == "bearer" and same_secret(
                given.strip(), cfg.mime_bearer_token.get_secret_value()
            )
        if not allowed:
            raise _unauthorized()
        body = await self._body(request)
        if request.content_type not in MIME_TYPES:
            raise Rejected(415, "unsupported_media_type", "Expected message/rfc822.")
        if not body.strip():
            raise Rejected(400, "bad_mail", "The body is empty.")
        return await self._ingest(parse_raw(body, self.trusted_ids))

    async def _ingest(self, mail: Mail) -> web.Response:
        now = self.ctx.clock()
        result = await to_inbound(
            mail,
            db=self.ctx.db,
            now=now,
            own_address=self.cfg.from_address,
            languages=self.languages,
            max_bytes=self.ctx.settings.max_message_bytes,
        )
        if isinstance(result, Ignored):
            self.ctx.ingest.ignore(NAME, result.reason)
            log.info("email_not_answered", provider=mail.provider, reason=result.reason)
            return web.json_response({"accepted": 0, "ignored": result.reason})
        if isinstance(result, Subscription):
            return await self._subscription(mail, result)
        assert isinstance(result, Accepted)
        new = await self.ctx.ingest.accept_all([result.message])
        await threads.remember(
            self.ctx.db,
            result.reply_address,
            [result.message_id],
            result.message.conversation_key,
            now,
        )
        log.info(
            "email_received",
            provider=mail.provider,
            event_id=result.message.event_id,
            new=bool(new),
            attachments=mail.attachments,
            verified_sender=result.message.sender.email is not None,
        )
        return web.json_response({"accepted": new})

    async def _subscription(self, mail: Mail, request: Subscription) -> web.Response:
        """Store the opt-out/-in before the provider gets its 2xx; a retry of the same mail
        changes nothing again (a later opposite keyword is not undone by it). Opting in needs
        a sender the provider vouches for: anyone can write any From, and a forged SUBSCRIBE
        must not undo a customer's unsubscribe. Nothing reaches the bus."""
        db = self.ctx.db
        changed = False
        if request.allowed and not await channel_state.is_received(db, request.event_id):
            now = self.ctx.clock()
            changed = await unsubscribe.set_opted_out(db, request.address, request.opt_out, now)
            await channel_state.record_received(db, request.event_id, NAME, now)
        self.ctx.ingest.ignore(NAME, request.reason)
        log.info("email_keyword", provider=mail.provider, keyword=request.reason, changed=changed)
        return web.json_response({"accepted": 0, "ignored": request.reason})

    # -- outbound --------------------------------------------------------------------------

    def _links(self, message: OutboundMessage, to: str) -> unsubscribe.Links | None:
        """A proactive message's unsubscribe links; None for an answer, or when they cannot
        be made (then the log says why)."""
        if not proactive(message):
            return None
        secret, base = self.cfg.unsubscribe_secret, self.cfg.public_base_url
        if secret is None or base is None:
            unset = [
                name
                for name, value in (("unsubscribe_secret", secret), ("public_base_url", base))
                if value is None
            ]
            log.warning("email_notice_without_unsubscribe", event_id=message.event_id, unset=unset)
            return None
        links = unsubscribe.links(base, secret.get_secret_value(), to, self.inbound_address)
        if links is None:
            log.warning(
                "email_notice_without_unsubscribe", event_id=message.event_id, unset="too_long"
            )
        return links

    async def send(self, message: OutboundMessage) -> SendResult:
        if self.transport is None or self.cfg.from_address is None:
            raise SendFailed("email: no outbound transport is configured")
        to = recipient(message)
        if (await channel_state.contact(self.ctx.db, NAME, to)).opted_out:
            log.info("email_suppressed_opted_out", event_id=message.event_id)
            return SendResult(status="suppressed")
        composed = compose(
            message,
            from_address=self.cfg.from_address,
            from_name=self.from_name,
            now=self.ctx.clock(),
            plus_reply_to=self.cfg.plus_address_reply_to,
            unsubscribe=self._links(message, to),
        )
        # Linked before sending: a reply that arrives fast still finds its conversation, and a
        # failure to link can never cause a second send.
        refs = [composed.message_id]
        if composed.plus_token:
            refs.append(f"+{composed.plus_token}")
        await threads.remember(
            self.ctx.db, composed.to, refs, message.conversation_key, self.ctx.clock()
        )
        provider_id = await self.transport.deliver(composed)
        log.info("email_sent", event_id=message.event_id, transport=self.transport.name)
        return SendResult(provider_message_id=provider_id)
