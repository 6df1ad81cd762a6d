"""A client's posted message → InboundMessage.

    {"id": "<client message id>", "conversation_id": "<thread>",
     "sender": {"id": "<user id>", "name"?, "email"?, "phone"?, "verified"?: true|false},
     "text": "<non-empty>", "language"?: "<BCP 47>"}

Ids are 1-128 characters of A-Z a-z 0-9 _ . : - (not dots alone). The client holds the
secret, so it is trusted to vouch for its user: `sender.email` and `sender.phone` become proof
of identity only with `"verified": true` (the client authenticated that user, e.g. a logged-in
help-centre session); without it they are ignored, since anyone can type someone else's
address into a form. A verified phone must be E.164 and a verified e-mail well-formed (else
400). Control characters are dropped from the text and name; a text longer than the service's
limit is cut, not refused.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)

from channels.text import clean, clip
from channels.webhook import Rejected, first_error
from router.events import InboundMessage, Party

NAME = "api"
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def _not_only_dots(value: str) -> str:
    """ "." and ".." are path segments HTTP clients rewrite: such a conversation could not be
    polled, so no id may be made of dots alone."""
    if not value.strip("."):
        raise ValueError("an id cannot be made of dots only")
    return value


ClientId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$"),
    AfterValidator(_not_only_dots),
]


def is_client_id(value: str) -> bool:
    return bool(CLIENT_ID.fullmatch(value)) and bool(value.strip("."))


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]+")
# Control characters (NUL above all) that no customer types; PostgreSQL text cannot store NUL.


class Sender(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")
    name: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    verified: StrictBool = False  # a security flag: "yes" or 1 is not true

    @model_validator(mode="after")
    def _verified_values_are_well_formed(self) -> Sender:
        if not self.verified:
            return self
        if self.email is not None and not EMAIL.fullmatch(self.email.strip()):
            raise ValueError("sender.email is not an e-mail address")
        if self.phone is not None and _e164(self.phone) is None:
            raise ValueError("sender.phone is not an E.164 phone number (+ and digits)")
        return self


class Posted(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: ClientId
    conversation_id: ClientId
    sender: Sender
    text: str = Field(min_length=1)
    language: str | None = Field(
        default=None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$", max_length=35
    )


def read_posted(body: bytes) -> Posted:
    """Parsed and validated in one pass: pydantic's JSON parser also refuses lone surrogates
    and deep nesting, which json.loads lets through."""
    try:
        return Posted.model_validate_json(body)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            raise Rejected(400, "bad_json", "The body is not valid JSON.") from None
        raise Rejected(400, "bad_payload", first_error(exc)) from None


def to_inbound(posted: Posted, *, now: datetime, max_bytes: int) -> InboundMessage:
    text = clip(clean(posted.text), max_bytes)
    if not text:
        raise Rejected(400, "empty", "text: the message is empty")
    sender = posted.sender
    verified = sender.verified
    return InboundMessage(
        event_id=InboundMessage.make_id(NAME, posted.id),
        trace_id=uuid.uuid4().hex,
        occurred_at=now,
        channel=NAME,
        provider=NAME,
        provider_message_id=posted.id,
        conversation_key=conversation_key(posted.conversation_id),
        sender=Party(
            id=sender.id,
            name=clean(sender.name or "") or None,
            email=sender.email.strip() if verified and sender.email else None,
            phone=_e164(sender.phone) if verified and sender.phone else None,
        ),
        text=text,
        language=posted.language,
        received_at=now,
        route={"conversation_id": posted.conversation_id},
    )


def conversation_key(conversation_id: str) -> str:
    return f"{NAME}:{conversation_id}"


def _e164(raw: str) -> str | None:
    value = raw.strip()
    if not value.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
