"""What the three Meta webhooks do alike: read and verify the raw body, check the envelope,
validate the payload, then (after the messages are on the bus) record the delivery receipts.

A POST holds up to 1000 updates: `{"object": …, "entry": [ … ]}`. An `object` this endpoint
does not handle is acknowledged and ignored (Meta would otherwise retry it for days); a known
object whose payload does not validate is refused with a 400 that changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import PydanticSerializationError

from channels.meta.signature import SIGNATURE_HEADER, verify_signature
from channels.text import message_text
from channels.webhook import Rejected, first_error, parse_json, read_body
from router.events import MAX_TEXT_CHARS, InboundMessage
from router.store import channel_state
from router.store.db import Database

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)

JSON_TYPE = "application/json"

# Ids are short and printable: they end up in conversation keys, routes and URL paths. (Lone
# surrogates, which JSON can carry as "\\ud800", pydantic refuses in any str field: a 400.)
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_PRINTABLE)]
"""Page, account, phone-number and user ids (PSID, IGSID, wa_id): short opaque strings."""
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=_PRINTABLE)]
"""wamid / mid: the provider message id, also the dedupe key."""


class Payload(BaseModel):
    """Tolerant of the fields Meta keeps adding."""

    model_config = ConfigDict(extra="ignore")


class Envelope(Payload):
    object: str
    entry: list[Any]


async def read_update(request: web.Request, app_secret: bytes) -> Any:
    """The verified JSON body. Signature first: a stranger learns nothing about the parser."""
    body = await read_body(request)
    verify_signature(app_secret, body, request.headers.get(SIGNATURE_HEADER))
    if request.content_type != JSON_TYPE:
        raise Rejected(415, "unsupported_media_type", "Expected application/json.")
    return parse_json(body)


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Rejected(400, "bad_payload", first_error(exc)) from None


def envelope(data: Any, expected_object: str, channel: str) -> Envelope | None:
    """The envelope when it is for this endpoint; None for another object (acknowledged)."""
    head = validate(Envelope, data)
    if head.object != expected_object:
        log.info("meta_object_ignored", channel=channel, object=head.object[:64])
        return None
    return head


def clean_text(text: str | None, max_bytes: int) -> str:
    """Cleaned and clipped to the service's limit (and Meta's own longest message)."""
    return message_text(text, max_bytes)[:MAX_TEXT_CHARS]


def from_unix(value: float | None, *, millis: bool = False) -> datetime | None:
    """A provider timestamp (seconds; Messenger: milliseconds), or None when absent or absurd."""
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000 if millis else value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def inbound(**fields: Any) -> InboundMessage:
    """An InboundMessage, or Rejected 400 when the provider's values do not fit the event."""
    try:
        message = InboundMessage(**fields)
        message.model_dump_json()  # what the bus will need: fail here, as a 400, not there
    except ValidationError as exc:
        raise Rejected(400, "bad_payload", first_error(exc)) from None
    except PydanticSerializationError:
        raise Rejected(400, "bad_payload", "The message cannot be encoded.") from None
    return message


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt for a message we sent: it updates the delivery record, nothing more."""

    provider_message_id: str
    status: str
    at: datetime
    error: str | None = None


async def record_receipts(db: Database, channel: str, receipts: Iterable[Receipt]) -> None:
    for receipt in receipts:
        changed = await channel_state.record_provider_status(
            db,
            channel,
            receipt.provider_message_id,
            receipt.status,
            receipt.at,
            error=receipt.error,
        )
        log.info(
            "provider_status",
            channel=channel,
            provider_message_id=receipt.provider_message_id,
            status=receipt.status,
            updated=changed,
        )


def acknowledged(accepted: int = 0, ignored: bool = False) -> web.Response:
    """Meta only looks at the status; the body helps whoever reads the logs."""
    return web.json_response({"status": "ignored" if ignored else "ok", "accepted": accepted})
