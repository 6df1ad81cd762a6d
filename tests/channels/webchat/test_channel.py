"""channels/webchat/channel.py through a real aiohttp server (router.app.Service, demo shop)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from router.app import Service
from router.settings import DatabaseSettings, Settings

WISMO = "Where is my order #1001? My email is alice@example.com"
TRACKING_1001 = "1ZXK3DEG0359083017"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'self'"
)
WAIT = 10.0

Frame = dict[str, Any]


@dataclass
class Chat:
    service: Service
    http: aiohttp.ClientSession
    base: str

    async def connect(self, **query: str | int) -> aiohttp.ClientWebSocketResponse:
        params = {k: str(v) for k, v in query.items()}
        return await self.http.ws_connect(f"{self.base}/webchat/ws", params=params)

    async def handled(self, n: int) -> None:
        """Wait until the consumers have handled n records (pipeline + dispatch)."""
        async with asyncio.timeout(WAIT):
            while self.service.bus.stats.handled < n:
                await asyncio.sleep(0.01)


ChatFactory = Callable[..., Awaitable[Chat]]


@pytest.fixture
async def make_chat(tmp_path: Path) -> AsyncIterator[ChatFactory]:
    started: list[Chat] = []

    async def make(**webchat: Any) -> Chat:
        settings = Settings(
            host="127.0.0.1",
            port=0,
            demo=True,
            database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/t{len(started)}.db"),
            channels={"webchat": {"poll_interval_s": 0.2, **webchat}},
        )
        service = Service(settings)
        await service.start()
        chat = Chat(service, aiohttp.ClientSession(), f"http://127.0.0.1:{service.port}")
        started.append(chat)
        return chat

    try:
        yield make
    finally:
        for chat in started:
            await chat.http.close()
            await chat.service.stop()


@pytest.fixture
async def chat(make_chat: ChatFactory) -> Chat:
    return await make_chat()


async def next_frame(ws: aiohttp.ClientWebSocketResponse) -> Frame:
    msg = await ws.receive(timeout=WAIT)
    assert msg.type == WSMsgType.TEXT, (msg.type, msg.data)
    frame: Frame = json.loads(msg.data)
    return frame


async def frames_until(
    ws: aiohttp.ClientWebSocketResponse, done: Callable[[list[Frame]], bool]
) -> list[Frame]:
    frames: list[Frame] = []
    async with asyncio.timeout(WAIT):
        while not done(frames):
            frames.append(await next_frame(ws))
    return frames


def messages(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f["type"] == "message"]


def has_reply(frames: list[Frame]) -> bool:
    return any(f["type"] == "message" and f["direction"] == "out" for f in frames)


def has_both(frames: list[Frame]) -> bool:
    directions = {f["direction"] for f in messages(frames)}
    return directions == {"in", "out"}


async def open_session(chat: Chat) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await chat.connect()
    first = await next_frame(ws)
    assert first["type"] == "session"
    assert TOKEN.match(first["session"])
    return ws, first["session"]


async def pong(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The connection still answers."""
    await ws.send_json({"type": "ping"})
    assert await next_frame(ws) == {"type": "pong"}


async def expect_error(
    ws: aiohttp.ClientWebSocketResponse, code: str, client_id: str | None = None
) -> Frame:
    frame = await next_frame(ws)
    assert frame["type"] == "error", frame
    assert (frame["code"], frame["id"]) == (code, client_id)
    assert isinstance(frame["message"], str)
    assert frame["message"]
    return frame


# -- page --------------------------------------------------------------------------------------


