"""Delivering a composed reply: SMTP (aiosmtplib), Postmark's or SendGrid's HTTP API.

Retries: the HTTP APIs through ProviderApi (429/5xx/timeouts retried, other 4xx final); SMTP
through with_retries (4xx replies and connection failures retried, 5xx final). None of the
three has an idempotency key: the deterministic Message-ID is what makes a duplicate
recognisable, and a retried SMTP send after a lost 250 can deliver twice.

Headers: SMTP sends the composed message as it is. The HTTP APIs build the message themselves
from fields, so every header of ours that is not one of their fields is passed on explicitly
(`CUSTOM_HEADERS`): Postmark's `Headers` [{Name, Value}], SendGrid's `headers` {name: value}.
"""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp
import aiosmtplib

from channels.email.compose import Composed
from channels.email.settings import EmailSettings
from channels.outbound import Answer, ProviderApi, RetrySettings, Transient, with_retries
from router.dispatch import SendFailed

CUSTOM_HEADERS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


class Transport(Protocol):
    name: str

    async def deliver(self, composed: Composed) -> str:
        """The provider's id of the sent message; SendFailed when it will not be sent."""


def _secret(value: Any) -> str:
    return "" if value is None else str(value.get_secret_value())


class SmtpTransport:
    name = "smtp"

    def __init__(self, cfg: EmailSettings, retry: RetrySettings) -> None:
        self.cfg = cfg
        self.retry = retry

    async def _once(self, composed: Composed) -> None:
        cfg = self.cfg
        try:
            await aiosmtplib.send(
                composed.message,
                sender=cfg.from_address,
                recipients=[composed.to],
                hostname=cfg.smtp_host,
                port=cfg.smtp_port,
                username=cfg.smtp_username,
                password=_secret(cfg.smtp_password) or None,
                use_tls=cfg.smtp_use_tls,
                start_tls=cfg.smtp_start_tls,
                validate_certs=cfg.smtp_validate_certs,
                timeout=cfg.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(400 <= code < 500 for code in codes):
                raise Transient(f"SMTP {codes[0]} for the recipient") from None
            raise SendFailed(f"smtp: recipient refused ({codes[0] if codes else '?'})") from None
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise Transient(f"SMTP {exc.code}") from None
            raise SendFailed(f"smtp: {exc.code} {one_line(exc.message)[:120]}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise Transient(f"SMTP connection failed: {type(exc).__name__}") from None

    async def deliver(self, composed: Composed) -> str:
        async def once() -> None:
            await self._once(composed)

        await with_retries(once, provider="smtp", retry=self.retry)
        return composed.message_id


def one_line(value: str) -> str:
    return " ".join(value.split())


def _custom_headers(composed: Composed) -> dict[str, str]:
    """Unfolded values (str of a header object is its value on one line)."""
    return {
        name: str(composed.message[name])
        for name in CUSTOM_HEADERS
        if composed.message[name] is not None
    }


def _bodies(composed: Composed) -> tuple[str, str | None]:
    text_part = composed.message.get_body(("plain",))
    html_part = composed.message.get_body(("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else None
    return str(text), (str(html) if html is not None else None)


def postmark_detail(answer: Answer) -> str:
    body = answer.json()
    if isinstance(body, dict) and "ErrorCode" in body:
        return f"ErrorCode {body.get('ErrorCode')}: {str(body.get('Message', ''))[:120]}"
    return ""


class PostmarkTransport:
    """POST /email (https://postmarkapp.com/developer/api/email-api)."""

    name = "postmark"

    def __init__(self, cfg: EmailSettings, http: aiohttp.ClientSession) -> None:
        self.cfg = cfg
        self.api = ProviderApi(http, "postmark", cfg.retry, error_detail=postmark_detail)

    async def deliver(self, composed: Composed) -> str:
        text, html = _bodies(composed)
        mail = composed.message
        body: dict[str, Any] = {
            "From": str(mail["From"]),
            "To": str(mail["To"]),
            "Subject": str(mail["Subject"]),
            "TextBody": text,
            "Headers": [{"Name": k, "Value": v} for k, v in _custom_headers(composed).items()],
            "MessageStream": self.cfg.postmark_message_stream,
        }
        if html is not None:
            body["HtmlBody"] = html
        if mail["Reply-To"] is not None:
            body["ReplyTo"] = str(mail["Reply-To"])
        answer = await self.api.request(
            "POST",
            self.cfg.postmark_api_base_url.rstrip("/") + "/email",
            json_body=body,
            headers={
                "Accept": "application/json",
                "X-Postmark-Server-Token": _secret(self.cfg.postmark_server_token),
            },
        )
        result = answer.json()
        if not isinstance(result, dict) or result.get("ErrorCode", 0) != 0:
            raise SendFailed(f"postmark: {postmark_detail(answer) or 'unexpected answer'}")
        message_id = result.get("MessageID")
        return str(message_id) if message_id else composed.message_id


def sendgrid_detail(answer: Answer) -> str:
    body = answer.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message", ""))[:120]
    return ""


class SendGridTransport:
    """POST /v3/mail/send (https://www.twilio.com/docs/sendgrid/api-reference/mail-send)."""

    name = "sendgrid"

    def __init__(self, cfg: EmailSettings, http: aiohttp.ClientSession) -> None:
        self.cfg = cfg
        self.api = ProviderApi(http, "sendgrid", cfg.retry, error_detail=sendgrid_detail)

    async def deliver(self, composed: Composed) -> str:
        text, html = _bodies(composed)
        mail = composed.message
        from_header = mail["From"]
        sender = from_header.addresses[0] if from_header is not None else None
        content = [{"type": "text/plain", "value": text}]
        if html is not None:
            content.append({"type": "text/html", "value": html})
        body: dict[str, Any] = {
            "personalizations": [{"to": [{"email": composed.to}]}],
            "from": {
                "email": self.cfg.from_address,
                "name": sender.display_name if sender is not None else "",
            },
            "subject": str(mail["Subject"]),
            "content": content,
            "headers": _custom_headers(composed),
        }
        reply_to = mail["Reply-To"]
        if reply_to is not None:
            body["reply_to"] = {"email": reply_to.addresses[0].addr_spec}
        answer = await self.api.request(
            "POST",
            self.cfg.sendgrid_api_base_url.rstrip("/") + "/v3/mail/send",
            json_body=body,
            headers={"Authorization": f"Bearer {_secret(self.cfg.sendgrid_api_key)}"},
        )
        found = (v for k, v in answer.headers.items() if k.lower() == "x-message-id")
        return next(found, None) or composed.message_id
