"""channels/api/parse.py: the posted JSON → InboundMessage; what is refused, and why."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.api.parse import read_posted, to_inbound
from channels.webhook import Rejected
from router.events import InboundMessage, Party
from tests.channels.api.conftest import NOW, question


def inbound(body: dict[str, Any], max_bytes: int = 4096) -> InboundMessage:
    return to_inbound(read_posted(json.dumps(body).encode()), now=NOW, max_bytes=max_bytes)


def refused(raw: bytes | dict[str, Any]) -> Rejected:
    data = json.dumps(raw).encode() if isinstance(raw, dict) else raw
    with pytest.raises(Rejected) as caught:
        to_inbound(read_posted(data), now=NOW, max_bytes=4096)
    assert caught.value.status == 400
    return caught.value


def test_a_question_becomes_a_message() -> None:
    got = inbound(question(language="en-GB", extra_field={"ignored": True}))
    assert got.model_dump() == {
        "event_id": "api:m-1",
        "schema_version": 1,
        "trace_id": got.trace_id,
        "occurred_at": NOW,
        "channel": "api",
        "provider": "api",
        "provider_message_id": "m-1",
        "conversation_key": "api:c-1",
        "sender": {"id": "u-1", "name": "Alice Example", "email": None, "phone": None},
        "text": "Where is my order #1001? My email is alice@example.com",
        "language": "en-GB",
        "received_at": NOW,
        "route": {"conversation_id": "c-1"},
        "attachments": [],
    }


def test_unverified_email_and_phone_are_not_proof() -> None:
    sender = {"id": "u-1", "email": "alice@example.com", "phone": "+14155550123"}
    assert inbound(question(sender=sender)).sender == Party(id="u-1")
    unverified = {**sender, "verified": False, "email": "not an email"}
    assert inbound(question(sender=unverified)).sender == Party(id="u-1")


def test_verified_email_and_phone_are_set() -> None:
    sender = {
        "id": "u-1",
        "email": " alice@example.com ",
        "phone": "+1 (415) 555-0123",
        "verified": True,
    }
    assert inbound(question(sender=sender)).sender == Party(
        id="u-1", email="alice@example.com", phone="+14155550123"
    )


@pytest.mark.parametrize("flag", ["true", 1, "yes", None])
def test_verified_must_be_a_real_boolean(flag: Any) -> None:
    sender = {"id": "u-1", "email": "alice@example.com", "verified": flag}
    assert refused(question(sender=sender)).code == "bad_payload"


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        ({"id": "u", "verified": True, "email": "alice"}, "sender.email is not an e-mail address"),
        ({"id": "u", "verified": True, "email": "a@b"}, "sender.email is not an e-mail address"),
        ({"id": "u", "verified": True, "phone": "4155550123"}, "sender.phone is not an E.164"),
        ({"id": "u", "verified": True, "phone": "+1 555"}, "sender.phone is not an E.164"),
    ],
)
def test_verified_values_must_be_well_formed(sender: dict[str, Any], message: str) -> None:
    error = refused(question(sender=sender))
    assert error.code == "bad_payload"
    assert message in error.message


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({**question(), "id": ""}, "id"),
        ({**question(), "id": "has space"}, "id"),
        ({**question(), "id": "x" * 129}, "id"),
        ({**question(), "id": "é"}, "id"),
        ({**question(), "id": 5}, "id"),
        ({**question(), "conversation_id": "a/b"}, "conversation_id"),
        ({**question(), "conversation_id": ".."}, "conversation_id"),
        ({**question(), "id": "."}, "id"),
        ({k: v for k, v in question().items() if k != "conversation_id"}, "conversation_id"),
        ({**question(), "sender": {"name": "x"}}, "sender.id"),
        ({**question(), "sender": {"id": ""}}, "sender.id"),
        ({**question(), "sender": {"id": "a\nb"}}, "sender.id"),
        ({**question(), "sender": "u-1"}, "sender"),
        ({**question(), "text": ""}, "text"),
        ({**question(), "text": None}, "text"),
        ({**question(), "language": "english please"}, "language"),
    ],
)
def test_invalid_payloads_name_the_field(body: dict[str, Any], where: str) -> None:
    error = refused(body)
    assert error.code == "bad_payload"
    assert error.message.startswith(f"{where}:")


def test_a_blank_text_is_empty() -> None:
    error = refused(question(text=" \n\t\x00 "))
    assert (error.code, error.message) == ("empty", "text: the message is empty")


@pytest.mark.parametrize(
    "raw",
    [b"{", b"\xff\xfe", b'{"text": "\\ud800"}', b"[" * 5000 + b"]" * 5000, b""],
)
def test_bad_json_is_bad_json(raw: bytes) -> None:
    assert refused(raw).code == "bad_json"


def test_a_long_text_is_cut_and_control_characters_dropped() -> None:
    got = inbound(question(text="ü" * 400, sender={"id": "u-1", "name": "A\x00lice"}), 301)
    assert got.text == "ü" * 150
    assert got.sender.name == "Alice"
    assert inbound(question(text="a\x00b\x1bc\nd")).text == "abc\nd"
