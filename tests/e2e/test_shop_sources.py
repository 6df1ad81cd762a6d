"""The service configured for a Shopify shop and EasyPost tracking (both local fakes that speak
the real formats): the web chat answer combines the two, and an outage gets an honest hold."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from router.app import Service
from router.settings import Settings
from router.store import repo
from tests.e2e.chat_client import Chat
from tests.orders.test_shopify import SPLIT, TOKEN, UPS, USPS, VERSION, FakeShopify
from tests.orders.test_shopify import running as running_shopify
from tests.tracking.test_easypost import API_KEY, FakeEasyPost
from tests.tracking.test_easypost import running as running_easypost


@pytest.fixture
async def shopify() -> AsyncIterator[FakeShopify]:
    async with running_shopify(FakeShopify(orders=[copy.deepcopy(SPLIT)])) as shop:
        yield shop


@pytest.fixture
async def easypost() -> AsyncIterator[FakeEasyPost]:
    async with running_easypost(FakeEasyPost()) as fake:
        yield fake


@pytest.fixture
async def service(
    tmp_path: Path, shopify: FakeShopify, easypost: FakeEasyPost
) -> AsyncIterator[Service]:
    settings = Settings.model_validate(
        {
            "host": "127.0.0.1",
            "port": 0,
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path}/shop.db"},
            "sources": {
                "sql": False,
                "budget_s": 1.0,
                "shopify": {
                    "shop_domain": "demo-shop.myshopify.com",
                    "access_token": TOKEN,
                    "api_version": VERSION,
                    "base_url": shopify.base_url,
                },
                "tracking": {
                    "provider": "easypost",
                    "api_key": API_KEY,
                    "base_url": easypost.base_url,
                },
            },
        }
    )
    running = Service(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_answer_combines_the_shop_and_the_carrier(
    service: Service, shopify: FakeShopify, easypost: FakeEasyPost
) -> None:
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        reply = await chat.ask("Where is my order #1001? My email is alice@example.com")
        await chat.close()
    text = reply["text"]
    assert "2 parcels" in text
    assert UPS in text
    assert USPS in text
    # The UPS parcel was in transit at the shop; EasyPost's newer scan says delivered.
    assert text.count("delivered") == 2
    assert len(easypost.requests) == 1  # the USPS parcel was already delivered: not re-tracked
    assert shopify.queries == ['name:"#1001"']
    # The reply can reach the chat before the pipeline has written its decision down.
    async with asyncio.timeout(10):
        while (
            decision := await repo.last_decision(
                service.db, reply_conversation(chat), since_epoch()
            )
        ) is None:
            await asyncio.sleep(0.02)
    assert decision.rule == "answer.status"
    assert {f.system for f in decision.facts} == {"shopify", "easypost"}


async def test_a_shop_outage_gets_a_holding_reply(
    service: Service, shopify: FakeShopify, easypost: FakeEasyPost
) -> None:
    assert service.port is not None
    shopify.reply = lambda: web.json_response({"errors": "Internal error"}, status=500)
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        reply = await chat.ask("Where is my order #1001? My email is alice@example.com")
        await chat.close()
    assert "can't reach our order system" in reply["text"]
    assert UPS not in reply["text"]
    assert easypost.requests == []


def reply_conversation(chat: Chat) -> str:
    return f"webchat:{chat.session.split('.')[0]}"


def since_epoch() -> datetime:
    return datetime(2000, 1, 1, tzinfo=UTC)
