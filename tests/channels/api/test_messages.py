"""channels/api/messages.py: one message shape for callbacks and the polled mailbox."""

from __future__ import annotations

from datetime import timedelta

from channels.api.messages import client_id, mailbox_entry, reply_body
from router.events import Link, OutboundMessage, Party
from router.store.models import Message
from tests.channels.api.conftest import NOW

UPS = Link(label="Track with UPS", url="https://www.ups.com/track?tracknum=1ZXK3DEG0359083017")


def reply(**fields: object) -> OutboundMessage:
    values: dict[str, object] = {
        "event_id": "reply:api:m-1",
        "occurred_at": NOW,
        "inbound_id": "api:m-1",
        "conversation_key": "api:c-1",
        "channel": "api",
        "provider": "api",
        "recipient": Party(id="u-1"),
        "route": {"conversation_id": "c-1"},
        "text": "Your order #1001 is on its way (1ZXK3DEG0359083017).",
        "links": [UPS],
        "quick_replies": ["Thanks!"],
        **fields,
    }
    return OutboundMessage.model_validate(values)


def test_client_id() -> None:
    assert client_id("api:m-1") == "m-1"
    assert client_id("api:a:b") == "a:b"
    assert client_id("webchat:m-1") is None
    assert client_id(None) is None


def test_reply_body() -> None:
    sent = NOW + timedelta(seconds=2)
    assert reply_body(reply(), sent) == {
        "id": "reply:api:m-1",
        "in_reply_to": "m-1",
        "conversation_id": "c-1",
        "text": "Your order #1001 is on its way (1ZXK3DEG0359083017).",
        "links": [{"label": "Track with UPS", "url": UPS.url}],
        "quick_replies": ["Thanks!"],
        "author": "bot",
        "sent_at": "2026-02-12T18:26:14+00:00",
    }
    human = reply_body(reply(author="human", inbound_id=None, html="<p>Hi</p>"), sent)
    assert (human["author"], human["in_reply_to"], human["html"]) == ("human", None, "<p>Hi</p>")


def test_mailbox_entries() -> None:
    question = Message(
        seq=3,
        event_id="api:m-1",
        conversation_key="api:c-1",
        direction="in",
        channel="api",
        text="Where is my order #1001?",
        payload={"sender": "u-1"},
        created_at=NOW,
    )
    answer = Message(
        seq=4,
        event_id="reply:api:m-1",
        conversation_key="api:c-1",
        direction="out",
        channel="api",
        text="On its way.",
        payload={
            "links": [UPS.model_dump()],
            "quick_replies": ["Thanks!"],
            "in_reply_to": "api:m-1",
        },
        created_at=NOW,
    )
    assert mailbox_entry(question) == {
        "seq": 3,
        "direction": "in",
        "id": "m-1",
        "in_reply_to": None,
        "conversation_id": "c-1",
        "text": "Where is my order #1001?",
        "links": [],
        "quick_replies": [],
        "author": "customer",
        "sent_at": "2026-02-12T18:26:12+00:00",
    }
    assert mailbox_entry(answer) == {
        "seq": 4,
        "direction": "out",
        "id": "reply:api:m-1",
        "in_reply_to": "m-1",
        "conversation_id": "c-1",
        "text": "On its way.",
        "links": [UPS.model_dump()],
        "quick_replies": ["Thanks!"],
        "author": None,
        "sent_at": "2026-02-12T18:26:12+00:00",
    }
