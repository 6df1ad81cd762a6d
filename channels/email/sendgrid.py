"""SendGrid Inbound Parse: multipart/form-data fields (or the raw MIME in `email`) → Mail.

Parse has no signature: the route is protected by a secret path token and/or HTTP basic auth
(checked in channel.py). `SPF` and `dkim` are SendGrid's own verdicts, fields it sets itself,
so they are what identity.py reads. The text fields are in the charsets SendGrid lists in
`charsets`.
"""

from __future__ import annotations

import json
from typing import Any

from channels.email.form import Form
from channels.email.headers import Headers, addresses, domain_of
from channels.email.html_text import html_to_text
from channels.email.identity import sendgrid_vouches
from channels.email.mime import read_headers, read_mime
from channels.email.model import Mail
from channels.webhook import Rejected

PROVIDER = "sendgrid"
SYNTHESISED = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("subject", "Subject"))


def _json(form: Form, name: str) -> Any:
    raw = form.text(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _count(value: str | None) -> int:
    value = (value or "").strip()
    return min(int(value), 10_000) if value.isdigit() and len(value) < 6 else 0


def parse_sendgrid(form: Form) -> Mail:
    if not ({"email", "headers", "from"} & form.fields.keys()):
        raise Rejected(400, "bad_form", "Not an Inbound Parse post: no email, headers or from.")
    charsets = _json(form, "charsets")
    charsets = charsets if isinstance(charsets, dict) else {}
    envelope = _json(form, "envelope")
    envelope = envelope if isinstance(envelope, dict) else {}
    envelope_from = envelope.get("from")
    envelope_to = envelope.get("to")
    recipients = (
        [r for r in envelope_to if isinstance(r, str)] if isinstance(envelope_to, list) else []
    )
    raw = form.fields.get("email")
    if raw:
        body = read_mime(raw)
        headers, text, html = body.headers, body.text, body.html
        attachments, content_type = body.attachments, body.content_type
    else:
        headers = read_headers(form.text("headers", charsets.get("headers")) or "")
        missing = [
            (header, form.text(name, charsets.get(name)) or "")
            for name, header in SYNTHESISED
            if name in form and not headers.has(header)
        ]
        headers = Headers(headers.pairs + tuple(missing))
        text = form.text("text", charsets.get("text")) or ""
        html = form.text("html", charsets.get("html")) or ""
        if not text.strip() and html:
            text = html_to_text(html)
        attachments = max(_count(form.text("attachments")), form.files)
        content_type = (headers.get("Content-Type") or "text/plain").split(";", 1)[0].strip()
    sender = addresses(headers.raw("From"))
    from_domain = domain_of(sender[0][1]) if sender else None
    return Mail(
        provider=PROVIDER,
        headers=headers,
        text=text,
        html=html,
        attachments=attachments,
        envelope_sender=envelope_from.strip().strip("<>")
        if isinstance(envelope_from, str)
        else None,
        recipients=tuple(recipients) + tuple(a for _, a in addresses(headers.raw("To"))),
        content_type=content_type.lower(),
        verified_from=sendgrid_vouches(form.text("SPF"), form.text("dkim"), from_domain),
    )
