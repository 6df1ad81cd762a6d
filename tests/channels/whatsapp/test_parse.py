"""channels/whatsapp/parse.py: every message and status of a batched notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channels.meta.inbound import Receipt
from channels.webhook import Rejected
from channels.whatsapp.parse import Parsed, parse, verified_phone
from channels.whatsapp.payload import WhatsAppPayload
from router.events import Attachment, InboundMessage, Party
from tests.channels.whatsapp.samples import (
    PHONE_NUMBER_ID,
    T0,
    WA_ID,
    notification,
    status,
    text_message,
    value,
)

NOW = datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC)
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
MEDIA_ROOT = "https://graph.facebook.com/v21.0"


def run(payload: dict[str, Any], max_bytes: int = 4096) -> Parsed:
    return parse(
        WhatsAppPayload.model_validate(payload), now=NOW, max_bytes=max_bytes, media_root=MEDIA_ROOT
    )


def texts(parsed: Parsed) -> list[str]:
    return [m.text for m in parsed.messages]


def test_a_text_message_becomes_one_inbound_message() -> None:
    parsed = run(notification(value([text_message("wamid.HBgLMTY", "Where is my order #1001?")])))
    [message] = parsed.messages
    assert len(message.trace_id) == 32
    assert message.model_dump(exclude={"trace_id"}) == InboundMessage(
        event_id="whatsapp_cloud:wamid.HBgLMTY",
        occurred_at=AT,
        channel="whatsapp",
        provider="whatsapp_cloud",
        provider_message_id="wamid.HBgLMTY",
        conversation_key=f"whatsapp:{PHONE_NUMBER_ID}:{WA_ID}",
        sender=Party(id=WA_ID, name="Alice Martin", phone="+16315551181"),
        text="Where is my order #1001?",
        received_at=NOW,
        route={"phone_number_id": PHONE_NUMBER_ID, "to": WA_ID},
    ).model_dump(exclude={"trace_id"})
    assert parsed.receipts == []


def test_escaped_unicode_is_decoded() -> None:
    parsed = run(notification(value([text_message("wamid.U", "caf\u00e9 \U0001f4e6")])))
    assert texts(parsed) == ["café 📦"]


def test_a_batch_of_entries_messages_and_statuses() -> None:
    other = "447911123456"
    payload = notification(
        value(
            [
                text_message("wamid.1", "first"),
                text_message("wamid.2", "second", ts=T0 + 5),
            ]
        ),
        value(
            [text_message("wamid.3", "from someone else", wa_id=other)],
            contacts=[{"profile": {"name": "Bob"}, "wa_id": other}],
            phone_number_id="999000111",
        ),
        value(
            statuses=[
                status("wamid.OUT1", "delivered"),
                status("wamid.OUT1", "read", ts=T0 + 60),
                status(
                    "wamid.OUT2",
                    "failed",
                    errors=[
                        {
                            "code": 131047,
                            "title": "Re-engagement message",
                            "message": "Re-engagement message",
                            "error_data": {"details": "More than 24 hours have passed"},
                        }
                    ],
                ),
            ]
        ),
    )
    parsed = run(payload)
    assert [(m.provider_message_id, m.text, m.sender.name) for m in parsed.messages] == [
        ("wamid.1", "first", "Alice Martin"),
        ("wamid.2", "second", "Alice Martin"),
        ("wamid.3", "from someone else", "Bob"),
    ]
    assert parsed.messages[1].occurred_at == AT + timedelta(seconds=5)
    third = parsed.messages[2]
    assert third.conversation_key == f"whatsapp:999000111:{other}"
    assert third.route == {"phone_number_id": "999000111", "to": other}
    assert third.sender.phone == "+447911123456"
    assert parsed.receipts == [
        Receipt("wamid.OUT1", "delivered", AT + timedelta(microseconds=1)),
        Receipt("wamid.OUT1", "read", AT + timedelta(seconds=60, microseconds=2)),
        Receipt(
            "wamid.OUT2", "failed", AT + timedelta(microseconds=3), "131047: Re-engagement message"
        ),
    ]


def test_every_kind_of_message() -> None:
    media = {"mime_type": "image/jpeg", "sha256": "abc=", "id": "1234567890"}
    messages: list[dict[str, Any]] = [
        {"from": WA_ID, "id": "wamid.img", "timestamp": str(T0), "type": "image", "image": media},
        {
            "from": WA_ID,
            "id": "wamid.imgcap",
            "timestamp": str(T0),
            "type": "image",
            "image": {**media, "caption": "the box arrived broken"},
        },
        {
            "from": WA_ID,
            "id": "wamid.doc",
            "timestamp": str(T0),
            "type": "document",
            "document": {
                "filename": "receipt.pdf",
                "mime_type": "application/pdf",
                "sha256": "x",
                "id": "555",
            },
        },
        {
            "from": WA_ID,
            "id": "wamid.btn",
            "timestamp": str(T0),
            "type": "button",
            "button": {"text": "Track order", "payload": "TRACK"},
            "context": {"from": "15550783881", "id": "wamid.template"},
        },
        {
            "from": WA_ID,
            "id": "wamid.int",
            "timestamp": str(T0),
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "#1001", "title": "#1001"},
            },
        },
        {
            "from": WA_ID,
            "id": "wamid.list",
            "timestamp": str(T0),
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "r1", "title": "Refund", "description": "Ask for a refund"},
            },
        },
        {
            "from": WA_ID,
            "id": "wamid.loc",
            "timestamp": str(T0),
            "type": "location",
            "location": {"latitude": 37.8, "longitude": -122.27, "name": "Home"},
        },
        {
            "from": WA_ID,
            "id": "wamid.react",
            "timestamp": str(T0),
            "type": "reaction",
            "reaction": {"message_id": "wamid.OUT1", "emoji": "\U0001f44d"},
        },
        {
            "from": WA_ID,
            "id": "wamid.unsup",
            "timestamp": str(T0),
            "type": "unsupported",
            "errors": [{"code": 131051, "title": "Message type unknown"}],
        },
        {"from": WA_ID, "id": "wamid.empty", "timestamp": str(T0), "type": "text", "text": {}},
        {"from": WA_ID, "id": "wamid.blank", "type": "text", "text": {"body": "  \n "}},
    ]
    parsed = run(notification(value(messages)))
    assert [(m.provider_message_id, m.text) for m in parsed.messages] == [
        ("wamid.img", "[image]"),
        ("wamid.imgcap", "the box arrived broken"),
        ("wamid.doc", "[document]"),
        ("wamid.btn", "Track order"),
        ("wamid.int", "#1001"),
        ("wamid.list", "Refund"),
        ("wamid.loc", "[location]"),
    ]
    assert parsed.messages[0].attachments == [
        Attachment(url=f"{MEDIA_ROOT}/1234567890", content_type="image/jpeg")
    ]
    assert parsed.messages[2].attachments == [
        Attachment(url=f"{MEDIA_ROOT}/555", content_type="application/pdf", name="receipt.pdf")
    ]


def test_long_text_is_cut_to_the_limit_on_a_character_boundary() -> None:
    parsed = run(notification(value([text_message("wamid.L", "é" * 300)])), max_bytes=256)
    assert texts(parsed) == ["é" * 128]


def test_other_fields_are_ignored() -> None:
    payload = notification(
        {"event": "APPROVED", "message_template_id": 1, "message_template_name": "x"},
        field="message_template_status_update",
    )
    assert run(payload) == Parsed([], [])


def test_names_and_phones() -> None:
    nameless = value([text_message("wamid.N", "hi")], contacts=[{"wa_id": WA_ID}])
    assert run(notification(nameless)).messages[0].sender.name is None
    fake = "1555"  # not a valid number: no phone claimed
    parsed = run(notification(value([text_message("wamid.F", "hi", wa_id=fake)], contacts=[])))
    assert parsed.messages[0].sender == Party(id=fake)


@pytest.mark.parametrize(
    ("wa_id", "phone"),
    [
        ("16315551181", "+16315551181"),
        ("5511987654321", "+5511987654321"),
        ("447700900123", None),  # a drama number: not a valid one
        ("123", None),
        ("1631555118x", None),
        ("+16315551181", None),
    ],
)
def test_verified_phone(wa_id: str, phone: str | None) -> None:
    assert verified_phone(wa_id) == phone


@pytest.mark.parametrize(
    "broken",
    [
        {"messages": [text_message("wamid.1", "hi")]},  # no metadata
        value([{"id": "wamid.1", "type": "text", "text": {"body": "hi"}}]),  # no from
        value([text_message("", "hi")]),
        value([text_message("wamid.1", "hi", ts="soon")]),  # type: ignore[arg-type]
        value(statuses=[{"id": "wamid.1"}]),
        value([text_message("wamid.1", "hi", text=["hi"])]),
    ],
)
def test_a_malformed_messages_value_is_a_400(broken: dict[str, Any]) -> None:
    with pytest.raises(Rejected) as caught:
        run(notification(broken))
    assert (caught.value.status, caught.value.code) == (400, "bad_payload")
