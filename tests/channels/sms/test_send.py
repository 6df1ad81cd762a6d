"""channels/sms/send.py against a local fake of Twilio's Messages API: the exact fields sent,
what is retried (429/5xx/time-outs, Retry-After honoured), what is not (other 4xx), opt-outs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from channels.outbound import RetrySettings
from channels.sms.send import IDEMPOTENCY_HEADER, TwilioSender
from channels.sms.settings import SmsSettings
from router.dispatch import SendFailed, SendResult
from router.events import OutboundMessage, Party
from router.store import channel_state
from router.store.db import Database
from tests.channels.sms.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    SERVICE_SID,
    FakeTwilio,
    error,
    running,
)

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CUSTOMER = "+14155550134"
OTHER_NUMBER = "+14155550100"
FAST = RetrySettings(attempts=4, backoff_s=0.01, max_backoff_s=0.02, timeout_s=0.5)
TEXT = "Your order #1001 is on its way with UPS (1ZXK3DEG0359083017). Track: https://ups.example/t"


def clock() -> datetime:
    return NOW


def make_settings(api: str, **over: Any) -> SmsSettings:
    values: dict[str, Any] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": FROM_NUMBER,
        "api_base_url": api,
        "retry": FAST,
        **over,
    }
    return SmsSettings.model_validate(values)


def reply(route: dict[str, str] | None = None, text: str = TEXT) -> OutboundMessage:
    return OutboundMessage(
        event_id="reply:twilio:SM0123456789abcdef0123456789abcdef",
        occurred_at=NOW,
        conversation_key=f"sms:{CUSTOMER}:{FROM_NUMBER}",
        channel="sms",
        provider="twilio",
        recipient=Party(id=CUSTOMER, phone=CUSTOMER),
        route={"to": CUSTOMER, "from": FROM_NUMBER} if route is None else route,
        text=text,
    )


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    async with running() as served:
        yield served


@pytest.fixture
async def sender_for(db: Database, twilio: tuple[FakeTwilio, str]) -> AsyncIterator[Any]:
    made: list[TwilioSender] = []

    def make(**over: Any) -> TwilioSender:
        sender = TwilioSender(make_settings(twilio[1], **over), db, clock)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        await sender.close()


async def test_sends_the_exact_fields(twilio: tuple[FakeTwilio, str], sender_for: Any) -> None:
    fake, _ = twilio
    sender: TwilioSender = sender_for(public_base_url="https://hooks.example.com/wismo/")
    result = await sender.send(reply())
    assert len(fake.received) == 1
    sent = fake.received[0]
    assert sent.form == {
        "To": CUSTOMER,
        "From": FROM_NUMBER,
        "Body": TEXT,
        "StatusCallback": "https://hooks.example.com/wismo/webhooks/sms/status",
    }
    assert sent.headers[IDEMPOTENCY_HEADER] == "reply:twilio:SM0123456789abcdef0123456789abcdef"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.headers["User-Agent"].startswith("twilio-python/")
    assert result.status == "sent"
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("SM")
    assert len(result.provider_message_id) == 34


async def test_replies_from_the_number_written_to_and_its_messaging_service(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    sender: TwilioSender = sender_for()  # no public URL: no StatusCallback
    route = {"to": CUSTOMER, "from": OTHER_NUMBER, "messaging_service_sid": SERVICE_SID}
    await sender.send(reply(route))
    assert fake.received[0].form == {
        "To": CUSTOMER,
        "From": OTHER_NUMBER,
        "MessagingServiceSid": SERVICE_SID,
        "Body": TEXT,
    }


async def test_the_configured_sender_when_the_route_has_none(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    by_number: TwilioSender = sender_for(
        public_base_url="https://hooks.example.com", status_callbacks=False
    )
    await by_number.send(reply({"to": CUSTOMER}))
    by_service: TwilioSender = sender_for(from_number=None, messaging_service_sid=SERVICE_SID)
    await by_service.send(reply({}))  # the recipient's phone, from the Party
    assert [r.form for r in fake.received] == [
        {"To": CUSTOMER, "From": FROM_NUMBER, "Body": TEXT},
        {"To": CUSTOMER, "MessagingServiceSid": SERVICE_SID, "Body": TEXT},
    ]


async def test_a_4xx_is_not_retried_and_names_twilios_code(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    fake.script.append(
        lambda: error(400, 21211, f"The 'To' number {CUSTOMER} is not a valid phone number.")
    )
    sender: TwilioSender = sender_for()
    with pytest.raises(SendFailed) as failed:
        await sender.send(reply())
    assert str(failed.value) == (
        "twilio: HTTP 400 (21211: The 'To' number <phone …34> is not a valid phone number.)"
    )
    assert len(fake.received) == 1


async def test_wrong_credentials_fail_without_retry(
    twilio: tuple[FakeTwilio, str], db: Database
) -> None:
    fake, api = twilio
    sender = TwilioSender(make_settings(api, auth_token="f" * 32), db, clock)
    try:
        with pytest.raises(SendFailed, match=r"^twilio: HTTP 401 \(20003: Authenticate\)$"):
            await sender.send(reply())
    finally:
        await sender.close()
    assert fake.received == []


async def test_opted_out_recipient_is_suppressed_without_calling_twilio(
    twilio: tuple[FakeTwilio, str], sender_for: Any, db: Database
) -> None:
    fake, _ = twilio
    await channel_state.set_opted_out(db, "sms", CUSTOMER, True, NOW)
    sender: TwilioSender = sender_for()
    assert await sender.send(reply()) == SendResult(status="suppressed")
    assert fake.received == []
    await channel_state.set_opted_out(db, "sms", CUSTOMER, False, NOW)
    assert (await sender.send(reply())).status == "sent"
    assert len(fake.received) == 1


async def test_twilio_21610_marks_the_number_opted_out(
    twilio: tuple[FakeTwilio, str], sender_for: Any, db: Database
) -> None:
    fake, _ = twilio
    fake.script.append(lambda: error(400, 21610, "Attempt to send to unsubscribed recipient"))
    sender: TwilioSender = sender_for()
    assert await sender.send(reply()) == SendResult(status="suppressed")
    state = await channel_state.contact(db, "sms", CUSTOMER)
    assert state.opted_out
    assert state.opted_out_at == NOW
    assert await sender.send(reply()) == SendResult(status="suppressed")
    assert len(fake.received) == 1


async def test_5xx_is_retried_with_the_same_idempotency_key(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    fake.script += [
        lambda: error(500, 20500, "Internal Server Error"),
        lambda: web.Response(status=502),
    ]
    sender: TwilioSender = sender_for()
    result = await sender.send(reply())
    assert result.status == "sent"
    assert len(fake.received) == 3
    assert {r.headers[IDEMPOTENCY_HEADER] for r in fake.received} == {reply().event_id}
    assert [r.form for r in fake.received] == [fake.received[0].form] * 3


async def test_429_honours_retry_after(twilio: tuple[FakeTwilio, str], sender_for: Any) -> None:
    fake, _ = twilio
    fake.script.append(lambda: error(429, 20429, "Too Many Requests", {"Retry-After": "1"}))
    sender: TwilioSender = sender_for()
    started = time.monotonic()
    assert (await sender.send(reply())).status == "sent"
    assert time.monotonic() - started >= 0.95
    assert len(fake.received) == 2


async def test_a_retry_after_beyond_our_patience_gives_up_at_once(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    fake.script.append(lambda: error(429, 20429, "Too Many Requests", {"Retry-After": "120"}))
    sender: TwilioSender = sender_for()
    with pytest.raises(SendFailed) as failed:
        await sender.send(reply())
    assert str(failed.value) == (
        "twilio: HTTP 429 (20429: Too Many Requests) (gave up after 1 attempts)"
    )
    assert len(fake.received) == 1


async def test_persistent_5xx_gives_up_after_the_attempts(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    fake.script += [lambda: error(503, 20503, "Service Unavailable")] * 4
    sender: TwilioSender = sender_for()
    with pytest.raises(SendFailed) as failed:
        await sender.send(reply())
    assert str(failed.value) == (
        "twilio: HTTP 503 (20503: Service Unavailable) (gave up after 4 attempts)"
    )
    assert len(fake.received) == 4


async def test_a_provider_that_does_not_answer_is_retried(
    twilio: tuple[FakeTwilio, str], sender_for: Any
) -> None:
    fake, _ = twilio
    fake.delays.append(1.0)  # the first request outlives timeout_s=0.5
    sender: TwilioSender = sender_for()
    assert (await sender.send(reply())).status == "sent"
    assert len(fake.received) == 2


async def test_connection_refused_is_retried_then_fails(db: Database) -> None:
    async with running() as (_, api):
        pass  # the port is closed again
    sender = TwilioSender(make_settings(api), db, clock)
    try:
        with pytest.raises(SendFailed) as failed:
            await sender.send(reply())
    finally:
        await sender.close()
    assert str(failed.value) == (
        "twilio: request failed: ClientConnectorError (gave up after 4 attempts)"
    )


async def test_close_closes_the_clients_session(
    twilio: tuple[FakeTwilio, str], db: Database
) -> None:
    sender = TwilioSender(make_settings(twilio[1]), db, clock)
    await sender.close()  # never used: nothing was opened
    await sender.send(reply())
    http = sender._http
    assert http is not None
    assert not http.session.closed
    await sender.close()
    assert http.session.closed
