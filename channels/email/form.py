"""Form posts (SendGrid Parse, Mailgun) from the raw bytes, which are read once.

aiohttp's `request.post()` would read the stream a second time; instead multipart/form-data
is parsed with the stdlib `email` parser (a form post is a MIME multipart) and urlencoded
bodies with urllib. Field values stay bytes: SendGrid declares each field's charset in a
separate `charsets` field. File parts (attachments) are counted, never kept. A truncated or
boundary-less multipart is a 400, not a half-read mail.
"""

from __future__ import annotations

import email
import email.errors
import email.message
import email.policy
import urllib.parse
from dataclasses import dataclass, field

from channels.email.charsets import decode_bytes
from channels.webhook import Rejected

MAX_FIELDS = 2000
BROKEN_MULTIPART = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.MultipartInvariantViolationDefect,
)


@dataclass(frozen=True)
class Form:
    fields: dict[str, bytes] = field(default_factory=dict)
    files: int = 0

    def text(self, name: str, charset: str | None = "utf-8") -> str | None:
        value = self.fields.get(name)
        return None if value is None else decode_bytes(value, charset)

    def __contains__(self, name: str) -> bool:
        return name in self.fields


def _bad(message: str) -> Rejected:
    return Rejected(400, "bad_form", message)


def _multipart(content_type: str, body: bytes) -> Form:
    if "\r" in content_type or "\n" in content_type:
        raise _bad("Bad Content-Type.")
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    message = email.message_from_bytes(
        head.encode("utf-8", "surrogateescape") + body, policy=email.policy.compat32
    )
    if not message.is_multipart() or any(isinstance(d, BROKEN_MULTIPART) for d in message.defects):
        raise _bad("The multipart body is malformed or truncated.")
    parts = message.get_payload()
    if not isinstance(parts, list) or len(parts) > MAX_FIELDS:
        raise _bad("Too many form fields.")
    fields: dict[str, bytes] = {}
    files = 0
    for part in parts:
        if not isinstance(part, email.message.Message):
            continue
        if any(isinstance(d, BROKEN_MULTIPART) for d in part.defects):
            raise _bad("The multipart body is malformed or truncated.")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        if part.get_filename() is not None or part.is_multipart():
            files += 1
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields.setdefault(name, payload)
    return Form(fields, files)


def _urlencoded(body: bytes) -> Form:
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("latin-1"),  # one char per byte: the values' bytes survive exactly
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            encoding="latin-1",
        )
    except ValueError:
        raise _bad("Too many form fields.") from None
    fields: dict[str, bytes] = {}
    for name, value in pairs:
        fields.setdefault(
            name.encode("latin-1").decode("utf-8", "replace"), value.encode("latin-1")
        )
    return Form(fields)


def parse_form(content_type: str | None, body: bytes) -> Form:
    """The form fields of a POST, or Rejected 400/415."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime == "multipart/form-data":
        return _multipart(content_type or "", body)
    if mime == "application/x-www-form-urlencoded":
        return _urlencoded(body)
    raise Rejected(415, "unsupported_media_type", "Expected a form post.")
