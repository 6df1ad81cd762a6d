"""The desk role: one card per escalation under redelivery, crashes and races; threads; every
human action and its refusals; approvals through the order system; reminders and idle
hand-backs. Against the local fake Slack Web API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update

from channels.slack import blocks
from channels.slack.desk import PostInFlight
from router.bus import topics as t
from router.events import DeskAction, DeskCommand, HandoffMessage, OutboundMessage
from router.orders.errors import SourceError
from router.store import handoffs
from router.store.models import Handoff, ShopAction
from tests.channels.slack.conftest import NOW, Desk, MakeDesk, escalation
from tests.channels.slack.fake_slack import CHANNEL, Message
from tests.channels.slack.support import OUTSIDER, USER


def cards(desk: Desk) -> list[Message]:
    return [m for m in desk.fake.posts(CHANNEL) if not m.is_reply]


def action(
    command: DeskCommand, n: int = 1, *, user: str = USER, text: str | None = None, eid: str = ""
) -> DeskAction:
    return DeskAction(
        event_id=f"slack:test:{command.value}:{user}:{n}",
        occurred_at=NOW,
        escalation_id=eid or "escalation:twilio:SM1",
        conversation_key="sms:+14155550134",
        desk="slack",
        command=command,
        user_id=user,
        user_name="dana",
        text=text,
        acted_at=NOW,
        reply_to={"channel": CHANNEL, "user": user},
    )


def outbound(desk: Desk) -> list[OutboundMessage]:
    return [e for e in desk.published.on(t.OUTBOUND) if isinstance(e, OutboundMessage)]


async def settle() -> None:
    await asyncio.sleep(0.05)


# --- one card per escalation -------------------------------------------------------------------


async def test_an_escalation_gets_one_card_with_metadata(desk: Desk) -> None:
    await desk.handle(escalation())
    await desk.handle(escalation())  # redelivered
    [card] = cards(desk)
    assert card.metadata == {
        "event_type": "wismo_escalation",
        "event_payload": {"escalation_id": "escalation:twilio:SM1"},
    }
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.desk_ref == {"channel": CHANNEL, "ts": card.ts}
    assert stored.posting_since is None


async def test_crash_after_posting_finds_the_card_instead_of_posting_again(desk: Desk) -> None:
    await desk.handle(escalation())
    # The process died after Slack answered and before the thread was stored.
    async with desk.db.session() as session, session.begin():
        await session.execute(
            update(Handoff).values(desk_ref=None, posting_since=NOW - timedelta(minutes=5))
        )
    await desk.handle(escalation())
    assert len(cards(desk)) == 1
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.desk_ref == {"channel": CHANNEL, "ts": cards(desk)[0].ts}


async def test_crash_before_posting_posts_once_on_redelivery(desk: Desk) -> None:
    await handoffs.claim(desk.db, escalation(), "slack", NOW - timedelta(minutes=5))
    await desk.handle(escalation())
    assert len(cards(desk)) == 1


async def test_a_post_in_flight_elsewhere_is_retried_not_duplicated(desk: Desk) -> None:
    await handoffs.claim(desk.db, escalation(), "slack", NOW)  # another consumer, just now
    with pytest.raises(PostInFlight):
        await desk.handle(escalation())
    assert cards(desk) == []


async def test_two_desks_racing_on_one_escalation_post_one_card(desk: Desk) -> None:
    results = await asyncio.gather(
        desk.handle(escalation()), desk.handle(escalation()), return_exceptions=True
    )
    assert all(r is None or isinstance(r, PostInFlight) for r in results)
    assert len(cards(desk)) == 1


async def test_slack_failure_is_raised_for_the_bus_to_retry(desk: Desk) -> None:
    desk.fake.fail_next("chat.postMessage", error="internal_error", status=500, times=5)
    with pytest.raises(SlackApiError):
        await desk.handle(escalation())
    assert cards(desk) == []


async def test_a_second_escalation_of_the_conversation_goes_into_the_thread(desk: Desk) -> None:
    await desk.handle(escalation(1))
    again = escalation(2, reason="asked again", rule="escalate.repeat_contact")
    await desk.handle(again)
    await desk.handle(again)
    [card] = cards(desk)
    replies = desk.fake.thread(card.ts)[1:]
    assert len(replies) == 1
    assert "asked again" in str(replies[0].blocks)


# --- the thread --------------------------------------------------------------------------------


def handoff_message(n: int, reply: str | None) -> HandoffMessage:
    return HandoffMessage(
        event_id=f"handoff:twilio:SM{n}",
        occurred_at=NOW,
        inbound_id=f"twilio:SM{n}",
        conversation_key="sms:+14155550134",
        channel="sms",
        provider="twilio",
        customer_text="Any news? <!channel>",
        bot_reply=reply,
    )


async def test_customer_messages_reach_the_thread_once(desk: Desk) -> None:
    await desk.handle(handoff_message(5, None))  # no handoff yet: nowhere to show it
    await desk.handle(escalation())
    await desk.handle(handoff_message(6, None))
    await desk.handle(handoff_message(6, None))
    [card] = cards(desk)
    [mirrored] = desk.fake.thread(card.ts)[1:]
    assert "Any news?" in mirrored.text
    assert "<!channel>" not in str(mirrored.blocks)


# --- human actions -----------------------------------------------------------------------------


async def test_send_suggested_reply_answers_the_customer_as_a_human(desk: Desk) -> None:
    await desk.handle(escalation())
    await desk.handle(action(DeskCommand.SEND_SUGGESTED), t.DESK)
    [sent] = await desk.published.wait_for(t.OUTBOUND, 1)
    assert isinstance(sent, OutboundMessage)
    assert sent.event_id == "human:slack:test:send_suggested:U0DANA0001:1"
    assert (sent.author, sent.channel, sent.recipient.id) == ("human", "sms", "+14155550134")
    assert sent.text == "A colleague will get back to you here."
    assert sent.route == {"to": "+14155552671"}
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.state == "taken"
    [card] = cards(desk)
    assert blocks.SEND_SUGGESTED not in str(desk.fake.message(card.ts).blocks)
    assert (
        desk.metrics.registry.get_sample_value(
            "wismo_desk_actions_total", {"command": "send_suggested", "outcome": "done"}
        )
        == 1
    )


async def test_a_redelivered_action_sends_once(desk: Desk) -> None:
    await desk.handle(escalation())
    reply = action(DeskCommand.REPLY, text="Hello from Dana")
    await desk.handle(reply, t.DESK)
    await desk.handle(reply, t.DESK)
    await desk.published.wait_for(t.OUTBOUND, 1)
    await settle()
    assert [e.event_id for e in outbound(desk)] == ["human:" + reply.event_id]
    [card] = cards(desk)
    notices = [m for m in desk.fake.thread(card.ts)[1:] if "Hello from Dana" in m.text]
    assert len(notices) == 1


async def test_actions_on_a_resolved_escalation_change_nothing(desk: Desk) -> None:
    await desk.handle(escalation())
    await desk.handle(action(DeskCommand.RESOLVE), t.DESK)
    await desk.handle(action(DeskCommand.REPLY, 2, text="too late"), t.DESK)
    await settle()
    assert outbound(desk) == []
    [ephemeral] = desk.fake.ephemerals
    assert (ephemeral.user, ephemeral.channel) == (USER, CHANNEL)
    assert "resolved" in ephemeral.text
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.state == "resolved"


async def test_only_the_allowed_group_may_act(make_desk: MakeDesk) -> None:
    desk = await make_desk(usergroups={"S0AGENTS01": [USER]}, allowed_group="S0AGENTS01")
    await desk.handle(escalation())
    await desk.handle(action(DeskCommand.TAKE_OVER, user=OUTSIDER), t.DESK)
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.state == "open"
    [ephemeral] = desk.fake.ephemerals
    assert ephemeral.user == OUTSIDER
    assert "S0AGENTS01" in ephemeral.text
    await desk.handle(action(DeskCommand.TAKE_OVER, user=USER), t.DESK)
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.state == "taken"
    # Notes are internal: anyone in the channel may write them.
    await desk.handle(action(DeskCommand.NOTE, 3, user=OUTSIDER, text="fyi"), t.DESK)
    assert len(desk.fake.ephemerals) == 1


async def test_unknown_escalation_is_refused(desk: Desk) -> None:
    await desk.handle(action(DeskCommand.TAKE_OVER, eid="escalation:twilio:nope"), t.DESK)
    [ephemeral] = desk.fake.ephemerals
    assert "no longer exists" in ephemeral.text


async def test_nothing_to_send_is_refused(desk: Desk) -> None:
    await desk.handle(escalation(suggested=None))
    await desk.handle(action(DeskCommand.SEND_SUGGESTED), t.DESK)
    await settle()
    assert outbound(desk) == []
    assert "no text" in desk.fake.ephemerals[0].text


# --- approvals ---------------------------------------------------------------------------------


async def shop_actions(desk: Desk) -> list[tuple[str, str]]:
    async with desk.db.session() as session:
        rows = (await session.scalars(select(ShopAction))).all()
    return [(r.order_number, r.kind) for r in rows]


async def test_approve_refund_carries_it_out_once_and_tells_the_customer(desk: Desk) -> None:
    await desk.handle(escalation(needs_approval=["reship", "refund"]))
    await desk.handle(action(DeskCommand.APPROVE_REFUND), t.DESK)
    await desk.handle(action(DeskCommand.APPROVE_REFUND), t.DESK)  # redelivered
    await desk.handle(action(DeskCommand.APPROVE_REFUND, 2, user="U0OTHER001"), t.DESK)
    assert await shop_actions(desk) == [("1001", "refund")]
    await desk.published.wait_for(t.OUTBOUND, 1)
    await settle()
    notices = outbound(desk)
    assert len(notices) == 1
    assert {n.event_id for n in notices} == {"remedy:escalation:twilio:SM1:refund"}
    assert "#1001" in notices[0].text
    assert notices[0].author == "human"
    assert "approved already" in desk.fake.ephemerals[0].text
    [card] = cards(desk)
    shown = str(desk.fake.message(card.ts).blocks)
    assert blocks.APPROVE_REFUND not in shown
    assert blocks.APPROVE_RESHIP in shown


async def test_approval_not_asked_for_is_refused(desk: Desk) -> None:
    await desk.handle(escalation(needs_approval=["refund"]))
    await desk.handle(action(DeskCommand.APPROVE_RESHIP), t.DESK)
    await settle()
    assert await shop_actions(desk) == []
    assert outbound(desk) == []
    assert "does not ask for a reship" in desk.fake.ephemerals[0].text


async def test_order_system_refusal_is_told_and_nothing_recorded(desk: Desk) -> None:
    await desk.handle(escalation(needs_approval=["refund"], order={"number": "999999"}))
    await desk.handle(action(DeskCommand.APPROVE_REFUND), t.DESK)
    await settle()
    assert outbound(desk) == []
    assert "refused" in desk.fake.ephemerals[0].text
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.state == "open"
    assert stored.done == frozenset()


async def test_order_system_outage_is_retried(desk: Desk) -> None:
    class Down:
        name = "down"

        async def carry_out(self, *args: object, **kwargs: object) -> object:
            raise SourceError("shop unavailable", retry=True)

    desk.desk.ctx = desk.desk.ctx.__class__(**{**desk.desk.ctx.__dict__, "order_actions": Down()})
    await desk.handle(escalation(needs_approval=["refund"]))
    with pytest.raises(SourceError):
        await desk.handle(action(DeskCommand.APPROVE_REFUND), t.DESK)
    assert desk.fake.ephemerals == []


# --- reminders and idle hand-back --------------------------------------------------------------


async def test_sla_reminder_mentions_the_group_then_repeats(make_desk: MakeDesk) -> None:
    desk = await make_desk(ping_group="S0ONCALL01")
    await desk.handle(escalation())
    [card] = cards(desk)
    await desk.desk.tick()
    assert desk.fake.thread(card.ts)[1:] == []
    assert desk.metrics.registry.get_sample_value("wismo_escalations_waiting") == 1
    desk.clock.advance(15 * 60)
    await desk.desk.tick()
    [ping] = desk.fake.thread(card.ts)[1:]
    assert "<!subteam^S0ONCALL01>" in ping.text + str(ping.blocks)
    desk.clock.advance(60)
    await desk.desk.tick()
    assert len(desk.fake.thread(card.ts)) == 2
    desk.clock.advance(15 * 60)
    await desk.desk.tick()
    assert len(desk.fake.thread(card.ts)) == 3
    assert desk.metrics.registry.get_sample_value("wismo_escalation_pings_total") == 2


async def test_idle_handoff_goes_back_to_the_bot(desk: Desk) -> None:
    await desk.handle(escalation())
    await desk.handle(action(DeskCommand.TAKE_OVER), t.DESK)
    desk.clock.advance(120 * 60)
    await desk.desk.tick()
    stored = await handoffs.get(desk.db, "escalation:twilio:SM1")
    assert stored is not None
    assert stored.state == "resolved"
    [card] = cards(desk)
    assert "the bot answers again" in desk.fake.thread(card.ts)[-1].text
    assert desk.metrics.registry.get_sample_value("wismo_escalations_waiting") == 0


async def test_the_ticker_runs_in_the_background_and_stops(make_desk: MakeDesk) -> None:
    desk = await make_desk()
    desk.desk.interval = 0.01
    await desk.handle(escalation())
    desk.clock.advance(16 * 60)
    await desk.desk.start()
    async with asyncio.timeout(5):
        while len(desk.fake.thread(cards(desk)[0].ts)) < 2:
            await asyncio.sleep(0.01)
    await desk.desk.close()
    assert not desk.desk.ticker.running
