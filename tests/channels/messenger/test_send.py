"""MessengerChannel.send against the fake Graph API: windows by author with an injected clock,
quick replies, long replies in parts, Meta's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest

from channels.messenger import MessengerChannel
from channels.meta.graph import GraphSendFailed
from router.dispatch import SendFailed, SendResult
from router.store import channel_state
from router.store.db import Database
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
    graph_error,
    make_rig,
    outbound,
)
from tests.channels.meta.messaging_samples import PAGE_ID, PSID

ROUTE = {"page_id": PAGE_ID, "psid": PSID}
TEXT = "Your order #1001 is on its way with UPS. Tracking: 1ZXK3DEG0359083017"


@dataclass
class Setup:
    rig: Rig
    graph: FakeGraph
    channel: MessengerChannel

    async def wrote(self, ago: timedelta) -> None:
        await channel_state.touch_contact(self.rig.ctx.db, "messenger", PSID, NOW - ago)


@pytest.fixture
async def setup(db: Database, session: aiohttp.ClientSession) -> AsyncIterator[Setup]:
    async with fake_graph() as (graph, base_url):
        config = {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": ACCESS_TOKEN,
            "graph_base_url": base_url,
            "retry": FAST_RETRY,
        }
        rig = await make_rig(db, session, config)
        yield Setup(rig, graph, MessengerChannel(rig.ctx))


async def test_inside_24_hours_a_response(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=23))
    result = await setup.channel.send(
        outbound("messenger", TEXT, ROUTE, recipient=PSID, quick_replies=["#1001", "#1002"])
    )
    assert result == SendResult(provider_message_id="m_fake1")
    [sent] = setup.graph.sent
    assert sent.path == f"/{API_VERSION}/me/messages"
    assert sent.authorization == f"Bearer {ACCESS_TOKEN}"
    assert sent.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {
            "text": TEXT,
            "quick_replies": [
                {"content_type": "text", "title": "#1001", "payload": "#1001"},
                {"content_type": "text", "title": "#1002", "payload": "#1002"},
            ],
        },
    }


async def test_a_human_at_three_days_uses_the_human_agent_tag(setup: Setup) -> None:
    await setup.wrote(timedelta(days=3))
    await setup.channel.send(outbound("messenger", TEXT, ROUTE, recipient=PSID, author="human"))
    assert setup.graph.sent[0].body == {
        "recipient": {"id": PSID},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": TEXT},
    }


@pytest.mark.parametrize(
    ("ago", "author"),
    [(timedelta(hours=25), "bot"), (timedelta(days=8), "human"), (None, "bot")],
)
async def test_outside_the_window_nothing_is_sent(
    setup: Setup, ago: timedelta | None, author: str
) -> None:
    if ago is not None:
        await setup.wrote(ago)
    with pytest.raises(SendFailed, match=r"^outside the messaging window"):
        await setup.channel.send(outbound("messenger", TEXT, ROUTE, recipient=PSID, author=author))
    assert setup.graph.sent == []


async def test_the_clock_decides(setup: Setup) -> None:
    await setup.wrote(timedelta(0))
    setup.rig.clock.now = NOW + timedelta(hours=25)
    with pytest.raises(SendFailed):
        await setup.channel.send(outbound("messenger", TEXT, ROUTE, recipient=PSID))
    setup.rig.clock.now = NOW + timedelta(hours=23)
    await setup.channel.send(outbound("messenger", TEXT, ROUTE, recipient=PSID))
    assert len(setup.graph.sent) == 1


async def test_meta_closing_the_window_is_final(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    setup.graph.script.append(
        graph_error("(#10) This message is sent outside of allowed window.", 10, 2018278)
    )
    with pytest.raises(GraphSendFailed) as caught:
        await setup.channel.send(outbound("messenger", TEXT, ROUTE, recipient=PSID))
    assert (caught.value.code, caught.value.subcode) == (10, 2018278)
    assert len(setup.graph.sent) == 1


async def test_rate_limited_with_http_400_is_retried(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    setup.graph.script.append(graph_error("(#4) Application request limit reached", 4, 80007))
    result = await setup.channel.send(outbound("messenger", TEXT, ROUTE, recipient=PSID))
    assert result.provider_message_id == "m_fake1"
    assert len(setup.graph.sent) == 2


async def test_over_2000_characters_goes_in_parts(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    lines = [f"Line {i}: " + "x" * 90 for i in range(30)]  # 30 lines of ~98 characters
    text = "\n".join(lines)
    result = await setup.channel.send(
        outbound("messenger", text, ROUTE, recipient=PSID, quick_replies=["#1001"])
    )
    bodies = [s.body["message"] for s in setup.graph.sent]
    assert len(bodies) == 2
    assert all(len(b["text"]) <= 2000 for b in bodies)
    assert "\n".join(b["text"] for b in bodies) == text  # cut at a line break
    assert "quick_replies" not in bodies[0]
    assert bodies[1]["quick_replies"] == [
        {"content_type": "text", "title": "#1001", "payload": "#1001"}
    ]
    assert result.provider_message_id == "m_fake2"  # the last part's id


async def test_the_route_names_the_recipient(setup: Setup) -> None:
    await channel_state.touch_contact(setup.rig.ctx.db, "messenger", "777", NOW)
    await setup.channel.send(
        outbound("messenger", TEXT, {"page_id": PAGE_ID, "psid": "777"}, recipient=PSID)
    )
    assert setup.graph.sent[0].body["recipient"] == {"id": "777"}
