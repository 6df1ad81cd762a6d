"""The customer's zone and their daytime."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from router.notify.quiet import customer_zone, in_quiet_hours, next_allowed, parse_clock

NIGHT = (time(21), time(8))


@pytest.mark.parametrize(
    ("phone", "country", "postcode", "zone"),
    [
        ("+14155550134", "US", "10001", "America/Los_Angeles"),  # the phone's area code wins
        ("+12125550100", None, None, "America/New_York"),
        ("+34911234567", "ES", "28001", "Europe/Madrid"),
        (None, "US", "94103", "America/Los_Angeles"),
        (None, "US", "60601", "America/Chicago"),
        (None, "US", "02110", "America/New_York"),
        (None, "DE", "10115", "Europe/Berlin"),
        (None, "PT", "1100-148", "Europe/Lisbon"),
        ("not a phone", "GB", "SW1A 1AA", "Europe/London"),
        (None, "ZZ", "", "Europe/Dublin"),  # unknown country: the default
        (None, None, None, "Europe/Dublin"),
    ],
)
def test_customer_zone(
    phone: str | None, country: str | None, postcode: str | None, zone: str
) -> None:
    got = customer_zone(phone=phone, country=country, postcode=postcode, default="Europe/Dublin")
    assert got == ZoneInfo(zone)


def test_a_bad_default_falls_back_to_utc() -> None:
    got = customer_zone(phone=None, country=None, postcode=None, default="Mars/Olympus")
    assert got == ZoneInfo("UTC")


def test_quiet_hours_wrap_midnight() -> None:
    assert in_quiet_hours(time(21), *NIGHT)
    assert in_quiet_hours(time(3), *NIGHT)
    assert not in_quiet_hours(time(8), *NIGHT)
    assert not in_quiet_hours(time(20, 59), *NIGHT)
    assert in_quiet_hours(time(13), time(12), time(14))
    assert not in_quiet_hours(time(14), time(12), time(14))
    assert not in_quiet_hours(time(3), time(0), time(0))  # no quiet hours at all
    assert parse_clock("07:30") == time(7, 30)


def test_next_allowed_waits_for_local_morning() -> None:
    la = ZoneInfo("America/Los_Angeles")
    day = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 10:00 in LA
    assert next_allowed(day, la, *NIGHT) == day
    late = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 22:00 in LA on the 27th
    assert next_allowed(late, la, *NIGHT) == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
    early = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 04:00 in LA on the 28th
    assert next_allowed(early, la, *NIGHT) == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def test_next_allowed_across_a_dst_change() -> None:
    ny = ZoneInfo("America/New_York")
    # 2026-03-08: clocks go forward at 02:00; 08:00 local is 12:00 UTC that day.
    night = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert next_allowed(night, ny, *NIGHT) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
