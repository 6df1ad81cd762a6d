"""Provider webhook payloads in their real formats (field names from providers.md §2-4 and the
providers' docs), for the e-mail tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import aiohttp

from tests.channels.email.mails import WISMO

# Postmark's documented Received-SPF header format (postmarkapp.com/developer/user-guide/
# inbound/parse-an-email), with our test sender.
RECEIVED_SPF_PASS = (
    "Pass (sender SPF authorized) identity=mailfrom; client-ip=209.85.160.180; "
    "helo=mail-gy0-f180.google.com; envelope-from=alice@example.com; "
    "receiver=451d9b70cf9364d23ff6f9d51d870251569e+ahoy@inbound.postmarkapp.com"
)


def postmark(
    *,
    text: str = WISMO,
    subject: str = "Where is my order?",
    sender: str = "alice@example.com",
    name: str = "Alice Example",
    message_id: str = "<CAF=alice.pm.1@mail.example.com>",
    headers: list[dict[str, str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A Postmark inbound webhook body (postmarkapp.com/developer/webhooks/inbound-webhook)."""
    payload: dict[str, Any] = {
        "FromName": name,
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": name, "MailboxHash": ""},
        "To": '"Demo Shop" <support@shop.example>',
        "ToFull": [{"Email": "support@shop.example", "Name": "Demo Shop", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@shop.example",
        "Subject": subject,
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Mon, 3 Mar 2025 10:00:00 +0000",
        "TextBody": text,
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": headers
        if headers is not None
        else [
            {"Name": "X-Spam-Checker-Version", "Value": "SpamAssassin 3.3.1 (2010-03-16)"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "Received-SPF", "Value": "Neutral (no SPF record) identity=mailfrom"},
            {"Name": "MIME-Version", "Value": "1.0"},
            {"Name": "Message-ID", "Value": message_id},
        ],
        "Attachments": [],
    }
    payload.update(fields)
    return payload


def mailgun_signature(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun(
    key: str,
    timestamp: str,
    token: str,
    *,
    text: str = WISMO,
    sender: str = "Alice Example <alice@example.com>",
    message_id: str = "<CAF=alice.mg.1@mail.example.com>",
    extra_headers: list[list[str]] | None = None,
    overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """A Mailgun route forward() post (documentation.mailgun.com … receive-http)."""
    headers = [
        ["X-Mailgun-Incoming", "Yes"],
        ["X-Mailgun-Spf", "Neutral"],
        ["X-Mailgun-Dkim-Check-Result", "Fail"],
        ["From", sender],
        ["To", "support@shop.example"],
        ["Subject", "Where is my order?"],
        ["Message-Id", message_id],
        ["Mime-Version", "1.0"],
        *(extra_headers or []),
    ]
    form = {
        "recipient": "support@shop.example",
        "sender": "alice@example.com",
        "from": sender,
        "subject": "Where is my order?",
        "body-plain": text,
        "stripped-text": text,
        "stripped-signature": "",
        "body-html": f"<div>{text}</div>",
        "message-headers": json.dumps(headers),
        "Message-Id": message_id,
        "attachment-count": "0",
        "timestamp": timestamp,
        "token": token,
        "signature": mailgun_signature(key, timestamp, token),
    }
    form.update(overrides or {})
    return form


def sendgrid(
    *,
    text: str = WISMO,
    message_id: str = "<CAF=alice.sg.1@mail.example.com>",
    spf: str = "pass",
    dkim: str = "{@example.com : pass}",
    files: int = 0,
    **fields: str,
) -> aiohttp.FormData:
    """A SendGrid Inbound Parse post (multipart/form-data; the default, non-raw mode)."""
    headers = (
        "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn\r\n"
        "Received: from mail.example.com (mail.example.com [192.0.2.10])\r\n"
        "From: Alice Example <alice@example.com>\r\n"
        "To: support@shop.example\r\n"
        "Subject: Where is my order?\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=001a113df448cad2d704df8a4f6d\r\n"
    )
    values = {
        "headers": headers,
        "dkim": dkim,
        "content-ids": "{}",
        "to": "support@shop.example",
        "html": f"<div>{text}</div>",
        "from": "Alice Example <alice@example.com>",
        "text": text,
        "sender_ip": "192.0.2.10",
        "spam_report": "",
        "envelope": json.dumps({"to": ["support@shop.example"], "from": "alice@example.com"}),
        "attachments": str(files),
        "subject": "Where is my order?",
        "spam_score": "0.1",
        "charsets": json.dumps(
            {"to": "UTF-8", "html": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}
        ),
        "SPF": spf,
    }
    values.update(fields)
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in values.items():
        form.add_field(name, value)
    for index in range(files):
        form.add_field(
            f"attachment{index + 1}",
            b"\x89PNG\r\n\x1a\n",
            filename=f"photo{index + 1}.png",
            content_type="image/png",
        )
    return form
