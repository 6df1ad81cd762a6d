"""Shippo tracking: lookups through the REST API and verified ``track_updated`` webhooks.

Lookup is ``GET https://api.goshippo.com/tracks/{carrier}/{tracking_number}`` with
``Authorization: ShippoToken <key>``; the answer is a Track object (carrier, tracking_number,
eta, tracking_status, tracking_history oldest first) [sdk: shippo-python-sdk models ``Track``,
``TrackingStatus``]. Shippo needs the carrier token in the path (``usps``, ``ups``, ``fedex``,
``dhl_express``…): the given carrier is lower-cased with spaces as underscores, and without a
carrier there is nothing to ask, so the lookup answers None.

Shippo has only six statuses; the detail (out for delivery, pickup, failed attempt…) is in
``substatus.code``, whose ``action_required`` flag is passed to :func:`normalize` as well.

Webhooks: ``{"event": "track_updated", "test": bool, "data": <Track>}``. Shippo documents an IP
allowlist and a URL token; the HMAC header handled here is known from integrator code only
[3p, UNVERIFIED against Shippo's docs]: ``Shippo-Auth-Signature: t=<unix ts>,v1=<hex
HMAC-SHA256(secret, "{t}.{raw body}")>``, reportedly enabled by Shippo support. Confirm it with
Shippo before relying on it. Shippo tracking webhooks are not idempotent, so the dedupe key is
the status object's id together with carrier and tracking number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog
from yarl import URL

from router.events import TrackingUpdate
from router.tracking.base import (
    PayloadError,
    SignatureError,
    TrackingError,
    TrackingEvent,
    TrackingInfo,
)
from router.tracking.http import TrackingApi
from router.tracking.status import (
    as_list,
    as_object,
    delivered_at,
    format_location,
    header,
    normalize,
    parse_date,
    parse_timestamp,
    required_text,
    text,
    update_from_info,
)

__all__ = ["DEFAULT_BASE_URL", "ShippoSource", "ShippoWebhook"]

SOURCE = "shippo"
DEFAULT_BASE_URL = "https://api.goshippo.com"
SIGNATURE_HEADER = "shippo-auth-signature"
TRACK_EVENT = "track_updated"

log = structlog.get_logger(__name__)


def carrier_token(carrier: str) -> str:
    """Shippo's carrier token form: ``"DHL Express"`` -> ``"dhl_express"``."""
    return "_".join(carrier.lower().split())


class ShippoSource:
    """Current tracking for one parcel from Shippo (TrackingSource)."""

    name = SOURCE

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 2.0,
    ) -> None:
        if not api_key:
            raise ValueError("Shippo api_key is empty")
        self._api = TrackingApi(
            session,
            provider="Shippo",
            headers={"Authorization": f"ShippoToken {api_key}"},
            timeout_s=timeout_s,
            credential="API token",
        )
        self._base = URL(base_url)

    async def lookup(
        self, tracking_number: str, carrier: str | None, *, now: datetime
    ) -> TrackingInfo | None:
        """The Track for carrier and number; None on 404, with no carrier, or when Shippo has
        neither a status nor any history for it."""
        number = tracking_number.strip()
        if not number:
            raise ValueError("tracking_number is empty")
        if not carrier or not carrier.strip():
            log.info("shippo_lookup_needs_carrier")
            return None
        token = carrier_token(carrier)
        url = self._base.joinpath(
            "tracks", quote(token, safe=""), quote(number, safe=""), encoded=True
        )
        status, raw = await self._api.request("GET", url)
        if status == 404:
            return None
        payload = self._api.payload(status, raw)
        try:
            return track_info(as_object(payload, "response"), now=now)
        except ValueError as exc:
            raise TrackingError(f"Shippo sent a malformed Track: {exc}", retry=False) from exc


def _current_status(track: dict[str, Any]) -> dict[str, Any] | None:
    """``tracking_status``, or the newest history entry when Shippo left it null."""
    current = track.get("tracking_status")
    if current is not None:
        return as_object(current, "tracking_status")
    history = as_list(track.get("tracking_history"), "tracking_history")
    return as_object(history[-1], "tracking_history[-1]") if history else None


def _substatus(status: dict[str, Any]) -> tuple[str | None, bool]:
    """``substatus.code`` and its ``action_required`` flag."""
    raw = status.get("substatus")
    if raw is None:
        return None, False
    substatus = as_object(raw, "substatus")
    flag = substatus.get("action_required", False)
    if not isinstance(flag, bool):
        raise ValueError("substatus.action_required is not a boolean")
    return text(substatus, "code"), flag


def _status_time(status: dict[str, Any]) -> datetime | None:
    """When the carrier scanned it (``status_date``, UTC); else when Shippo recorded it."""
    for key in ("status_date", "object_created"):
        value = text(status, key)
        if value is not None:
            parsed = parse_timestamp(value)
            if parsed is not None:
                return parsed
    return None


