"""WhatsApp, Messenger and Instagram end to end: a signed, real-format webhook asks "Where is my
order?", the running service answers through the (fake) Graph API on 127.0.0.1, and Meta's
delivery receipt updates the delivery record. Memory bus and real Kafka."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from router.app import Service
from router.store.models import Delivery
from tests.channels.meta.harness import (
    ACCESS_TOKEN,
    API_VERSION,
    APP_SECRET,
    VERIFY_TOKEN,
    FakeGraph,
    body_of,
    fake_graph,
    signed,
)
from tests.channels.meta.messaging_samples import IG_ACCOUNT_ID, IGSID, PSID
from tests.channels.meta.messaging_samples import entry as messaging_entry
from tests.channels.meta.messaging_samples import event as messaging_event
from tests.channels.meta.messaging_samples import message as messaging_message
from tests.channels.meta.messaging_samples import webhook as messaging_webhook
from tests.channels.whatsapp.samples import PHONE_NUMBER_ID, WA_ID, notification, status, value
from tests.channels.whatsapp.samples import text_message as whatsapp_message
from tests.e2e.conftest import ServiceFactory

QUESTION = "Where is my order #1001? My email is alice@example.com"
TRACKING_1001 = "1ZXK3DEG0359083017"
WAIT = 20.0


@dataclass(frozen=True)
class Case:
    """One channel: its question webhook, where the reply must go, its receipt webhook."""

    channel: str
    question: dict[str, Any]
    path: str
    recipient: str

    def receipt(self, provider_message_id: str) -> dict[str, Any]:
        if self.channel == "whatsapp":
            return notification(value(statuses=[status(provider_message_id, "delivered")]))
        delivery = {"mids": [provider_message_id], "watermark": 1772625660000}
        if self.channel == "messenger":
            return messaging_webhook(messaging_entry(messaging_event("delivery", delivery)))
        return messaging_webhook(
            messaging_entry(
                messaging_event("delivery", delivery, user=IGSID, page=IG_ACCOUNT_ID),
                page=IG_ACCOUNT_ID,
            ),
            obj="instagram",
        )

    def sent_to(self, body: dict[str, Any]) -> str:
        return str(body["to"] if self.channel == "whatsapp" else body["recipient"]["id"])


CASES = [
    Case(
        "whatsapp",
        notification(value([whatsapp_message("wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTdE", QUESTION)])),
        f"/{API_VERSION}/{PHONE_NUMBER_ID}/messages",
        WA_ID,
    ),
    Case(
        "messenger",
        messaging_webhook(messaging_entry(messaging_message("m_AbCdEf123", QUESTION))),
        f"/{API_VERSION}/me/messages",
        PSID,
    ),
    Case(
        "instagram",
        messaging_webhook(
            messaging_entry(
                messaging_message(
                    "aWdfZAG1faXRlbToxOklH", QUESTION, user=IGSID, page=IG_ACCOUNT_ID
                ),
                page=IG_ACCOUNT_ID,
            ),
            obj="instagram",
        ),
        f"/{API_VERSION}/me/messages",
        IGSID,
    ),
]


def reply_text(body: dict[str, Any]) -> str:
    """The text of a Send API body, whichever shape the channel chose."""
    if "message" in body:
        return str(body["message"]["text"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    return str(body["text"]["body"])


async def wait_for(check: Any) -> None:
    async with asyncio.timeout(WAIT):
        while not await check():
            await asyncio.sleep(0.05)


async def delivery(service: Service, channel: str) -> Delivery | None:
    async with service.db.session() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.channel == channel))).all()
    return rows[0] if rows else None


@pytest.mark.parametrize("case", CASES, ids=[c.channel for c in CASES])
async def test_where_is_my_order_is_answered_through_the_graph_api(
    make_service: ServiceFactory, case: Case
) -> None:
    graph = FakeGraph()
    async with fake_graph(graph) as (_, graph_base_url), aiohttp.ClientSession() as http:
        config = {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": ACCESS_TOKEN,
            "graph_base_url": graph_base_url,
        }
        service = await make_service(channels={case.channel: config})
        assert case.channel in service.channels
        webhook_url = f"http://127.0.0.1:{service.port}/webhooks/{case.channel}"

        # Meta subscribes the callback URL first.
        query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "9"}
        async with http.get(webhook_url, params=query) as response:
            assert (response.status, await response.text()) == (200, "9")

        body = body_of(case.question)
        async with http.post(webhook_url, data=body, headers=signed(body)) as response:
            assert response.status == 200

        async def replied() -> bool:
            return bool(graph.sent)

        await wait_for(replied)
        [sent] = graph.sent
        assert sent.path == case.path
        assert sent.authorization == f"Bearer {ACCESS_TOKEN}"
        assert case.sent_to(sent.body) == case.recipient
        text = reply_text(sent.body)
        assert "#1001" in text
        assert TRACKING_1001 in text
        if case.channel == "whatsapp":  # inside the 24-hour window: free-form text
            assert sent.body["type"] == "text"
            assert sent.body["text"]["preview_url"] is True
        else:
            assert sent.body["messaging_type"] == "RESPONSE"

        # The delivery is recorded with Meta's id; Meta's receipt then updates it.
        async def recorded() -> bool:
            return await delivery(service, case.channel) is not None

        await wait_for(recorded)
        row = await delivery(service, case.channel)
        assert row is not None
        assert row.status == "sent"
        assert row.provider_message_id is not None
        receipt = body_of(case.receipt(row.provider_message_id))
        async with http.post(webhook_url, data=receipt, headers=signed(receipt)) as response:
            assert response.status == 200
        row = await delivery(service, case.channel)
        assert row is not None
        assert row.provider_status == "delivered"

        # Meta retries the same webhook: no second event, no second reply.
        async with http.post(webhook_url, data=body, headers=signed(body)) as response:
            assert response.status == 200
        await asyncio.sleep(0.3)
        assert len(graph.sent) == 1


async def test_an_unsigned_webhook_is_refused_and_counted(make_service: ServiceFactory) -> None:
    config = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "access_token": ACCESS_TOKEN}
    service = await make_service(
        channels={"whatsapp": config, "messenger": config, "instagram": config}
    )
    async with aiohttp.ClientSession() as http:
        for case in CASES:
            url = f"http://127.0.0.1:{service.port}/webhooks/{case.channel}"
            body = body_of(case.question)
            headers = {**signed(body, secret="guessed"), "Content-Type": "application/json"}
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 403
                assert (await response.json())["error"] == "bad_signature"
        async with http.get(f"http://127.0.0.1:{service.port}/metrics") as response:
            metrics = await response.text()
    for case in CASES:
        assert (
            f'wismo_inbound_rejected_total{{channel="{case.channel}",reason="bad_signature"}} 1.0'
            in metrics
        )
    assert service.bus.stats.published == 0
