"""A local fake of Twilio's Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json).

Request: form fields To, From | MessagingServiceSid, Body, StatusCallback; HTTP Basic
AccountSid:AuthToken. Answers: 201 with the Message resource's JSON, errors as
{"code", "message", "more_info", "status"} — the shapes in Twilio's API reference
(https://www.twilio.com/docs/messaging/api/message-resource, /docs/usage/twilios-response).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy

from router.simulate import fakes as simulated
from tests.helpers import local_server

ACCOUNT_SID = "AC0f3c9e2d8b7a6f5e4d3c2b1a09f8e7d6"
AUTH_TOKEN = "4c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
FROM_NUMBER = "+14155552671"
SERVICE_SID = "MG9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
DATE = "Wed, 04 Mar 2026 12:00:00 +0000"


def error(
    status: int, code: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
        headers=headers,
    )


@dataclass
class Received:
    form: dict[str, str]
    headers: CIMultiDictProxy[str]


@dataclass
class FakeTwilio:
    received: list[Received] = field(default_factory=list)
    # Answers for the next requests, in order (made afresh: a response is sent once).
    script: list[Callable[[], web.Response]] = field(default_factory=list)
    # Seconds to wait before answering the next requests (a provider that does not answer).
    delays: list[float] = field(default_factory=list)

    @property
    def bodies(self) -> list[str]:
        return [r.form.get("Body", "") for r in self.received]

    async def messages(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        if request.match_info["account_sid"] != ACCOUNT_SID:
            return error(404, 20404, "The requested resource was not found")
        posted = await request.post()
        form = {k: str(v) for k, v in posted.items()}
        self.received.append(Received(form, request.headers))
        if self.delays:
            await asyncio.sleep(self.delays.pop(0))
        if self.script:
            return self.script.pop(0)()
        if "To" not in form:
            return error(400, 21604, "A 'To' phone number is required.")
        if "From" not in form and "MessagingServiceSid" not in form:
            return error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return error(400, 21602, "Message body is required.")
        sid = "SM" + secrets.token_hex(16)
        return web.json_response(message_resource(sid, form), status=201)

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/2010-04-01/Accounts/{account_sid}/Messages.json", self.messages)]


def message_resource(sid: str, form: dict[str, str]) -> dict[str, Any]:
    return simulated.message_resource(sid, form, account_sid=ACCOUNT_SID, date=DATE)


@asynccontextmanager
async def running() -> AsyncIterator[tuple[FakeTwilio, str]]:
    """The fake on 127.0.0.1 and its base URL (the channel's api_base_url)."""
    fake = FakeTwilio()
    async with local_server(*fake.routes()) as server:
        yield fake, str(server.make_url("")).rstrip("/")
