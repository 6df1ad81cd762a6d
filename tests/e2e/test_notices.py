"""A carrier says a parcel waits at a pickup point: the customer gets one SMS about it before
asking, and when they do ask, the answer refers to it. The whole service on the memory bus and
on real Kafka: a signed EasyPost webhook in, the local Twilio fake out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from router.app import Service
from router.orders.demo import CUSTOMERS
from router.store.models import Notice
from tests.channels.sms.fake_twilio import FakeTwilio
from tests.channels.sms.fake_twilio import running as running_twilio
from tests.e2e.conftest import ServiceFactory
from tests.e2e.test_sms import Phone, replies, sms_channel
from tests.tracking.test_easypost import detail, sign, tracker

WAIT = 20.0
ALICE = CUSTOMERS["alice"].phone  # demo order #1001
TRACKING_1001 = "1ZXK3DEG0359083017"
SECRET = "whsec_e2e"


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    async with running_twilio() as served:
        yield served


async def start(make_service: ServiceFactory, api: str) -> Service:
    return await make_service(
        channels={"sms": sms_channel(api)},
        # No quiet hours here: the test must not depend on the time of day it runs at.
        notify={
            "quiet_start": "00:00",
            "quiet_end": "00:00",
            "webhooks": {"easypost_secret": SECRET},
        },
    )


def pickup_event(event_id: str, at: datetime) -> bytes:
    when = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = tracker(
        TRACKING_1001,
        "UPS",
        status="available_for_pickup",
        status_detail="arrived_at_destination",
        updated_at=when,
        est_delivery_date=None,
        signed_by=None,
        tracking_details=[
            detail(
                when,
                "available_for_pickup",
                "arrived_at_destination",
                "Held at UPS Access Point",
                "OAKLAND",
                "CA",
            ),
        ],
    )
    return json.dumps(
        {"object": "Event", "id": event_id, "description": "tracker.updated", "result": result}
    ).encode()


async def post_webhook(http: aiohttp.ClientSession, service: Service, body: bytes) -> int:
    url = f"http://127.0.0.1:{service.port}/webhooks/tracking/easypost"
    headers = {"Content-Type": "application/json", "X-Hmac-Signature": sign(body, SECRET)}
    async with http.post(url, data=body, headers=headers) as resp:
        return resp.status


async def test_a_pickup_notice_then_an_answer_that_refers_to_it(
    make_service: ServiceFactory, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, api = twilio
    service = await start(make_service, api)
    body = pickup_event("evt_pickup_1", datetime.now(UTC) - timedelta(minutes=20))
    async with aiohttp.ClientSession() as http:
        assert await post_webhook(http, service, body) == 200
        assert await post_webhook(http, service, body) == 200  # the aggregator retried
        [notice] = await replies(fake, 1)
        assert notice["To"] == ALICE
        assert "#1001" in notice["Body"]
        assert "pick" in notice["Body"].lower()

        phone = Phone(http, service, ALICE)
        await phone.text("Where is my order #1001?")
        answer = (await replies(fake, 2))[1]["Body"]
        assert "We last wrote to you about this order" in answer

        # A later scan of the same kind is not a second notice.
        again = pickup_event("evt_pickup_2", datetime.now(UTC) - timedelta(minutes=5))
        assert await post_webhook(http, service, again) == 200
        await asyncio.sleep(1.0)
        assert len(fake.received) == 2
    async with service.db.session() as session:
        rows = (await session.scalars(select(Notice))).all()
    assert [(r.kind, r.state, r.channel) for r in rows] == [("available_for_pickup", "sent", "sms")]


async def test_forged_tracking_webhooks_change_nothing(
    make_service: ServiceFactory, twilio: tuple[FakeTwilio, str]
) -> None:
    fake, api = twilio
    service = await start(make_service, api)
    body = pickup_event("evt_forged", datetime.now(UTC))
    url = f"http://127.0.0.1:{service.port}/webhooks/tracking/easypost"
    async with aiohttp.ClientSession() as http:
        headers = {"X-Hmac-Signature": sign(body, "not-the-secret")}
        async with http.post(url, data=body, headers=headers) as resp:
            assert resp.status == 401
    await asyncio.sleep(0.5)
    assert fake.received == []
