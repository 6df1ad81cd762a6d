"""The WhatsApp Cloud API webhook payload (only what we read; Meta adds fields freely).

`{"object": "whatsapp_business_account", "entry": [{"id": <WABA id>, "changes": [{"field":
"messages", "value": {messaging_product, metadata, contacts[], messages[] | statuses[]}}]}]}`
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from channels.meta.inbound import Id, MessageId, Payload


class Profile(Payload):
    name: str | None = None


class Contact(Payload):
    wa_id: Id | None = None
    profile: Profile | None = None


class Metadata(Payload):
    phone_number_id: Id
    display_phone_number: str | None = None


class Text(Payload):
    body: str = ""


class Button(Payload):
    """A tap on a template's quick-reply button."""

    text: str | None = None
    payload: str | None = None


class Choice(Payload):
    id: str | None = None
    title: str | None = None


class Interactive(Payload):
    """A tap on one of our reply buttons or list rows."""

    type: str | None = None
    button_reply: Choice | None = None
    list_reply: Choice | None = None


class Media(Payload):
    id: str | None = None
    mime_type: str | None = None
    caption: str | None = None
    filename: str | None = None


class Message(Payload):
    from_: Id = Field(alias="from")
    id: MessageId
    timestamp: int | None = None
    type: str = "unknown"
    text: Text | None = None
    button: Button | None = None
    interactive: Interactive | None = None
    image: Media | None = None
    video: Media | None = None
    audio: Media | None = None
    document: Media | None = None
    sticker: Media | None = None


class StatusError(Payload):
    code: int | None = None
    title: str | None = None


class Status(Payload):
    id: MessageId
    status: str = Field(min_length=1, max_length=32)
    timestamp: int | None = None
    recipient_id: str | None = None
    errors: list[StatusError] = Field(default_factory=list)


class Value(Payload):
    """The value of a "messages" change: new messages and/or statuses of ours."""

    messaging_product: str | None = None
    metadata: Metadata
    contacts: list[Contact] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    statuses: list[Status] = Field(default_factory=list)


class Change(Payload):
    field: str
    value: Any = None  # validated as Value only for field "messages"


class Entry(Payload):
    id: str | None = None
    changes: list[Change] = Field(default_factory=list)


class WhatsAppPayload(Payload):
    object: str
    entry: list[Entry]
