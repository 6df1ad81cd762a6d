"""EasyPost trackers: lookups through the REST API and verified tracker webhooks.

Lookup is ``POST /v2/trackers {"tracker": {"tracking_code", "carrier"}}`` with HTTP Basic auth
(API key as user, empty password). EasyPost answers with the Tracker, creating it or returning
the one it already has for that code and carrier (it deduplicates, so a lookup does not bill
twice), and from then on sends ``tracker.updated`` webhooks for it.

Webhooks carry ``X-Hmac-Signature: hmac-sha256-hex=<hex>``: HMAC-SHA256 over the raw body with
the NFKD-normalised, UTF-8 webhook secret, checked by the official
``easypost.util.validate_webhook``. That helper reads the header by its exact spelling, so the
header is found case-insensitively first (proxies and HTTP/2 lower-case it). The dedupe key is
the Event id.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import aiohttp
import structlog
from easypost.errors.general.signature_verification_error import SignatureVerificationError
from easypost.util import validate_webhook
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

__all__ = ["DEFAULT_BASE_URL", "EasyPostSource", "EasyPostWebhook"]

SOURCE = "easypost"
DEFAULT_BASE_URL = "https://api.easypost.com/v2"
SIGNATURE_HEADER = "x-hmac-signature"

log = structlog.get_logger(__name__)


class EasyPostSource:
    """Current tracking for one parcel from EasyPost (TrackingSource)."""

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
            raise ValueError("EasyPost api_key is empty")
        # Basic auth built by hand: aiohttp 3.14 deprecates aiohttp.BasicAuth (a warning is an
        # error here), and the header itself is the same on every aiohttp the project allows.
        token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        self._api = TrackingApi(
            session,
            provider="EasyPost",
            headers={"Authorization": f"Basic {token}"},
            timeout_s=timeout_s,
        )
        self._url = URL(base_url) / "trackers"

    async def lookup(
        self, tracking_number: str, carrier: str | None, *, now: datetime
    ) -> TrackingInfo | None:
        """The Tracker for this code (created on first use), or None on 404.

        A code the carrier has no record of comes back as a Tracker with status ``unknown``,
        which is what EasyPost knows, so it is returned as such rather than as None.
        """
        number = tracking_number.strip()
        if not number:
            raise ValueError("tracking_number is empty")
        tracker: dict[str, Any] = {"tracking_code": number}
        if carrier:
            tracker["carrier"] = carrier
        status, raw = await self._api.request("POST", self._url, body={"tracker": tracker})
        if status == 404:
            return None
        payload = self._api.payload(status, raw, _error_code(raw))
        try:
            return tracker_info(as_object(payload, "response"), now=now)
        except ValueError as exc:
            raise TrackingError(f"EasyPost sent a malformed Tracker: {exc}", retry=False) from exc


def _error_code(raw: bytes) -> str:
    """EasyPost's machine-readable error code, for the message (never the request)."""
    try:
        error = json.loads(raw).get("error")
        code = error.get("code") if isinstance(error, dict) else None
    except (ValueError, AttributeError):
        return ""
    return f" ({code})" if isinstance(code, str) else ""


def tracker_info(tracker: dict[str, Any], *, now: datetime) -> TrackingInfo:
    """A Tracker object (API response or webhook ``result``) as TrackingInfo; ValueError if
    a field the answer depends on is missing or unreadable."""
    if tracker.get("object", "Tracker") != "Tracker":
        raise ValueError(f"object is {tracker.get('object')!r}, not 'Tracker'")
    status = required_text(tracker, "status")
    status_detail = text(tracker, "status_detail")
    normalized = normalize(SOURCE, status, status_detail)
    events = _events(tracker)
    return TrackingInfo(
        tracking_number=required_text(tracker, "tracking_code"),
        carrier=text(tracker, "carrier"),
        status=normalized.status,
        reason=normalized.reason,
        action_required=normalized.action_required,
        source=SOURCE,
        source_status=status,
        source_substatus=status_detail,
        status_detail=status_detail,
        estimated_delivery=_estimated_delivery(tracker),
        delivered_at=delivered_at(normalized.status, events),
        signed_by=text(tracker, "signed_by"),
        events=events,
        record_id=required_text(tracker, "id"),
        fetched_at=now,
    )


