"""WhatsApp Cloud API webhook → InboundMessages and delivery receipts.

- Every entry, every change with field "messages", every message and status in it (Meta
  batches); other fields (account_update, template status, …) are ignored.
- text → its body; a template quick-reply button → its text; one of our reply buttons or a
  list row → its title; image/video/audio/document/sticker → the caption, else a placeholder
  like "[image]", with the media as an attachment (its URL is the Graph media object, which
  needs the access token); location → "[location]"; contacts → "[contacts]". Reactions,
  system notices, orders and unsupported messages are skipped (logged by id).
- The sender's phone is "+<wa_id>" when that is a valid E.164 number: WhatsApp verified that
  the customer owns it, so the resolver may take it as proof of identity.
- statuses[] → receipts (sent, delivered, read, failed + the error code and title).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
import structlog

from channels.meta.inbound import Receipt, clean_text, from_unix, inbound, validate
from channels.whatsapp.payload import Media, Message, Status, Value, WhatsAppPayload
from router.events import Attachment, InboundMessage, Party

log = structlog.get_logger(__name__)

NAME = "whatsapp"
PROVIDER = "whatsapp_cloud"
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")
PLACEHOLDERS = {"location": "[location]", "contacts": "[contacts]"}
MAX_NAME_BYTES = 256
MEDIA_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
# Statuses of one message often share a timestamp second and arrive out of order; a few
# microseconds by rank keep "read" from being overwritten by a late "delivered".
STATUS_RANK = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}


@dataclass
class Parsed:
    messages: list[InboundMessage]
    receipts: list[Receipt]


def parse(payload: WhatsAppPayload, *, now: datetime, max_bytes: int, media_root: str) -> Parsed:
    """`media_root`: `{graph_base_url}/{api_version}`, for attachment URLs."""
    parsed = Parsed([], [])
    for entry in payload.entry:
        for change in entry.changes:
            if change.field != "messages":
                log.info("whatsapp_change_ignored", field=change.field[:64])
                continue
            value = validate(Value, change.value)
            for message in value.messages:
                found = _message(value, message, now, max_bytes, media_root)
                if found is not None:
                    parsed.messages.append(found)
            parsed.receipts += [_receipt(status, now) for status in value.statuses]
    return parsed


def verified_phone(wa_id: str) -> str | None:
    """ "+<wa_id>" in E.164 when it is a valid number, else None (no proof of anything)."""
    if not wa_id.isdigit() or not 8 <= len(wa_id) <= 15:
        return None
    try:
        number = phonenumbers.parse("+" + wa_id)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _message(
    value: Value, message: Message, now: datetime, max_bytes: int, media_root: str
) -> InboundMessage | None:
    text, attachments = _content(message, max_bytes, media_root)
    if not text:
        log.info("whatsapp_message_skipped", wamid=message.id, type=message.type[:32])
        return None
    wa_id = message.from_
    phone_number_id = value.metadata.phone_number_id
    return inbound(
        event_id=InboundMessage.make_id(PROVIDER, message.id),
        trace_id=uuid.uuid4().hex,
        occurred_at=from_unix(message.timestamp) or now,
        channel=NAME,
        provider=PROVIDER,
        provider_message_id=message.id,
        conversation_key=f"{NAME}:{phone_number_id}:{wa_id}",
        sender=Party(id=wa_id, name=_name(value, wa_id), phone=verified_phone(wa_id)),
        text=text,
        received_at=now,
        route={"phone_number_id": phone_number_id, "to": wa_id},
        attachments=attachments,
    )


def _content(message: Message, max_bytes: int, media_root: str) -> tuple[str, list[Attachment]]:
    kind = message.type
    if kind == "text" and message.text is not None:
        return clean_text(message.text.body, max_bytes), []
    if kind == "button" and message.button is not None:
        return clean_text(message.button.text or message.button.payload, max_bytes), []
    if kind == "interactive" and message.interactive is not None:
        choice = message.interactive.button_reply or message.interactive.list_reply
        return clean_text(choice.title if choice else None, max_bytes), []
    if kind in MEDIA_KINDS:
        media: Media | None = getattr(message, kind)
        if media is None:
            return "", []
        attachments = []
        if media.id and MEDIA_ID.fullmatch(media.id):
            attachments.append(
                Attachment(
                    url=f"{media_root}/{media.id}",
                    content_type=media.mime_type,
                    name=media.filename,
                )
            )
        return clean_text(media.caption or f"[{kind}]", max_bytes), attachments
    return PLACEHOLDERS.get(kind, ""), []


def _name(value: Value, wa_id: str) -> str | None:
    """The profile name WhatsApp shows (not verified: only a greeting uses it)."""
    profiles = [c.profile for c in value.contacts if c.wa_id == wa_id and c.profile]
    if not profiles and len(value.contacts) == 1 and value.contacts[0].profile:
        profiles = [value.contacts[0].profile]
    name = clean_text(profiles[0].name, MAX_NAME_BYTES) if profiles else ""
    return name or None


def _receipt(status: Status, now: datetime) -> Receipt:
    at = from_unix(status.timestamp) or now
    at += timedelta(microseconds=STATUS_RANK.get(status.status, 0))
    error = None
    if status.errors:
        first = status.errors[0]
        error = f"{first.code}: {first.title or 'error'}"[:200]
    return Receipt(status.id, status.status, at, error)
