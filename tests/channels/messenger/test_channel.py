"""channels/messenger (the shared channels/meta/messaging_* code) over HTTP: batches,
echoes, receipts, duplicates, refusals, 503, and a fuzz behind a valid signature."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.base import ChannelDisabled
from channels.messenger import MessengerChannel
from router.events import Attachment, InboundMessage, Party
from router.store import channel_state
from router.store.db import Database
from router.store.models import Delivery
from tests.channels.fuzzing import check_answer, json_trees
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
from tests.channels.meta.messaging_samples import (
    PAGE_ID,
    PSID,
    T0_MS,
    echo,
    entry,
    event,
    message,
    webhook,
)
from tests.helpers import sent_reply

CONFIG = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "access_token": ACCESS_TOKEN}
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
OTHER_PSID = "1122334455667788"
OTHER_PAGE = "200000000000002"


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
    async with serve(MessengerChannel(rig.ctx)) as base:
        yield Served(rig, base + "/webhooks/messenger")


async def test_without_secrets_the_channel_is_disabled(
    db: Database, session: aiohttp.ClientSession
) -> None:
    rig = await make_rig(db, session, {"verify_token": "v", "access_token": "a"})
    with pytest.raises(ChannelDisabled, match="app_secret"):
        MessengerChannel(rig.ctx)


async def test_one_message_exactly(served: Served, session: aiohttp.ClientSession) -> None:
    payload = webhook(entry(message("m_AbC1", "Where is my order #1001?")))
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 1})
    [published] = served.rig.bus.inbound
    assert published.model_dump(exclude={"trace_id"}) == InboundMessage(
        event_id="messenger_platform:m_AbC1",
        occurred_at=AT,
        channel="messenger",
        provider="messenger_platform",
        provider_message_id="m_AbC1",
        conversation_key=f"messenger:{PAGE_ID}:{PSID}",
        sender=Party(id=PSID),
        text="Where is my order #1001?",
        received_at=NOW,
        route={"page_id": PAGE_ID, "psid": PSID},
    ).model_dump(exclude={"trace_id"})


async def test_a_mixed_batch(served: Served, session: aiohttp.ClientSession) -> None:
    payload = webhook(
        entry(
            message("m_1", "first"),
            echo("m_ours", "our own reply"),
            event("delivery", {"mids": ["m_out1", "m_out2"], "watermark": T0_MS + 1000}),
            event("read", {"watermark": T0_MS + 2000}),
            event(
                "message",
                {"mid": "m_2", "text": "#1001", "quick_reply": {"payload": "#1001"}},
                ts=T0_MS + 3000,
            ),
            event("postback", {"title": "Track my order", "payload": "TRACK", "mid": "m_pb"}),
            event("reaction", {"mid": "m_out1", "action": "react", "reaction": "love"}),
            event(
                "message",
                {
                    "mid": "m_img",
                    "attachments": [
                        {
                            "type": "image",
                            "payload": {"url": "https://scontent.xx.fbcdn.net/a.jpg"},
                        },
                        {
                            "type": "image",
                            "payload": {"url": "https://scontent.xx.fbcdn.net/b.jpg"},
                        },
                    ],
                },
            ),
            event(
                "message",
                {"mid": "m_loc", "attachments": [{"type": "location", "payload": {}}]},
            ),
        ),
        entry(
            message("m_3", "from another page", user=OTHER_PSID, page=OTHER_PAGE),
            page=OTHER_PAGE,
        ),
        {"id": PAGE_ID, "time": T0_MS, "standby": [message("m_standby", "handled elsewhere")]},
    )
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 6})
    got = [(m.provider_message_id, m.text, m.conversation_key) for m in served.rig.bus.inbound]
    assert got == [
        ("m_1", "first", f"messenger:{PAGE_ID}:{PSID}"),
        ("m_2", "#1001", f"messenger:{PAGE_ID}:{PSID}"),
        ("m_pb", "Track my order", f"messenger:{PAGE_ID}:{PSID}"),
        ("m_img", "[image]", f"messenger:{PAGE_ID}:{PSID}"),
        ("m_loc", "[location]", f"messenger:{PAGE_ID}:{PSID}"),
        ("m_3", "from another page", f"messenger:{OTHER_PAGE}:{OTHER_PSID}"),
    ]
    assert served.rig.bus.inbound[3].attachments == [
        Attachment(url="https://scontent.xx.fbcdn.net/a.jpg", content_type="image/*"),
        Attachment(url="https://scontent.xx.fbcdn.net/b.jpg", content_type="image/*"),
    ]
    assert served.rig.bus.inbound[5].route == {"page_id": OTHER_PAGE, "psid": OTHER_PSID}


async def test_a_retried_webhook_is_published_once(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = webhook(entry(message("m_1", "hi"), message("m_1", "hi")))
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 1})
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 0})
    assert served.published == ["m_1"]


async def test_503_when_the_bus_is_down(served: Served, session: aiohttp.ClientSession) -> None:
    payload = webhook(entry(message("m_1", "hi")))
    await served.rig.bus.stop()
    status, body = await post(session, served.url, payload)
    assert (status, body["error"]) == (503, "unavailable")
    await served.rig.bus.start()
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 1})
    assert served.published == ["m_1"]


async def test_deliveries_update_the_delivery_record(
    served: Served, session: aiohttp.ClientSession
) -> None:
    db = served.rig.ctx.db
    outbound = await sent_reply(
        db,
        channel="messenger",
        provider="messenger_platform",
        conversation_key=f"messenger:{PAGE_ID}:{PSID}",
        recipient=PSID,
        provider_message_id="m_out1",
        now=NOW,
    )
    payload = webhook(entry(event("delivery", {"mids": ["m_out1"], "watermark": T0_MS + 5000})))
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 0})
    async with db.session() as s:
        row = await s.get(Delivery, outbound.event_id)
    assert row is not None
    assert row.provider_status == "delivered"
    assert row.provider_status_at == datetime(2026, 3, 4, 12, 0, 5, tzinfo=UTC)
    # Messenger's read receipt names no message: nothing to record.
    await post(session, served.url, webhook(entry(event("read", {"watermark": T0_MS + 9000}))))
    async with db.session() as s:
        row = await s.get(Delivery, outbound.event_id)
    assert row is not None
    assert row.provider_status == "delivered"
    assert served.published == []
    # Receipts are not the customer writing: the window is not reopened by them.
    assert (await channel_state.contact(db, "messenger", PSID)).last_inbound_at is None


async def test_refusals_are_counted(served: Served, session: aiohttp.ClientSession) -> None:
    body = body_of(webhook(entry(message("m_1", "hi"))))
    unsigned = {"Content-Type": "application/json"}
    assert (await post(session, served.url, body, headers=unsigned))[0] == 401
    forged = {**unsigned, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert (await post(session, served.url, body, headers=forged))[0] == 403
    text_plain = {**signed(body), "Content-Type": "text/plain"}
    assert (await post(session, served.url, body, headers=text_plain))[0] == 415
    assert served.rig.rejected("messenger", "unauthorized") == 1
    assert served.rig.rejected("messenger", "bad_signature") == 1
    assert served.rig.rejected("messenger", "unsupported_media_type") == 1
    assert served.published == []


@pytest.mark.parametrize(
    "broken",
    [
        webhook({"time": 1, "messaging": []}),  # entry without id
        webhook(entry({"recipient": {"id": PAGE_ID}, "message": {"mid": "m", "text": "x"}})),
        webhook(entry(event("message", {"text": "no mid"}))),
        webhook(entry(event("message", {"mid": "m", "text": ["x"]}))),
        webhook(entry(event("message", {"mid": "m", "text": "x"}) | {"timestamp": "yesterday"})),
        {"object": "page", "entry": "nope"},
    ],
)
async def test_malformed_events_are_a_400(
    served: Served, session: aiohttp.ClientSession, broken: dict[str, Any]
) -> None:
    status, body = await post(session, served.url, broken)
    assert (status, body["error"]) == (400, "bad_payload")
    assert served.published == []


async def test_another_object_is_acknowledged(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = webhook(entry(message("m_1", "hi")), obj="instagram")
    assert await post(session, served.url, payload) == (200, {"status": "ignored", "accepted": 0})
    assert served.published == []


# --- fuzz, behind a valid signature -------------------------------------------------------------


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["garbage", "tree", "near", "event", "type"]))
    if kind == "garbage":
        return draw(st.binary(max_size=200)), "application/json"
    if kind == "tree":
        return json.dumps(draw(json_trees)).encode(), "application/json"
    if kind == "near":  # a real message with one random subtree
        found = message("m_F", "hi")
        key = draw(st.sampled_from(["sender", "recipient", "timestamp", "message"]))
        found[key] = draw(json_trees)
        return json.dumps(webhook(entry(found))).encode(), "application/json"
    if kind == "event":  # a random event body under a real kind
        name = draw(st.sampled_from(["message", "postback", "delivery", "read", "reaction"]))
        found = event(name, {}) | {name: draw(json_trees)}
        return json.dumps(webhook(entry(found))).encode(), "application/json"
    ctype = draw(st.sampled_from(["text/plain", "multipart/form-data", ""]))
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
    for published in served.rig.bus.inbound[before:]:
        assert response.status == 200
        assert published.text.strip()
        assert published.sender.id
