"""Replies through Twilio's Messages API with the official client, on the event loop.

`twilio.rest.Client` with an `AsyncTwilioHttpClient` and `messages.create_async`: nothing
blocks. The HTTP client is a thin subclass because the SDK's exceptions do not carry the
response headers: it turns 429/5xx (with their Retry-After), time-outs and dropped connections
into `Transient` for `with_retries`. It also applies our per-request timeout (the SDK's async
client ignores the one it is given), adds the idempotency header, and sends the credentials as
a header (the SDK's `aiohttp.BasicAuth` is deprecated in aiohttp 3.14: a warning). Any other
4xx reaches us as a TwilioRestException and becomes SendFailed with Twilio's error code, except
21610 (the recipient texted STOP to Twilio): that number is marked opted out, the message
suppressed.

Idempotency: Twilio documents no idempotency key for creating a Message. We send
`I-Twilio-Idempotency-Token: <event id>` (an undocumented header integrators use); dispatch's
ledger is what actually keeps a reply from being sent twice.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import aiohttp
import structlog
from twilio.base.exceptions import (  # type: ignore[import-untyped]
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.async_http_client import AsyncTwilioHttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from channels.outbound import Transient, retry_after_seconds, with_retries
from channels.sms.parse import NAME, PROVIDER
from channels.sms.settings import SmsSettings
from router.dispatch import SendFailed, SendResult
from router.events import OutboundMessage
from router.logging import mask
from router.store import channel_state
from router.store.db import Database

log = structlog.get_logger(__name__)

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
UNSUBSCRIBED = 21610  # "Attempt to send to unsubscribed recipient"
SDK_PREFIX = "Unable to create record: "

_idempotency_token: ContextVar[str | None] = ContextVar("twilio_idempotency_token", default=None)


def describe(status: int, code: object, message: str) -> str:
    """`HTTP 400 (21211: The 'To' number … is not valid)`, phone numbers masked."""
    detail = f"{code}: {mask(message)}" if message else str(code)
    return f"HTTP {status} ({detail})"


class TwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's aiohttp client, with our timeout, transient failures and idempotency key."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's signature)
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:  # the SDK's aiohttp.BasicAuth is deprecated in aiohttp 3.14
            credentials = f"{auth[0]}:{auth[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        token = _idempotency_token.get()
        if token:
            headers[IDEMPOTENCY_HEADER] = token
        try:
            response = await super().request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                auth=None,
                timeout=timeout if timeout is not None else self.timeout,
                allow_redirects=allow_redirects,
            )
        except TimeoutError:
            raise Transient(f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise Transient(f"request failed: {type(exc).__name__}") from None
        status = int(response.status_code)
        if status == 429 or status >= 500:
            code, message = _error_of(response.text)
            raise Transient(
                describe(status, code or status, message),
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        return response


def _error_of(text: str) -> tuple[object, str]:
    """Twilio's error JSON: {"code": 21211, "message": "…", "more_info": "…", "status": 400}."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    return body.get("code"), str(body.get("message") or "")


class _Unsubscribed(Exception):
    """Twilio refused: the recipient has opted out on Twilio's side."""


class TwilioSender:
    def __init__(self, cfg: SmsSettings, db: Database, clock: Callable[[], datetime]) -> None:
        assert cfg.account_sid is not None
        assert cfg.auth_token is not None
        self.cfg = cfg
        self.db = db
        self.clock = clock
        self._http: TwilioHttpClient | None = None
        self._client: Any = None

    def _messages(self) -> Any:
        """The client is made on first use (its aiohttp session needs the running loop, and a
        process that never sends, an ingest-only one, never opens it)."""
        if self._client is None:
            self._http = TwilioHttpClient(timeout=self.cfg.retry.timeout_s)
            client = Client(
                self.cfg.account_sid,
                self.cfg.auth_token.get_secret_value() if self.cfg.auth_token else None,
                http_client=self._http,
            )
            # The API domain's own base URL: the fake in tests, a proxy if one is needed.
            client.api.base_url = self.cfg.api_base_url.rstrip("/")
            self._client = client
        return self._client.messages

    def _arguments(self, to: str, message: OutboundMessage) -> dict[str, str]:
        """Reply from the number the customer wrote to (route "from"), else the configured
        one; through their Messaging Service when the message came in through one."""
        arguments = {"to": to, "body": message.text}
        sender = message.route.get("from") or self.cfg.from_number
        service = message.route.get("messaging_service_sid") or self.cfg.messaging_service_sid
        if sender:
            arguments["from_"] = sender
        if service:
            arguments["messaging_service_sid"] = service
        callback = self.cfg.status_callback_url()
        if callback:
            arguments["status_callback"] = callback
        return arguments

    async def send(self, message: OutboundMessage) -> SendResult:
        to = message.route.get("to") or message.recipient.phone or message.recipient.id
        if not to:
            raise SendFailed("twilio: the message has no recipient number")
        if (await channel_state.contact(self.db, NAME, to)).opted_out:
            log.info("sms_suppressed_opted_out", event_id=message.event_id)
            return SendResult(status="suppressed")
        arguments = self._arguments(to, message)
        messages = self._messages()

        async def once() -> Any:
            token = _idempotency_token.set(message.event_id)
            try:
                return await messages.create_async(**arguments)
            except TwilioRestException as exc:
                raise _refusal(int(exc.status), exc.code, str(exc.msg)) from None
            except TwilioServiceException as exc:
                raise _refusal(int(exc.status), exc.code, exc.detail or exc.title) from None
            finally:
                _idempotency_token.reset(token)

        try:
            created = await with_retries(once, provider=PROVIDER, retry=self.cfg.retry)
        except _Unsubscribed:
            await channel_state.set_opted_out(self.db, NAME, to, True, self.clock())
            log.info("sms_recipient_unsubscribed", event_id=message.event_id)
            return SendResult(status="suppressed")
        log.info(
            "sms_sent",
            event_id=message.event_id,
            message_sid=created.sid,
            segments=created.num_segments,
        )
        return SendResult(provider_message_id=str(created.sid))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._client = None


def _refusal(status: int, code: object, message: str) -> Exception:
    """A non-2xx the transport let through (4xx): not retried."""
    if code == UNSUBSCRIBED:
        return _Unsubscribed()
    text = describe(status, code, message.removeprefix(SDK_PREFIX))
    if status == 429 or status >= 500:  # only if an SDK path bypassed our transport
        return Transient(text)
    return SendFailed(f"{PROVIDER}: {text}")
