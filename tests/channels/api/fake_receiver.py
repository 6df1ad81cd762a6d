"""A client's callback endpoint, as an operator would write it: it verifies OUR signature with
the shared secret (the documented scheme, re-implemented here independently) and records
what it got. Scripted answers let a test play 5xx, 429 and refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.helpers import local_server

Reply = Callable[[], web.Response]


@dataclass
class Received:
    body: dict[str, Any]
    timestamp: int
    idempotency_key: str | None
    content_type: str


@dataclass
class FakeReceiver:
    secret: bytes
    url: str = ""
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    script: list[Reply] = field(default_factory=list)
    on_request: Callable[[], None] = lambda: None

    async def handle(self, request: web.Request) -> web.Response:
        self.on_request()
        raw = await request.read()
        timestamp = request.headers.get("X-Wismo-Timestamp", "")
        expected = hmac.new(self.secret, f"{timestamp}.".encode() + raw, hashlib.sha256)
        given = request.headers.get("X-Wismo-Signature", "")
        if not hmac.compare_digest(given, f"v1={expected.hexdigest()}"):
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        self.received.append(
            Received(
                json.loads(raw),
                int(timestamp),
                request.headers.get("Idempotency-Key"),
                request.content_type,
            )
        )
        if self.script:
            return self.script.pop(0)()
        return web.json_response({"ok": True})


@asynccontextmanager
async def fake_receiver(secret: str) -> AsyncIterator[FakeReceiver]:
    receiver = FakeReceiver(secret.encode())
    async with local_server(web.post("/wismo/replies", receiver.handle)) as server:
        receiver.url = str(server.make_url("/wismo/replies"))
        yield receiver
