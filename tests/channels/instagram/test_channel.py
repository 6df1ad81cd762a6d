"""channels/instagram: the shared messaging channel with object "instagram", IGSIDs, read
receipts that name the message, and 1,000-byte messages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.instagram import InstagramChannel
from router.dispatch import SendFailed
from router.events import InboundMessage, Party
from router.store import channel_state
from router.store.db import Database
from router.store.models import Delivery
from tests.channels.fuzzing import json_trees
from tests.channels.meta.harness import (
    ACCESS_TOKEN,
    API_VERSION,
    APP_SECRET,
    FAST_RETRY,
    NOW,
    VERIFY_TOKEN,
    FakeGraph,
    Rig,
    fake_graph,
    make_rig,
    outbound,
    post,
    serve,
    signed,
)
from tests.channels.meta.messaging_samples import (
    IG_ACCOUNT_ID,
    IGSID,
    T0_MS,
    echo,
    entry,
    event,
    message,
    webhook,
)
from tests.helpers import sent_reply

AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
ROUTE = {"account_id": IG_ACCOUNT_ID, "igsid": IGSID}


@dataclass
class Served:
    rig: Rig
    graph: FakeGraph
    channel: InstagramChannel
    url: str

    @property
    def published(self) -> list[str]:
        return [m.provider_message_id for m in self.rig.bus.inbound]

    async def wrote(self, ago: timedelta) -> None:
        await channel_state.touch_contact(self.rig.ctx.db, "instagram", IGSID, NOW - ago)


@pytest.fixture
async def served(db: Database, session: aiohttp.ClientSession) -> AsyncIterator[Served]:
    async with fake_graph() as (graph, base_url):
        config = {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": ACCESS_TOKEN,
            "graph_base_url": base_url,
            "retry": FAST_RETRY,
        }
        rig = await make_rig(db, session, config)
        channel = InstagramChannel(rig.ctx)
        async with serve(channel) as base:
            yield Served(rig, graph, channel, base + "/webhooks/instagram")


def ig(*events: dict[str, object]) -> dict[str, object]:
    return webhook(entry(*events, page=IG_ACCOUNT_ID), obj="instagram")


def from_customer(mid: str, text: str) -> dict[str, object]:
    return message(mid, text, user=IGSID, page=IG_ACCOUNT_ID)


async def test_a_direct_message(served: Served, session: aiohttp.ClientSession) -> None:
    payload = ig(from_customer("aWdfZAG1faXRlbToxOklH", "Where is my order #1001?"))
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 1})
    [published] = served.rig.bus.inbound
    assert published.model_dump(exclude={"trace_id"}) == InboundMessage(
        event_id="instagram_messaging:aWdfZAG1faXRlbToxOklH",
        occurred_at=AT,
        channel="instagram",
        provider="instagram_messaging",
        provider_message_id="aWdfZAG1faXRlbToxOklH",
        conversation_key=f"instagram:{IG_ACCOUNT_ID}:{IGSID}",
        sender=Party(id=IGSID),
        text="Where is my order #1001?",
        received_at=NOW,
        route=ROUTE,
    ).model_dump(exclude={"trace_id"})


async def test_a_mixed_batch(served: Served, session: aiohttp.ClientSession) -> None:
    story_reply = event(
        "message",
        {
            "mid": "m_story",
            "text": "is this in stock?",
            "reply_to": {"story": {"url": "https://lookaside.fbsbx.com/s", "id": "1"}},
        },
        user=IGSID,
        page=IG_ACCOUNT_ID,
    )
    payload = ig(
        from_customer("m_1", "hello"),
        echo("m_ours", "our reply", user=IGSID, page=IG_ACCOUNT_ID),
        event("message", {"mid": "m_gone", "is_deleted": True}, user=IGSID, page=IG_ACCOUNT_ID),
        event("read", {"mid": "m_out1"}, user=IGSID, page=IG_ACCOUNT_ID),
        story_reply,
        event(
            "message",
            {
                "mid": "m_share",
                "attachments": [{"type": "share", "payload": {"url": "https://ig.me/p/x"}}],
            },
            user=IGSID,
            page=IG_ACCOUNT_ID,
        ),
        from_customer("m_1", "hello"),
    )
    assert await post(session, served.url, payload) == (200, {"status": "ok", "accepted": 3})
    assert [(m.provider_message_id, m.text) for m in served.rig.bus.inbound] == [
        ("m_1", "hello"),
        ("m_story", "is this in stock?"),
        ("m_share", "[share]"),
    ]


async def test_read_receipts_name_the_message(
    served: Served, session: aiohttp.ClientSession
) -> None:
    db = served.rig.ctx.db
    sent = await sent_reply(
        db,
        channel="instagram",
        provider="instagram_messaging",
        conversation_key=f"instagram:{IG_ACCOUNT_ID}:{IGSID}",
        recipient=IGSID,
        provider_message_id="m_out1",
        now=NOW,
    )
    read = event("read", {"mid": "m_out1"}, user=IGSID, page=IG_ACCOUNT_ID, ts=T0_MS + 7000)
    await post(session, served.url, ig(read))
    async with db.session() as s:
        row = await s.get(Delivery, sent.event_id)
    assert row is not None
    assert (row.provider_status, row.provider_status_at) == (
        "read",
        AT + timedelta(seconds=7),
    )


async def test_a_page_webhook_on_the_instagram_path_is_ignored(
    served: Served, session: aiohttp.ClientSession
) -> None:
    payload = webhook(entry(from_customer("m_1", "hi")), obj="page")
    assert await post(session, served.url, payload) == (200, {"status": "ignored", "accepted": 0})
    assert served.published == []


async def test_handshake_and_signature(served: Served, session: aiohttp.ClientSession) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "77"}
    async with session.get(served.url, params=query) as response:
        assert (response.status, await response.text()) == (200, "77")
    body = json.dumps(ig(from_customer("m_1", "hi"))).encode()
    headers = {**signed(body, secret="not-the-app-secret")}
    assert (await post(session, served.url, body, headers=headers))[0] == 403
    assert served.rig.rejected("instagram", "bad_signature") == 1


async def test_replies_are_split_at_1000_bytes(served: Served) -> None:
    await served.wrote(timedelta(hours=2))
    text = " ".join(["café"] * 300)  # 1,799 bytes, 1,499 characters
    result = await served.channel.send(
        outbound("instagram", text, ROUTE, recipient=IGSID, quick_replies=["#1001"])
    )
    bodies = [s.body for s in served.graph.sent]
    assert [s.path for s in served.graph.sent] == [f"/{API_VERSION}/me/messages"] * 2
    assert all(len(b["message"]["text"].encode()) <= 1000 for b in bodies)
    assert " ".join(b["message"]["text"] for b in bodies) == text
    assert {b["recipient"]["id"] for b in bodies} == {IGSID}
    assert {b["messaging_type"] for b in bodies} == {"RESPONSE"}
    assert "quick_replies" in bodies[1]["message"]
    assert result.provider_message_id == "m_fake2"


async def test_windows(served: Served) -> None:
    await served.wrote(timedelta(days=3))
    await served.channel.send(outbound("instagram", "hi", ROUTE, recipient=IGSID, author="human"))
    assert served.graph.sent[0].body["tag"] == "HUMAN_AGENT"
    with pytest.raises(SendFailed, match="outside the messaging window"):
        await served.channel.send(outbound("instagram", "hi", ROUTE, recipient=IGSID))
    assert len(served.graph.sent) == 1


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tree=json_trees, kind=st.sampled_from(["message", "read", "postback", "entry", "root"]))
async def test_fuzz_behind_a_valid_signature(
    served: Served, session: aiohttp.ClientSession, tree: object, kind: str
) -> None:
    payload: object
    if kind == "root":
        payload = tree
    elif kind == "entry":
        payload = {"object": "instagram", "entry": tree}
    else:
        payload = ig(event(kind, {}, user=IGSID, page=IG_ACCOUNT_ID) | {kind: tree})
    body = json.dumps(payload).encode()
    before = len(served.published)
    async with session.post(served.url, data=body, headers=signed(body)) as response:
        assert response.status < 500, await response.text()
    if kind not in ("message", "postback"):  # only those can carry a customer's message
        assert len(served.published) == before
