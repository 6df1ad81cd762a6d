"""channels/whatsapp/channel.py over HTTP: verify → parse → bus → 200, and the refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.base import ChannelDisabled
from channels.meta.signature import sign
from channels.whatsapp import WhatsAppChannel
from router.store import channel_state
from router.store.db import Database
from router.store.models import Delivery
from tests.channels.fuzzing import check_answer, json_leaves, json_trees
from tests.channels.meta.harness import (
    ACCESS_TOKEN,
    APP_SECRET,
    NOW,
    VERIFY_TOKEN,
    Rig,
    body_of,
    make_rig,
    post,
    serve,
    signed,
)
from tests.channels.whatsapp.samples import (
    PHONE_NUMBER_ID,
    T0,
    WA_ID,
    notification,
    status,
    text_message,
    value,
)
from tests.helpers import sent_reply

CONFIG = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "access_token": ACCESS_TOKEN}


class Served:
    def __init__(self, rig: Rig, url: str) -> None:
        self.rig = rig
        self.url = url

    @property
    def published(self) -> list[str]:
        return [m.provider_message_id for m in self.rig.bus.inbound]


@pytest.fixture
async def served(db: Database, session: aiohttp.ClientSession) -> AsyncIterator[Served]:
    rig = await make_rig(db, session, CONFIG)
    channel = WhatsAppChannel(rig.ctx)
    async with serve(channel) as base:
        yield Served(rig, base + "/webhooks/whatsapp")


async def test_without_secrets_the_channel_is_disabled(
    db: Database, session: aiohttp.ClientSession
) -> None:
    for missing in CONFIG:
        rig = await make_rig(db, session, {k: v for k, v in CONFIG.items() if k != missing})
        with pytest.raises(ChannelDisabled, match=missing):
            WhatsAppChannel(rig.ctx)


async def test_a_batch_is_published_message_by_message(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = notification(
        value([text_message("wamid.1", "Where is my order #1001?"), text_message("wamid.2", "?")]),
        value(statuses=[status("wamid.OUT", "delivered")]),
        value([text_message("wamid.3", "caf\u00e9")]),
    )
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 3})
    assert served.published == ["wamid.1", "wamid.2", "wamid.3"]
    assert served.rig.bus.inbound[2].text == "café"
    # The sender's last message opens the 24-hour window.
    contact = await channel_state.contact(served.rig.ctx.db, "whatsapp", WA_ID)
    assert contact.last_inbound_at == NOW


async def test_a_redelivered_notification_is_published_once(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = notification(value([text_message("wamid.1", "hi"), text_message("wamid.1", "hi")]))
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 1})
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 0})
    assert served.published == ["wamid.1"]
    duplicates = served.rig.metrics.registry.get_sample_value(
        "wismo_inbound_duplicates_total", {"channel": "whatsapp"}
    )
    assert duplicates == 3


async def test_503_when_the_bus_is_down_then_the_retry_is_taken(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = notification(value([text_message("wamid.1", "hi")]))
    await served.rig.bus.stop()
    async with session.post(
        served.url, data=body_of(payload), headers=signed(body_of(payload))
    ) as r:
        assert r.status == 503
        assert r.headers["Retry-After"] == "5"
    assert served.rig.rejected("whatsapp", "bus_unavailable") == 1
    await served.rig.bus.start()
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 1})
    assert served.published == ["wamid.1"]


async def test_statuses_update_the_delivery_record(
    served: Served, session: aiohttp.ClientSession
) -> None:
    db = served.rig.ctx.db
    outbound = await sent_reply(
        db,
        channel="whatsapp",
        provider="whatsapp_cloud",
        conversation_key=f"whatsapp:{PHONE_NUMBER_ID}:{WA_ID}",
        recipient=WA_ID,
        provider_message_id="wamid.OUT",
        now=NOW,
    )
    # read overtakes delivered in the same second: read stays
    statuses = [status("wamid.OUT", "read", ts=T0 + 9), status("wamid.OUT", "delivered", ts=T0 + 9)]
    assert await post(session, served.url, notification(value(statuses=statuses))) == (
        200,
        {"status": "ok", "accepted": 0},
    )
    async with db.session() as s:
        row = await s.get(Delivery, outbound.event_id)
    assert row is not None
    assert (row.provider_status, row.error) == ("read", None)
    failed = status(
        "wamid.OUT",
        "failed",
        ts=T0 + 20,
        errors=[{"code": 131026, "title": "Message undeliverable"}],
    )
    await post(session, served.url, notification(value(statuses=[failed])))
    async with db.session() as s:
        row = await s.get(Delivery, outbound.event_id)
    assert row is not None
    assert (row.provider_status, row.error) == ("failed", "131026: Message undeliverable")
    assert served.published == []


@pytest.mark.parametrize(
    ("signature", "status_", "reason"),
    [
        (None, 401, "unauthorized"),
        ("sha256=00", 403, "bad_signature"),
        ("sha1=ab", 403, "bad_signature"),
    ],
)
async def test_unsigned_or_badly_signed_is_refused_and_counted(
    served: Served,
    session: aiohttp.ClientSession,
    signature: str | None,
    status_: int,
    reason: str,
) -> None:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    payload = notification(value([text_message("wamid.1", "hi")]))
    code, body = await post(session, served.url, body_of(payload), headers=headers)
    assert (code, body["error"]) == (status_, reason)
    assert served.rig.rejected("whatsapp", reason) == 1
    assert served.published == []


async def test_signed_with_another_secret_or_reserialised_is_refused(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = notification(value([text_message("wamid.1", "caf\u00e9")]))
    body = body_of(payload)
    other = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(b"other", body)}
    assert (await post(session, served.url, body, headers=other))[0] == 403
    reserialised = json.dumps(payload, ensure_ascii=False).encode()
    assert (await post(session, served.url, reserialised, headers=signed(body)))[0] == 403
    assert served.published == []


async def test_bad_input_behind_a_good_signature(
    served: Served, session: aiohttp.ClientSession
) -> None:
    cases: list[tuple[bytes, str, int, str]] = [
        (b"{not json", "application/json", 400, "bad_json"),
        (b"\xff\xfe", "application/json", 400, "bad_json"),
        (b"[]", "application/json", 400, "bad_payload"),
        (b'{"object":"whatsapp_business_account"}', "application/json", 400, "bad_payload"),
        (b"a=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json", 400, "bad_json"),
    ]
    for body, content_type, code, reason in cases:
        headers = {**signed(body), "Content-Type": content_type}
        answer = await post(session, served.url, body, headers=headers)
        assert (answer[0], answer[1]["error"]) == (code, reason), body[:40]
    assert served.published == []


async def test_other_objects_and_fields_are_acknowledged(
    served: Served, session: aiohttp.ClientSession
) -> None:
    page = {"object": "page", "entry": [{"id": "1", "time": 1, "messaging": []}]}
    assert await post(session, served.url, page) == (200, {"status": "ignored", "accepted": 0})
    account = notification(
        {"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"}, field="account_update"
    )
    assert await post(session, served.url, account) == (200, {"status": "ok", "accepted": 0})
    assert served.published == []


async def test_handshake(served: Served, session: aiohttp.ClientSession) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    async with session.get(served.url, params=query) as response:
        assert (response.status, await response.text()) == (200, "42")
    async with session.get(served.url, params={**query, "hub.verify_token": "nope"}) as response:
        assert response.status == 403


# --- fuzz, behind a valid signature -------------------------------------------------------------

# Real field names in random places, so the fuzzer gets past the envelope sometimes.
known_keys = st.sampled_from(
    ["object", "entry", "changes", "field", "value", "metadata", "phone_number_id", "messages",
     "statuses", "contacts", "from", "id", "type", "text", "body", "timestamp", "status"]
)  # fmt: skip
shaped = st.recursive(
    json_leaves | st.just("whatsapp_business_account") | st.just("messages"),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(known_keys, children, max_size=5)
    ),
    max_leaves=30,
)


def near_valid(draw: st.DrawFn) -> Any:
    """A real notification with one random subtree swapped in."""
    message = text_message("wamid.F", "hi")
    key = draw(st.sampled_from(["from", "id", "type", "text", "timestamp"]))
    message[key] = draw(json_trees)
    return notification(value([message]))


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["garbage", "tree", "shaped", "near", "enveloped", "type"]))
    if kind == "garbage":
        return draw(st.binary(max_size=200)), "application/json"
    if kind == "tree":
        return json.dumps(draw(json_trees)).encode(), "application/json"
    if kind == "shaped":
        return json.dumps(draw(shaped)).encode(), "application/json"
    if kind == "near":
        return json.dumps(near_valid(draw)).encode(), "application/json"
    if kind == "enveloped":
        tree = {"object": "whatsapp_business_account", "entry": draw(json_trees)}
        return json.dumps(tree).encode(), "application/json"
    ctype = draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded", ""]))
    return json.dumps(draw(json_trees)).encode(), ctype


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=bodies())
async def test_fuzz_behind_a_valid_signature(
    served: Served, session: aiohttp.ClientSession, case: tuple[bytes, str]
) -> None:
    body, content_type = case
    headers = {**signed(body), "Content-Type": content_type}
    before = len(served.rig.bus.inbound)
    async with session.post(served.url, data=body, headers=headers) as response:
        answer = await response.read()
        check_answer(response.status, answer, response.headers.get("Content-Type", ""))
    published = served.rig.bus.inbound[before:]
    for message in published:  # only a real message gets through, and as one
        assert response.status == 200
        assert message.provider_message_id  # "wamid.F", or whatever string replaced it
        assert message.text.strip()
        assert message.sender.id


async def test_window_is_tracked_per_sender(served: Served, session: aiohttp.ClientSession) -> None:
    served.rig.clock.now = NOW - timedelta(hours=30)
    await post(session, served.url, notification(value([text_message("wamid.old", "hi")])))
    contact = await channel_state.contact(served.rig.ctx.db, "whatsapp", WA_ID)
    assert contact.last_inbound_at == NOW - timedelta(hours=30)
