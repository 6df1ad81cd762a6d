"""AfterShip Tracking: lookups through the versioned REST API and verified tracking webhooks.

Lookup is ``GET {base}/trackings?tracking_numbers=<n>`` with the ``as-api-key`` header; the
default base is ``https://api.aftership.com/tracking/2026-07`` (the current version: 2026-07
changelog, 2026-07-09; versions 2025-07 and later differ from it only in fields this module does
not read, except ``checkpoint.zip`` -> ``postal_code`` in 2026-01, and it reads neither). The
answer is the envelope ``{"meta": {"code", "message", "type"}, "data": {"pagination",
"trackings": [...]}}`` [doc; official tracking-sdk-nodejs 2025-01 models]. AfterShip only knows
numbers already added to the account, so an empty list is "unknown number" (None); this module
does not create trackings.

Webhooks: ``aftership-hmac-sha256`` = base64(HMAC-SHA256(secret, raw body)) [doc]; the body is
``{"event", "event_id", "is_tracking_first_tag", "msg": <tracking>, "ts"}`` and ``event_id``
(UUIDv4) is the dedupe key. Every tracking event kind (``tracking_update``, ``edd_revise``,
``tracking_pending_time``) carries the tracking, so each gives one update.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

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

__all__ = ["DEFAULT_BASE_URL", "AfterShipSource", "AfterShipWebhook"]

SOURCE = "aftership"
DEFAULT_BASE_URL = "https://api.aftership.com/tracking/2026-07"
SIGNATURE_HEADER = "aftership-hmac-sha256"

log = structlog.get_logger(__name__)


class AfterShipSource:
    """Current tracking for one parcel from AfterShip (TrackingSource)."""

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
            raise ValueError("AfterShip api_key is empty")
        self._api = TrackingApi(
            session, provider="AfterShip", headers={"as-api-key": api_key}, timeout_s=timeout_s
        )
        self._url = URL(base_url) / "trackings"

    async def lookup(
        self, tracking_number: str, carrier: str | None, *, now: datetime
    ) -> TrackingInfo | None:
        """The account's tracking for this number, or None when AfterShip has none.

        ``carrier`` is not sent as a ``slug`` filter (the app's carrier names are not AfterShip
        slugs, and a wrong slug would hide the tracking); it only picks between several
        trackings of the same number. Several left after that is ambiguous: TrackingError.
        """
        number = tracking_number.strip()
        if not number or "," in number:
            raise ValueError(f"not a single tracking number: {tracking_number!r}")
        status, raw = await self._api.request("GET", self._url, params={"tracking_numbers": number})
        if status == 404:
            return None
        payload = self._api.payload(status, raw, _meta_code(raw))
        try:
            envelope = as_object(payload, "response")
            meta = as_object(envelope.get("meta"), "meta")
            if meta.get("code") != 200:
                raise TrackingError(
                    f"AfterShip answered meta.code {meta.get('code')!r}", retry=False
                )
            data = as_object(envelope.get("data"), "data")
            if "trackings" not in data:
                raise ValueError("missing data.trackings")
            trackings = [
                as_object(item, "tracking") for item in as_list(data["trackings"], "trackings")
            ]
            chosen = _choose(trackings, number, carrier)
            return None if chosen is None else tracking_info(chosen, now=now)
        except ValueError as exc:
            raise TrackingError(f"AfterShip sent a malformed tracking: {exc}", retry=False) from exc


def _meta_code(raw: bytes) -> str:
    """AfterShip's ``meta.code`` (e.g. 4005), for the message."""
    try:
        meta = json.loads(raw).get("meta")
        code = meta.get("code") if isinstance(meta, dict) else None
    except (ValueError, AttributeError):
        return ""
    return f" (meta.code {code})" if isinstance(code, int) else ""


def _squash(value: str) -> str:
    return "".join(value.split()).upper()


def _slug_key(value: str) -> str:
    return "".join(char for char in value.lower() if char.isalnum())


def _choose(
    trackings: list[dict[str, Any]], number: str, carrier: str | None
) -> dict[str, Any] | None:
    """The one tracking for ``number``: exact number first, then the carrier's slug."""
    same = [t for t in trackings if _squash(required_text(t, "tracking_number")) == _squash(number)]
    if carrier and len(same) > 1:
        wanted = _slug_key(carrier)
        by_carrier = [t for t in same if _slug_key(text(t, "slug") or "") == wanted]
        same = by_carrier or same
    if len(same) > 1:
        slugs = sorted(text(t, "slug") or "?" for t in same)
        raise TrackingError(
            f"AfterShip has {len(same)} trackings for this number: {slugs}", retry=False
        )
    return same[0] if same else None


def tracking_info(tracking: dict[str, Any], *, now: datetime) -> TrackingInfo:
    """An AfterShip tracking (API item or webhook ``msg``) as TrackingInfo; ValueError if a
    field the answer depends on is missing or unreadable."""
    tag = required_text(tracking, "tag")
    subtag = text(tracking, "subtag")
    normalized = normalize(SOURCE, tag, subtag)
    events = _events(tracking)
    return TrackingInfo(
        tracking_number=required_text(tracking, "tracking_number"),
        carrier=text(tracking, "slug"),
        status=normalized.status,
        reason=normalized.reason,
        action_required=normalized.action_required,
        source=SOURCE,
        source_status=tag,
        source_substatus=subtag,
        status_detail=text(tracking, "subtag_message"),
        estimated_delivery=estimated_delivery(tracking),
        delivered_at=delivered_at(normalized.status, events),
        signed_by=text(tracking, "signed_by"),
        events=events,
        record_id=required_text(tracking, "id"),
        fetched_at=now,
    )


