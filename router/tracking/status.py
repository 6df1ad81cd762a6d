"""Vendor tracking values to the canonical shipment vocabulary, plus the small payload helpers
the tracking adapters (easypost, aftership, shippo) share so that they read vendor JSON alike.

The mapping lives in ``data/crosswalk.json`` (from ``tracking-status.md``) so that reviewing or
extending it is a data change, not a code change. :func:`normalize` reads it once per process.

Rules, in order (``crosswalk.json["precedence"]``):

1. a substatus / subtag rule for the exact value;
2. for AfterShip, an unknown subtag by its tag prefix (``Exception_019`` -> ``Exception``),
   because AfterShip adds subtags on a schedule and a new one still says which tag it is under;
3. Shippo only: the substatus carries its own ``action_required`` flag; when it is true and the
   status is ``TRANSIT`` or ``UNKNOWN`` (and the code has no rule), the parcel is an exception;
4. the status rule;
5. anything else is ``unknown`` with no reason: an unmapped value is never guessed at.

Vendor values are compared exactly as each vendor spells them (``Delivered`` for AfterShip,
``DELIVERED`` for Shippo, ``delivered`` for EasyPost and TrackingMore, both spellings for
Shopify's REST and GraphQL enums). A differently cased value is not the vendor's and maps to
``unknown``. ``None`` and the empty string mean "not given".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import structlog

from router.events import ShipmentStatus, TrackingUpdate
from router.tracking.base import TrackingEvent, TrackingInfo

__all__ = [
    "DELAY_REASONS",
    "DELIVERY_FACILITY",
    "REASONS",
    "SOURCES",
    "Normalized",
    "as_list",
    "as_object",
    "at_delivery_facility",
    "delivered_at",
    "format_location",
    "header",
    "normalize",
    "parse_date",
    "parse_timestamp",
    "required_text",
    "text",
    "update_from_info",
]

log = structlog.get_logger(__name__)

DELAY_REASONS: frozenset[str] = frozenset(
    {
        "delayed_customs",
        "delayed_weather",
        "delayed_carrier",
        "held_for_payment",
        "documents_missing",
        "address_issue",
    }
)
"""The reasons that hold a parcel up without ending its journey."""
REASONS: frozenset[str] = DELAY_REASONS | {
    "refused",
    "unclaimed",
    "lost",
    "damaged",
    "tracking_error",
}
"""The short list of reasons in tracking-status.md; the crosswalk may use no other."""

SOURCES: frozenset[str] = frozenset({"easypost", "aftership", "shippo", "trackingmore", "shopify"})


@dataclass(frozen=True, slots=True)
class Normalized:
    """A vendor value in the canonical vocabulary."""

    status: ShipmentStatus
    reason: str | None = None
    action_required: bool = False


UNMAPPED = Normalized(ShipmentStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class _FlagRule:
    when_status: frozenset[str]
    result: Normalized


@dataclass(frozen=True, slots=True)
class _SourceTable:
    status: Mapping[str, Normalized]
    substatus: Mapping[str, Normalized]
    prefix_separator: str | None
    flag_rule: _FlagRule | None


def _rule(where: str, raw: Any) -> Normalized:
    """One rule object, checked: a typo in the data must fail at load, not mis-answer later."""
    if not isinstance(raw, dict):
        raise ValueError(f"crosswalk {where}: rule must be an object")
    status = ShipmentStatus(raw["status"])
    reason = raw.get("reason")
    if reason is not None and reason not in REASONS:
        raise ValueError(f"crosswalk {where}: reason {reason!r} is not in the short list")
    action_required = raw.get("action_required", False)
    if not isinstance(action_required, bool) or not isinstance(raw.get("verified"), bool):
        raise ValueError(f"crosswalk {where}: action_required and verified must be booleans")
    return Normalized(status, reason, action_required)


def _rules(where: str, raw: Any) -> dict[str, Normalized]:
    if not isinstance(raw, dict):
        raise ValueError(f"crosswalk {where}: must be an object")
    return {key: _rule(f"{where}.{key}", value) for key, value in raw.items()}


@functools.cache
def _tables() -> Mapping[str, _SourceTable]:
    """Load and check ``crosswalk.json`` once per process."""
    path = resources.files(__package__ or "router.tracking") / "data" / "crosswalk.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    tables: dict[str, _SourceTable] = {}
    for source, raw in data["sources"].items():
        flag_raw = raw.get("action_required_flag")
        flag_rule = None
        if flag_raw is not None:
            flag_rule = _FlagRule(
                frozenset(flag_raw["when_status"]),
                _rule(f"{source}.action_required_flag", flag_raw["rule"]),
            )
        tables[source] = _SourceTable(
            status=_rules(f"{source}.status", raw["status"]),
            substatus=_rules(f"{source}.substatus", raw["substatus"]),
            prefix_separator=raw.get("substatus_prefix_separator"),
            flag_rule=flag_rule,
        )
    if set(tables) != SOURCES:
        raise ValueError(f"crosswalk sources {sorted(tables)} != {sorted(SOURCES)}")
    return tables


def normalize(
    source: str,
    status: str | None,
    substatus: str | None = None,
    *,
    action_required: bool | None = None,
) -> Normalized:
    """The canonical status, reason and action flag for one vendor value.

    ``action_required`` is the vendor's own flag where it has one (Shippo's substatus); it can
    only add to the mapped flag, never clear it. Never raises: unknown input is ``unknown``.
    """
    table = _tables().get(source)
    if table is None:
        log.warning("tracking_status_unmapped", source=source, status=status, substatus=substatus)
        return UNMAPPED
    found = _lookup(table, status or None, substatus or None, bool(action_required))
    if found is None:
        log.info("tracking_status_unmapped", source=source, status=status, substatus=substatus)
        return Normalized(ShipmentStatus.UNKNOWN, None, bool(action_required))
    if action_required and not found.action_required:
        return Normalized(found.status, found.reason, True)
    return found


def _lookup(
    table: _SourceTable, status: str | None, substatus: str | None, flag: bool
) -> Normalized | None:
    if substatus is not None:
        rule = table.substatus.get(substatus)
        if rule is not None:
            return rule
        if table.prefix_separator and table.prefix_separator in substatus:
            prefix = substatus.split(table.prefix_separator, 1)[0]
            rule = table.status.get(prefix)
            if rule is not None:
                return rule
    if flag and table.flag_rule is not None and status in table.flag_rule.when_status:
        return table.flag_rule.result
    if status is None:
        return None
    return table.status.get(status)


# --------------------------------------------------------------------------------------------
# Value parsers shared by the adapters: vendors send timestamps, dates and places in slightly
# different shapes, and every adapter must read them the same way. All raise ValueError on
# input they cannot read; the adapter turns that into its own error.

_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string with an offset or ``Z``.

    Returns None for a timestamp without an offset: the carrier's local time with no zone
    cannot be placed on the UTC line without inventing the zone.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed.astimezone(UTC)


def parse_date(value: object) -> date:
    """The calendar date as written (``YYYY-MM-DD`` with or without a time part).

    Estimated delivery dates are local dates; converting a ``...T00:00:00Z`` to another zone
    would move the day, so the date is read from the text, not from the instant.
    """
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    match = _DATE_PREFIX.match(value.strip())
    if match is None:
        raise ValueError(f"not a date: {value!r}")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"not a date: {value!r}") from None


def format_location(*parts: object) -> str | None:
    """``"City, ST, CC"`` from whichever parts the vendor gave, in order; None when none."""
    kept = [part.strip() for part in parts if isinstance(part, str) and part.strip()]
    return ", ".join(kept) or None


def as_object(value: object, what: str) -> dict[str, Any]:
    """``value`` as a JSON object, or ValueError naming ``what``."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def as_list(value: object, what: str) -> list[Any]:
    """``value`` as a JSON array; absent (None) is an empty one."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return value


def text(obj: Mapping[str, Any], key: str) -> str | None:
    """An optional string field: None when absent, null or empty; ValueError when not a string."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def required_text(obj: Mapping[str, Any], key: str) -> str:
    """A string field the adapter cannot answer without."""
    value = text(obj, key)
    if value is None:
        raise ValueError(f"missing {key}")
    return value


