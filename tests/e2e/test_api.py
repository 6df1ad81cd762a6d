"""A help centre asks through the signed JSON API; the reply reaches its (fake) callback
receiver, which checks our signature, and the polled mailbox. Memory bus and real Kafka."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp

from channels.api.signature import signed_headers
from tests.channels.api.fake_receiver import fake_receiver
from tests.e2e.conftest import ServiceFactory

WAIT = 30.0
SECRET = "e2e-api-secret-0123456789"
TRACKING = "1ZXK3DEG0359083017"
QUESTION = {
    "id": "hc-msg-1",
    "conversation_id": "hc-conv-1",
    "sender": {"id": "visitor-17", "name": "Alice"},
    "text": "Where is my order #1001? My email is alice@example.com",
    "language": "en",
}


def now() -> datetime:
    return datetime.now(UTC)


async def post_question(http: aiohttp.ClientSession, port: int) -> tuple[int, Any]:
    raw = json.dumps(QUESTION).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET.encode(), now(), raw)}
    async with http.post(
        f"http://127.0.0.1:{port}/webhooks/api/messages", data=raw, headers=headers
    ) as response:
        return response.status, await response.json()


async def poll(http: aiohttp.ClientSession, port: int, want: int) -> list[dict[str, Any]]:
    path = "/webhooks/api/conversations/hc-conv-1/messages?after=0"
    deadline = time.monotonic() + WAIT
    while True:
        headers = signed_headers(SECRET.encode(), now(), path.encode())
        async with http.get(f"http://127.0.0.1:{port}{path}", headers=headers) as response:
            assert response.status == 200
            messages: list[dict[str, Any]] = (await response.json())["messages"]
        if len(messages) >= want or time.monotonic() > deadline:
            return messages
        await asyncio.sleep(0.05)


async def test_where_is_my_order_over_the_api(make_service: ServiceFactory) -> None:
    async with fake_receiver(SECRET) as receiver, aiohttp.ClientSession() as http:
        service = await make_service(
            channels={"api": {"secret": SECRET, "callback_url": receiver.url}}
        )
        assert service.port is not None
        status, answer = await post_question(http, service.port)
        assert (status, answer) == (
            202,
            {"id": "hc-msg-1", "event_id": "api:hc-msg-1", "duplicate": False},
        )
        async with asyncio.timeout(WAIT):
            while not receiver.received:
                await asyncio.sleep(0.02)
        messages = await poll(http, service.port, 2)
    assert receiver.bad_signatures == 0
    [got] = receiver.received
    body = got.body
    assert got.idempotency_key == body["id"] == "reply:api:hc-msg-1"
    assert (body["in_reply_to"], body["conversation_id"], body["author"]) == (
        "hc-msg-1",
        "hc-conv-1",
        "bot",
    )
    assert TRACKING in body["text"]
    assert "#1001" in body["text"]
    assert body["links"] == [
        {
            "label": "Track with UPS",
            "url": "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1ZXK3DEG0359083017",
        }
    ]
    assert [(m["direction"], m["id"]) for m in messages] == [
        ("in", "hc-msg-1"),
        ("out", "reply:api:hc-msg-1"),
    ]
    assert messages[1]["text"] == body["text"]
    assert messages[1]["links"] == body["links"]


async def test_without_a_callback_the_client_polls(make_service: ServiceFactory) -> None:
    async with aiohttp.ClientSession() as http:
        service = await make_service(channels={"api": {"secret": SECRET}})
        assert service.port is not None
        assert (await post_question(http, service.port))[0] == 202
        assert (await post_question(http, service.port))[0] == 200  # a retry: same id
        messages = await poll(http, service.port, 2)
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert TRACKING in messages[1]["text"]
    assert messages[1]["in_reply_to"] == "hc-msg-1"
