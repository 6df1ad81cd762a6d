"""Twilio, locally: the Messages REST endpoint our SMS channel sends to, and the signed webhook
a customer's text arrives by. Both on 127.0.0.1; nothing leaves the machine.

The fake stamps every message it receives with the simulated time and the idempotency token
the channel sends (`I-Twilio-Idempotency-Token`, the outbound event id): `reply:<inbound id>`
is an answer to a customer's message; anything else is a message we started (a notice).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from router.reply.formats import sms_segments

ACCOUNT_SID = "AC" + hashlib.sha256(b"wismo-simulator").hexdigest()[:32]
FROM_NUMBER = "+14155552671"  # the shop's number (Twilio's documentation example)
MESSAGES = "/2010-04-01/Accounts/{account_sid}/Messages.json"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
FORM = "application/x-www-form-urlencoded"
DATE = "Mon, 02 Mar 2026 00:00:00 +0000"


@dataclass(frozen=True)
class Sent:
    """One SMS the service sent: to whom, what, when (simulated), and which outbound event."""

    to: str
    body: str
    at: datetime
    token: str
    wall: float  # time.perf_counter() on arrival (timing only, never in the report's facts)

    @property
    def reply_to(self) -> str | None:
        """The inbound event id this answers, or None for a message we started."""
        return self.token.removeprefix("reply:") if self.token.startswith("reply:") else None


class FakeTwilio:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.auth_token = secrets.token_hex(16)  # made per run; only this process knows it
        self.sent: list[Sent] = []
        self._taken = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.add_routes([web.post(MESSAGES, self._messages)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = int(self._runner.addresses[0][1])
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def take(self) -> list[Sent]:
        """Messages received since the last call, in a stable order: by time, then content
        (arrival order within one step, and database ids in the tokens, are not stable)."""
        new = self.sent[self._taken :]
        self._taken = len(self.sent)
        return sorted(new, key=lambda s: (s.at, s.to, s.body, s.token))

    async def _messages(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _error(401, 20003, "Authenticate")
        if request.match_info["account_sid"] != ACCOUNT_SID:
            return _error(404, 20404, "The requested resource was not found")
        posted = await request.post()
        form = {k: str(v) for k, v in posted.items()}
        if not form.get("To") or not form.get("Body"):
            return _error(400, 21604, "A 'To' phone number and a 'Body' are required.")
        token = request.headers.get(IDEMPOTENCY_HEADER, "")
        self.sent.append(Sent(form["To"], form["Body"], self.clock(), token, time.perf_counter()))
        sid = "SM" + hashlib.sha256(f"{token}:{len(self.sent)}".encode()).hexdigest()[:32]
        return web.json_response(message_resource(sid, form), status=201)


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


def message_resource(
    sid: str, form: dict[str, str], *, account_sid: str = ACCOUNT_SID, date: str = DATE
) -> dict[str, Any]:
    """The Message resource's JSON, as Twilio answers a create (also the tests' Twilio fake):
    "accepted" when a Messaging Service picks the sender, else "queued"."""
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": form["Body"],
        "date_created": date,
        "date_sent": None,
        "date_updated": date,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": str(sms_segments(form["Body"])),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "accepted" if "From" not in form else "queued",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": form["To"],
        "uri": f"{uri}.json",
    }


def message_sid(order_number: str, count: int) -> str:
    """A stable MessageSid for a customer's `count`-th text about an order."""
    return "SM" + hashlib.sha256(f"{order_number}:{count}".encode()).hexdigest()[:32]


async def text_service(
    http: aiohttp.ClientSession,
    service_url: str,
    auth_token: str,
    *,
    sender: str,
    body: str,
    sid: str,
) -> None:
    """Deliver one SMS to the service the way Twilio does: a signed form POST."""
    params = {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "US",
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    url = service_url.rstrip("/") + "/webhooks/sms"
    signature = RequestValidator(auth_token).compute_signature(url, params)
    headers = {"Content-Type": FORM, "X-Twilio-Signature": signature}
    async with http.post(url, data=urlencode(params), headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"the service refused a text: HTTP {response.status}")
