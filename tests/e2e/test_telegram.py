"""A customer asks the shop's Telegram bot; the reply reaches the (fake) Bot API. Memory bus and
real Kafka."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from tests.channels.telegram.fake_bot_api import FakeBotApi, fake_bot_api
from tests.channels.telegram.updates import callback_update, text_update
from tests.e2e.conftest import ServiceFactory

WAIT = 30.0
SECRET = "tg-Secret_token-123"  # vectors/telegram.json
TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"  # the Bot API docs' example token
TRACKING = "1ZXK3DEG0359083017"
UPS_URL = "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1ZXK3DEG0359083017"


async def post_update(port: int, update: dict[str, Any], token: str = SECRET) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{port}/webhooks/telegram",
            data=json.dumps(update),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": token,
            },
        ) as response,
    ):
        return response.status


async def sent(fake: FakeBotApi, n: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(WAIT):
        while len(fake.calls) < n:
            await asyncio.sleep(0.02)
    assert {method for method, _ in fake.calls} == {"sendMessage"}
    return [params for _, params in fake.calls]


async def test_where_is_my_order_over_telegram(make_service: ServiceFactory) -> None:
    async with fake_bot_api(TOKEN) as fake:
        config = {"bot_token": TOKEN, "secret_token": SECRET, "api_base_url": fake.base_url}
        service = await make_service(channels={"telegram": config})
        assert service.port is not None
        assert await post_update(service.port, text_update()) == 200
        [reply] = await sent(fake, 1)
    assert reply["chat_id"] == 42
    assert TRACKING in reply["text"]
    assert "#1001" in reply["text"]
    assert "UPS" in reply["text"]
    assert reply["link_preview_options"] == {"is_disabled": True}
    keyboard = reply["reply_markup"]["inline_keyboard"]
    assert keyboard[0] == [{"text": "Track with UPS", "url": UPS_URL}]
    assert len(reply["text"]) <= 4096
    # Dispatch records the delivery once sendMessage has answered: wait for it, not race it.
    labels = {"channel": "telegram", "status": "sent"}
    async with asyncio.timeout(WAIT):
        while service.metrics.registry.get_sample_value("wismo_delivery_status_total", labels) != 1:
            await asyncio.sleep(0.02)


async def test_a_redelivered_update_is_answered_once(make_service: ServiceFactory) -> None:
    async with fake_bot_api(TOKEN) as fake:
        config = {"bot_token": TOKEN, "secret_token": SECRET, "api_base_url": fake.base_url}
        service = await make_service(channels={"telegram": config})
        assert service.port is not None
        for _ in range(2):
            assert await post_update(service.port, text_update()) == 200
        assert await post_update(service.port, text_update(), token="wrong") == 403
        await sent(fake, 1)
        # A button press is a new turn of the same conversation: answered too.
        assert await post_update(service.port, callback_update("Talk to a person")) == 200
        await sent(fake, 2)
        await asyncio.sleep(0.3)
    assert len(fake.calls) == 2
    assert all(params["chat_id"] == 42 for _, params in fake.calls)
