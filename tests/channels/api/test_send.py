"""channels/api/send.py and ApiChannel.send: replies POSTed to a fake client receiver that
checks our signature; what is retried and what is not."""

from __future__ import annotations

import time

import pytest
from aiohttp import web

from router.dispatch import SendFailed, SendResult
from router.events import Link, OutboundMessage, Party
from tests.channels.api.conftest import NOW, SECRET, ApiFactory
from tests.channels.api.fake_receiver import fake_receiver

FAST = {"attempts": 3, "backoff_s": 0.01, "max_backoff_s": 0.02, "timeout_s": 2.0}
UPS = Link(label="Track with UPS", url="https://www.ups.com/track?tracknum=1ZXK3DEG0359083017")


def reply() -> OutboundMessage:
    return OutboundMessage(
        event_id="reply:api:m-1",
        occurred_at=NOW,
        inbound_id="api:m-1",
        conversation_key="api:c-1",
        channel="api",
        provider="api",
        recipient=Party(id="u-1"),
        route={"conversation_id": "c-1"},
        text="Your order #1001 is on its way with UPS: 1ZXK3DEG0359083017 — ¡en camino!",
        links=[UPS],
        quick_replies=["Thanks!"],
    )


def status(code: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": "x"}, status=code, headers=headers)


async def test_a_reply_is_posted_signed_with_an_idempotency_key(make_api: ApiFactory) -> None:
    async with fake_receiver(SECRET) as receiver:
        api = await make_api(callback_url=receiver.url, retry=FAST)
        result = await api.channel.send(reply())
    assert result == SendResult(provider_message_id="reply:api:m-1")
    assert receiver.bad_signatures == 0
    [got] = receiver.received
    assert got.timestamp == int(NOW.timestamp())
    assert got.idempotency_key == "reply:api:m-1"
    assert got.content_type == "application/json"
    assert got.body == {
        "id": "reply:api:m-1",
        "in_reply_to": "m-1",
        "conversation_id": "c-1",
        "text": "Your order #1001 is on its way with UPS: 1ZXK3DEG0359083017 — ¡en camino!",
        "links": [{"label": "Track with UPS", "url": UPS.url}],
        "quick_replies": ["Thanks!"],
        "author": "bot",
        "sent_at": "2026-02-12T18:26:12+00:00",
    }


async def test_a_receiver_with_another_secret_refuses_it(make_api: ApiFactory) -> None:
    async with fake_receiver("another-secret-0000000") as receiver:
        api = await make_api(callback_url=receiver.url, retry=FAST)
        with pytest.raises(SendFailed, match=r"^api: callback answered HTTP 401$"):
            await api.channel.send(reply())
    assert receiver.bad_signatures == 1


@pytest.mark.parametrize("code", [400, 404, 410, 422, 301])
async def test_4xx_and_redirects_fail_at_once(make_api: ApiFactory, code: int) -> None:
    async with fake_receiver(SECRET) as receiver:
        receiver.script = [lambda: status(code, {"Location": "https://elsewhere.test/"})]
        api = await make_api(callback_url=receiver.url, retry=FAST)
        with pytest.raises(SendFailed, match=rf"^api: callback answered HTTP {code}$"):
            await api.channel.send(reply())
    assert len(receiver.received) == 1


async def test_5xx_is_retried_and_each_attempt_is_signed_afresh(make_api: ApiFactory) -> None:
    async with fake_receiver(SECRET) as receiver:
        receiver.script = [lambda: status(503), lambda: status(500)]
        api = await make_api(callback_url=receiver.url, retry=FAST)
        receiver.on_request = lambda: api.clock.advance(60)
        result = await api.channel.send(reply())
    assert result.provider_message_id == "reply:api:m-1"
    assert receiver.bad_signatures == 0
    start = int(NOW.timestamp())
    assert [r.timestamp for r in receiver.received] == [start, start + 60, start + 120]
    assert {r.idempotency_key for r in receiver.received} == {"reply:api:m-1"}


async def test_5xx_every_time_gives_up(make_api: ApiFactory) -> None:
    async with fake_receiver(SECRET) as receiver:
        receiver.script = [lambda: status(502)] * 3
        api = await make_api(callback_url=receiver.url, retry=FAST)
        with pytest.raises(SendFailed, match=r"^api: HTTP 502 \(gave up after 3 attempts\)$"):
            await api.channel.send(reply())
    assert len(receiver.received) == 3


async def test_429_honours_retry_after(make_api: ApiFactory) -> None:
    async with fake_receiver(SECRET) as receiver:
        receiver.script = [lambda: status(429, {"Retry-After": "1"})]
        api = await make_api(callback_url=receiver.url, retry=FAST)
        started = time.monotonic()
        await api.channel.send(reply())
        waited = time.monotonic() - started
    assert len(receiver.received) == 2
    assert waited >= 1.0


async def test_an_unreachable_receiver_is_retried_then_fails(make_api: ApiFactory) -> None:
    async with fake_receiver(SECRET) as receiver:
        url = receiver.url
    api = await make_api(callback_url=url, retry=FAST)
    with pytest.raises(SendFailed, match=r"^api: request failed: ClientConnectorError"):
        await api.channel.send(reply())


async def test_without_a_callback_the_mailbox_is_the_delivery(make_api: ApiFactory) -> None:
    api = await make_api()
    assert await api.channel.send(reply()) == SendResult(provider_message_id="reply:api:m-1")