async def test_page_is_served_with_a_content_security_policy(chat: Chat) -> None:
    async with chat.http.get(f"{chat.base}/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        body = await response.text()
    assert "Demo Shop" in body
    assert "{{brand}}" not in body
    async with chat.http.get(f"{chat.base}/webchat/chat.js") as response:
        assert response.status == 200
        assert response.content_type == "application/javascript"


# -- WebSocket ---------------------------------------------------------------------------------


async def test_the_first_frame_is_the_session(chat: Chat) -> None:
    ws, token = await open_session(chat)
    await pong(ws)
    await ws.close()
    assert TOKEN.match(token)


async def test_message_is_acked_echoed_and_answered(chat: Chat) -> None:
    ws, token = await open_session(chat)
    sid = token.split(".")[0]
    await ws.send_json({"type": "message", "id": "m1", "text": WISMO})
    assert await next_frame(ws) == {"type": "ack", "id": "m1"}
    frames = await frames_until(ws, has_both)
    await ws.close()
    [echo] = [f for f in messages(frames) if f["direction"] == "in"]
    [reply] = [f for f in messages(frames) if f["direction"] == "out"]
    assert echo["id"] == f"webchat:{sid}:m1"
    assert echo["text"] == WISMO
    assert reply["id"] == f"reply:webchat:{sid}:m1"
    assert TRACKING_1001 in reply["text"]
    assert reply["links"]
    assert TRACKING_1001 in reply["links"][0]["url"]
    assert isinstance(reply["seq"], int)
    assert reply["seq"] != echo["seq"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", reply["at"])
    assert reply["at"].endswith("+00:00")


async def test_resume_replays_only_later_messages(chat: Chat) -> None:
    ws, token = await open_session(chat)
    await ws.send_json({"type": "message", "id": "m1", "text": WISMO})
    seqs = sorted(f["seq"] for f in messages(await frames_until(ws, has_both)))
    await ws.close()
    assert len(seqs) == 2

    everything = await chat.connect(session=token, after=0)
    assert await next_frame(everything) == {"type": "session", "session": token}
    assert [f["seq"] for f in messages(await frames_until(everything, has_both))] == seqs
    await everything.close()

    resumed = await chat.connect(session=token, after=seqs[0])
    assert await next_frame(resumed) == {"type": "session", "session": token}
    replayed = await next_frame(resumed)
    assert (replayed["type"], replayed["seq"]) == ("message", seqs[1])
    await pong(resumed)  # nothing else was queued before the pong
    await resumed.close()

    caught_up = await chat.connect(session=token, after=seqs[1])
    assert await next_frame(caught_up) == {"type": "session", "session": token}
    await pong(caught_up)
    await caught_up.close()


async def test_an_unknown_session_token_gets_a_new_session(chat: Chat) -> None:
    _, token = await open_session(chat)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    ws = await chat.connect(session=forged)
    frame = await next_frame(ws)
    await ws.close()
    assert frame["type"] == "session"
    assert frame["session"] not in (forged, token)
    assert TOKEN.match(frame["session"])


async def test_invalid_json_is_a_bad_frame_and_the_connection_survives(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    await ws.send_str("{not json")
    await expect_error(ws, "bad_frame")
    await pong(ws)
    await ws.send_json({"type": "message", "id": "m1", "text": WISMO})
    assert await next_frame(ws) == {"type": "ack", "id": "m1"}
    assert has_reply(await frames_until(ws, has_reply))
    await ws.close()


async def test_each_message_is_acked_before_its_own_echo(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    ids = [f"m{n}" for n in range(12)]
    for client_id in ids:
        await ws.send_json({"type": "message", "id": client_id, "text": "hello"})

    def echoed_all(frames: list[Frame]) -> bool:
        echoes = {f["id"].rsplit(":", 1)[-1] for f in messages(frames) if f["direction"] == "in"}
        return set(ids) <= echoes

    frames = await frames_until(ws, echoed_all)
    for client_id in ids:
        ack = frames.index({"type": "ack", "id": client_id})
        echo = next(
            i
            for i, f in enumerate(frames)
            if f["type"] == "message" and f["direction"] == "in" and f["id"].endswith(client_id)
        )
        assert ack < echo, (client_id, frames)
    await ws.close()


async def test_binary_frames(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    await ws.send_bytes(b"\xff\xfe\xfd")
    await expect_error(ws, "bad_utf8")
    await ws.send_bytes(b'{"type": "ping"}')  # UTF-8 JSON in a binary frame is accepted
    assert await next_frame(ws) == {"type": "pong"}
    await pong(ws)
    await ws.close()


async def test_text_longer_than_4096_bytes_is_too_long(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    await ws.send_json({"type": "message", "id": "long", "text": "x" * 4097})
    await expect_error(ws, "too_long", "long")
    # Bytes, not characters: 2049 two-byte characters are 4098 bytes.
    await ws.send_json({"type": "message", "id": "wide", "text": "é" * 2049})
    await expect_error(ws, "too_long", "wide")
    await ws.send_json({"type": "message", "id": "max", "text": "x" * 4096})
    assert await next_frame(ws) == {"type": "ack", "id": "max"}
    await ws.close()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "subscribe"},
        {"type": "message", "id": "m1", "text": "hi", "extra": 1},
        {"type": "ping", "extra": 1},
        {"type": "message", "text": "hi"},
        {"type": "message", "id": "no spaces allowed", "text": "hi"},
        {"type": "message", "id": "m1", "text": 5},
        {"id": "m1", "text": "hi"},
        ["type", "ping"],
    ],
)
async def test_malformed_frames_are_bad_frames(chat: Chat, frame: Any) -> None:
    ws, _ = await open_session(chat)
    await ws.send_json(frame)
    await expect_error(ws, "bad_frame")
    await pong(ws)
    await ws.close()


async def test_rate_limit(make_chat: ChatFactory) -> None:
    chat = await make_chat(messages_per_minute=2)
    ws, _ = await open_session(chat)
    for n in (1, 2):
        await pong(ws)  # pings do not count
        await ws.send_json({"type": "message", "id": f"m{n}", "text": f"hello {n}"})
        ack: Frame = {"type": "ack", "id": f"m{n}"}

        def acked(frames: list[Frame], ack: Frame = ack) -> bool:
            return ack in frames

        frames = await frames_until(ws, acked)
        assert all(f["type"] != "error" for f in frames)
    await ws.send_json({"type": "message", "id": "m3", "text": "hello 3"})
    frames = await frames_until(ws, lambda fs: any(f["type"] == "error" for f in fs))
    [error] = [f for f in frames if f["type"] == "error"]
    assert (error["code"], error["id"]) == ("rate_limited", "m3")
    assert {"type": "ack", "id": "m3"} not in frames
    await ws.close()


async def test_reconnecting_does_not_reset_the_rate_limit(make_chat: ChatFactory) -> None:
    chat = await make_chat(messages_per_minute=1)
    ws, token = await open_session(chat)
    await ws.send_json({"type": "message", "id": "a1", "text": "hello"})
    await frames_until(ws, lambda fs: {"type": "ack", "id": "a1"} in fs)
    await ws.close()
    again = await chat.connect(session=token)
    assert (await next_frame(again))["type"] == "session"
    await again.send_json({"type": "message", "id": "a2", "text": "hello again"})
    frames = await frames_until(again, lambda fs: any(f["type"] == "error" for f in fs))
    assert [f["code"] for f in frames if f["type"] == "error"] == ["rate_limited"]
    await again.close()


async def test_rejected_messages_do_not_use_up_the_rate_limit(make_chat: ChatFactory) -> None:
    chat = await make_chat(messages_per_minute=1)
    ws, _ = await open_session(chat)
    await ws.send_json({"type": "message", "id": "e1", "text": "   "})
    await frames_until(ws, lambda fs: any(f.get("code") == "empty" for f in fs))
    await ws.send_json({"type": "message", "id": "ok1", "text": "hello"})
    await frames_until(ws, lambda fs: {"type": "ack", "id": "ok1"} in fs)
    await ws.close()


async def test_empty_text_is_rejected(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    await ws.send_json({"type": "message", "id": "e1", "text": ""})
    await expect_error(ws, "empty", "e1")
    await ws.send_json({"type": "message", "id": "e2", "text": " \n\t "})
    await expect_error(ws, "empty", "e2")
    await pong(ws)
    await ws.close()


async def test_the_same_client_id_twice_gets_one_reply(chat: Chat) -> None:
    ws, token = await open_session(chat)
    for _ in range(2):
        await ws.send_json({"type": "message", "id": "dup", "text": WISMO})
    frames = await frames_until(
        ws, lambda fs: has_both(fs) and fs.count({"type": "ack", "id": "dup"}) == 2
    )
    # Both acknowledged; the second is a duplicate at ingest and never reaches the bus.
    await chat.handled(2)
    await pong(ws)
    await ws.close()
    assert chat.service.bus.stats.published == 3  # 1 inbound + 1 decision + 1 reply
    assert len(messages(frames)) == 2
    async with chat.http.get(
        f"{chat.base}/webchat/messages", params={"session": token}
    ) as response:
        body = await response.json()
    assert sorted(m["direction"] for m in body["messages"]) == ["in", "out"]


async def test_invalid_utf8_in_a_text_frame_closes_only_that_connection(chat: Chat) -> None:
    """aiohttp's client can send a raw TEXT frame; the server's reader refuses it (RFC 6455:
    close 1007). No error frame: only binary frames get `bad_utf8`."""
    bystander, _ = await open_session(chat)
    ws, _ = await open_session(chat)
    await ws.send_frame(b"\xff\xfe{}", WSMsgType.TEXT)
    msg = await ws.receive(timeout=WAIT)
    assert msg.type == WSMsgType.CLOSE
    assert msg.data == aiohttp.WSCloseCode.INVALID_TEXT
    await ws.close()
    # The process and the other connections carry on.
    await pong(bystander)
    await bystander.send_json({"type": "message", "id": "m1", "text": WISMO})
    assert await next_frame(bystander) == {"type": "ack", "id": "m1"}
    assert has_reply(await frames_until(bystander, has_reply))
    await bystander.close()
    fresh, _ = await open_session(chat)
    await pong(fresh)
    await fresh.close()


# -- HTTP fallback -----------------------------------------------------------------------------


async def post(chat: Chat, body: bytes | dict[str, Any]) -> tuple[int, Any, aiohttp.ClientResponse]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with chat.http.post(
        f"{chat.base}/webchat/messages",
        data=data,
        headers={"Content-Type": "application/json"},
    ) as response:
        return response.status, await response.json(), response


async def test_post_accepts_and_returns_a_session(chat: Chat) -> None:
    status, body, _ = await post(chat, {"id": "h1", "text": WISMO})
    assert status == 202
    assert body["id"] == "h1"
    assert TOKEN.match(body["session"])
    status, again, _ = await post(chat, {"id": "h2", "text": "thanks", "session": body["session"]})
    assert (status, again) == (202, {"id": "h2", "session": body["session"]})


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b'{"text": "hi"}',
        b'{"id": "h1", "text": "hi", "extra": true}',
        b'{"id": "bad id", "text": "hi"}',
    ],
)
async def test_post_bad_request(chat: Chat, body: bytes) -> None:
    status, answer, _ = await post(chat, body)
    assert status == 400
    assert answer["error"] == "bad_request"


async def test_post_bad_session(chat: Chat) -> None:
    status, body, _ = await post(chat, {"id": "h1", "text": "hi", "session": "nope"})
    assert (status, body["error"]) == (401, "bad_session")


async def test_post_too_long(chat: Chat) -> None:
    status, body, _ = await post(chat, {"id": "h1", "text": "x" * 4097})
    assert (status, body["error"]) == (413, "too_long")


async def test_post_empty(chat: Chat) -> None:
    status, body, _ = await post(chat, {"id": "h1", "text": "  "})
    assert (status, body["error"]) == (400, "empty")


async def test_post_rate_limited_per_session(make_chat: ChatFactory) -> None:
    chat = await make_chat(messages_per_minute=2)
    status, body, _ = await post(chat, {"id": "h1", "text": "hello"})
    token = body["session"]
    assert status == 202
    status, _, _ = await post(chat, {"id": "h2", "text": "hello", "session": token})
    assert status == 202
    status, body, _ = await post(chat, {"id": "h3", "text": "hello", "session": token})
    assert (status, body["error"]) == (429, "rate_limited")


async def test_post_when_the_bus_is_down_is_503_with_retry_after(chat: Chat) -> None:
    await chat.service.bus.stop()
    status, body, response = await post(chat, {"id": "h1", "text": WISMO})
    assert (status, body["error"]) == (503, "unavailable")
    assert response.headers["Retry-After"] == "5"
    async with chat.http.get(f"{chat.base}/metrics") as metrics:
        text = await metrics.text()
    assert 'wismo_inbound_rejected_total{channel="webchat",reason="bus_unavailable"} 1.0' in text


async def test_a_request_refused_for_the_bus_is_counted_once(chat: Chat) -> None:
    await chat.service.bus.stop()
    status, _, _ = await post(chat, {"id": "h1", "text": WISMO})
    assert status == 503
    sample = chat.service.metrics.registry.get_sample_value
    reasons = ("bus_unavailable", "unavailable")
    counted = [
        sample("wismo_inbound_rejected_total", {"channel": "webchat", "reason": r}) or 0.0
        for r in reasons
    ]
    assert sum(counted) == 1.0


async def test_ws_when_the_bus_is_down_is_an_unavailable_error(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    await chat.service.bus.stop()
    await ws.send_json({"type": "message", "id": "m1", "text": WISMO})
    await expect_error(ws, "unavailable", "m1")
    await pong(ws)
    await ws.close()


async def test_get_messages_returns_the_conversation(chat: Chat) -> None:
    status, body, _ = await post(chat, {"id": "h1", "text": WISMO})
    assert status == 202
    token = body["session"]
    sid = token.split(".")[0]
    await chat.handled(2)  # pipeline + dispatch
    async with chat.http.get(f"{chat.base}/webchat/messages", params={"session": token}) as r:
        assert r.status == 200
        listed = (await r.json())["messages"]
    assert {(m["direction"], m["id"]) for m in listed} == {
        ("in", f"webchat:{sid}:h1"),
        ("out", f"reply:webchat:{sid}:h1"),
    }
    reply = next(m for m in listed if m["direction"] == "out")
    assert TRACKING_1001 in reply["text"]
    last = max(m["seq"] for m in listed)
    async with chat.http.get(
        f"{chat.base}/webchat/messages", params={"session": token, "after": str(last)}
    ) as r:
        assert (await r.json()) == {"messages": []}
    async with chat.http.get(f"{chat.base}/webchat/messages", params={"session": "x"}) as r:
        assert r.status == 401
        assert (await r.json())["error"] == "bad_session"
    async with chat.http.get(f"{chat.base}/webchat/messages") as r:
        assert r.status == 401


async def test_post_the_same_id_twice_gets_one_reply(chat: Chat) -> None:
    status, body, _ = await post(chat, {"id": "h1", "text": WISMO})
    token = body["session"]
    status2, _, _ = await post(chat, {"id": "h1", "text": WISMO, "session": token})
    assert (status, status2) == (202, 202)  # the retry is acknowledged, not published again
    await chat.handled(2)
    assert chat.service.bus.stats.published == 3
    async with chat.http.get(f"{chat.base}/webchat/messages", params={"session": token}) as r:
        listed = (await r.json())["messages"]
    assert sorted(m["direction"] for m in listed) == ["in", "out"]


# -- service endpoints -------------------------------------------------------------------------


async def test_health_and_readiness(chat: Chat) -> None:
    async with chat.http.get(f"{chat.base}/healthz") as r:
        assert (r.status, await r.json()) == (200, {"status": "ok"})
    async with chat.http.get(f"{chat.base}/readyz") as r:
        assert (r.status, await r.json()) == (200, {"bus": True, "database": True})
    await chat.service.bus.stop()
    async with chat.http.get(f"{chat.base}/readyz") as r:
        assert (r.status, await r.json()) == (503, {"bus": False, "database": True})
    async with chat.http.get(f"{chat.base}/healthz") as r:
        assert r.status == 200


async def test_metrics_count_webchat_messages_and_rejections(chat: Chat) -> None:
    ws, _ = await open_session(chat)
    await ws.send_json({"type": "message", "id": "m1", "text": WISMO})
    assert await next_frame(ws) == {"type": "ack", "id": "m1"}
    await ws.send_str("nope")
    await expect_error(ws, "bad_frame")
    await frames_until(ws, has_reply)
    await ws.close()
    async with chat.http.get(f"{chat.base}/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        lines = (await r.text()).splitlines()
    assert 'wismo_inbound_messages_total{channel="webchat"} 1.0' in lines
    assert 'wismo_inbound_rejected_total{channel="webchat",reason="bad_frame"} 1.0' in lines
    assert 'wismo_outbound_messages_total{channel="webchat"} 1.0' in lines
    assert any(
        line.startswith('wismo_end_to_end_latency_seconds_count{channel="webchat"} 1.0')
        for line in lines
    )
