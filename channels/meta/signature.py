"""X-Hub-Signature-256: "sha256=" + lowercase hex HMAC-SHA256(App Secret, raw body).

Meta signs the body exactly as sent, with non-ASCII escaped (\\u00e9 for é); re-serialised JSON has
other bytes and fails, so this runs over the raw bytes before anything is parsed. There is no
official Python helper. The legacy sha1 `X-Hub-Signature` is not accepted.
"""

from __future__ import annotations

import hashlib
import hmac

from channels.webhook import Rejected, same_secret

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(app_secret: bytes, body: bytes) -> str:
    """The header value Meta sends for `body` (also what tests and fakes sign with)."""
    return PREFIX + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def signature_ok(app_secret: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time; a missing, non-ASCII or malformed header is simply not equal."""
    if not header or not header.isascii():
        return False
    return same_secret(header.strip().lower(), sign(app_secret, body))


def verify_signature(app_secret: bytes, body: bytes, header: str | None) -> None:
    """Rejected 401 without a signature, 403 with a wrong one; the message never hints at the
    expected value."""
    if not header:
        raise Rejected(401, "unauthorized", f"Missing {SIGNATURE_HEADER}.")
    if not signature_ok(app_secret, body, header):
        raise Rejected(403, "bad_signature", "The signature does not match.")
