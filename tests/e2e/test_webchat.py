"""A customer asks in the web chat; the whole service answers. Memory bus and real Kafka."""

from __future__ import annotations

import asyncio

import aiohttp

from router.orders.demo import ORDERS
from tests.e2e.chat_client import WAIT, Chat
from tests.e2e.conftest import ServiceFactory

NOT_FOUND = "I couldn't find an order matching"


async def test_where_is_my_order_gets_the_right_answer(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        reply = await chat.ask("Where is my order #1001? My email is alice@example.com")
        await chat.close()
    # The mailbox reads question, then answer (the question is recorded before the reply).
    messages = [f for f in chat.frames if f["type"] == "message"]
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[0]["seq"] < messages[1]["seq"]
    text = reply["text"]
    assert "#1001" in text
    assert "UPS" in text
    assert "1ZXK3DEG0359083017" in text
    assert "on its way" in text
    assert "Oakland, CA" in text
    assert reply["links"] == [
        {
            "label": "Track with UPS",
            "url": "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1ZXK3DEG0359083017",
        }
    ]


async def test_without_a_matching_email_nothing_is_disclosed(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        no_factor = await chat.ask("Where is my order #1001?")
        wrong_email = await chat.ask("Where is my order #1001? My email is bob@example.com")
        unknown = await chat.ask("Where is my order #9999? My email is alice@example.com")
        await chat.close()
    assert "e-mail address or phone number" in no_factor["text"]
    for reply in (no_factor, wrong_email, unknown):
        assert "1ZXK3DEG0359083017" not in reply["text"]
        assert "UPS" not in reply["text"]
        assert reply["links"] == []
    # An order of someone else and an order that does not exist read exactly alike.
    assert wrong_email["text"].replace("#1001", "#N") == unknown["text"].replace("#9999", "#N")
    assert wrong_email["text"].startswith(NOT_FOUND)


async def test_follow_up_with_the_email_answers(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        asked = await chat.ask("hi, where's order 1011??")
        answered = await chat.ask("diego@example.com")  # not the owner of #1011
        owner = await chat.ask("hugo@example.ca")
        await chat.close()
    assert "e-mail address or phone number" in asked["text"]
    assert answered["text"].startswith(NOT_FOUND)
    assert "2 parcels" in owner["text"]
    assert "1ZMGN1GE0390937864" in owner["text"]
    assert "575513137359" in owner["text"]


async def test_every_demo_order_is_answered_with_its_own_tracking(
    make_service: ServiceFactory,
) -> None:
    from router.orders.demo import CUSTOMERS

    service = await make_service(
        webchat={"messages_per_minute": len(ORDERS)},
        policy={"lookups_per_sender_per_hour": len(ORDERS)},
    )
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        for order in ORDERS:
            email = CUSTOMERS[order.customer].email
            reply = await chat.ask(f"where is my order #{order.number}? email {email}")
            assert f"#{order.number}" in reply["text"], order.case
            for shipment in order.shipments:
                assert shipment.tracking_number in reply["text"], order.case
        await chat.close()


async def test_reply_is_recorded_as_a_decision_and_counted(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert service.port is not None
    async with aiohttp.ClientSession() as http:
        chat = await Chat.open(http, service.port)
        await chat.ask("Where is my order #1002? ben.carter@example.com")
        await chat.close()
        # The pipeline counts its decision after publishing the reply, so the reply can reach
        # the customer first: wait for the count rather than race it.
        decided = 'wismo_decisions_total{action="answer",intent="wismo.status"} 1.0'
        async with asyncio.timeout(WAIT):
            while True:
                async with http.get(f"http://127.0.0.1:{service.port}/metrics") as resp:
                    body = await resp.text()
                if decided in body:
                    break
                await asyncio.sleep(0.05)
    assert 'wismo_inbound_messages_total{channel="webchat"} 1.0' in body
    assert 'wismo_decisions_total{action="answer",intent="wismo.status"} 1.0' in body
    assert 'wismo_outbound_messages_total{channel="webchat"} 1.0' in body
    assert 'wismo_end_to_end_latency_seconds_count{channel="webchat"} 1.0' in body
