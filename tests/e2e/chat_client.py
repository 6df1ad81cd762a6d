"""A web chat client for e2e tests: speaks the page's WebSocket protocol."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp

WAIT = 30.0


class Chat:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: str) -> None:
        self.ws = ws
        self.session = session
        self.frames: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    @classmethod
    async def open(
        cls, http: aiohttp.ClientSession, port: int, *, session: str | None = None, after: int = 0
    ) -> Chat:
        params = {"after": str(after)}
        if session:
            params["session"] = session
        ws = await http.ws_connect(f"http://127.0.0.1:{port}/webchat/ws", params=params)
        first = await ws.receive_json(timeout=WAIT)
        assert first["type"] == "session"
        return cls(ws, first["session"])

    async def next_frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = await self.ws.receive_json(timeout=WAIT)
        self.frames.append(frame)
        return frame

    async def send(self, text: str, client_id: str | None = None) -> str:
        client_id = client_id or f"m{next(self._ids)}"
        await self.ws.send_json({"type": "message", "id": client_id, "text": text})
        return client_id

    async def ask(self, text: str) -> dict[str, Any]:
        """Send `text`; return our reply to it (after its ack and echo)."""
        client_id = await self.send(text)
        async with asyncio.timeout(WAIT):
            while True:
                frame = await self.next_frame()
                if frame["type"] == "error":
                    raise AssertionError(f"error frame: {frame}")
                if (
                    frame["type"] == "message"
                    and frame["direction"] == "out"
                    and frame["id"].endswith(f":{client_id}")
                ):
                    return frame

    async def close(self) -> None:
        await self.ws.close()
