"""The one JSON shape of a message the API hands to clients, in callbacks and when polled.

    {"id", "in_reply_to", "conversation_id", "text", "html"?, "links": [{"label", "url"}],
     "quick_replies": [...], "author": "bot" | "human" | "customer" | null, "sent_at"}

Polled messages also carry "seq" (the cursor for `?after=`) and "direction" ("in" | "out").
An inbound message's "id" is the client's own id; a reply's is our event id, and its
"in_reply_to" the client's id of the message it answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from channels.api.parse import NAME
from router.events import InboundMessage, OutboundMessage
from router.store.models import Message

PREFIX = InboundMessage.make_id(NAME, "")  # "api:": our event id of a client's message


def client_id(event_id: str | None) -> str | None:
    """The client's message id inside our event id ("api:<id>" → "<id>")."""
    if event_id and event_id.startswith(PREFIX):
        return event_id[len(PREFIX) :]
    return None


def conversation_id(conversation_key: str) -> str:
    return conversation_key.removeprefix(f"{NAME}:")


def reply_body(message: OutboundMessage, sent_at: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message.event_id,
        "in_reply_to": client_id(message.inbound_id),
        "conversation_id": conversation_id(message.conversation_key),
        "text": message.text,
        "links": [link.model_dump() for link in message.links],
        "quick_replies": list(message.quick_replies),
        "author": message.author,
        "sent_at": sent_at.isoformat(),
    }
    if message.html:
        body["html"] = message.html
    return body


def mailbox_entry(row: Message) -> dict[str, Any]:
    """A mailbox row in the callback's shape ("author" null only for rows written before the
    mailbox recorded it)."""
    payload = row.payload or {}
    inbound = row.direction == "in"
    return {
        "seq": row.seq,
        "direction": row.direction,
        "id": client_id(row.event_id) if inbound else row.event_id,
        "in_reply_to": None if inbound else client_id(payload.get("in_reply_to")),
        "conversation_id": conversation_id(row.conversation_key),
        "text": row.text,
        "links": payload.get("links", []),
        "quick_replies": payload.get("quick_replies", []),
        "author": "customer" if inbound else payload.get("author"),
        "sent_at": row.created_at.isoformat(),
    }
