"""channels/email/postmark.py: Postmark's inbound JSON → Mail."""

from __future__ import annotations

import json

import pytest

from channels.email.postmark import parse_postmark
from channels.webhook import Rejected
from tests.channels.email import payloads


def body(**fields: object) -> bytes:
    return json.dumps(payloads.postmark(**fields)).encode()  # type: ignore[arg-type]


def test_fields_and_headers() -> None:
    mail = parse_postmark(
        body(
            headers=[
                {"Name": "Message-ID", "Value": "<m1@mail.example.com>"},
                {"Name": "In-Reply-To", "Value": "<ours@shop.example>"},
                {"Name": "References", "Value": "<root@x> <ours@shop.example>"},
                {"Name": "Subject", "Value": "stale header copy"},
            ],
            MailboxHash="abc123",
            Attachments=[
                {"Name": "a.pdf", "Content": "JVBERi0=", "ContentType": "application/pdf"}
            ],
            StrippedTextReply="Just the reply",
        )
    )
    assert mail.provider == "postmark"
    assert mail.sender == ("Alice Example", "alice@example.com")
    assert mail.subject == "Where is my order?"  # the top-level field wins
    assert mail.message_id == "<m1@mail.example.com>"
    assert mail.in_reply_to == ["<ours@shop.example>"]
    assert mail.references == ["<root@x>", "<ours@shop.example>"]
    assert mail.stripped_text == "Just the reply"
    assert mail.attachments == 1
    assert mail.mailbox_hash == "abc123"
    assert mail.provider_id == "73e6d360-66eb-11e1-8e72-a8904824019b"
    assert "support@shop.example" in mail.recipients
    assert not mail.verified_from


def test_received_spf_pass_aligned_vouches() -> None:
    mail = parse_postmark(
        body(headers=[{"Name": "Received-SPF", "Value": payloads.RECEIVED_SPF_PASS}])
    )
    assert mail.verified_from


def test_reply_to_and_html_only() -> None:
    mail = parse_postmark(
        body(text="", HtmlBody="<p>Where is <b>#1001</b>?</p>", ReplyTo="alice.work@example.com")
    )
    assert mail.reply_address == "alice.work@example.com"
    assert mail.text == "Where is #1001?"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"", 400),
        (b"[]", 400),
        (b'{"From": ""}', 400),
        (b'{"From": 5}', 400),
        (b'{"From": "a@b.example", "Headers": [{"Name": 1}]}', 400),
        (b"\xff\xfe", 400),
    ],
)
def test_bad_payloads(raw: bytes, status: int) -> None:
    with pytest.raises(Rejected) as caught:
        parse_postmark(raw)
    assert caught.value.status == status
