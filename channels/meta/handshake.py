"""The GET subscription handshake: Meta proves it knows our verify token, we echo its challenge.

`GET <callback>?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<number>` → 200 with
the bare challenge as text/plain; anything else → 403 (400 when the parameters are missing).
"""

from __future__ import annotations

import re

from aiohttp import web

from channels.webhook import Handler, Rejected, same_secret, webhook
from router.ingest import Ingest

# Meta sends a decimal number; allow a little more, never markup (it is echoed back).
CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{1,256}")


def _token_ok(given: str, expected: str) -> bool:
    try:
        return same_secret(given, expected)
    except UnicodeEncodeError:  # undecodable bytes in the query string
        return False


def handshake(channel: str, ingest: Ingest, verify_token: str) -> Handler:
    """The GET handler for one channel's webhook path (refusals are counted like POSTs)."""

    @webhook(channel, ingest)
    async def handle(request: web.Request) -> web.StreamResponse:
        query = request.query
        mode = query.get("hub.mode")
        token = query.get("hub.verify_token")
        challenge = query.get("hub.challenge")
        if mode is None or token is None or challenge is None:
            raise Rejected(
                400, "bad_request", "Expected hub.mode, hub.verify_token and hub.challenge."
            )
        token_ok = _token_ok(token, verify_token)
        if mode != "subscribe" or not token_ok:
            raise Rejected(403, "unauthorized", "Verification failed.")
        if not CHALLENGE.fullmatch(challenge):
            raise Rejected(400, "bad_request", "hub.challenge is not a plain token.")
        return web.Response(
            text=challenge,
            content_type="text/plain",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    return handle
