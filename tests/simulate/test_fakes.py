"""The local Twilio: our real SMS sender talks to it, and its signed texts pass our webhook
check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from channels.sms.send import TwilioSender
from channels.sms.settings import SmsSettings
from channels.sms.verify import Verifier
from router.events import OutboundMessage, Party
from router.simulate.fakes import (
    ACCOUNT_SID,
    FROM_NUMBER,
    MESSAGES,
    FakeTwilio,
    message_sid,
    text_service,
)
from router.store.db import Database
from tests.helpers import Clock, local_server

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    twilio = FakeTwilio(Clock(NOW))
    await twilio.start()
    yield twilio
    await twilio.stop()


def outbound(event_id: str, to: str, text: str) -> OutboundMessage:
    return OutboundMessage(
        event_id=event_id,
        occurred_at=NOW,
        conversation_key=f"sms:{to}",
        channel="sms",
        provider="twilio",
        recipient=Party(id=to, phone=to),
        route={"to": to, "from": FROM_NUMBER},
        text=text,
    )


async def test_the_sms_channel_sends_through_the_fake(fake: FakeTwilio, db: Database) -> None:
    cfg = SmsSettings.model_validate(
        {
            "account_sid": ACCOUNT_SID,
            "auth_token": fake.auth_token,
            "from_number": FROM_NUMBER,
            "api_base_url": fake.base_url,
        }
    )
    sender = TwilioSender(cfg, db, Clock(NOW))
    try:
        result = await sender.send(outbound("notice:7", "+12125550123", "Your order is late."))
        await sender.send(outbound("reply:twilio:SMx", "+13125550199", "On its way."))
    finally:
        await sender.close()
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("SM")
    sent = fake.take()
    assert [(s.to, s.token, s.at) for s in sent] == [
        ("+12125550123", "notice:7", NOW),
        ("+13125550199", "reply:twilio:SMx", NOW),
    ]
    assert [s.reply_to for s in sent] == [None, "twilio:SMx"]
    assert fake.take() == []


async def test_wrong_credentials_are_refused(fake: FakeTwilio) -> None:
    url = fake.base_url + MESSAGES.format(account_sid=ACCOUNT_SID)
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data={"To": "+1", "Body": "x"}) as response,
    ):
        assert response.status == 401
    assert fake.sent == []


async def test_texts_are_signed_as_twilio_signs_them() -> None:
    token = "f" * 32
    seen: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        signature = request.headers.get("X-Twilio-Signature")
        valid = Verifier(token).verify(str(request.url), form, signature)
        seen.append({"form": form, "valid": valid})
        return web.Response(text="<Response/>", content_type="text/xml")

    async with local_server(web.post("/webhooks/sms", webhook)) as server:
        base = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as http:
            sid = message_sid("20001", 1)
            await text_service(http, base, token, sender="+12125550123", body="hi #20001", sid=sid)
    [request] = seen
    assert request["valid"]
    assert request["form"]["From"] == "+12125550123"
    assert request["form"]["MessageSid"] == sid
    assert request["form"]["Body"] == "hi #20001"


def test_message_sids_are_stable_and_distinct() -> None:
    assert message_sid("20001", 1) == message_sid("20001", 1)
    assert message_sid("20001", 1) != message_sid("20001", 2)
    assert len(message_sid("20001", 1)) == 34
