"""What every inbound webhook does the same way: read the raw body once, verify it in constant
time, refuse bad input with a short JSON 4xx that is counted, and answer 2xx only once every
message in the request is on the bus (503 when the bus cannot take it, so the provider retries).

A channel writes its handler as `async def handle(request) -> web.StreamResponse` that raises
Rejected for anything the provider or a stranger got wrong, and wraps it with `webhook()`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from pydantic import ValidationError

from router.bus import BusUnavailable
from router.ingest import Ingest

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Rejected(Exception):
    """A request we refuse: `status` 4xx, `code` a short machine-readable reason (the metrics
    label), `message` for the caller. Never the expected signature or secret."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def webhook(channel: str, ingest: Ingest) -> Callable[[Handler], Handler]:
    """Turn a handler's refusals into counted JSON 4xx, and a bus that cannot take the
    messages into a 503 with Retry-After (the provider then delivers again)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except Rejected as exc:
                ingest.reject(channel, exc.code)
                log.info("webhook_rejected", channel=channel, reason=exc.code, status=exc.status)
                return error_response(exc.status, exc.code, exc.message)
            except web.HTTPRequestEntityTooLarge:
                ingest.reject(channel, "too_large")
                return error_response(413, "too_large", "The request body is too large.")
            except BusUnavailable:  # Ingest already counted it
                return error_response(
                    503,
                    "unavailable",
                    "We can't take messages right now; please retry.",
                    {"Retry-After": "5"},
                )

        return handle

    return wrap


async def read_body(request: web.Request) -> bytes:
    """The raw bytes, read once: signatures are over exactly these (re-serialised JSON is not
    what the provider signed). Over the service's limit: 413."""
    return await request.read()


def parse_json(body: bytes) -> Any:
    """JSON from raw bytes, or Rejected 400 (bad UTF-8, bad JSON and absurd nesting alike)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected(400, "bad_json", "The body is not valid JSON.") from None


def first_error(exc: ValidationError) -> str:
    """A short description of what was wrong with a payload, for the 400 body."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "body"
    return f"{where}: {err['msg']}"[:200]


def same_secret(given: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time comparison; a missing or non-ASCII value is simply not equal."""
    if given is None:
        return False
    # surrogateescape: header bytes aiohttp could not decode must compare unequal, not raise.
    a = given.encode("utf-8", "surrogateescape") if isinstance(given, str) else given
    b = expected.encode("utf-8", "surrogateescape") if isinstance(expected, str) else expected
    return hmac.compare_digest(a, b)


def basic_auth_ok(request: web.Request, user: str, password: str) -> bool:
    """HTTP Basic credentials, compared in constant time (both parts, always)."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given_user, _, given_password = (
            base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = same_secret(given_user, user)
    password_ok = same_secret(given_password, password)
    return user_ok and password_ok


def public_url(request: web.Request, base_url: str | None = None) -> str:
    """The URL the provider called, which some sign (Twilio): the configured public base URL
    plus the path and query; else rebuilt from X-Forwarded-Proto/-Host (a proxy in front)."""
    if base_url:
        return base_url.rstrip("/") + request.path_qs
    proto = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    return f"{proto}://{host}{request.path_qs}"
