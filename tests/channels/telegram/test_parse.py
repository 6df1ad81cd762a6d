"""channels/telegram/parse.py: realistic updates → InboundMessage, or why none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.telegram.parse import Parsed, parse_update, read_update
from channels.webhook import Rejected
from router.events import InboundMessage
from tests.channels.telegram.updates import (
    DATE,
    VECTOR_BODY,
    callback_update,
    message,
    photo_sizes,
    private_chat,
    text_update,
    update,
    user,
)

NOW = datetime(2026, 2, 12, 18, 30, tzinfo=UTC)
BOT = "123456"


def parse(body: dict[str, Any] | bytes, max_bytes: int = 4096) -> Parsed:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_update(read_update(raw), bot_id=BOT, now=NOW, max_bytes=max_bytes)


def inbound(body: dict[str, Any] | bytes, max_bytes: int = 4096) -> InboundMessage:
    parsed = parse(body, max_bytes)
    assert parsed.message is not None, parsed.ignored
    return parsed.message


def test_the_vector_update_becomes_one_message() -> None:
    got = inbound(VECTOR_BODY)
    assert got.model_dump() == {
        "event_id": "telegram:123456:42:1",
        "schema_version": 1,
        "trace_id": got.trace_id,
        "occurred_at": datetime.fromtimestamp(1770920772, UTC),
        "channel": "telegram",
        "provider": "telegram",
        "provider_message_id": "123456:42:1",
        "conversation_key": "telegram:42",
        "sender": {"id": "42", "name": "Ana", "email": None, "phone": None},
        "text": "where is my order #1001?",
        "language": None,
        "received_at": NOW,
        "route": {"chat_id": "42"},
        "attachments": [],
    }
    assert len(got.trace_id) == 32


def test_full_names_and_language_hint() -> None:
    got = inbound(text_update("  Olá, cadê meu pedido #1001?  "))
    assert got.sender.name == "Ana Souza"
    assert got.language == "pt-br"
    assert got.text == "Olá, cadê meu pedido #1001?"
    assert got.occurred_at == datetime.fromtimestamp(DATE, UTC)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("/start", "Hi"),
        ("/start@shop_bot", "Hi"),
        ("/start order-1001", "order-1001"),
        ("/start   1001 ", "1001"),
        ("/starting now", "/starting now"),
        ("/help", "/help"),
    ],
)
def test_start_is_a_greeting_or_its_payload(text: str, read: str) -> None:
    assert inbound(text_update(text)).text == read


def test_a_strange_language_code_is_no_hint() -> None:
    body = update(message=message(sender=user(language_code="x!"), text="hi"))
    assert inbound(body).language is None


def test_a_caption_is_the_text() -> None:
    body = update(message=message(photo=photo_sizes(), caption="Order #1001 never came"))
    got = inbound(body)
    assert got.text == "Order #1001 never came"
    assert got.attachments == []


@pytest.mark.parametrize(
    ("content", "placeholder"),
    [
        ({"photo": photo_sizes()}, "[photo]"),
        ({"voice": {"file_id": "AwAD", "file_unique_id": "u", "duration": 3}}, "[voice]"),
        ({"sticker": {"file_id": "CAAC", "type": "regular", "width": 1, "height": 1}}, "[sticker]"),
        ({"location": {"latitude": 52.5, "longitude": 13.4}}, "[location]"),
    ],
)
def test_media_without_words_gets_a_placeholder(content: dict[str, Any], placeholder: str) -> None:
    """So the customer still gets an answer (asking what they need) instead of silence."""
    assert inbound(update(message=message(**content))).text == placeholder


def test_unicode_and_emoji_are_kept() -> None:
    assert inbound(text_update("где мой заказ #1001? 📦")).text == "где мой заказ #1001? 📦"


def test_control_characters_are_dropped() -> None:
    """No customer types them, and PostgreSQL cannot store NUL."""
    body = update(message=message(sender=user(first_name="A\x00na"), text="#1001\x00\x07 ok\n?"))
    got = inbound(body)
    assert (got.text, got.sender.name) == ("#1001 ok\n?", "Ana Souza")


def test_a_callback_id_that_is_not_printable_ascii_is_400() -> None:
    body = callback_update("Yes", query_id="42\x00")
    with pytest.raises(Rejected) as caught:
        read_update(json.dumps(body).encode())
    assert caught.value.code == "bad_payload"


def test_a_long_text_is_cut_at_a_character_boundary() -> None:
    got = inbound(text_update("é" * 3000), max_bytes=301)
    assert got.text == "é" * 150


def test_a_callback_query_reads_as_the_button_label() -> None:
    long_label = "Quiero hablar con una persona del equipo de atención al cliente, por favor"
    data = long_label.encode()[:64].decode("utf-8", "ignore")
    parsed = parse(callback_update(data, label=long_label))
    assert parsed.callback_query_id == "4382bfdwdsb323b2d9"
    assert parsed.message is not None
    assert parsed.message.text == long_label
    assert parsed.message.event_id == "telegram:123456:cb:4382bfdwdsb323b2d9"
    assert parsed.message.conversation_key == "telegram:42"
    assert parsed.message.route == {"chat_id": "42"}
    assert parsed.message.sender.id == "42"


def test_a_callback_on_an_old_message_reads_as_its_data() -> None:
    parsed = parse(callback_update("Talk to a person", markup=False))
    assert parsed.message is not None
    assert parsed.message.text == "Talk to a person"


def test_an_inline_mode_callback_is_only_answered() -> None:
    body = update(
        callback_query={"id": "77", "from": user(), "inline_message_id": "AAA", "data": "x"}
    )
    assert parse(body) == Parsed(ignored="inline_callback", callback_query_id="77")


def test_own_shared_contact_proves_the_phone() -> None:
    contact = {"phone_number": "14155550123", "first_name": "Ana", "user_id": 42}
    got = inbound(update(message=message(contact=contact)))
    assert got.sender.phone == "+14155550123"
    assert got.text == "+14155550123"


def test_someone_elses_contact_proves_nothing() -> None:
    contact = {"phone_number": "+14155550123", "first_name": "Bob", "user_id": 99}
    got = inbound(update(message=message(contact=contact)))
    assert got.sender.phone is None
    assert got.text == "+14155550123"


def test_a_forwarded_own_contact_proves_nothing() -> None:
    contact = {"phone_number": "14155550123", "first_name": "Ana", "user_id": 42}
    origin = {"type": "user", "date": DATE - 60, "sender_user": user(42)}
    got = inbound(update(message=message(contact=contact, forward_origin=origin)))
    assert got.sender.phone is None


def test_an_invalid_contact_number_is_kept_as_text_only() -> None:
    contact = {"phone_number": "12", "first_name": "Ana", "user_id": 42}
    got = inbound(update(message=message(contact=contact)))
    assert (got.sender.phone, got.text) == (None, "12")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (update(edited_message=message(text="edited", edit_date=DATE + 9)), "update_kind"),
        (
            update(channel_post={**message(text="news"), "chat": {"id": -1001, "type": "channel"}}),
            "update_kind",
        ),
        (update(message=message(sender=user(7, is_bot=True), text="I am a bot")), "bot_sender"),
        (
            update(message={**message(text="hi all"), "chat": {"id": -4012, "type": "group"}}),
            "not_private",
        ),
        (update(message=message(new_chat_members=[user(5)])), "service_message"),
        (update(message=message(pinned_message=message(3, text="x"))), "service_message"),
        (update(message={k: v for k, v in message(text="x").items() if k != "from"}), "no_sender"),
        (update(message=message(text="   ")), "empty"),
        (update(message_reaction={"chat": private_chat(), "message_id": 7}), "update_kind"),
        (update(), "update_kind"),
    ],
)
def test_what_is_never_answered(body: dict[str, Any], reason: str) -> None:
    assert parse(body) == Parsed(ignored=reason)


@pytest.mark.parametrize(("status", "blocked"), [("kicked", True), ("member", False)])
def test_blocking_and_unblocking_the_bot(status: str, blocked: bool) -> None:
    body = update(
        my_chat_member={
            "chat": private_chat(),
            "from": user(),
            "date": DATE,
            "old_chat_member": {"status": "member", "user": {"id": 123456, "is_bot": True}},
            "new_chat_member": {"status": status, "user": {"id": 123456, "is_bot": True}},
        }
    )
    assert parse(body) == Parsed(ignored="membership", blocked=("42", blocked))


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json", "bad_json"),
        (b'{"update_id": 1, "message": {"text": "\\ud800"}}', "bad_json"),  # lone surrogate
        (b'{"a":' * 3000 + b"1" + b"}" * 3000, "bad_json"),
        (b"[1, 2]", "bad_payload"),
        (b'{"message": {}}', "bad_payload"),
        (b'{"update_id": "x"}', "bad_payload"),
        (b'{"update_id": 1e999}', "bad_payload"),
        (b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 1}}}', "bad_payload"),
        (json.dumps(update(message={**message(text="x"), "date": 10**30})).encode(), "bad_payload"),
        (json.dumps(update(message=message(10**80, text="x"))).encode(), "bad_payload"),
    ],
)
def test_malformed_updates_are_rejected_400(raw: bytes, code: str) -> None:
    with pytest.raises(Rejected) as caught:
        read_update(raw)
    assert (caught.value.status, caught.value.code) == (400, code)
