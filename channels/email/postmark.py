"""Postmark inbound webhook: JSON → Mail. No signature: basic auth is checked in channel.py.

From/To/Subject come as top-level fields (Postmark has decoded them); Headers[] carries the
rest, Message-ID, In-Reply-To, References and Postmark's own Received-SPF among them.
Attachments arrive base64 in the JSON: they are counted and never decoded.
"""

from __future__ import annotations

import email.utils

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from channels.email.headers import Headers, addresses, domain_of
from channels.email.html_text import html_to_text
from channels.email.identity import postmark_vouches
from channels.email.model import Mail
from channels.webhook import Rejected, first_error, parse_json

PROVIDER = "postmark"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class PostmarkHeader(_Model):
    Name: str
    Value: str


class PostmarkAddress(_Model):
    Email: str = ""
    Name: str | None = None
    MailboxHash: str | None = None


class PostmarkInbound(_Model):
    From: str = Field(min_length=1)
    FromName: str | None = None
    FromFull: PostmarkAddress | None = None
    To: str | None = None
    ToFull: list[PostmarkAddress] = Field(default_factory=list)
    Cc: str | None = None
    ReplyTo: str | None = None
    OriginalRecipient: str | None = None
    Subject: str | None = None
    MessageID: str | None = None
    Date: str | None = None
    MailboxHash: str | None = None
    TextBody: str | None = None
    HtmlBody: str | None = None
    StrippedTextReply: str | None = None
    Headers: list[PostmarkHeader] = Field(default_factory=list)
    Attachments: list[object] = Field(default_factory=list)


def parse_postmark(body: bytes) -> Mail:
    try:
        payload = PostmarkInbound.model_validate(parse_json(body))
    except ValidationError as exc:
        raise Rejected(400, "bad_payload", first_error(exc)) from None
    headers = Headers.of((h.Name, h.Value) for h in payload.Headers)
    full = payload.FromFull
    name = (full.Name if full and full.Name else payload.FromName) or ""
    from_address = (full.Email if full and full.Email else payload.From).strip()
    fields = {
        "From": email.utils.formataddr((" ".join(name.split()), from_address)),
        "To": payload.To,
        "Cc": payload.Cc,
        "Reply-To": payload.ReplyTo,
        "Subject": payload.Subject,
        "Date": payload.Date,
    }
    # The top-level fields are Postmark's reading of the mail: they win over same-named headers.
    given = {key.lower() for key, value in fields.items() if value}
    kept = tuple(pair for pair in headers.pairs if pair[0].lower() not in given)
    headers = Headers(tuple((k, v) for k, v in fields.items() if v) + kept)
    text = payload.TextBody or ""
    html = payload.HtmlBody or ""
    if not text.strip() and html:
        text = html_to_text(html)
    sender = addresses(headers.raw("From"))
    recipients = [a.Email for a in payload.ToFull if a.Email]
    if payload.OriginalRecipient:
        recipients.append(payload.OriginalRecipient)
    return Mail(
        provider=PROVIDER,
        headers=headers,
        text=text,
        html=html,
        stripped_text=payload.StrippedTextReply,
        attachments=len(payload.Attachments),
        envelope_sender=None,
        provider_id=payload.MessageID,
        mailbox_hash=payload.MailboxHash or (full.MailboxHash if full else None) or None,
        recipients=tuple(recipients),
        content_type=(headers.get("Content-Type") or "text/plain").split(";", 1)[0].strip().lower(),
        verified_from=postmark_vouches(headers, domain_of(sender[0][1]) if sender else None),
    )
