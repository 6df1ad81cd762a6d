"""The synthetic shop: seeded, independent of the warm-up, and with the intended mix."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import phonenumbers
import pytest
from phonenumbers import timezone as phone_zones

from router.events import ShipmentStatus as S
from router.simulate.shop import (
    CITIES,
    SERVICES,
    START,
    WAREHOUSES,
    Shop,
    build,
    is_business_day,
    late_share,
    next_business_day,
    nominal_days,
)
from router.tracking.numbers import validate


@pytest.fixture(scope="module")
def big() -> Shop:
    return build(11, days=20, orders_per_day=60, warmup_days=30)


def test_the_same_seed_builds_the_same_shop() -> None:
    assert build(3, days=2, orders_per_day=10) == build(3, days=2, orders_per_day=10)
    assert build(3, days=2, orders_per_day=10) != build(4, days=2, orders_per_day=10)


def test_the_warm_up_never_changes_the_measured_orders() -> None:
    short = build(5, days=2, orders_per_day=10, warmup_days=0)
    long = build(5, days=2, orders_per_day=10, warmup_days=40)
    assert short.orders == long.orders
    assert short.history == ()
    assert len(long.history) > 300


def test_orders_are_placed_on_the_measured_days(big: Shop) -> None:
    assert len(big.orders) == 20 * 60
    assert len({o.number for o in big.orders}) == len(big.orders)
    assert all(START <= o.placed_at < START + timedelta(days=21) for o in big.orders)
    assert all(not o.warmup for o in big.orders)


def test_history_finished_before_day_zero(big: Shop) -> None:
    assert all(o.warmup for o in big.history)
    assert all(o.parcel.scans[-1].at < START for o in big.history)


def test_phones_are_valid_unique_and_in_the_customers_time_zone(big: Shop) -> None:
    everyone = [*big.orders, *big.history]
    phones = [o.customer.phone for o in everyone]
    assert len(set(phones)) == len(phones)
    for o in big.orders[:200]:
        parsed = phonenumbers.parse(o.customer.phone)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == (
            o.customer.phone
        )
        assert phone_zones.time_zones_for_number(parsed) == (o.customer.city.tz,)


def test_tracking_numbers_have_valid_check_digits_for_their_carrier(big: Shop) -> None:
    numbers = [o.parcel.tracking_number for o in big.orders]
    assert len(set(numbers)) == len(numbers)
    for o in big.orders[:200]:
        found = validate(o.parcel.tracking_number)
        assert found
        assert found[0].carrier == o.parcel.carrier


def test_the_promise_is_the_lanes_quoted_transit(big: Shop) -> None:
    for o in big.orders:
        assert o.promised_by > o.ship_by
        assert is_business_day(o.ship_by)
        if o.parcel.ship_day == o.ship_by:
            assert o.parcel.first_eta == o.promised_by
        else:  # shipped a business day late: the carrier's first date is a day later too
            assert o.parcel.ship_day == next_business_day(o.ship_by)
            assert o.parcel.first_eta == next_business_day(o.promised_by)


def test_lanes_are_carrier_service_origin_and_destination() -> None:
    ground = SERVICES[0]
    express = SERVICES[3]
    west, east = WAREHOUSES
    seattle = next(c for c in CITIES if c.name == "Seattle")
    assert nominal_days(ground, west, seattle) == 1
    assert nominal_days(ground, east, seattle) == 4
    assert nominal_days(express, east, seattle) == 2


def test_scans_tell_a_consistent_story(big: Shop) -> None:
    for o in big.orders:
        scans = o.parcel.scans
        assert [s.at for s in scans] == sorted(s.at for s in scans)
        assert scans[0].status == S.PRE_TRANSIT
        assert scans[0].at > o.placed_at
        assert o.parcel.label_at == scans[0].at
        delivered = [s for s in scans if s.status == S.DELIVERED]
        if o.parcel.fate in ("lost", "returned"):
            assert o.parcel.arrived_at is None
            assert delivered == []
            assert o.late
        else:
            assert len(delivered) == 1
            assert delivered[0] is scans[-1]
            assert o.parcel.arrived_at is not None
            assert o.parcel.arrived_at <= delivered[0].at


def test_the_delivery_facility_is_the_last_network_stop(big: Shop) -> None:
    """At most one facility scan, in the customer's city, after every hub scan and before
    the parcel goes out; lost parcels never reach it."""
    for o in big.orders:
        scans = o.parcel.scans
        facility = [i for i, s in enumerate(scans) if s.at_facility]
        assert len(facility) <= 1
        if o.parcel.fate == "lost":
            assert facility == []
        if not facility:
            continue
        (at,) = facility
        assert scans[at].location == f"{o.customer.city.name}, {o.customer.city.state}"
        assert all(s.location != scans[at].location for s in scans[:at] if s.status == S.IN_TRANSIT)
        assert all(s.status != S.IN_TRANSIT or s.reason for s in scans[at + 1 :])


def test_the_mix_of_late_parcels_is_believable(big: Shop) -> None:
    share = late_share(big.orders)
    assert 0.15 <= share <= 0.27
    fates = Counter(o.parcel.fate for o in big.orders)
    n = len(big.orders)
    assert 0.60 <= fates["on_time"] / n <= 0.80
    assert 0.03 <= fates["delay"] / n <= 0.09
    assert 0.015 <= (fates["exception"] + fates["returned"]) / n <= 0.05
    assert 0.015 <= fates["attempt"] / n <= 0.05
    assert 1 <= fates["lost"] <= 0.02 * n
    on_time = [o for o in big.orders if o.parcel.fate in ("on_time", "early")]
    assert sum(o.late for o in on_time) == 0


def test_service_and_warehouse_shares_follow_their_weights(big: Shop) -> None:
    n = len(big.orders)
    services = Counter((o.parcel.carrier, o.parcel.service) for o in big.orders)
    for service in SERVICES:
        assert abs(services[(service.carrier, service.service)] / n - service.share) < 0.04
    nearest = sum(
        1
        for o in big.orders
        if o.parcel.origin_region
        == min(WAREHOUSES, key=lambda w: w.zone_to(o.customer.city)).region
    )
    assert abs(nearest / n - 0.8) < 0.04


def test_carriers_are_sometimes_late_to_admit_a_delay(big: Shop) -> None:
    """A delayed parcel's carrier date moves either when the delay starts or only later."""
    at_once = later = 0
    for o in big.orders:
        if o.parcel.fate != "delay" or o.parcel.arrived_at is None:
            continue
        scans = o.parcel.scans
        held = next((i for i, s in enumerate(scans) if s.reason), None)
        if held is None:
            continue  # a silent delay: no scan while held
        if scans[held].eta == o.parcel.scans[-1].eta:
            at_once += 1
        else:
            later += 1
    assert at_once > 0
    assert later > 0
