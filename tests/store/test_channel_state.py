"""router/store/channel_state.py: receipts, contacts, thread references, delivery receipts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from router.events import OutboundMessage, Party
from router.store import channel_state as cs
from router.store import repo
from router.store.db import Database
from router.store.models import Delivery

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


async def test_receipts(db: Database) -> None:
    assert not await cs.is_received(db, "sms:SM1")
    await cs.record_received(db, "sms:SM1", "sms", NOW)
    await cs.record_received(db, "sms:SM1", "sms", NOW)  # idempotent
    assert await cs.is_received(db, "sms:SM1")
    assert not await cs.is_received(db, "sms:SM2")


async def test_a_stranger_is_opted_in_and_has_never_written(db: Database) -> None:
    assert await cs.contact(db, "sms", "+14155550134") == cs.ContactState()


async def test_opt_out_and_back_in(db: Database) -> None:
    await cs.set_opted_out(db, "sms", "+14155550134", True, NOW)
    assert await cs.contact(db, "sms", "+14155550134") == cs.ContactState(True, NOW, None)
    assert await cs.contact(db, "whatsapp", "+14155550134") == cs.ContactState()
    later = NOW + timedelta(days=1)
    await cs.set_opted_out(db, "sms", "+14155550134", False, later)
    assert await cs.contact(db, "sms", "+14155550134") == cs.ContactState(False, None, None)


async def test_last_inbound_only_moves_forward(db: Database) -> None:
    await cs.touch_contact(db, "whatsapp", "15550001", NOW)
    await cs.touch_contact(db, "whatsapp", "15550001", NOW - timedelta(hours=1))  # late retry
    assert (await cs.contact(db, "whatsapp", "15550001")).last_inbound_at == NOW
    await cs.set_opted_out(db, "whatsapp", "15550001", True, NOW)
    later = NOW + timedelta(hours=2)
    await cs.touch_contact(db, "whatsapp", "15550001", later)
    assert await cs.contact(db, "whatsapp", "15550001") == cs.ContactState(True, NOW, later)


async def test_last_conversation_follows_the_latest_message(db: Database) -> None:
    route = {"phone_number_id": "106540352242922"}
    await cs.touch_contact(db, "whatsapp", "1555", NOW, conversation_key="wa:1", route=route)
    await cs.touch_contact(
        db, "whatsapp", "1555", NOW - timedelta(hours=1), conversation_key="wa:0", route={}
    )
    found = await cs.contact(db, "whatsapp", "1555")
    assert (found.last_conversation_key, found.last_route) == ("wa:1", route)


async def test_threads(db: Database) -> None:
    await cs.link_thread(db, "email", ["<a@x>", "<b@x>", ""], "email:one", NOW)
    await cs.link_thread(db, "email", ["<b@x>", "<c@x>"], "email:two", NOW)  # <b@x> stays
    assert await cs.find_thread(db, "email", ["<zz@x>", "<b@x>"]) == "email:one"
    assert await cs.find_thread(db, "email", ["<c@x>", "<a@x>"]) == "email:two"
    assert await cs.find_thread(db, "email", ["<zz@x>"]) is None
    assert await cs.find_thread(db, "email", []) is None
    assert await cs.find_thread(db, "sms", ["<a@x>"]) is None


def outbound(n: int = 1) -> OutboundMessage:
    return OutboundMessage(
        event_id=f"reply:sms:SM{n}",
        occurred_at=NOW,
        conversation_key="sms:+14155550134",
        channel="sms",
        provider="twilio",
        recipient=Party(id="+14155550134"),
        text="Order #1001: on its way.",
    )


async def delivery(db: Database) -> Delivery:
    async with db.session() as session:
        return (await session.execute(select(Delivery))).scalars().one()


async def test_delivery_receipts_apply_in_time_order(db: Database) -> None:
    await repo.record_delivery(db, "dispatch", outbound(), provider_message_id="SMout", now=NOW)
    t1, t2 = NOW + timedelta(seconds=1), NOW + timedelta(seconds=2)
    assert await cs.record_provider_status(db, "sms", "SMout", "delivered", t2)
    assert not await cs.record_provider_status(db, "sms", "SMout", "sent", t1)  # overtaken
    row = await delivery(db)
    assert (row.status, row.provider_status, row.provider_status_at) == ("sent", "delivered", t2)
    assert await cs.record_provider_status(
        db, "sms", "SMout", "undelivered", t2 + timedelta(1), error="30003"
    )
    row = await delivery(db)
    assert (row.provider_status, row.error) == ("undelivered", "30003")


async def test_a_receipt_for_a_message_we_do_not_know_changes_nothing(db: Database) -> None:
    assert not await cs.record_provider_status(db, "sms", "SMunknown", "delivered", NOW)
    await repo.record_delivery(db, "dispatch", outbound(), provider_message_id="SMout", now=NOW)
    assert not await cs.record_provider_status(db, "whatsapp", "SMout", "read", NOW)
    assert (await delivery(db)).provider_status is None
