"""router/orders/demo.py: the demo shop covers every case, with valid data, dated from `now`."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from sqlalchemy import func, select

from router.events import ShipmentStatus
from router.orders import demo
from router.orders.base import Order
from router.orders.sql import SqlOrderSource, to_order
from router.resolve.reasoning import notes
from router.settings import PolicySettings
from router.store.db import Database
from router.store.models import Base, ShopOrder, ShopShipment, ShopTrackingEvent
from router.tracking.numbers import validate

S = ShipmentStatus
STALE_AFTER_BUSINESS_DAYS = PolicySettings().stale_after_business_days
STALE = re.compile(r"^stale:(?P<number>[A-Z0-9]+):(?P<days>\d+)$")


async def all_orders(db: Database, now: datetime) -> list[Order]:
    source = SqlOrderSource(db)
    found = [await source.by_number(spec.number, now=now) for spec in demo.ORDERS]
    orders = [o for o in found if o is not None]
    assert len(orders) == len(demo.ORDERS)
    return orders


async def count(db: Database, model: type[Base]) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def test_at_least_25_orders_with_unique_numbers() -> None:
    numbers = [spec.number for spec in demo.ORDERS]
    assert len(numbers) >= 25
    assert len(set(numbers)) == len(numbers)
    assert all(spec.customer in demo.CUSTOMERS for spec in demo.ORDERS)


def test_every_tracking_number_validates_for_its_carrier() -> None:
    shipments = [s for spec in demo.ORDERS for s in spec.shipments]
    assert shipments
    for shipment in shipments:
        matches = validate(shipment.tracking_number)
        assert matches, shipment.tracking_number
        # The most specific interpretation (the one seeding uses) names the same carrier.
        assert matches[0].carrier == shipment.carrier, shipment.tracking_number
        assert matches[0].number == shipment.tracking_number


def test_tracking_numbers_are_unique() -> None:
    numbers = [s.tracking_number for spec in demo.ORDERS for s in spec.shipments]
    assert len(set(numbers)) == len(numbers)


def test_the_four_big_carriers_are_each_used() -> None:
    carriers = {s.carrier for spec in demo.ORDERS for s in spec.shipments}
    assert {"UPS", "USPS", "FedEx", "DHL"} <= carriers


def test_every_customer_has_an_email_and_a_valid_e164_phone() -> None:
    for customer in demo.CUSTOMERS.values():
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", customer.email), customer.email
        parsed = phonenumbers.parse(customer.phone, None)
        assert phonenumbers.is_valid_number(parsed), customer.phone
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        assert e164 == customer.phone


async def test_seeded_orders_keep_customer_contacts(seeded: Database, now: datetime) -> None:
    for order in await all_orders(seeded, now):
        assert order.email
        assert order.phone is not None
        assert phonenumbers.is_valid_number(phonenumbers.parse(order.phone, None))


async def test_shipment_statuses_cover_every_case(seeded: Database, now: datetime) -> None:
    statuses = {s.status for o in await all_orders(seeded, now) for s in o.shipments}
    assert {
        S.PRE_TRANSIT,
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
        S.EXCEPTION,
        S.RETURN_TO_SENDER,
        S.AVAILABLE_FOR_PICKUP,
    } <= statuses


async def test_an_unfulfilled_order(seeded: Database, now: datetime) -> None:
    unfulfilled = [
        o
        for o in await all_orders(seeded, now)
        if o.status == "open" and o.fulfillment_status == "unfulfilled" and not o.shipments
    ]
    assert unfulfilled
    assert all("not_shipped" in notes(o, now) for o in unfulfilled)


async def test_a_late_order(seeded: Database, now: datetime) -> None:
    late = {o.number for o in await all_orders(seeded, now) if "late" in notes(o, now)}
    assert "1006" in late  # the documented one: promised two days ago, still in transit
    order = next(o for o in await all_orders(seeded, now) if o.number == "1006")
    assert order.promised_by is not None
    assert order.promised_by < now.date()
    assert all(s.status != S.DELIVERED for s in order.shipments)


async def test_a_shipment_without_a_scan_for_five_business_days(
    seeded: Database, now: datetime
) -> None:
    stale: dict[str, int] = {}
    for order in await all_orders(seeded, now):
        moving = {s.tracking_number for s in order.shipments}
        for tag in notes(order, now):
            m = STALE.match(tag)
            if m is not None:
                assert m["number"] in moving
                stale[m["number"]] = int(m["days"])
    assert stale
    assert all(days >= STALE_AFTER_BUSINESS_DAYS for days in stale.values())
    # #1008: the documented case, last scan fourteen calendar days (ten business days) ago.
    assert stale["9400111846563212233070"] == 10


async def test_an_order_split_into_two_shipments_with_two_carriers(
    seeded: Database, now: datetime
) -> None:
    split = [
        o
        for o in await all_orders(seeded, now)
        if len(o.shipments) == 2 and len({s.carrier for s in o.shipments}) == 2
    ]
    assert [o.number for o in split] == ["1011"]
    assert "split" in notes(split[0], now)


def test_the_stale_case_holds_on_every_day_of_the_year() -> None:
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    missing = []
    for day in range(62):
        now = start + timedelta(days=day)
        row = next(r for r in demo.build(now) if r.number == "1008")
        if not any(tag.startswith("stale:") for tag in notes(to_order(row, fetched_at=now), now)):
            missing.append(now.date())
    assert missing == []


async def test_seed_twice_leaves_exactly_one_copy(seeded: Database, now: datetime) -> None:
    shipments = sum(len(spec.shipments) for spec in demo.ORDERS)
    scans = sum(len(s.scans) for spec in demo.ORDERS for s in spec.shipments)
    assert await demo.seed(seeded, now + timedelta(hours=1)) == len(demo.ORDERS)
    assert await count(seeded, ShopOrder) == len(demo.ORDERS)
    assert await count(seeded, ShopShipment) == shipments
    assert await count(seeded, ShopTrackingEvent) == scans


async def test_seed_keeps_orders_that_are_not_part_of_the_demo(
    seeded: Database, now: datetime
) -> None:
    async with seeded.session() as session, session.begin():
        session.add(
            ShopOrder(
                number="5000",
                customer_name="Kim Lee",
                email="kim@example.com",
                phone=None,
                placed_at=now,
                status="open",
                fulfillment_status="unfulfilled",
                total=10.0,
                currency="USD",
                ship_city="Boston",
                ship_postcode="02108",
                ship_country="US",
                updated_at=now,
            )
        )
    await demo.seed(seeded, now)
    assert await count(seeded, ShopOrder) == len(demo.ORDERS) + 1
    assert await SqlOrderSource(seeded).by_number("5000", now=now) is not None


async def test_dates_follow_the_injected_now(seeded: Database, now: datetime) -> None:
    later = now + timedelta(days=100, hours=5)
    await demo.seed(seeded, later)
    source = SqlOrderSource(seeded)
    order = await source.by_number("1006", now=later)
    assert order is not None
    assert order.placed_at == later - timedelta(days=9)
    assert order.promised_by == (later - timedelta(days=2)).date()
    [shipment] = order.shipments
    assert shipment.estimated_delivery == (later + timedelta(days=2)).date()
    assert [s.occurred_at for s in shipment.scans] == [
        later - timedelta(days=d) for d in (8, 7.5, 5, 1)
    ]
    assert "late" in notes(order, later)


def test_build_is_relative_to_now() -> None:
    first = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    second = first + timedelta(days=37, minutes=13)
    shift = second - first
    for a, b in zip(demo.build(first), demo.build(second), strict=True):
        assert a.number == b.number
        assert b.placed_at - a.placed_at == shift
        assert b.updated_at - a.updated_at == shift
        for sa, sb in zip(a.shipments, b.shipments, strict=True):
            assert sa.shipped_at is not None
            assert sb.shipped_at is not None
            assert sb.shipped_at - sa.shipped_at == shift
            for ea, eb in zip(sa.events, sb.events, strict=True):
                assert eb.occurred_at - ea.occurred_at == shift


@pytest.mark.postgres
async def test_processes_seeding_one_database_at_once_do_not_collide(
    postgres_empty_url: str, now: datetime
) -> None:
    """Several `wismo serve --demo` processes on one PostgreSQL database start together."""
    databases = [Database(postgres_empty_url) for _ in range(4)]
    try:
        await databases[0].migrate()
        counts = await asyncio.gather(*(demo.seed(d, now) for d in databases))
        assert counts == [len(demo.ORDERS)] * 4
        assert await count(databases[0], ShopOrder) == len(demo.ORDERS)
    finally:
        for database in databases:
            await database.close()
