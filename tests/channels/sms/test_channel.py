"""channels/sms/channel.py through the running service (ingest role, memory bus): verified
webhooks in, keywords answered and stored, receipts recorded, bad requests refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from channels.sms import TwilioSmsChannel
from router.app import Service
from router.bus import Record
from router.bus import topics as t
from router.bus.codec import decode_as
from router.events import InboundMessage, Party
from router.settings import Settings
from router.store import channel_state
from router.store.models import Delivery
from tests.channels.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SERVICE_SID
from tests.helpers import sent_reply

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CUSTOMER = "+14155550134"
SID = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
XML = '<?xml version="1.0" encoding="UTF-8"?>'
EMPTY = f"{XML}<Response />"
FORM = "application/x-www-form-urlencoded"
STOP_REPLY = (
    "Bits &amp; Bobs: you are unsubscribed and will get no more messages from us. "
    "Reply START to resubscribe."
)


def clock() -> datetime:
    return NOW


def sms(body: str = "Where is my order #1001?", sid: str = SID, **extra: str) -> dict[str, str]:
    return {
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
        "From": CUSTOMER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def signature(url: str, params: Any, token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


@dataclass
class Sms:
    service: Service
    http: aiohttp.ClientSession
    base: str
    inbound: list[InboundMessage] = field(default_factory=list)

    async def post(
        self,
        params: Any,
        *,
        path: str = "/webhooks/sms",
        signed_url: str | None = None,
        headers: dict[str, str] | None = None,
        token: str = AUTH_TOKEN,
    ) -> tuple[int, str, str]:
        url = self.base + path
        sent = {"Content-Type": FORM, **(headers or {})}
        if "X-Twilio-Signature" not in sent:
            sent["X-Twilio-Signature"] = signature(signed_url or url, params, token)
        async with self.http.post(url, data=urlencode(params), headers=sent) as resp:
            return resp.status, await resp.text(), resp.headers.get("Content-Type", "")

    def rejected(self, reason: str) -> float:
        value = self.service.metrics.registry.get_sample_value(
            "wismo_inbound_rejected_total", {"channel": "sms", "reason": reason}
        )
        return value or 0.0

    async def published(self, n: int) -> list[InboundMessage]:
        """The inbound messages on the bus, once there are `n` of them."""
        async with asyncio.timeout(5):
            while len(self.inbound) < n:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # and no more than that
        return list(self.inbound)


SmsFactory = Callable[..., Awaitable[Sms]]


@pytest.fixture
async def make_sms(tmp_path: Path) -> AsyncIterator[SmsFactory]:
    made: list[Sms] = []

    async def make(**config: Any) -> Sms:
        settings = Settings(
            host="127.0.0.1",
            port=0,
            roles=["ingest"],
            database={"url": f"sqlite+aiosqlite:///{tmp_path}/t{len(made)}.db"},
            brand={"name": "Bits & Bobs", "support_email": "help@bits.example"},
            channels={
                "sms": {
                    "account_sid": ACCOUNT_SID,
                    "auth_token": AUTH_TOKEN,
                    "from_number": FROM_NUMBER,
                    **config,
                }
            },
        )
        service = Service(settings, clock=clock, channels={"sms": TwilioSmsChannel})
        await service.start()
        harness = Sms(service, aiohttp.ClientSession(), f"http://127.0.0.1:{service.port}")

        async def collect(record: Record) -> None:
            harness.inbound.append(decode_as(InboundMessage, record))

        consumer = service.bus.consumer([t.INBOUND], "test-collect", collect)
        await consumer.start()
        made.append(harness)
        return harness

    try:
        yield make
    finally:
        for harness in made:
            await harness.http.close()
            await harness.service.stop()


@pytest.fixture
async def sms_channel(make_sms: SmsFactory) -> Sms:
    return await make_sms()


async def test_a_signed_sms_is_published_and_answered_with_empty_twiml(sms_channel: Sms) -> None:
    status, text, content_type = await sms_channel.post(sms())
    assert (status, text) == (200, EMPTY)
    assert content_type.startswith("text/xml")
    [message] = await sms_channel.published(1)
    assert message.event_id == f"twilio:{SID}"
    assert message.channel == "sms"
    assert message.provider == "twilio"
    assert message.sender == Party(id=CUSTOMER, phone=CUSTOMER)
    assert message.conversation_key == f"sms:{CUSTOMER}:{FROM_NUMBER}"
    assert message.route == {"to": CUSTOMER, "from": FROM_NUMBER}
    assert message.text == "Where is my order #1001?"
    assert message.received_at == NOW
    contact = await channel_state.contact(sms_channel.service.db, "sms", CUSTOMER)
    assert contact.last_inbound_at == NOW


async def test_a_provider_retry_is_acknowledged_and_published_once(sms_channel: Sms) -> None:
    for _ in range(3):
        assert (await sms_channel.post(sms()))[:2] == (200, EMPTY)
    assert len(await sms_channel.published(1)) == 1
    duplicates = sms_channel.service.metrics.registry.get_sample_value(
        "wismo_inbound_duplicates_total", {"channel": "sms"}
    )
    assert duplicates == 2


async def test_twilio_configured_for_get(sms_channel: Sms) -> None:
    url = f"{sms_channel.base}/webhooks/sms?{urlencode(sms(body='where is 1001 ✓'))}"
    headers = {"X-Twilio-Signature": signature(url, {})}
    async with sms_channel.http.get(url, headers=headers) as resp:
        assert (resp.status, await resp.text()) == (200, EMPTY)
    [message] = await sms_channel.published(1)
    assert message.text == "where is 1001 ✓"
    # The query is what is signed: change one parameter and it no longer verifies.
    tampered = url.replace("1001", "1002")
    async with sms_channel.http.get(tampered, headers=headers) as resp:
        assert resp.status == 403


async def test_missing_or_wrong_signatures_are_refused_and_counted(sms_channel: Sms) -> None:
    url = f"{sms_channel.base}/webhooks/sms"
    async with sms_channel.http.post(
        url, data=urlencode(sms()), headers={"Content-Type": FORM}
    ) as r:
        assert r.status == 403
        assert await r.json() == {
            "error": "bad_signature",
            "message": "The X-Twilio-Signature header is missing.",
        }
    wrong_token = await sms_channel.post(sms(), token="0" * 32)
    tampered_body = await sms_channel.post(
        sms(body="Where is my order #1002?"),
        headers={"X-Twilio-Signature": signature(url, sms())},
    )
    for status, text, _ in (wrong_token, tampered_body):
        assert status == 403
        assert text == (
            '{"error": "bad_signature", "message": "The signature does not match this request."}'
        )
    assert sms_channel.rejected("bad_signature") == 3
    assert await sms_channel.published(0) == []


async def test_an_added_parameter_breaks_the_signature(sms_channel: Sms) -> None:
    url = f"{sms_channel.base}/webhooks/sms"
    status, _, _ = await sms_channel.post(
        {**sms(), "FromCity": "OAKLAND"}, headers={"X-Twilio-Signature": signature(url, sms())}
    )
    assert status == 403


async def test_behind_a_proxy_the_public_url_is_rebuilt(sms_channel: Sms) -> None:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
    public = "https://hooks.example.com/webhooks/sms?source=twilio"
    status, _, _ = await sms_channel.post(
        sms(), path="/webhooks/sms?source=twilio", signed_url=public, headers=proxy
    )
    assert status == 200
    # Signed for the address the proxy forwarded to, not the one Twilio called: refused.
    internal = f"{sms_channel.base}/webhooks/sms?source=twilio"
    status, _, _ = await sms_channel.post(
        sms(sid="SM" + "1" * 32),
        path="/webhooks/sms?source=twilio",
        signed_url=internal,
        headers=proxy,
    )
    assert status == 403
    # The query string is part of the signed URL.
    status, _, _ = await sms_channel.post(
        sms(sid="SM" + "2" * 32),
        path="/webhooks/sms?source=twilio",
        signed_url="https://hooks.example.com/webhooks/sms",
        headers=proxy,
    )
    assert status == 403
    assert len(await sms_channel.published(1)) == 1


async def test_the_configured_public_url_wins(make_sms: SmsFactory) -> None:
    channel = await make_sms(public_base_url="https://hooks.example.com/wismo/")
    public = "https://hooks.example.com/wismo/webhooks/sms"
    spoofed = {"X-Forwarded-Host": "evil.example"}
    assert (await channel.post(sms(), signed_url=public, headers=spoofed))[0] == 200
    evil = "https://evil.example/webhooks/sms"
    assert (await channel.post(sms(sid="SM" + "3" * 32), signed_url=evil, headers=spoofed))[
        0
    ] == 403
    # Also with the explicit default port Twilio sometimes signs with.
    with_port = "https://hooks.example.com:443/wismo/webhooks/sms"
    assert (await channel.post(sms(sid="SM" + "4" * 32), signed_url=with_port))[0] == 200


async def test_shared_key_signed_webhooks(make_sms: SmsFactory) -> None:
    import base64
    import hashlib
    import hmac

    channel = await make_sms(shared_key="shared-secret")
    url = f"{channel.base}/webhooks/sms"
    params = sms()
    data = url + "".join(k + v for k, v in sorted(params.items()))
    signed = hmac.new(b"shared-secret", data.encode(), hashlib.sha256).digest()
    headers = {
        "X-Twilio-Signature": base64.b64encode(signed).decode(),
        "X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256",
    }
    assert (await channel.post(params, headers=headers))[0] == 200


async def test_wrong_content_type_and_bad_form(sms_channel: Sms) -> None:
    url = f"{sms_channel.base}/webhooks/sms"
    sig = {"X-Twilio-Signature": signature(url, {})}
    async with sms_channel.http.post(url, json=sms(), headers=sig) as resp:
        assert resp.status == 415
        assert (await resp.json())["error"] == "unsupported_media_type"
    async with sms_channel.http.post(
        url, data=b"Body=caf%E9&From=\xff\xfe", headers={**sig, "Content-Type": FORM}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "bad_form"
    async with sms_channel.http.post(
        url, data=b"Body=x", headers={**sig, "Content-Type": f"{FORM}; charset=no-such"}
    ) as resp:
        assert resp.status == 415
    assert sms_channel.rejected("unsupported_media_type") == 2
    assert sms_channel.rejected("bad_form") == 1


async def test_a_signed_payload_without_the_fields_is_a_400(sms_channel: Sms) -> None:
    status, text, _ = await sms_channel.post({"From": CUSTOMER, "Body": "hi"})
    assert status == 400
    assert '"error": "bad_payload"' in text
    assert "MessageSid" in text
    status, _, _ = await sms_channel.post(sms(NumMedia="many"))
    assert status == 400
    assert sms_channel.rejected("bad_payload") == 2
    assert await sms_channel.published(0) == []


async def test_media_only_and_empty_messages(sms_channel: Sms) -> None:
    media = sms(
        body="",
        NumMedia="1",
        MediaContentType0="image/jpeg",
        MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SID}/Media/ME1",
    )
    assert (await sms_channel.post(media))[:2] == (200, EMPTY)
    assert (await sms_channel.post(sms(body=" ", sid="SM" + "5" * 32)))[:2] == (200, EMPTY)
    [message] = await sms_channel.published(1)
    assert message.text == "[media]"
    assert [a.content_type for a in message.attachments] == ["image/jpeg"]


async def test_bus_down_is_a_503_and_the_retry_goes_through(sms_channel: Sms) -> None:
    await sms_channel.service.bus.stop()
    url = f"{sms_channel.base}/webhooks/sms"
    async with sms_channel.http.post(
        url,
        data=urlencode(sms()),
        headers={"Content-Type": FORM, "X-Twilio-Signature": signature(url, sms())},
    ) as resp:
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "5"
    assert sms_channel.rejected("bus_unavailable") == 1
    await sms_channel.service.bus.start()
    assert (await sms_channel.post(sms()))[0] == 200  # Twilio's retry
    assert len(await sms_channel.published(1)) == 1


# -- keywords ------------------------------------------------------------------------------


async def test_stop_is_stored_confirmed_and_never_published(sms_channel: Sms) -> None:
    db = sms_channel.service.db
    status, text, _ = await sms_channel.post(sms(body=" stop "))
    assert status == 200
    assert text == f"{XML}<Response><Message>{STOP_REPLY}</Message></Response>"
    state = await channel_state.contact(db, "sms", CUSTOMER)
    assert (state.opted_out, state.opted_out_at) == (True, NOW)
    # Twilio retrying the same STOP: the same answer, nothing changes.
    assert (await sms_channel.post(sms(body=" stop "))) == (status, text, "text/xml; charset=utf-8")
    assert await sms_channel.published(0) == []
    assert (
        sms_channel.service.metrics.registry.get_sample_value(
            "wismo_inbound_messages_total", {"channel": "sms"}
        )
        is None
    )


async def test_start_and_yes_opt_back_in(sms_channel: Sms) -> None:
    db = sms_channel.service.db
    await sms_channel.post(sms(body="STOPALL", sid="SM" + "a" * 32))
    _, text, _ = await sms_channel.post(sms(body="Start", sid="SM" + "b" * 32))
    assert "you are subscribed again. Reply HELP for help, STOP to unsubscribe." in text
    assert not (await channel_state.contact(db, "sms", CUSTOMER)).opted_out
    # YES is an answer, not a keyword, for someone who has not opted out.
    assert (await sms_channel.post(sms(body="yes", sid="SM" + "c" * 32)))[1] == EMPTY
    [answer] = await sms_channel.published(1)
    assert answer.text == "yes"
    await sms_channel.post(sms(body="cancel", sid="SM" + "d" * 32))
    assert (await channel_state.contact(db, "sms", CUSTOMER)).opted_out
    _, text, _ = await sms_channel.post(sms(body="YES", sid="SM" + "e" * 32))
    assert "subscribed again" in text
    assert not (await channel_state.contact(db, "sms", CUSTOMER)).opted_out
    assert len(await sms_channel.published(1)) == 1


async def test_help_answers_with_the_brand_and_contact(sms_channel: Sms) -> None:
    _, text, _ = await sms_channel.post(sms(body="HELP"))
    assert text == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bits &amp; Bobs: text us your '
        "order number to get its status, or e-mail help@bits.example. Reply STOP to "
        "unsubscribe.</Message></Response>"
    )
    assert not (await channel_state.contact(sms_channel.service.db, "sms", CUSTOMER)).opted_out
    assert await sms_channel.published(0) == []


async def test_configured_help_text(make_sms: SmsFactory) -> None:
    channel = await make_sms(help_text="Order help: <reply> with your order number")
    _, text, _ = await channel.post(sms(body="info"))
    assert "<Message>Order help: &lt;reply&gt; with your order number</Message>" in text


async def test_with_twilio_answering_keywords_we_only_store_them(make_sms: SmsFactory) -> None:
    channel = await make_sms(keyword_replies=False)
    assert (await channel.post(sms(body="UNSUBSCRIBE")))[:2] == (200, EMPTY)
    assert (await channel_state.contact(channel.service.db, "sms", CUSTOMER)).opted_out
    # Advanced Opt-Out marks its custom keywords.
    custom = sms(body="ARRET", sid="SM" + "f" * 32, OptOutType="STOP")
    assert (await channel.post(custom))[:2] == (200, EMPTY)
    assert await channel.published(0) == []


# -- status callbacks ----------------------------------------------------------------------


async def test_status_callbacks_update_the_delivery(sms_channel: Sms) -> None:
    db = sms_channel.service.db
    sent_sid = "SM" + "9" * 32
    await sent_reply(
        db,
        channel="sms",
        provider="twilio",
        conversation_key=f"sms:{CUSTOMER}:{FROM_NUMBER}",
        recipient=CUSTOMER,
        provider_message_id=sent_sid,
        now=NOW,
    )
    callback = {
        "SmsSid": sent_sid,
        "SmsStatus": "undelivered",
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
        "To": CUSTOMER,
        "MessageSid": sent_sid,
        "AccountSid": ACCOUNT_SID,
        "MessagingServiceSid": SERVICE_SID,
        "From": FROM_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    status, text, _ = await sms_channel.post(callback, path="/webhooks/sms/status")
    assert (status, text) == (200, EMPTY)
    async with db.session() as session:
        row = (await session.execute(select(Delivery))).scalar_one()
    assert (row.provider_status, row.error) == ("undelivered", "30003")
    # Unsigned: refused; a callback for a message we do not know: acknowledged, nothing changes.
    url = f"{sms_channel.base}/webhooks/sms/status"
    async with sms_channel.http.post(
        url, data=urlencode(callback), headers={"Content-Type": FORM}
    ) as r:
        assert r.status == 403
    unknown = {**callback, "MessageSid": "SM" + "8" * 32, "MessageStatus": "delivered"}
    assert (await sms_channel.post(unknown, path="/webhooks/sms/status"))[0] == 200
    malformed = {"MessageSid": sent_sid}
    assert (await sms_channel.post(malformed, path="/webhooks/sms/status"))[0] == 400
    assert await sms_channel.published(0) == []


async def test_unconfigured_channel_is_disabled(tmp_path: Path) -> None:
    from channels.base import ChannelDisabled

    for config, reason in (
        ({}, "account_sid is not set"),
        ({"account_sid": ACCOUNT_SID}, "auth_token is not set: webhooks could not be verified"),
        ({"account_sid": ACCOUNT_SID, "auth_token": ""}, "auth_token is not set"),
    ):
        settings = Settings(
            database={"url": f"sqlite+aiosqlite:///{tmp_path}/d.db"}, channels={"sms": config}
        )
        service = Service(settings, channels={"sms": TwilioSmsChannel})
        from channels.base import ChannelContext

        async with aiohttp.ClientSession() as http:
            ctx = ChannelContext(
                settings=settings,
                config=config,
                ingest=service.ingest,
                db=service.db,
                feed=service.feed,
                clock=clock,
                http=http,
            )
            with pytest.raises(ChannelDisabled, match=reason):
                TwilioSmsChannel(ctx)
        await service.db.close()
