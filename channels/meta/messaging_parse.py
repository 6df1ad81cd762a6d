"""Messenger / Instagram webhook events → InboundMessages and delivery receipts.

- `message` (text, quick-reply tap, attachments) and `postback` → one InboundMessage each,
  deduplicated by `mid`. A message with attachments and no text reads "[image]" (one
  placeholder per attachment kind), the attachments listed with their URLs.
- `is_echo` (our own sends), `is_deleted`, `is_unsupported`, `reaction`, `optin`, `referral`,
  `standby` entries and anything else: skipped.
- `delivery.mids` → "delivered" receipts at the watermark time. `read`: Instagram names the
  message (`read.mid`) → a "read" receipt; Messenger only gives a watermark, which we do not
  map to messages (no receipt).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog

from channels.meta.inbound import Receipt, clean_text, from_unix, inbound
from channels.meta.messaging_payload import Entry, Message, MessagingEvent, MessagingPayload
from router.events import Attachment, InboundMessage, Party

log = structlog.get_logger(__name__)

MAX_ATTACHMENTS = 10
CONTENT_TYPES = {"image": "image/*", "video": "video/*", "audio": "audio/*"}


@dataclass(frozen=True)
class Spec:
    """What differs between Messenger and Instagram."""

    channel: str  # "messenger" | "instagram": conversation keys, contacts, receipts
    provider: str  # the event's provider name (and the dedupe namespace)
    object: str  # the webhook's `object`
    account_key: str  # route key of our side: the Page id / Instagram account id
    user_key: str  # route key of the customer: PSID / IGSID


@dataclass
class Parsed:
    messages: list[InboundMessage]
    receipts: list[Receipt]


def parse(payload: MessagingPayload, spec: Spec, *, now: datetime, max_bytes: int) -> Parsed:
    """Every event of every entry, in order."""
    parsed = Parsed([], [])
    for entry in payload.entry:
        for event in entry.messaging:
            _event(parsed, entry, event, spec, now, max_bytes)
    return parsed


def _event(
    parsed: Parsed,
    entry: Entry,
    event: MessagingEvent,
    spec: Spec,
    now: datetime,
    max_bytes: int,
) -> None:
    at = from_unix(event.timestamp, millis=True)
    if event.message is not None:
        message = event.message
        if message.is_echo or message.is_deleted or message.is_unsupported:
            log.info("meta_message_skipped", channel=spec.channel, mid=message.mid)
            return
        text, attachments = _content(message, max_bytes)
        if not text:
            log.info("meta_message_without_text", channel=spec.channel, mid=message.mid)
            return
        parsed.messages.append(
            _inbound(entry, event, spec, message.mid, text, attachments, at, now)
        )
    elif event.postback is not None:
        postback = event.postback
        text = clean_text(postback.title or postback.payload, max_bytes)
        mid = postback.mid or (
            f"postback:{event.sender.id}:{event.timestamp}" if event.timestamp else None
        )
        if not text or mid is None:
            log.info("meta_postback_skipped", channel=spec.channel)
            return
        parsed.messages.append(_inbound(entry, event, spec, mid, text, [], at, now))
    elif event.delivery is not None:
        when = from_unix(event.delivery.watermark, millis=True) or at or now
        parsed.receipts += [Receipt(mid, "delivered", when) for mid in event.delivery.mids]
    elif event.read is not None and event.read.mid is not None:
        when = from_unix(event.read.watermark, millis=True) or at or now
        parsed.receipts.append(Receipt(event.read.mid, "read", when))


def _content(message: Message, max_bytes: int) -> tuple[str, list[Attachment]]:
    attachments = [
        Attachment(url=a.payload.url, content_type=CONTENT_TYPES.get(a.type))
        for a in message.attachments[:MAX_ATTACHMENTS]
        if a.payload is not None and a.payload.url and a.payload.url.startswith("https://")
    ]
    text = clean_text(message.text, max_bytes)
    if not text and message.attachments:
        kinds = dict.fromkeys(a.type for a in message.attachments[:MAX_ATTACHMENTS])
        text = clean_text(" ".join(f"[{kind[:32]}]" for kind in kinds), max_bytes)
    return text, attachments


def _inbound(
    entry: Entry,
    event: MessagingEvent,
    spec: Spec,
    mid: str,
    text: str,
    attachments: list[Attachment],
    at: datetime | None,
    now: datetime,
) -> InboundMessage:
    user = event.sender.id
    return inbound(
        event_id=InboundMessage.make_id(spec.provider, mid),
        trace_id=uuid.uuid4().hex,
        occurred_at=at or now,
        channel=spec.channel,
        provider=spec.provider,
        provider_message_id=mid,
        conversation_key=f"{spec.channel}:{entry.id}:{user}",
        # A PSID/IGSID is all Meta tells us: no verified phone or e-mail.
        sender=Party(id=user),
        text=text,
        received_at=now,
        route={spec.account_key: entry.id, spec.user_key: user},
        attachments=attachments,
    )
