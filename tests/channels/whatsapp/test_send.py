"""channels/whatsapp/send.py and WhatsAppChannel.send against the fake Graph API: the 24-hour
window (injected clock), templates, reply buttons, Meta's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from channels.meta.graph import GraphSendFailed
from channels.whatsapp import WhatsAppChannel
from channels.whatsapp.send import (
    NO_TEMPLATE,
    buttons_body,
    free_form,
    template_body,
    template_parameter,
)
from channels.whatsapp.settings import WhatsAppSettings
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
from tests.channels.whatsapp.samples import PHONE_NUMBER_ID, WA_ID

ROUTE = {"phone_number_id": PHONE_NUMBER_ID, "to": WA_ID}
MESSAGES_PATH = f"/{API_VERSION}/{PHONE_NUMBER_ID}/messages"
TEXT = "Your order #1001 is on its way with UPS.\nTracking: 1ZXK3DEG0359083017"
BASE = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID}


@dataclass
class Setup:
    rig: Rig
    graph: FakeGraph
    base_url: str

    async def channel(self, **config: Any) -> WhatsAppChannel:
        settings = {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": ACCESS_TOKEN,
            "graph_base_url": self.base_url,
            "retry": FAST_RETRY,
            **config,
        }
        return WhatsAppChannel(
            (await make_rig(self.rig.ctx.db, self.rig.ctx.http, settings, clock=self.rig.clock)).ctx
        )

    async def wrote(self, ago: timedelta) -> None:
        """The customer's last message was `ago` before the clock's now."""
        await channel_state.touch_contact(self.rig.ctx.db, "whatsapp", WA_ID, NOW - ago)


@pytest.fixture
async def setup(db: Database, session: aiohttp.ClientSession) -> AsyncIterator[Setup]:
    rig = await make_rig(db, session, {})
    async with fake_graph() as (graph, base_url):
        yield Setup(rig, graph, base_url)


async def test_inside_the_window_a_text_message(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=23))
    channel = await setup.channel()
    result = await channel.send(outbound("whatsapp", TEXT, ROUTE, recipient=WA_ID))
    assert result == SendResult(provider_message_id="wamid.FAKE1")
    [sent] = setup.graph.sent
    assert sent.path == MESSAGES_PATH
    assert sent.authorization == f"Bearer {ACCESS_TOKEN}"
    assert sent.body == {**BASE, "type": "text", "text": {"body": TEXT, "preview_url": True}}


async def test_quick_replies_become_reply_buttons(setup: Setup) -> None:
    await setup.wrote(timedelta(minutes=1))
    channel = await setup.channel(preview_url=False)
    message = outbound(
        "whatsapp",
        "Which order do you mean?",
        ROUTE,
        recipient=WA_ID,
        quick_replies=["#1001", "#1002", "Talk to a person please", "#1003"],
    )
    await channel.send(message)
    assert setup.graph.sent[0].body == {
        **BASE,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Which order do you mean?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "#1001", "title": "#1001"}},
                    {"type": "reply", "reply": {"id": "#1002", "title": "#1002"}},
                    {
                        "type": "reply",
                        "reply": {"id": "Talk to a person please", "title": "Talk to a person pl…"},
                    },
                ]
            },
        },
    }


async def test_outside_the_window_the_template(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=25))
    channel = await setup.channel(template_name="order_update", template_language="de")
    result = await channel.send(
        outbound("whatsapp", TEXT, ROUTE, recipient=WA_ID, quick_replies=["#1001"])
    )
    assert result.provider_message_id == "wamid.FAKE1"
    assert setup.graph.sent[0].body == {
        **BASE,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "de"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {
                            "type": "text",
                            "text": "Your order #1001 is on its way with UPS. "
                            "Tracking: 1ZXK3DEG0359083017",
                        }
                    ],
                }
            ],
        },
    }


async def test_a_template_without_parameters(setup: Setup) -> None:
    channel = await setup.channel(template_name="order_update", template_text_parameter=False)
    await channel.send(outbound("whatsapp", TEXT, ROUTE, recipient=WA_ID))  # never wrote
    assert setup.graph.sent[0].body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
    }


@pytest.mark.parametrize("ago", [timedelta(hours=25), None])
async def test_outside_the_window_without_a_template_fails(
    setup: Setup, ago: timedelta | None
) -> None:
    if ago is not None:
        await setup.wrote(ago)
    channel = await setup.channel()
    with pytest.raises(SendFailed) as caught:
        await channel.send(outbound("whatsapp", TEXT, ROUTE, recipient=WA_ID))
    assert (
        str(caught.value) == NO_TEMPLATE == "outside the 24-hour window and no template configured"
    )
    assert setup.graph.sent == []


async def test_meta_refusing_re_engagement_is_final(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    setup.graph.script.append(
        graph_error("(#131047) Re-engagement message", 131047, 2494010, type_="OAuthException")
    )
    channel = await setup.channel()
    with pytest.raises(GraphSendFailed) as caught:
        await channel.send(outbound("whatsapp", TEXT, ROUTE, recipient=WA_ID))
    assert (caught.value.code, caught.value.subcode) == (131047, 2494010)
    assert len(setup.graph.sent) == 1


async def test_rate_limits_are_retried(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    setup.graph.script += [
        graph_error("(#4) Application request limit reached", 4, 80007),
        graph_error("(#130429) Rate limit hit", 130429),
    ]
    channel = await setup.channel()
    result = await channel.send(outbound("whatsapp", TEXT, ROUTE, recipient=WA_ID))
    assert result.provider_message_id == "wamid.FAKE1"
    assert len(setup.graph.sent) == 3


async def test_a_route_without_a_phone_number_id_fails(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    channel = await setup.channel()
    for route in ({"to": WA_ID}, {"to": WA_ID, "phone_number_id": "../me"}):
        with pytest.raises(SendFailed, match="no phone_number_id"):
            await channel.send(outbound("whatsapp", TEXT, route, recipient=WA_ID))
    assert setup.graph.sent == []


async def test_a_very_long_reply_goes_in_parts(setup: Setup) -> None:
    await setup.wrote(timedelta(hours=1))
    channel = await setup.channel()
    text = ("word " * 1000).strip() + "\n" + "end " * 10  # 5,000+ characters
    result = await channel.send(
        outbound("whatsapp", text, ROUTE, recipient=WA_ID, quick_replies=["#1001"])
    )
    bodies = [s.body for s in setup.graph.sent]
    assert [b["type"] for b in bodies] == ["text", "interactive"]
    assert len(bodies[0]["text"]["body"]) <= 4096
    assert bodies[1]["interactive"]["body"]["text"].endswith("end")
    assert result.provider_message_id == "wamid.FAKE2"


def test_template_parameter_is_one_line_and_short() -> None:
    assert template_parameter("a\n\nb\t  c     d", 100) == "a b c d"
    assert template_parameter("x " * 400, 20) == "x x x x x x x x x x…"


def test_template_body_without_a_name_fails() -> None:
    with pytest.raises(SendFailed, match="no template configured"):
        template_body(WA_ID, TEXT, WhatsAppSettings())


def test_free_form_keeps_a_long_body_without_buttons() -> None:
    long = "x" * 1500
    assert free_form(WA_ID, [long], ["#1001"], preview_url=True) == [
        {**BASE, "type": "text", "text": {"body": long, "preview_url": True}}
    ]
    assert buttons_body(WA_ID, "hi", ["a", "a", "b"])["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "a", "title": "a"}},
        {"type": "reply", "reply": {"id": "b", "title": "b"}},
    ]
