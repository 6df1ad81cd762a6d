"""A customer texts; the whole service answers through Twilio (a local fake of its REST API).
Memory bus and real Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from router.app import Service
from router.orders.demo import CUSTOMERS
from router.reply.formats import sms_segments
from router.store.models import Delivery
from tests.channels.sms.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    running,
)
from tests.e2e.conftest import ServiceFactory

WAIT = 20.0
ALICE = CUSTOMERS["alice"].phone  # the demo order #1001's phone
STRANGER = "+14155550199"
TRACKING_1001 = "1ZXK3DEG0359083017"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    async with running() as served:
        yield served


def sms_channel(api: str) -> dict[str, object]:
    """The SMS channel's settings against the local Twilio fake at `api`."""
    return {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": FROM_NUMBER,
        "api_base_url": api,
        "retry": {"backoff_s": 0.05, "max_backoff_s": 0.2},
    }


async def start(make_service: ServiceFactory, api: str) -> Service:
    return await make_service(channels={"sms": sms_channel(api)})


class Phone:
    """Texts the service the way Twilio delivers an SMS: a signed form POST."""

    def __init__(self, http: aiohttp.ClientSession, service: Service, number: str) -> None:
        assert service.port is not None
        self.http = http
        self.base = f"http://127.0.0.1:{service.port}"
        self.number = number
        self.sent = 0

    async def text(self, body: str) -> str:
        self.sent += 1
        sid = f"SM{self.number[-10:]}{self.sent:022x}"
        params = {
            "ToCountry": "US",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "FromCountry": "US",
            "To": FROM_NUMBER,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": self.number,
            "ApiVersion": "2010-04-01",
        }
        return await self.post("/webhooks/sms", params)

    async def post(self, path: str, params: dict[str, str]) -> str:
        url = self.base + path
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        headers = {"Content-Type": FORM, "X-Twilio-Signature": signature}
        async with self.http.post(url, data=urlencode(params), headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.text()


async def replies(fake: FakeTwilio, n: int) -> list[dict[str, str]]:
    async with asyncio.timeout(WAIT):
        while len(fake.received) < n:
            await asyncio.sleep(0.02)
    return [r.form for r in fake.received]


async def delivery_count(service: Service, status: str) -> None:
    """Wait until dispatch has recorded a delivery with this status."""
    labels = {"channel": "sms", "status": status}
    async with asyncio.timeout(WAIT):
        while not service.metrics.registry.get_sample_value("wismo_delivery_status_total", labels):
            await asyncio.sleep(0.02)


async def test_where_is_my_order_by_sms(
    make_service: ServiceFactory, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, api = twilio
    service = await start(make_service, api)
    async with aiohttp.ClientSession() as http:
        phone = Phone(http, service, ALICE)
        answer = await phone.text("Where is my order #1001? My email is alice@example.com")
        assert answer == '<?xml version="1.0" encoding="UTF-8"?><Response />'
        [reply] = await replies(fake, 1)
        assert set(reply) == {"To", "From", "Body"}
        assert reply["To"] == ALICE
        assert reply["From"] == FROM_NUMBER
        assert TRACKING_1001 in reply["Body"]
        assert "#1001" in reply["Body"]
        assert sms_segments(reply["Body"]) <= 2
        received = fake.received[0].headers
        assert received["I-Twilio-Idempotency-Token"].startswith("reply:twilio:SM")
        # Twilio's delivery receipt for that reply lands on its delivery record.
        await delivery_count(service, "sent")
        async with service.db.session() as session:
            sent = (await session.execute(select(Delivery))).scalar_one()
        assert sent.provider_message_id is not None
        await phone.post(
            "/webhooks/sms/status",
            {"MessageSid": sent.provider_message_id, "MessageStatus": "delivered"},
        )
        async with service.db.session() as session:
            delivered = (await session.execute(select(Delivery))).scalar_one()
        assert delivered.provider_status == "delivered"


async def test_the_phone_a_text_comes_from_proves_who_asks(
    make_service: ServiceFactory, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, api = twilio
    service = await start(make_service, api)
    async with aiohttp.ClientSession() as http:
        await Phone(http, service, ALICE).text("where is my order #1001")
        [owner] = await replies(fake, 1)
        await Phone(http, service, STRANGER).text("where is my order #1001")
        _, stranger = await replies(fake, 2)
    assert owner["To"] == ALICE
    assert TRACKING_1001 in owner["Body"]
    assert stranger["To"] == STRANGER
    assert TRACKING_1001 not in stranger["Body"]
    assert "UPS" not in stranger["Body"]
    assert sms_segments(stranger["Body"]) <= 2


async def test_nothing_is_sent_after_stop(
    make_service: ServiceFactory, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, api = twilio
    service = await start(make_service, api)
    async with aiohttp.ClientSession() as http:
        phone = Phone(http, service, ALICE)
        confirmation = await phone.text("STOP")
        assert "you are unsubscribed" in confirmation
        await phone.text("Where is my order #1001? My email is alice@example.com")
        await delivery_count(service, "suppressed")
        assert fake.received == []  # answered, but never sent
        resubscribed = await phone.text("START")
        assert "you are subscribed again" in resubscribed
        await phone.text("Where is my order #1001?")
        [reply] = await replies(fake, 1)
    assert TRACKING_1001 in reply["Body"]
