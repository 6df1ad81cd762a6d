"""channels/telegram/send.py against a fake Bot API: the request, retries, refusals, and a
token that never shows up in an error."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiohttp import web

from channels.outbound import RetrySettings
from channels.telegram.send import (
    BotApi,
    BotApiError,
    inline_keyboard,
    send_message_params,
)
from router.dispatch import SendFailed
from router.events import Link
from tests.channels.telegram.conftest import BOT_TOKEN
from tests.channels.telegram.fake_bot_api import error, fake_bot_api, ok

FAST = RetrySettings(attempts=3, backoff_s=0.01, max_backoff_s=0.02, timeout_s=2.0)
UPS = Link(
    label="Track with UPS",
    url="https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1ZXK3DEG0359083017",
)


def test_send_message_params() -> None:
    params = send_message_params("42", "Your order is on its way.", [UPS], ["Yes", "No"])
    assert params == {
        "chat_id": 42,
        "text": "Your order is on its way.",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Track with UPS", "url": UPS.url}],
                [{"text": "Yes", "callback_data": "Yes"}],
                [{"text": "No", "callback_data": "No"}],
            ]
        },
    }


def test_no_buttons_no_markup_and_a_username_stays_a_string() -> None:
    assert send_message_params("@shop_news", "hi", [], []) == {
        "chat_id": "@shop_news",
        "text": "hi",
        "link_preview_options": {"is_disabled": True},
    }
    assert send_message_params("-1001234", "hi", [], [])["chat_id"] == -1001234


def test_callback_data_is_at_most_64_bytes_and_unique() -> None:
    long = "Quiero hablar con una persona del equipo de atención al cliente, por favor"
    rows = inline_keyboard(
        [Link(label="bad", url="javascript:alert(1)"), Link(label=" ", url="https://x.test")],
        [long, long + " ya", "", "  ", "Sí"],
    )
    data = long.encode()[:64].decode("utf-8", "ignore")
    assert rows == [
        [{"text": long, "callback_data": data}],
        [{"text": "Sí", "callback_data": "Sí"}],
    ]
    assert len(data.encode()) <= 64


async def test_send_message_reaches_the_bot_api(session: aiohttp.ClientSession) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        result = await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert result["message_id"] == 5001
    assert fake.calls == [("sendMessage", {"chat_id": 42, "text": "hi"})]


async def test_a_wrong_token_is_refused_without_showing_it(
    session: aiohttp.ClientSession,
) -> None:
    wrong = "123456:wrong-Token_value"
    async with fake_bot_api(BOT_TOKEN) as fake:
        api = BotApi(session, wrong, fake.base_url, FAST)
        with pytest.raises(BotApiError) as caught:
            await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert caught.value.error_code == 401
    assert str(caught.value) == "telegram: HTTP 401 (Unauthorized)"
    assert fake.calls == []


async def test_429_waits_retry_after_from_the_body(session: aiohttp.ClientSession) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [error(429, "Too Many Requests: retry after 1", retry_after=1)]
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        started = time.monotonic()
        result = await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
        waited = time.monotonic() - started
    assert result["message_id"] == 5001
    assert len(fake.calls) == 2
    assert waited >= 1.0


async def test_a_retry_after_beyond_patience_gives_up_at_once(
    session: aiohttp.ClientSession,
) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [error(429, "Too Many Requests: retry after 3600", retry_after=3600)]
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        with pytest.raises(SendFailed) as caught:
            await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert str(caught.value) == (
        "telegram: HTTP 429 (Too Many Requests: retry after 3600) (gave up after 1 attempts)"
    )
    assert len(fake.calls) == 1


async def test_5xx_is_retried_then_given_up(session: aiohttp.ClientSession) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [error(502, "Bad Gateway")] * 3
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        with pytest.raises(SendFailed) as caught:
            await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert str(caught.value) == "telegram: HTTP 502 (Bad Gateway) (gave up after 3 attempts)"
    assert len(fake.calls) == 3


async def test_5xx_then_success(session: aiohttp.ClientSession) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [lambda: web.Response(status=500, text="<html>oops</html>"), ok]
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        result = await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert result["message_id"] == 5001
    assert len(fake.calls) == 2


@pytest.mark.parametrize(
    ("code", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (400, "Bad Request: chat not found"),
        (400, "Bad Request: message is too long"),
    ],
)
async def test_other_4xx_fail_at_once_with_the_code(
    session: aiohttp.ClientSession, code: int, description: str
) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [error(code, description)]
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        with pytest.raises(BotApiError) as caught:
            await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert caught.value.error_code == code
    assert str(caught.value) == f"telegram: HTTP {code} ({description})"
    assert len(fake.calls) == 1


async def test_an_unreadable_success_is_a_failure(session: aiohttp.ClientSession) -> None:
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [lambda: web.Response(text="ok")]
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        with pytest.raises(SendFailed, match=r"^telegram: HTTP 200 with an unreadable answer$"):
            await api.call("sendMessage", {"chat_id": 42, "text": "hi"})


async def test_the_token_never_appears_in_errors(session: aiohttp.ClientSession) -> None:
    echo = error(400, f"Bad Request: bot{BOT_TOKEN} is weird")
    async with fake_bot_api(BOT_TOKEN) as fake:
        fake.script = [echo]
        api = BotApi(session, BOT_TOKEN, fake.base_url, FAST)
        with pytest.raises(BotApiError) as echoed:
            await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
        port = int(fake.base_url.rsplit(":", 1)[1])
    # The fake is gone: nothing listens on its port any more.
    api = BotApi(session, BOT_TOKEN, f"http://127.0.0.1:{port}", FAST)
    with pytest.raises(SendFailed) as unreachable:
        await api.call("sendMessage", {"chat_id": 42, "text": "hi"})
    assert str(echoed.value) == "telegram: HTTP 400 (Bad Request: bot<token> is weird)"
    assert "ClientConnectorError" in str(unreachable.value)
    for exc in (echoed.value, unreachable.value):
        chain: BaseException | None = exc
        while chain is not None:
            assert "ABC-DEF1234" not in str(chain)
            assert "ABC-DEF1234" not in repr(chain)
            chain = chain.__cause__ or chain.__context__
