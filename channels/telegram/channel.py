"""Telegram: `POST /webhooks/telegram` takes the bot's updates; replies go out by sendMessage.

Telegram signs nothing: it echoes the secret_token given to setWebhook in the header
X-Telegram-Bot-Api-Secret-Token, compared here in constant time (missing: 401, wrong: 403).
An update is acknowledged only once its message is on the bus; a non-2xx makes Telegram
deliver it again, and the event id (bot, chat, message) makes that retry harmless.

A button press is answered in the webhook response itself (Bot API "making requests when
getting updates"), which stops the button's spinner without a second call. A user who
blocks the bot (a `my_chat_member` update, or a 403 on sending) is marked opted out, and
replies to them are suppressed until they write again or unblock it.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiohttp import web

from channels.base import ChannelContext, ChannelDisabled
from channels.telegram.parse import NAME, Parsed, parse_update, read_update
from channels.telegram.send import FORBIDDEN, BotApi, BotApiError, send_message_params
from channels.telegram.settings import TelegramSettings
from channels.webhook import Rejected, read_body, same_secret, webhook
from router.dispatch import SendFailed, SendResult
from router.events import OutboundMessage
from router.reply.formats import Format
from router.store import channel_state

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
PATH = "/webhooks/telegram"


class TelegramChannel:
    name = NAME
    reply_format: Format = "messaging"

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        self.cfg = TelegramSettings.model_validate(dict(ctx.config))
        if self.cfg.secret_token is None:
            raise ChannelDisabled("no secret_token: webhooks could not be verified")
        if self.cfg.bot_token is None:
            raise ChannelDisabled("no bot_token: replies could not be sent")
        self._secret = self.cfg.secret_token.get_secret_value()
        self._bot_id = self.cfg.bot_id()
        self.api = BotApi(
            ctx.http, self.cfg.bot_token.get_secret_value(), self.cfg.api_base_url, self.cfg.retry
        )

    def routes(self) -> Iterable[web.RouteDef]:
        return [web.post(PATH, webhook(NAME, self.ctx.ingest)(self.receive))]

    async def close(self) -> None:
        """The HTTP session is shared and closed by the service."""

    # -- inbound ---------------------------------------------------------------------------

    async def receive(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            raise Rejected(401, "unauthorized", "The secret token header is missing.")
        if not same_secret(given, self._secret):
            raise Rejected(403, "bad_signature", "The secret token is not valid.")
        if request.content_type != "application/json":
            raise Rejected(415, "unsupported_media_type", "Updates must be application/json.")
        update = read_update(body)
        now = self.ctx.clock()
        parsed = parse_update(
            update, bot_id=self._bot_id, now=now, max_bytes=self.ctx.settings.max_message_bytes
        )
        await self._apply_block(parsed)
        if parsed.message is not None:
            await self._unblocked_by_writing(parsed.message.route["chat_id"])
            new = await self.ctx.ingest.accept_all([parsed.message])
            log.info(
                "telegram_update_accepted",
                update_id=update.update_id,
                event_id=parsed.message.event_id,
                duplicate=not new,
            )
        else:
            log.info("telegram_update_ignored", update_id=update.update_id, reason=parsed.ignored)
        if parsed.callback_query_id is not None:
            return web.json_response(
                {"method": "answerCallbackQuery", "callback_query_id": parsed.callback_query_id}
            )
        return web.Response(status=200)

    async def _apply_block(self, parsed: Parsed) -> None:
        if parsed.blocked is None:
            return
        chat_id, blocked = parsed.blocked
        await channel_state.set_opted_out(self.ctx.db, NAME, chat_id, blocked, self.ctx.clock())
        log.info("telegram_block_changed", chat_id=chat_id, blocked=blocked)

    async def _unblocked_by_writing(self, chat_id: str) -> None:
        """Whoever writes to the bot no longer blocks it, even if we missed the update."""
        state = await channel_state.contact(self.ctx.db, NAME, chat_id)
        if state.opted_out:
            await channel_state.set_opted_out(self.ctx.db, NAME, chat_id, False, self.ctx.clock())

    # -- outbound --------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        chat_id = message.route.get("chat_id")
        if not chat_id:
            raise SendFailed(f"{NAME}: the reply has no chat_id to go to")
        if (await channel_state.contact(self.ctx.db, NAME, chat_id)).opted_out:
            return SendResult(status="suppressed")
        params = send_message_params(chat_id, message.text, message.links, message.quick_replies)
        try:
            result = await self.api.call("sendMessage", params)
        except BotApiError as exc:
            if exc.error_code == FORBIDDEN:
                await channel_state.set_opted_out(
                    self.ctx.db, NAME, chat_id, True, self.ctx.clock()
                )
                log.info("telegram_blocked_by_user", chat_id=chat_id, event_id=message.event_id)
            raise
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return SendResult(provider_message_id=f"{chat_id}:{message_id}" if message_id else None)
