"""router/orders/sql.py against the seeded demo shop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from router.events import FactSource, ShipmentStatus
from router.orders.sql import SqlOrderSource
from router.store.db import Database
from router.store.models import ShopOrder

ALICE_NEWEST_FIRST = ["1026", "1001", "1007", "1019"]  # placed -2, -3, -6, -21 days


@pytest.fixture
def source(seeded: Database) -> SqlOrderSource:
    return SqlOrderSource(seeded)


async def test_by_number_with_and_without_hash(source: SqlOrderSource, now: datetime) -> None:
    plain = await source.by_number("1001", now=now)
    hashed = await source.by_number("#1001", now=now)
    assert plain is not None
    assert plain == hashed
    assert (plain.number, plain.customer_name, plain.email, plain.phone) == (
        "1001",
        "Alice Johnson",
        "alice@example.com",
        "+14155550134",
    )
    assert plain.placed_at == now - timedelta(days=3)
    assert plain.promised_by == (now + timedelta(days=3)).date()
    assert (plain.status, plain.fulfillment_status, plain.total, plain.currency) == (
        "open",
        "fulfilled",
        89.90,
        "USD",
    )
    assert (plain.ship_city, plain.ship_postcode, plain.ship_country) == (
        "San Francisco",
        "94107",
        "US",
    )


async def test_by_number_maps_shipments_and_scans(source: SqlOrderSource, now: datetime) -> None:
    order = await source.by_number("1001", now=now)
    assert order is not None
    [shipment] = order.shipments
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == (
        "UPS",
        "1ZXK3DEG0359083017",
        ShipmentStatus.IN_TRANSIT,
    )
    assert shipment.tracking_url is not None
    assert "1ZXK3DEG0359083017" in shipment.tracking_url
    assert shipment.estimated_delivery == (now + timedelta(days=2)).date()
    assert shipment.shipped_at == now - timedelta(days=2.5)
    assert shipment.delivered_at is None
    assert [s.occurred_at for s in shipment.scans] == [
        now - timedelta(days=d) for d in (2.5, 2, 1, 0.4)
    ]
    assert shipment.last_scan is not None
    assert (shipment.last_scan.description, shipment.last_scan.location) == (
        "Arrived at facility",
        "Oakland, CA",
    )


async def test_split_order_keeps_shipment_order(source: SqlOrderSource, now: datetime) -> None:
    order = await source.by_number("#1011", now=now)
    assert order is not None
    assert [(s.carrier, s.status) for s in order.shipments] == [
        ("UPS", ShipmentStatus.DELIVERED),
        ("FedEx", ShipmentStatus.IN_TRANSIT),
    ]
    assert order.shipments[0].delivered_at == now - timedelta(days=1.2)


async def test_unknown_number_is_none(source: SqlOrderSource, now: datetime) -> None:
    assert await source.by_number("9999", now=now) is None
    assert await source.by_number("#", now=now) is None
    assert await source.by_number("", now=now) is None


async def test_fact_source(source: SqlOrderSource, seeded: Database, now: datetime) -> None:
    fetched = now + timedelta(seconds=7)
    order = await source.by_number("1006", now=fetched)
    assert order is not None
    async with seeded.session() as session:
        row_id = (
            await session.execute(select(ShopOrder.id).where(ShopOrder.number == "1006"))
        ).scalar_one()
    assert order.source == FactSource(
        system="sql", record_id=f"shop_orders/{row_id}", fetched_at=fetched
    )
    assert source.name == "sql"


async def test_by_contact_email_is_case_insensitive_and_newest_first(
    source: SqlOrderSource, now: datetime
) -> None:
    for email in ("alice@example.com", "ALICE@Example.COM"):
        orders = await source.by_contact(email=email, phone=None, now=now)
        assert [o.number for o in orders] == ALICE_NEWEST_FIRST
        assert all(o.source.fetched_at == now for o in orders)


async def test_by_contact_phone(source: SqlOrderSource, now: datetime) -> None:
    orders = await source.by_contact(email=None, phone="+14155550134", now=now)
    assert [o.number for o in orders] == ALICE_NEWEST_FIRST


async def test_by_contact_limit(source: SqlOrderSource, now: datetime) -> None:
    orders = await source.by_contact(email="alice@example.com", phone=None, now=now, limit=2)
    assert [o.number for o in orders] == ALICE_NEWEST_FIRST[:2]


async def test_by_contact_default_limit_is_five(source: SqlOrderSource, now: datetime) -> None:
    # Alice (4 orders) by e-mail or Ben (4 orders) by phone: the five newest of the eight.
    orders = await source.by_contact(email="alice@example.com", phone="+12025550147", now=now)
    assert [o.number for o in orders] == ["1026", "1001", "1027", "1007", "1002"]


async def test_by_contact_needs_an_email_or_phone(source: SqlOrderSource, now: datetime) -> None:
    assert await source.by_contact(email=None, phone=None, now=now) == []
    assert await source.by_contact(email="", phone="", now=now) == []


async def test_by_contact_unknown(source: SqlOrderSource, now: datetime) -> None:
    assert await source.by_contact(email="nobody@example.com", phone=None, now=now) == []
    assert await source.by_contact(email=None, phone="+14155550000", now=now) == []


async def test_by_contact_finds_a_mixed_case_stored_email(
    source: SqlOrderSource, seeded: Database, now: datetime
) -> None:
    async with seeded.session() as session, session.begin():
        session.add(
            ShopOrder(
                number="2001",
                customer_name="Kim Lee",
                email="Kim.Lee@Example.com",
                phone=None,
                placed_at=now,
                status="open",
                fulfillment_status="unfulfilled",
                total=10.0,
                currency="USD",
                ship_city="Boston",
                ship_postcode="02108",
                ship_country="US",
                updated_at=datetime(2026, 3, 4, tzinfo=UTC),
            )
        )
    orders = await source.by_contact(email="Kim.Lee@Example.com", phone=None, now=now)
    assert [o.number for o in orders] == ["2001"]
