"""channels/email/sendgrid.py: Inbound Parse fields (or raw mode) → Mail."""

from __future__ import annotations

import json

import pytest

from channels.email.form import Form
from channels.email.sendgrid import parse_sendgrid
from channels.webhook import Rejected
from tests.channels.email import mails

HEADERS = (
    "Received: by mx0047p1mdw1.sendgrid.net\r\n"
    "From: =?ISO-8859-1?Q?Jos=E9?= <jose@example.es>\r\n"
    "To: support+t0k3n@shop.example\r\n"
    "Subject: =?ISO-8859-1?Q?=BFD=F3nde_est=E1?=\r\n"
    "Message-ID: <sg.1@example.es>\r\n"
    "In-Reply-To: <ours@shop.example>\r\n"
)


def form(**fields: bytes | str) -> Form:
    return Form({k: v.encode() if isinstance(v, str) else v for k, v in fields.items()})


def test_fields_decoded_with_their_charsets() -> None:
    mail = parse_sendgrid(
        form(
            headers=HEADERS,
            text="Hola, ¿dónde está mi pedido?".encode("latin-1"),
            html=b"",
            charsets=json.dumps({"text": "iso-8859-1", "subject": "UTF-8"}),
            envelope=json.dumps({"to": ["support+t0k3n@shop.example"], "from": "jose@example.es"}),
            SPF="pass",
            dkim="{@example.es : pass}",
            attachments="2",
        )
    )
    assert mail.provider == "sendgrid"
    assert mail.sender == ("José", "jose@example.es")
    assert mail.subject == "¿Dónde está"
    assert mail.text == "Hola, ¿dónde está mi pedido?"
    assert mail.message_id == "<sg.1@example.es>"
    assert mail.in_reply_to == ["<ours@shop.example>"]
    assert mail.envelope_sender == "jose@example.es"
    assert mail.attachments == 2
    assert "support+t0k3n@shop.example" in mail.recipients
    assert mail.verified_from


def test_not_verified_without_dkim_for_the_from_domain() -> None:
    mail = parse_sendgrid(form(headers=HEADERS, text="x", SPF="pass", dkim="{@esp.example : pass}"))
    assert not mail.verified_from


def test_missing_headers_block_uses_the_fields_and_html_only() -> None:
    mail = parse_sendgrid(
        form(**{"from": "Alice <alice@example.com>", "subject": "Hi", "html": "<p>Where?</p>"})
    )
    assert mail.sender == ("Alice", "alice@example.com")
    assert mail.subject == "Hi"
    assert mail.text == "Where?"


def test_raw_mode() -> None:
    mail = parse_sendgrid(
        form(email=mails.WITH_ATTACHMENTS, SPF="pass", dkim="{@example.com : pass}")
    )
    assert mail.message_id == "<attach@example.com>"
    assert mail.attachments == 3
    assert mail.text.strip() == "Where is order #1001? Photo attached."
    assert mail.verified_from


def test_null_envelope_sender_and_bad_json_fields() -> None:
    mail = parse_sendgrid(
        form(headers=HEADERS, text="x", envelope=json.dumps({"from": ""}), charsets="{not json")
    )
    assert mail.envelope_sender == ""
    mail = parse_sendgrid(form(headers=HEADERS, text="x", envelope="[1, 2]"))
    assert mail.envelope_sender is None


def test_not_a_parse_post() -> None:
    with pytest.raises(Rejected) as caught:
        parse_sendgrid(form(text="hello"))
    assert caught.value.status == 400
