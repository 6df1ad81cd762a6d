"""Raw MIME (RFC 5322 / 2045) → headers, body text, attachment count. Stdlib `email` only.

Parsed with `email.policy.default`; bodies are decoded by hand (transfer encoding by the
stdlib, charset by charsets.decode_bytes) so that a wrong or unknown charset, broken base64 or
a missing boundary degrades the text instead of raising. A forwarded message (message/rfc822)
and every non-text part count as attachments and are never read.
"""

from __future__ import annotations

import email
import email.message
import email.policy
from dataclasses import dataclass

from channels.email.charsets import decode_bytes
from channels.email.headers import Headers
from channels.email.html_text import html_to_text

MAX_DEPTH = 20
MAX_PARTS = 500


@dataclass(frozen=True)
class MimeBody:
    headers: Headers
    text: str
    html: str
    attachments: int
    content_type: str


def parse_bytes(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _content_type(part: email.message.Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _disposition(part: email.message.Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return "attachment"


def _has_filename(part: email.message.Message) -> bool:
    try:
        return bool(part.get_filename())
    except Exception:
        return True


def part_text(part: email.message.Message) -> str:
    """A leaf part's content as text: transfer encoding undone, then its charset."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(payload, charset).replace("\r\n", "\n")


class _Walk:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments = 0
        self.visited = 0

    def visit(self, part: email.message.Message, depth: int) -> None:
        self.visited += 1
        if depth > MAX_DEPTH or self.visited > MAX_PARTS:
            return
        ctype = _content_type(part)
        if ctype.startswith("message/"):
            self.attachments += 1  # a forwarded mail or a DSN's original: not the customer's words
            return
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, email.message.Message):
                        self.visit(sub, depth + 1)
            return
        if (
            _disposition(part) == "attachment"
            or ctype not in ("text/plain", "text/html")
            or _has_filename(part)
        ):
            self.attachments += 1  # images, files, calendar invites: counted, never read
        elif ctype == "text/html":
            self.htmls.append(part_text(part))
        else:
            self.texts.append(part_text(part))


def read_mime(raw: bytes) -> MimeBody:
    """Everything the channel needs from a raw message. Never raises on any bytes."""
    message = parse_bytes(raw)
    walk = _Walk()
    walk.visit(message, 0)
    html = "\n".join(walk.htmls)
    text = "\n".join(t for t in walk.texts if t.strip())
    if not text.strip() and html:
        text = html_to_text(html)
    return MimeBody(
        headers=Headers.of(message.raw_items()),
        text=text,
        html=html,
        attachments=walk.attachments,
        content_type=_content_type(message),
    )


def read_headers(block: str) -> Headers:
    """A raw header block (SendGrid's `headers` field) as ordered pairs."""
    message = email.message_from_string(block.strip("\r\n") + "\n\n", policy=email.policy.default)
    return Headers.of(message.raw_items())
