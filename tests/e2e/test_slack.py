"""A customer texts "I want to talk to a person"; a human answers from Slack; the customer gets
the answer by SMS. The whole service on the memory bus and on real Kafka, against local fakes
of the Slack Web API and Twilio."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from channels.slack import blocks
from router.app import Service
from router.bus import topics as t
from router.bus.codec import publish_event
from router.orders.demo import CUSTOMERS
from router.store import handoffs
from tests.channels.slack.fake_slack import CHANNEL, FakeSlack, Message
from tests.channels.slack.fake_slack import running as running_slack
from tests.channels.slack.support import SlackPerson, slack_config
from tests.channels.sms.fake_twilio import FakeTwilio
from tests.channels.sms.fake_twilio import running as running_twilio
from tests.e2e.conftest import ServiceFactory
from tests.e2e.test_sms import Phone, replies, sms_channel

WAIT = 20.0
ALICE = CUSTOMERS["alice"].phone


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with running_slack() as fake:
        yield fake


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    async with running_twilio() as served:
        yield served


async def start(make_service: ServiceFactory, slack: FakeSlack, twilio_api: str) -> Service:
    return await make_service(
        channels={"sms": sms_channel(twilio_api), "slack": slack_config(slack.api_url)},
    )


async def until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not check():
            await asyncio.sleep(0.02)


def cards(slack: FakeSlack) -> list[Message]:
    return [m for m in slack.posts(CHANNEL) if not m.is_reply]


def escalation_id(card: Message) -> str:
    assert card.metadata is not None
    return str(card.metadata["event_payload"]["escalation_id"])


def button_ids(card_blocks: list[dict[str, object]]) -> set[str]:
    found: set[str] = set()
    for block in card_blocks:
        if block.get("block_id") == blocks.ACTIONS_BLOCK:
            elements = block.get("elements")
            assert isinstance(elements, list)
            found |= {str(e["action_id"]) for e in elements}
    return found


async def test_person_request_by_sms_is_answered_from_slack(
    make_service: ServiceFactory, slack: FakeSlack, twilio: tuple[FakeTwilio, str]
) -> None:
    fake_twilio, api = twilio
    service = await start(make_service, slack, api)
    base = f"http://127.0.0.1:{service.port}"
    async with aiohttp.ClientSession() as http:
        phone = Phone(http, service, ALICE)
        dana = SlackPerson(http, base)
        await phone.text("I want to talk to a real person please")

        # One card, with the buttons, and the customer's holding reply.
        await until(lambda: len(cards(slack)) == 1)
        [card] = cards(slack)
        eid = escalation_id(card)
        assert button_ids(card.blocks) >= {blocks.SEND_SUGGESTED, blocks.REPLY, blocks.TAKE_OVER}
        assert ALICE not in str(card.blocks)  # the customer's number is masked
        [holding] = await replies(fake_twilio, 1)
        assert holding["To"] == ALICE

        # Reply… opens the modal; submitting it sends an SMS.
        status, _ = await dana.click(blocks.REPLY, eid, message_ts=card.ts)
        assert status == 200
        [view] = slack.views
        assert view.view["private_metadata"] == eid
        status, body = await dana.submit_reply(eid, "Hi Alice, Dana here: your parcel left today.")
        assert (status, body) == (200, "")
        sms = await replies(fake_twilio, 2)
        assert sms[1]["Body"] == "Hi Alice, Dana here: your parcel left today."
        assert sms[1]["To"] == ALICE

        # The card shows who has it; the thread says what was sent.
        await until(lambda: any(c.method == "chat.update" for c in slack.calls()))
        await until(lambda: len(slack.thread(card.ts)) >= 2)
        held = await handoffs.get(service.db, eid)
        assert held is not None
        assert held.state == "taken"
        assert held.picked_up_by == dana.user
        assert (
            service.metrics.registry.get_sample_value("wismo_escalation_pickup_seconds_count") == 1
        )

        # The customer writes again: the bot stays quiet, the thread gets it.
        await phone.text("Thanks! Will it come tomorrow?")
        await until(lambda: any("Will it come tomorrow" in m.text for m in slack.thread(card.ts)))
        await asyncio.sleep(0.3)
        assert len(fake_twilio.received) == 2

        # An internal note stays internal; the prefix sends.
        status, _ = await dana.say_in_thread(card.ts, "checking with the warehouse")
        assert status == 200
        status, _ = await dana.say_in_thread(
            card.ts, "!reply Yes, it is out for delivery tomorrow."
        )
        assert status == 200
        sms = await replies(fake_twilio, 3)
        assert sms[2]["Body"] == "Yes, it is out for delivery tomorrow."
        await asyncio.sleep(0.3)
        assert len(fake_twilio.received) == 3

        # Resolve: the card loses its buttons, and the bot answers again.
        status, _ = await dana.click(blocks.RESOLVE, eid, message_ts=card.ts)
        assert status == 200
        await until(lambda: button_ids(slack.message(card.ts).blocks) == set())
        await phone.text("Where is my order #1001? My email is alice@example.com")
        sms = await replies(fake_twilio, 4)
        assert "#1001" in sms[3]["Body"]


async def test_forged_and_stale_slack_requests_change_nothing(
    make_service: ServiceFactory, slack: FakeSlack, twilio: tuple[FakeTwilio, str]
) -> None:
    fake_twilio, api = twilio
    service = await start(make_service, slack, api)
    base = f"http://127.0.0.1:{service.port}"
    async with aiohttp.ClientSession() as http:
        phone = Phone(http, service, ALICE)
        await phone.text("I want to talk to a real person please")
        await until(lambda: len(cards(slack)) == 1)
        [card] = cards(slack)
        eid = escalation_id(card)
        await replies(fake_twilio, 1)

        forger = SlackPerson(http, base, secret="not-the-signing-secret")
        status, body = await forger.submit_reply(eid, "Send me your password")
        assert status == 401
        assert "bad_signature" in body
        stale = SlackPerson(http, base, now=lambda: __import__("time").time() - 301)
        status, _ = await stale.click(blocks.TAKE_OVER, eid, message_ts=card.ts)
        assert status == 401
        await asyncio.sleep(0.3)
        assert len(fake_twilio.received) == 1
        held = await handoffs.get(service.db, eid)
        assert held is not None
        assert held.state == "open"
        assert not any(c.method == "chat.update" for c in slack.calls())


async def test_a_redelivered_escalation_keeps_one_thread(
    make_service: ServiceFactory, slack: FakeSlack, twilio: tuple[FakeTwilio, str]
) -> None:
    _, api = twilio
    service = await start(make_service, slack, api)
    async with aiohttp.ClientSession() as http:
        phone = Phone(http, service, ALICE)
        await phone.text("I want to talk to a real person please")
        await until(lambda: len(cards(slack)) == 1)
        [card] = cards(slack)
        held = await handoffs.get(service.db, escalation_id(card))
        assert held is not None
        # The same event again on the stream (a producer retry, a replay): still one card.
        for _ in range(3):
            await publish_event(service.bus, t.ESCALATIONS, held.escalation)
        await asyncio.sleep(1.0)
        assert len(cards(slack)) == 1
        assert len(slack.calls("chat.postMessage")) == 1