def delivered_at(status: ShipmentStatus, events: list[TrackingEvent]) -> datetime | None:
    """When the parcel was delivered: the newest delivered scan, only while it is delivered."""
    if status is not ShipmentStatus.DELIVERED:
        return None
    for event in reversed(events):
        if event.status is ShipmentStatus.DELIVERED:
            return event.occurred_at
    return None


DELIVERY_FACILITY: frozenset[tuple[str, str]] = frozenset(
    {("easypost", "arrived_at_destination"), ("shippo", "transit003")}
)
"""(source, substatus) pairs that mean "arrived at the facility that delivers it". AfterShip's
subtags have no such stage (InTransit_003 is any arrival scan)."""


def at_delivery_facility(info: TrackingInfo) -> bool:
    substatus = (info.source_substatus or "").lower()
    return (info.source, substatus) in DELIVERY_FACILITY


def update_from_info(
    info: TrackingInfo,
    *,
    event_id: str,
    occurred_at: datetime,
    message: str | None,
    location: str | None,
) -> TrackingUpdate:
    """One webhook's TrackingUpdate from the tracker it carried, mapped like a lookup."""
    return TrackingUpdate(
        event_id=event_id,
        occurred_at=occurred_at.astimezone(UTC),
        tracking_number=info.tracking_number,
        carrier=info.carrier,
        status=info.status,
        reason=info.reason,
        action_required=info.action_required,
        source=info.source,
        source_status=info.source_status,
        source_substatus=info.source_substatus,
        message=message,
        location=location,
        estimated_delivery=info.estimated_delivery,
        at_delivery_facility=at_delivery_facility(info),
    )


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive ``name`` (lower case), whatever mapping the caller has:
    aiohttp's CIMultiDict, a plain dict from a test or another framework."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
