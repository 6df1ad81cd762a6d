"""channels/sms/parse.py: Twilio's webhook parameters as our events (real payload shapes from
https://www.twilio.com/docs/messaging/guides/webhook-request)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import MultiDict
from pydantic import ValidationError

from channels.sms.parse import (
    InboundForm,
    StatusForm,
    first_values,
    to_inbound,
    verified_phone,
)
from router.events import Attachment, InboundMessage, Party

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SID = "SM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
MMS_SID = "MM1f0e2d3c4b5a69788796a5b4c3d2e1f0"
ACCOUNT = "AC0f3c9e2d8b7a6f5e4d3c2b1a09f8e7d6"
SERVICE = "MG9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
CUSTOMER = "+14155550134"
OURS = "+14155552671"


def sms(**extra: str) -> dict[str, str]:
    """An inbound SMS exactly as Twilio posts it (all fields, including geo)."""
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": SID,
        "NumMedia": "0",
        "ToCity": "SAN FRANCISCO",
        "FromZip": "94107",
        "SmsSid": SID,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": "Where is my order #1001?",
        "FromCountry": "US",
        "To": OURS,
        "ToZip": "94105",
        "NumSegments": "1",
        "MessageSid": SID,
        "AccountSid": ACCOUNT,
        "From": CUSTOMER,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def parse(params: dict[str, str], max_bytes: int = 4096) -> InboundMessage | None:
    form = InboundForm.model_validate(first_values(params))
    return to_inbound(form, params, NOW, max_bytes=max_bytes)


def test_an_sms() -> None:
    message = parse(sms())
    assert message is not None
    dumped = message.model_dump()
    del dumped["trace_id"]
    assert dumped == {
        "event_id": f"twilio:{SID}",
        "schema_version": 1,
        "occurred_at": NOW,
        "channel": "sms",
        "provider": "twilio",
        "provider_message_id": SID,
        "conversation_key": f"sms:{CUSTOMER}:{OURS}",
        "sender": Party(id=CUSTOMER, phone=CUSTOMER).model_dump(),
        "text": "Where is my order #1001?",
        "language": None,
        "received_at": NOW,
        "route": {"to": CUSTOMER, "from": OURS},
        "attachments": [],
    }


def test_through_a_messaging_service() -> None:
    message = parse(sms(MessagingServiceSid=SERVICE))
    assert message is not None
    assert message.route == {
        "to": CUSTOMER,
        "from": OURS,
        "messaging_service_sid": SERVICE,
    }


def test_an_mms_with_text_and_pictures() -> None:
    params = sms(
        MessageSid=MMS_SID,
        Body="It arrived broken",
        NumMedia="2",
        MediaContentType0="image/jpeg",
        MediaUrl0=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MMS_SID}/Media/ME1",
        MediaContentType1="image/png",
        MediaUrl1=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MMS_SID}/Media/ME2",
    )
    message = parse(params)
    assert message is not None
    assert message.text == "It arrived broken"
    assert message.attachments == [
        Attachment(url=params["MediaUrl0"], content_type="image/jpeg"),
        Attachment(url=params["MediaUrl1"], content_type="image/png"),
    ]


def test_a_picture_without_text_is_media() -> None:
    message = parse(
        sms(Body="", NumMedia="1", MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="")
    )
    assert message is not None
    assert message.text == "[media]"
    assert message.attachments == [Attachment(url="https://api.twilio.com/m/ME1")]


def test_no_text_and_no_media_is_nothing() -> None:
    assert parse(sms(Body="  \n ")) is None
    assert parse({k: v for k, v in sms().items() if k != "Body"}) is None
    # NumMedia says 1 but no URL came: nothing to show either.
    assert parse(sms(Body="", NumMedia="1")) is None


def test_unicode_is_kept_and_long_text_cut_on_a_character_boundary() -> None:
    emoji = parse(sms(Body="¿Dónde está mi pedido? 📦"))
    assert emoji is not None
    assert emoji.text == "¿Dónde está mi pedido? 📦"
    long = parse(sms(Body="é" * 300), max_bytes=257)
    assert long is not None
    assert long.text == "é" * 128


@pytest.mark.parametrize(
    ("address", "phone"),
    [
        (CUSTOMER, CUSTOMER),
        ("+447700123456", "+447700123456"),
        ("+1415555", None),  # too short to be a number
        ("+1 415 555 0134", None),  # not how Twilio writes E.164: not vouched for
        ("14155550134", None),
        ("22395", None),  # a short code
        ("ACMESHOP", None),  # an alphanumeric sender
        ("whatsapp:+14155550134", None),
        ("+", None),
    ],
)
def test_the_sender_phone_is_proof_only_in_e164(address: str, phone: str | None) -> None:
    assert verified_phone(address) == phone
    message = parse(sms(From=address))
    assert message is not None
    assert message.sender == Party(id=address, phone=phone)


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": "", "SmsSid": ""},
        {"MessageSid": "SM123", "SmsSid": "SM123"},
        {"From": ""},
        {"To": ""},
        {"NumMedia": "lots"},
        {"NumMedia": "-1"},
        {"NumMedia": "11"},
        {"MessagingServiceSid": "MG1"},
    ],
)
def test_malformed_fields_are_errors(change: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        InboundForm.model_validate(first_values(sms(**change)))


def test_missing_fields_are_errors() -> None:
    for name in ("From", "To"):
        with pytest.raises(ValidationError):
            InboundForm.model_validate({k: v for k, v in sms().items() if k != name})
    without_sids = {k: v for k, v in sms().items() if k not in ("MessageSid", "SmsSid")}
    with pytest.raises(ValidationError):
        InboundForm.model_validate(without_sids)


def test_the_deprecated_sms_sid_still_names_the_message() -> None:
    only_sms_sid = {k: v for k, v in sms().items() if k != "MessageSid"}
    assert InboundForm.model_validate(only_sms_sid).message_sid == SID


def test_first_values_keeps_the_first_of_repeated_names() -> None:
    params = MultiDict([("Body", "one"), ("Body", "two"), ("From", CUSTOMER)])
    assert first_values(params) == {"Body": "one", "From": CUSTOMER}


def test_status_callbacks() -> None:
    delivered = StatusForm.model_validate(
        {
            "SmsSid": SID,
            "SmsStatus": "delivered",
            "MessageStatus": "delivered",
            "To": CUSTOMER,
            "MessageSid": SID,
            "AccountSid": ACCOUNT,
            "From": OURS,
            "ApiVersion": "2010-04-01",
        }
    )
    assert (delivered.message_sid, delivered.message_status, delivered.error_code) == (
        SID,
        "delivered",
        None,
    )
    failed = StatusForm.model_validate(
        {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    assert (failed.message_status, failed.error_code) == ("undelivered", "30003")
    for bad in (
        {"MessageSid": SID},
        {"MessageSid": SID, "MessageStatus": "Delivered!"},
        {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "x"},
        {"MessageStatus": "sent"},
    ):
        with pytest.raises(ValidationError):
            StatusForm.model_validate(bad)
