"""Twilio's webhook parameters → our events.

Inbound message fields: https://www.twilio.com/docs/messaging/guides/webhook-request
(MessageSid, From, To, Body, NumMedia + MediaUrl{N}/MediaContentType{N}, MessagingServiceSid,
FromCountry, …). Status callbacks carry MessageSid, MessageStatus and, on failure, ErrorCode.
Unknown parameters are ignored: Twilio adds them without notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import phonenumbers
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from channels.text import clip
from router.events import Attachment, InboundMessage, Party

NAME = "sms"
PROVIDER = "twilio"
MAX_MEDIA = 10  # Twilio's own limit per message
MEDIA_ONLY_TEXT = "[media]"
"""The text of a message that is only a picture (MMS without a body): the pipeline still sees
that the customer wrote, and can ask what they need."""

SID = r"^[A-Z]{2}[0-9a-fA-F]{32}$"


class InboundForm(BaseModel):
    """One incoming SMS/MMS as Twilio posts it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_sid: str = Field(
        validation_alias=AliasChoices("MessageSid", "SmsSid"), pattern=SID, max_length=34
    )
    from_: str = Field(validation_alias="From", min_length=1, max_length=128)
    to: str = Field(validation_alias="To", min_length=1, max_length=128)
    body: str = Field(default="", validation_alias="Body")
    messaging_service_sid: str | None = Field(
        default=None, validation_alias="MessagingServiceSid", pattern=SID
    )
    num_media: int = Field(default=0, validation_alias="NumMedia", ge=0, le=MAX_MEDIA)
    from_country: str | None = Field(default=None, validation_alias="FromCountry", max_length=8)
    opt_out_type: str | None = Field(default=None, validation_alias="OptOutType", max_length=16)


class StatusForm(BaseModel):
    """A status callback for a message we sent."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_sid: str = Field(
        validation_alias=AliasChoices("MessageSid", "SmsSid"), pattern=SID, max_length=34
    )
    message_status: str = Field(
        validation_alias=AliasChoices("MessageStatus", "SmsStatus"), pattern=r"^[a-z_]{1,32}$"
    )
    error_code: str | None = Field(
        default=None, validation_alias="ErrorCode", pattern=r"^\d{1,10}$"
    )


def first_values(params: Mapping[str, str]) -> dict[str, str]:
    """One value per name (the first), for the models above; repeated names still count for
    the signature, which is checked over the full MultiDict."""
    out: dict[str, str] = {}
    for key, value in params.items():
        out.setdefault(key, value)
    return out


def verified_phone(address: str) -> str | None:
    """The sender's number in E.164 when it is one (Twilio delivered the SMS from it, so it is
    proof of identity); None for short codes, alphanumeric senders, channel addresses."""
    if not address.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(address, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164 if e164 == address else None


def media(form: InboundForm, params: Mapping[str, str]) -> list[Attachment]:
    found = []
    for index in range(form.num_media):
        url = params.get(f"MediaUrl{index}")
        if url:
            content_type = params.get(f"MediaContentType{index}") or None
            found.append(Attachment(url=url, content_type=content_type))
    return found


def to_inbound(
    form: InboundForm,
    params: Mapping[str, str],
    now: datetime,
    *,
    max_bytes: int,
) -> InboundMessage | None:
    """The event for one incoming SMS, or None when it has neither text nor media."""
    attachments = media(form, params)
    text = form.body.strip()
    if not text:
        if not attachments:
            return None
        text = MEDIA_ONLY_TEXT
    route = {"to": form.from_, "from": form.to}
    if form.messaging_service_sid:
        route["messaging_service_sid"] = form.messaging_service_sid
    return InboundMessage(
        event_id=InboundMessage.make_id(PROVIDER, form.message_sid),
        trace_id=uuid.uuid4().hex,
        occurred_at=now,
        channel=NAME,
        provider=PROVIDER,
        provider_message_id=form.message_sid,
        conversation_key=f"{NAME}:{form.from_}:{form.to}",
        sender=Party(id=form.from_, phone=verified_phone(form.from_)),
        text=clip(text, max_bytes),
        received_at=now,
        route=route,
        attachments=attachments,
    )
