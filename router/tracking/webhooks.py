"""The HTTP intake of carrier-aggregator webhooks: EasyPost, AfterShip and Shippo.

Each route reads the raw body once (the signature is over exactly those bytes), has the
provider's parser verify and normalise it, and puts every update on wismo.tracking.v1 through
Ingest, which drops an event id it already published (aggregators retry). The provider gets 200
only once everything is on the bus, and 503 when the bus cannot take it, so it delivers again.

Refusals have the JSON shape of the channels' webhooks (``{"error", "message"}``) and are
counted with ``Ingest.reject``. That shape is written here rather than imported: router/ must
not import channels/. A route exists only when its secret is set: an aggregator we have no
secret for could not be verified, so it gets a 404 rather than a door that says no.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from aiohttp import web

from router.bus import BusUnavailable
from router.bus.topics import TRACKING
from router.ingest import Ingest
from router.settings import TrackingWebhookSettings
from router.tracking.aftership import AfterShipWebhook
from router.tracking.base import PayloadError, SignatureError, TrackingWebhook
from router.tracking.easypost import EasyPostWebhook
from router.tracking.shippo import ShippoWebhook

__all__ = ["PATH", "tracking_routes"]

PATH = "/webhooks/tracking/{provider}"
RETRY_AFTER_S = "5"
MAX_MESSAGE = 200

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def tracking_routes(
    cfg: TrackingWebhookSettings, ingest: Ingest, clock: Callable[[], datetime]
) -> list[web.RouteDef]:
    """``POST /webhooks/tracking/<provider>`` for each aggregator whose secret is set."""
    parsers: list[TrackingWebhook] = []
    if cfg.easypost_secret is not None and cfg.easypost_secret.get_secret_value():
        parsers.append(EasyPostWebhook(cfg.easypost_secret.get_secret_value()))
    if cfg.aftership_secret is not None and cfg.aftership_secret.get_secret_value():
        parsers.append(AfterShipWebhook(cfg.aftership_secret.get_secret_value()))
    if cfg.shippo_secret is not None and cfg.shippo_secret.get_secret_value():
        parsers.append(ShippoWebhook(cfg.shippo_secret.get_secret_value()))
    return [
        web.post(PATH.format(provider=parser.name), _handler(parser, ingest, clock))
        for parser in parsers
    ]


def _handler(parser: TrackingWebhook, ingest: Ingest, clock: Callable[[], datetime]) -> Handler:
    channel = f"tracking_{parser.name}"

    def refuse(status: int, code: str, message: str) -> web.Response:
        ingest.reject(channel, code)
        log.info("tracking_webhook_rejected", provider=parser.name, reason=code, status=status)
        return _error(status, code, message)

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return refuse(413, "too_large", "The request body is too large.")
        try:
            updates = parser.parse(body, request.headers, now=clock())
        except SignatureError:
            # The parser's words are fine, but a fixed sentence cannot leak what was expected.
            return refuse(401, "bad_signature", "The signature does not match the body.")
        except PayloadError as exc:
            # Only a body whose signature verified gets here: its own problems can be named.
            return refuse(400, "bad_payload", str(exc)[:MAX_MESSAGE])
        if not updates:
            ingest.ignore(channel, "no_update")  # another event kind: acknowledged, not kept
        accepted = 0
        try:
            for update in updates:
                if await ingest.accept_event(update, TRACKING, channel):
                    accepted += 1  # a duplicate is acknowledged, not counted again
        except BusUnavailable:  # Ingest counted it
            log.warning("tracking_webhook_bus_unavailable", provider=parser.name)
            return _error(
                503,
                "unavailable",
                "We can't take tracking updates right now; please retry.",
                {"Retry-After": RETRY_AFTER_S},
            )
        return web.json_response({"ok": True, "accepted": accepted})

    return handle