def _events(tracking: dict[str, Any]) -> list[TrackingEvent]:
    events: list[TrackingEvent] = []
    for index, raw in enumerate(as_list(tracking.get("checkpoints"), "checkpoints")):
        checkpoint = as_object(raw, f"checkpoints[{index}]")
        occurred_at = _checkpoint_time(checkpoint)
        if occurred_at is None:
            log.warning("aftership_checkpoint_without_zone", index=index, id=tracking.get("id"))
            continue
        tag = text(checkpoint, "tag")
        events.append(
            TrackingEvent(
                occurred_at=occurred_at,
                status=normalize(SOURCE, tag, text(checkpoint, "subtag")).status,
                description=text(checkpoint, "message") or text(checkpoint, "subtag_message") or "",
                location=checkpoint_location(checkpoint),
                source_status=tag,
            )
        )
    events.sort(key=lambda event: event.occurred_at)
    return events


def _checkpoint_time(checkpoint: dict[str, Any]) -> datetime | None:
    """The carrier's event time when it has a zone; otherwise when AfterShip recorded it.

    ``checkpoint_time`` is in the checkpoint's local time and may lack an offset; ``created_at``
    is always UTC. Neither readable is a malformed checkpoint (ValueError); a zoneless time
    with no ``created_at`` is skipped by the caller (None).
    """
    given = text(checkpoint, "checkpoint_time")
    created = text(checkpoint, "created_at")
    if given is None and created is None:
        raise ValueError("checkpoint has neither checkpoint_time nor created_at")
    if given is not None:
        parsed = parse_timestamp(given)
        if parsed is not None:
            return parsed
    return parse_timestamp(created) if created is not None else None


def checkpoint_location(checkpoint: dict[str, Any]) -> str | None:
    """City, state and country (ISO alpha-3 as AfterShip sends it), else its free text."""
    country = checkpoint.get("country_region") or checkpoint.get("country_iso3")
    structured = format_location(checkpoint.get("city"), checkpoint.get("state"), country)
    return structured or format_location(checkpoint.get("location"))


def estimated_delivery(tracking: dict[str, Any]) -> date | None:
    """The newest estimate AfterShip holds, as a date.

    ``latest_estimated_delivery`` (AfterShip's current pick among carrier, AI and custom EDDs),
    then the carrier's own, then the legacy ``expected_delivery``. For a range, its later end:
    "by then" is what the range promises.
    """
    candidates: list[tuple[str, tuple[str, ...]]] = [
        ("latest_estimated_delivery", ("datetime", "datetime_max")),
        (
            "courier_estimated_delivery_date",
            ("estimated_delivery_date", "estimated_delivery_date_max"),
        ),
    ]
    for field, keys in candidates:
        value = tracking.get(field)
        if value is None:
            continue
        block = as_object(value, field)
        for key in keys:
            found = text(block, key)
            if found is not None:
                return parse_date(found)
    legacy = text(tracking, "expected_delivery")
    return parse_date(legacy) if legacy is not None else None


class AfterShipWebhook:
    """Verifies and parses AfterShip tracking webhooks (TrackingWebhook)."""

    name = SOURCE

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("AfterShip webhook secret is empty")
        self._key = secret.encode("utf-8")

    def parse(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime
    ) -> list[TrackingUpdate]:
        """One update per webhook: the tracking as of ``ts``."""
        self._verify(body, headers)
        try:
            payload = as_object(json.loads(body), "body")
        except ValueError as exc:
            raise PayloadError(f"AfterShip webhook body is not a JSON object: {exc}") from None
        try:
            return [self._update(payload, now=now)]
        except ValueError as exc:
            raise PayloadError(f"AfterShip webhook is not a tracking event: {exc}") from None

    def _verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        given = header(headers, SIGNATURE_HEADER)
        if given is None:
            raise SignatureError("missing aftership-hmac-sha256 header")
        expected = base64.b64encode(hmac.new(self._key, body, hashlib.sha256).digest())
        if not given.isascii() or not hmac.compare_digest(expected, given.encode("ascii")):
            raise SignatureError("aftership-hmac-sha256 does not match the body")

    def _update(self, payload: dict[str, Any], *, now: datetime) -> TrackingUpdate:
        required_text(payload, "event")
        event_id = required_text(payload, "event_id")
        ts = payload.get("ts")
        if not isinstance(ts, int) or isinstance(ts, bool):
            raise ValueError("ts is not a unix timestamp")
        try:
            occurred_at = datetime.fromtimestamp(ts, UTC)
        except (OverflowError, OSError):
            raise ValueError(f"ts {ts} is out of range") from None
        info = tracking_info(as_object(payload.get("msg"), "msg"), now=now)
        latest = info.events[-1] if info.events else None
        return update_from_info(
            info,
            event_id=f"{SOURCE}:{event_id}",
            occurred_at=occurred_at,
            message=(latest.description or None) if latest is not None else info.status_detail,
            location=latest.location if latest is not None else None,
        )
