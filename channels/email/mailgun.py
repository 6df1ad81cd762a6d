"""Mailgun routes `forward()`: signed form fields → Mail.

Signature: hex HMAC-SHA256(signing key, timestamp + token), checked by the official SDK
(`SecurityGuard.verify_webhook`, with its own TTL off because it reads time.time(), not our
injected clock); the timestamp window is checked here against ctx.clock(). A token already
accepted within the window is refused as a replay. The cache is in memory, per process: behind
several ingest processes a replay could reach another process once, and then the Message-ID
dedupe still keeps it from becoming a second event. A token is remembered only once its mail is
on the bus, so Mailgun's retry of a request we answered 503 is not taken for a replay.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime

from mailgun.security import SecurityGuard

from channels.email.form import Form
from channels.email.headers import Headers, addresses, domain_of
from channels.email.html_text import html_to_text
from channels.email.identity import mailgun_vouches
from channels.email.mime import read_mime
from channels.email.model import Mail
from channels.webhook import Rejected

PROVIDER = "mailgun"
MAX_TRACKED_TOKENS = 100_000
SYNTHESISED = (
    ("from", "From"),
    ("To", "To"),
    ("subject", "Subject"),
    ("Message-Id", "Message-ID"),
    ("In-Reply-To", "In-Reply-To"),
    ("References", "References"),
    ("Reply-To", "Reply-To"),
)


class ReplayGuard:
    """Tokens accepted recently (per process), forgotten when their window has passed."""

    def __init__(self, max_entries: int = MAX_TRACKED_TOKENS) -> None:
        self.max_entries = max_entries
        self._until: OrderedDict[str, float] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._until and next(iter(self._until.values())) < now:
            self._until.popitem(last=False)

    def seen(self, token: str, now: float) -> bool:
        self._expire(now)
        return token in self._until

    def remember(self, token: str, until: float) -> None:
        self._until[token] = until
        self._until.move_to_end(token)
        while len(self._until) > self.max_entries:
            self._until.popitem(last=False)


def verify(
    form: Form, signing_key: str, now: datetime, max_age_s: int, guard: ReplayGuard
) -> tuple[str, float]:
    """(token, until when to remember it) when the signature is good, fresh and not seen."""
    timestamp, token, signature = (form.text(n) for n in ("timestamp", "token", "signature"))
    if not (timestamp and token and signature):
        raise Rejected(401, "unauthorized", "The Mailgun signature fields are missing.")
    if not (timestamp.isdigit() and len(timestamp) <= 12):
        raise Rejected(403, "bad_signature", "The Mailgun signature is not valid.")
    try:
        ok = SecurityGuard.verify_webhook(
            signing_key, token, timestamp, signature, max_age_seconds=0
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise Rejected(403, "bad_signature", "The Mailgun signature is not valid.")
    if abs(now.timestamp() - int(timestamp)) > max_age_s:
        raise Rejected(403, "stale_timestamp", "The Mailgun timestamp is outside the window.")
    if guard.seen(token, now.timestamp()):
        raise Rejected(403, "replayed", "This Mailgun request was already received.")
    return token, int(timestamp) + max_age_s


def _header_pairs(form: Form) -> list[tuple[str, str]]:
    raw = form.text("message-headers")
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [
        (pair[0], pair[1])
        for pair in value
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
    ]


def _count(value: str | None) -> int:
    value = (value or "").strip()
    return min(int(value), 10_000) if value.isdigit() and len(value) < 6 else 0


def parse_mailgun(form: Form) -> Mail:
    envelope = form.text("sender")
    recipient = form.text("recipient") or ""
    raw = form.fields.get("body-mime")
    stripped = None
    if raw:
        body = read_mime(raw)
        headers, text, html = body.headers, body.text, body.html
        attachments, content_type = body.attachments, body.content_type
    else:
        if not ({"from", "message-headers", "body-plain"} & form.fields.keys()):
            raise Rejected(400, "bad_form", "Not a Mailgun route post: no from or body.")
        headers = Headers.of(_header_pairs(form))
        missing = [
            (header, form.text(name) or "")
            for name, header in SYNTHESISED
            if name in form and not headers.has(header)
        ]
        headers = Headers(headers.pairs + tuple(missing))
        text = form.text("body-plain") or ""
        html = form.text("body-html") or ""
        if not text.strip() and html:
            text = html_to_text(html)
        stripped = form.text("stripped-text")
        attachments = max(_count(form.text("attachment-count")), form.files)
        content_type = (headers.get("Content-Type") or "text/plain").split(";", 1)[0].strip()
    sender = addresses(headers.raw("From"))
    from_domain = domain_of(sender[0][1]) if sender else None
    envelope_sender = envelope.strip().strip("<>") if envelope is not None else None
    return Mail(
        provider=PROVIDER,
        headers=headers,
        text=text,
        html=html,
        stripped_text=stripped,
        attachments=attachments,
        envelope_sender=envelope_sender,
        recipients=tuple(r.strip() for r in recipient.split(",") if r.strip()),
        content_type=content_type.lower(),
        verified_from=mailgun_vouches(headers, envelope_sender, from_domain),
    )
