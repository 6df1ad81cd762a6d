"""Local daytime: a notice nobody asked for must not wake anyone. The customer's zone comes from
their phone number (libphonenumber knows it per area code), else their address, else the
shop's default; a notice due at night waits until the quiet hours end there."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_zones

UNKNOWN = "Etc/Unknown"  # what libphonenumber says when it cannot tell

# US ZIP codes by first digit → the zone most of that area keeps. An approximation (states
# straddle zones): the phone number, when there is one, wins.
US_ZIP_ZONES = {
    "0": "America/New_York",
    "1": "America/New_York",
    "2": "America/New_York",
    "3": "America/New_York",
    "4": "America/New_York",
    "5": "America/Chicago",
    "6": "America/Chicago",
    "7": "America/Chicago",
    "8": "America/Denver",
    "9": "America/Los_Angeles",
}


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _single(names: tuple[str, ...]) -> ZoneInfo | None:
    known = [n for n in names if n != UNKNOWN]
    return _zone(known[0]) if len(known) == 1 else None


@functools.lru_cache(maxsize=65_536)
def customer_zone(
    *, phone: str | None, country: str | None, postcode: str | None, default: str
) -> ZoneInfo:
    """Phone (area code) → address (US ZIP, else a single-zone country) → the default.
    Cached: the lane model asks again for every order it relearns from, every hour."""
    if phone:
        try:
            found = _single(phone_zones.time_zones_for_number(phonenumbers.parse(phone)))
        except phonenumbers.NumberParseException:
            found = None
        if found is not None:
            return found
    region = (country or "").upper()
    if region == "US" and postcode and postcode[:1].isdigit():
        return ZoneInfo(US_ZIP_ZONES[postcode[0]])
    if region:
        example = phonenumbers.example_number(region)
        if example is not None:
            found = _single(phone_zones.time_zones_for_number(example))
            if found is not None:
                return found
    return _zone(default) or ZoneInfo("UTC")


def parse_clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """[start, end) in local time; a window that wraps midnight (21:00-08:00) too."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`now` when it is daytime for the customer, else when their quiet hours end (UTC)."""
    local = now.astimezone(zone)
    if not in_quiet_hours(local.time(), start, end):
        return now
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    wake = datetime.combine(day, end, tzinfo=zone)
    return wake.astimezone(now.tzinfo)


def promise_deadline(promised_by: date, zone: ZoneInfo) -> datetime:
    """The end of the promised day where the customer lives."""
    return datetime.combine(promised_by + timedelta(days=1), time(0), tzinfo=zone)
