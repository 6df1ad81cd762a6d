"""A fake Bot API server (https://core.telegram.org/bots/api#making-requests): the token in the
path, JSON in, {"ok": true, "result": …} or {"ok": false, "error_code", "description",
"parameters"} out. Scripted answers let a test play 429s, 5xx and refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.helpers import local_server

Reply = Callable[[], web.Response]


def ok(message_id: int = 5001) -> web.Response:
    return web.json_response(
        {
            "ok": True,
            "result": {
                "message_id": message_id,
                "from": {"id": 123456, "is_bot": True, "first_name": "Shop"},
                "chat": {"id": 42, "type": "private"},
                "date": 1770920800,
                "text": "…",
            },
        }
    )


def error(code: int, description: str, retry_after: int | None = None) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return lambda: web.json_response(body, status=code)


@dataclass
class FakeBotApi:
    token: str
    base_url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")()
        assert request.content_type == "application/json"
        self.calls.append((request.match_info["method"], json.loads(await request.read())))
        if self.script:
            return self.script.pop(0)()
        return ok()


@asynccontextmanager
async def fake_bot_api(token: str) -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi(token)
    async with local_server(web.post("/bot{token}/{method}", api.handle)) as server:
        api.base_url = str(server.make_url("")).rstrip("/")
        yield api
