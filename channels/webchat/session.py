"""Visitor sessions: a random id plus an HMAC, so a browser cannot pick someone else's session.

The token is the visitor's only credential for reading their conversation; it lives in the
browser's localStorage and is 128 random bits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

TOKEN = re.compile(r"(?P<sid>[A-Za-z0-9_-]{22})\.(?P<sig>[A-Za-z0-9_-]{43})")


class Sessions:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, sid: str) -> str:
        digest = hmac.new(self._secret, sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def new(self) -> tuple[str, str]:
        """A fresh (session id, token)."""
        sid = secrets.token_urlsafe(16)
        return sid, f"{sid}.{self._sign(sid)}"

    def verify(self, token: str | None) -> str | None:
        """The session id if the token is ours, else None."""
        if not token:
            return None
        m = TOKEN.fullmatch(token)
        if m is None:
            return None
        if not hmac.compare_digest(m["sig"], self._sign(m["sid"])):
            return None
        return m["sid"]
