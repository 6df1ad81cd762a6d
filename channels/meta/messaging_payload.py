"""Webhook payloads of the Messenger Platform and Instagram Messaging (one shape for both).

`{"object": "page"|"instagram", "entry": [{"id", "time", "messaging": [event, …]}]}`, each event
`{"sender": {"id"}, "recipient": {"id"}, "timestamp", <one of message | postback | delivery |
read | reaction | …>}`. Only what we use is modelled; other fields and event kinds are ignored.
"""

from __future__ import annotations

from pydantic import Field

from channels.meta.inbound import Id, MessageId, Payload


class Who(Payload):
    id: Id


class AttachmentData(Payload):
    url: str | None = None


class MessageAttachment(Payload):
    type: str = "file"  # image, video, audio, file, location, fallback, share, story_mention…
    payload: AttachmentData | None = None


class QuickReplyTap(Payload):
    payload: str | None = None


class Message(Payload):
    mid: MessageId
    text: str | None = None
    quick_reply: QuickReplyTap | None = None
    attachments: list[MessageAttachment] = Field(default_factory=list)
    is_echo: bool = False  # our own send, reflected back
    is_deleted: bool = False  # Instagram: the customer unsent it
    is_unsupported: bool = False


class Postback(Payload):
    """A tap on a button (persistent menu, template): its title reads as what they said."""

    title: str | None = None
    payload: str | None = None
    mid: MessageId | None = None


class Delivery(Payload):
    mids: list[MessageId] = Field(default_factory=list)
    watermark: int | None = None


class Read(Payload):
    watermark: int | None = None
    mid: MessageId | None = None  # Instagram names the message read


class MessagingEvent(Payload):
    sender: Who
    recipient: Who
    timestamp: int | None = None
    message: Message | None = None
    postback: Postback | None = None
    delivery: Delivery | None = None
    read: Read | None = None


class Entry(Payload):
    id: Id  # the Page id (Messenger) or the Instagram professional account id
    time: int | None = None
    messaging: list[MessagingEvent] = Field(
        default_factory=list
    )  # absent in `standby` and `changes` entries


class MessagingPayload(Payload):
    object: str
    entry: list[Entry]
