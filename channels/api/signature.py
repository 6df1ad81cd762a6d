"""The API's request signature, the same in both directions (clients sign to us, we sign our
callbacks to them):

    X-Wismo-Timestamp: <unix seconds, decimal digits>
    X-Wismo-Signature: v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>." + payload)>

`payload` is the raw request body for a POST, and the request's path and query exactly as
sent (e.g. `/webhooks/api/conversations/c-1/messages?after=3`) for a GET, so a captured
signature cannot be replayed against another conversation. A timestamp more than the window
away from our clock, in either direction, is refused: a captured request goes stale.

A client, in Python:

    body = json.dumps(message).encode()
    ts = str(int(time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"X-Wismo-Timestamp": ts, "X-Wismo-Signature": f"v1={mac}",
               "Content-Type": "application/json"}
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime

from channels.webhook import Rejected, same_secret

TIMESTAMP_HEADER = "X-Wismo-Timestamp"
SIGNATURE_HEADER = "X-Wismo-Signature"
VERSION = "v1"
TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature(secret: bytes, timestamp: str, payload: bytes) -> str:
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + payload, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def signed_headers(secret: bytes, now: datetime, payload: bytes) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, payload)}


def verify(
    secret: bytes, headers: Mapping[str, str], payload: bytes, now: datetime, window_s: int
) -> None:
    """Rejected 401 unless signed with our secret within the window. The signature is checked
    before the time, so only a holder of the secret learns that its clock is off."""
    timestamp = headers.get(TIMESTAMP_HEADER)
    given = headers.get(SIGNATURE_HEADER)
    if timestamp is None or given is None:
        raise Rejected(401, "unauthorized", "The request is not signed.")
    timestamp = timestamp.strip()
    expected = signature(secret, timestamp, payload) if TIMESTAMP.fullmatch(timestamp) else ""
    if not expected or not same_secret(given.strip(), expected):
        raise Rejected(401, "bad_signature", "The signature is not valid.")
    if abs(now.timestamp() - int(timestamp)) > window_s:
        raise Rejected(401, "stale_timestamp", "The timestamp is outside the allowed window.")
