"""Handoff state on SQLite and PostgreSQL: claim once, thread set once, actions once, the
state machine (open → taken → resolved), idle hand-back and SLA reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from router.events import DeskAction, DeskCommand, Escalation, Party
from router.store import handoffs
from router.store.db import Database

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=120)
SLA = timedelta(minutes=15)


def escalation(n: int = 1, conversation: str = "sms:+15551230001") -> Escalation:
    return Escalation(
        event_id=f"escalation:sms:SM{n}",
        occurred_at=NOW,
        inbound_id=f"sms:SM{n}",
        decision_id=f"decision:sms:SM{n}",
        conversation_key=conversation,
        channel="sms",
        provider="twilio",
        reason="asked for a person",
        rule="escalate.human_request",
        intent="human",
        language="en",
        customer_text="I want to talk to a person",
        suggested_reply="A colleague will get back to you here.",
        recipient=Party(id="+15551230001", phone="+15551230001"),
    )


def action(
    command: DeskCommand, at: datetime, n: int = 1, escalation_id: str = "escalation:sms:SM1"
) -> DeskAction:
    return DeskAction(
        event_id=f"slack:action:{command.value}:{n}",
        occurred_at=at,
        escalation_id=escalation_id,
        conversation_key="sms:+15551230001",
        desk="slack",
        command=command,
        user_id="U123",
        user_name="dana",
        text="On it" if command in (DeskCommand.REPLY, DeskCommand.NOTE) else None,
        acted_at=at,
    )


async def test_claim_once_and_read_back(db: Database) -> None:
    assert await handoffs.claim(db, escalation(), "slack", NOW)
    assert not await handoffs.claim(db, escalation(), "slack", NOW + timedelta(seconds=1))
    found = await handoffs.get(db, "escalation:sms:SM1")
    assert found is not None
    assert found.state == "open"
    assert found.escalation == escalation()
    assert found.posting_since == NOW
    assert found.desk_ref is None
    assert await handoffs.get(db, "escalation:sms:nope") is None


async def test_concurrent_claims_one_wins(db: Database) -> None:
    results = await asyncio.gather(
        *(handoffs.claim(db, escalation(), "slack", NOW) for _ in range(5))
    )
    assert sorted(results) == [False, False, False, False, True]


async def test_desk_ref_is_set_once(db: Database) -> None:
    await handoffs.claim(db, escalation(), "slack", NOW)
    await handoffs.set_desk_ref(db, "escalation:sms:SM1", {"channel": "C1", "ts": "1.000100"})
    await handoffs.set_desk_ref(db, "escalation:sms:SM1", {"channel": "C1", "ts": "2.000200"})
    found = await handoffs.get(db, "escalation:sms:SM1")
    assert found is not None
    assert found.desk_ref == {"channel": "C1", "ts": "1.000100"}
    assert found.posting_since is None


async def test_actions_move_the_state_and_are_recorded_once(db: Database) -> None:
    await handoffs.claim(db, escalation(), "slack", NOW)
    note_at = NOW + timedelta(minutes=3)
    assert await handoffs.record_action(db, action(DeskCommand.NOTE, note_at))
    found = await handoffs.get(db, "escalation:sms:SM1")
    assert found is not None
    assert found.state == "open"  # a note is internal: nobody picked it up yet
    assert found.picked_up_at is None

    reply_at = NOW + timedelta(minutes=5)
    assert await handoffs.record_action(db, action(DeskCommand.REPLY, reply_at), {"x": 1})
    assert not await handoffs.record_action(db, action(DeskCommand.REPLY, reply_at))
    found = await handoffs.get(db, "escalation:sms:SM1")
    assert found is not None
    assert found.state == "taken"
    assert found.picked_up_at == reply_at
    assert found.picked_up_by == "U123"
    assert found.done == {"note", "reply"}

    resolve_at = NOW + timedelta(minutes=9)
    assert await handoffs.record_action(db, action(DeskCommand.RESOLVE, resolve_at))
    found = await handoffs.get(db, "escalation:sms:SM1")
    assert found is not None
    assert found.state == "resolved"
    assert found.resolved_at == resolve_at
    assert found.picked_up_at == reply_at  # the first pick-up stays
    assert await handoffs.active(db, "sms:+15551230001") is None


async def test_holding_only_while_taken_and_not_idle(db: Database) -> None:
    key = "sms:+15551230001"
    await handoffs.claim(db, escalation(), "slack", NOW)
    assert await handoffs.holding(db, key, NOW, IDLE) is None  # open: the bot still answers
    taken_at = NOW + timedelta(minutes=1)
    await handoffs.record_action(db, action(DeskCommand.TAKE_OVER, taken_at))
    assert await handoffs.holding(db, key, taken_at + IDLE - timedelta(seconds=1), IDLE)
    assert await handoffs.holding(db, key, taken_at + IDLE, IDLE) is None
    assert await handoffs.holding(db, "sms:+15550000000", taken_at, IDLE) is None


async def test_resolve_idle_hands_back_to_the_bot(db: Database) -> None:
    await handoffs.claim(db, escalation(1), "slack", NOW)
    await handoffs.claim(db, escalation(2, "sms:+15551230002"), "slack", NOW)
    await handoffs.record_action(db, action(DeskCommand.TAKE_OVER, NOW))
    later = DeskAction.model_validate(
        action(
            DeskCommand.TAKE_OVER, NOW + timedelta(minutes=60), 2, "escalation:sms:SM2"
        ).model_dump()
        | {"conversation_key": "sms:+15551230002"}
    )
    await handoffs.record_action(db, later)
    expired = await handoffs.resolve_idle(db, NOW + IDLE, IDLE)
    assert [h.escalation_id for h in expired] == ["escalation:sms:SM1"]
    first = await handoffs.get(db, "escalation:sms:SM1")
    second = await handoffs.get(db, "escalation:sms:SM2")
    assert first is not None
    assert second is not None
    assert first.state == "resolved"
    assert first.resolved_by is None
    assert second.state == "taken"


async def test_due_for_ping_after_sla_then_every_sla(db: Database) -> None:
    await handoffs.claim(db, escalation(), "slack", NOW)
    # Not posted yet: nothing to ping in.
    assert await handoffs.due_for_ping(db, NOW + SLA, SLA) == []
    await handoffs.set_desk_ref(db, "escalation:sms:SM1", {"channel": "C1", "ts": "1.0"})
    assert await handoffs.due_for_ping(db, NOW + SLA - timedelta(seconds=1), SLA) == []
    due = await handoffs.due_for_ping(db, NOW + SLA, SLA)
    assert [h.escalation_id for h in due] == ["escalation:sms:SM1"]
    # Two desk processes at once: one reminder.
    claims = await asyncio.gather(
        *(handoffs.claim_ping(db, "escalation:sms:SM1", NOW + SLA, SLA) for _ in range(4))
    )
    assert sorted(claims) == [False, False, False, True]
    assert await handoffs.due_for_ping(db, NOW + SLA + timedelta(minutes=1), SLA) == []
    again = await handoffs.due_for_ping(db, NOW + 2 * SLA, SLA)
    assert again[0].pings == 1
    assert await handoffs.waiting(db) == 1
    await handoffs.record_action(db, action(DeskCommand.TAKE_OVER, NOW + 2 * SLA))
    assert await handoffs.due_for_ping(db, NOW + 3 * SLA, SLA) == []
    assert await handoffs.waiting(db) == 0


async def test_thread_events_are_remembered_once(db: Database) -> None:
    await handoffs.claim(db, escalation(), "slack", NOW)
    assert await handoffs.first_time(db, "handoff:sms:SM9")
    await handoffs.remember(db, "escalation:sms:SM1", "handoff:sms:SM9", "customer_message", NOW)
    await handoffs.remember(db, "escalation:sms:SM1", "handoff:sms:SM9", "customer_message", NOW)
    assert not await handoffs.first_time(db, "handoff:sms:SM9")
    found = await handoffs.get(db, "escalation:sms:SM1")
    assert found is not None
    assert found.state == "open"