def track_info(track: dict[str, Any], *, now: datetime) -> TrackingInfo | None:
    """A Track (API answer or webhook ``data``) as TrackingInfo; None when it holds no status
    at all; ValueError when a field the answer depends on is missing or unreadable."""
    carrier = required_text(track, "carrier")
    number = required_text(track, "tracking_number")
    current = _current_status(track)
    if current is None:
        return None
    status = required_text(current, "status")
    code, flag = _substatus(current)
    normalized = normalize(SOURCE, status, code, action_required=flag)
    events = _events(track)
    eta = text(track, "eta")
    return TrackingInfo(
        tracking_number=number,
        carrier=carrier,
        status=normalized.status,
        reason=normalized.reason,
        action_required=normalized.action_required,
        source=SOURCE,
        source_status=status,
        source_substatus=code,
        status_detail=text(current, "status_details"),
        estimated_delivery=parse_date(eta) if eta is not None else None,
        delivered_at=delivered_at(normalized.status, events),
        events=events,
        record_id=f"{carrier}/{number}",
        fetched_at=now,
    )


def _location(status: dict[str, Any]) -> str | None:
    raw = status.get("location")
    if raw is None:
        return None
    place = as_object(raw, "location")
    return format_location(place.get("city"), place.get("state"), place.get("country"))


def _events(track: dict[str, Any]) -> list[TrackingEvent]:
    events: list[TrackingEvent] = []
    for index, raw in enumerate(as_list(track.get("tracking_history"), "tracking_history")):
        entry = as_object(raw, f"tracking_history[{index}]")
        occurred_at = _status_time(entry)
        if occurred_at is None:
            raise ValueError(f"tracking_history[{index}] has no status_date or object_created")
        status = required_text(entry, "status")
        code, flag = _substatus(entry)
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=normalize(SOURCE, status, code, action_required=flag).status,
                description=text(entry, "status_details") or "",
                location=_location(entry),
                source_status=status,
            )
        )
    events.sort(key=lambda event: event.occurred_at)
    return events


class ShippoWebhook:
    """Verifies and parses Shippo ``track_updated`` webhooks (TrackingWebhook).

    ``tolerance_s`` rejects signatures whose ``t`` is further than that from ``now``; it is
    off by default because the unit and the clock of ``t`` are not confirmed by Shippo.
    """

    name = SOURCE

    def __init__(self, secret: str, *, tolerance_s: float | None = None) -> None:
        if not secret:
            raise ValueError("Shippo webhook secret is empty")
        self._key = secret.encode("utf-8")
        self._tolerance_s = tolerance_s

    def parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> list[TrackingUpdate]:
        """One update per ``track_updated``; other Shippo events are acknowledged with []."""
        self._verify(body, headers, now=now)
        try:
            payload = as_object(json.loads(body), "body")
        except ValueError as exc:
            raise PayloadError(f"Shippo webhook body is not a JSON object: {exc}") from None
        try:
            return self._updates(payload, now=now)
        except ValueError as exc:
            raise PayloadError(f"Shippo webhook is not a track event: {exc}") from None

    def _verify(self, body: bytes, headers: Mapping[str, str], *, now: datetime) -> None:
        given = header(headers, SIGNATURE_HEADER)
        if given is None:
            raise SignatureError("missing Shippo-Auth-Signature header")
        timestamp, signatures = _parse_signature_header(given)
        if self._tolerance_s is not None and abs(now.timestamp() - int(timestamp)) > (
            self._tolerance_s
        ):
            raise SignatureError("Shippo-Auth-Signature timestamp is outside the tolerance")
        signed = timestamp.encode("ascii") + b"." + body
        expected = hmac.new(self._key, signed, hashlib.sha256).hexdigest().encode("ascii")
        if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            raise SignatureError("Shippo-Auth-Signature does not match the body")

    def _updates(self, payload: dict[str, Any], *, now: datetime) -> list[TrackingUpdate]:
        event = required_text(payload, "event")
        if event != TRACK_EVENT:
            log.info("shippo_webhook_ignored", shippo_event=event)
            return []
        track = as_object(payload.get("data"), "data")
        info = track_info(track, now=now)
        current = _current_status(track)
        if info is None or current is None:
            log.info("shippo_webhook_without_status", carrier=track.get("carrier"))
            return []
        occurred_at = _status_time(current)
        if occurred_at is None:
            raise ValueError("tracking_status has no status_date or object_created")
        object_id = required_text(current, "object_id")
        return [
            update_from_info(
                info,
                event_id=f"{SOURCE}:{info.carrier}:{info.tracking_number}:{object_id}",
                occurred_at=occurred_at,
                message=info.status_detail,
                location=_location(current),
            )
        ]


def _parse_signature_header(value: str) -> tuple[str, list[bytes]]:
    """``t=<digits>,v1=<hex>[,v1=<hex>…]`` -> (t, [v1…]); SignatureError when malformed."""
    timestamp: str | None = None
    signatures: list[bytes] = []
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = item
        elif key == "v1" and item.isascii():
            signatures.append(item.encode("ascii"))
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or not signatures:
        raise SignatureError("malformed Shippo-Auth-Signature header")
    return timestamp, signatures