def _events(tracker: dict[str, Any]) -> list[TrackingEvent]:
    events: list[TrackingEvent] = []
    for index, raw in enumerate(as_list(tracker.get("tracking_details"), "tracking_details")):
        detail = as_object(raw, f"tracking_details[{index}]")
        occurred_at = parse_timestamp(required_text(detail, "datetime"))
        if occurred_at is None:
            log.warning("easypost_detail_without_zone", index=index, tracker=tracker.get("id"))
            continue
        detail_status = text(detail, "status")
        place = detail.get("tracking_location")
        location = as_object(place, "tracking_location") if place is not None else {}
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=normalize(SOURCE, detail_status, text(detail, "status_detail")).status,
                description=text(detail, "message") or text(detail, "description") or "",
                location=format_location(
                    location.get("city"), location.get("state"), location.get("country")
                ),
                source_status=detail_status,
            )
        )
    events.sort(key=lambda event: event.occurred_at)
    return events


def _estimated_delivery(tracker: dict[str, Any]) -> date | None:
    """The carrier's local delivery date when given, else the date of ``est_delivery_date``."""
    detail = tracker.get("carrier_detail")
    if detail is not None:
        local = text(as_object(detail, "carrier_detail"), "est_delivery_date_local")
        if local is not None:
            return parse_date(local)
    estimated = text(tracker, "est_delivery_date")
    return parse_date(estimated) if estimated is not None else None


class EasyPostWebhook:
    """Verifies and parses EasyPost tracker Events (TrackingWebhook)."""

    name = SOURCE

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("EasyPost webhook secret is empty")
        self._secret = secret

    def parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> list[TrackingUpdate]:
        """One update per ``tracker.*`` Event; other Event kinds are acknowledged with []."""
        given = header(headers, SIGNATURE_HEADER)
        if given is None:
            raise SignatureError("missing X-Hmac-Signature header")
        try:
            decoded = validate_webhook(body, {"X-Hmac-Signature": given}, self._secret)
        except (SignatureVerificationError, TypeError):  # TypeError: a non-ASCII header
            raise SignatureError("X-Hmac-Signature does not match the body") from None
        except ValueError as exc:
            raise PayloadError(f"EasyPost webhook body is not a JSON object: {exc}") from None
        try:
            return self._updates(as_object(decoded, "body"), now=now)
        except ValueError as exc:
            raise PayloadError(f"EasyPost webhook is not a tracker Event: {exc}") from None

    def _updates(self, event: dict[str, Any], *, now: datetime) -> list[TrackingUpdate]:
        if event.get("object") != "Event":
            raise ValueError("object is not 'Event'")
        event_id = required_text(event, "id")
        description = required_text(event, "description")
        if not description.startswith("tracker."):
            log.info("easypost_webhook_ignored", event_id=event_id, description=description)
            return []
        result = as_object(event.get("result"), "result")
        info = tracker_info(result, now=now)
        if info.events:
            latest = info.events[-1]
            occurred_at: datetime | None = latest.occurred_at
            message, location = latest.description or None, latest.location
        else:
            occurred_at = _first_timestamp(result.get("updated_at"), event.get("created_at"))
            message, location = info.status_detail, None
        if occurred_at is None:
            raise ValueError("no timestamp with a zone for the update")
        update = update_from_info(
            info,
            event_id=f"{SOURCE}:{event_id}",
            occurred_at=occurred_at,
            message=message,
            location=location,
        )
        return [update]


def _first_timestamp(*values: object) -> datetime | None:
    """The first of ``values`` that is a timestamp with a zone (absent ones are skipped)."""
    for value in values:
        if value is not None:
            parsed = parse_timestamp(value)
            if parsed is not None:
                return parsed
    return None
