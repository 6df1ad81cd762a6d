"""Orders from the project's own tables (the demo shop, or a shop that syncs into them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from router.events import FactSource, ShipmentStatus
from router.orders.base import Order, Scan, Shipment
from router.store.db import Database
from router.store.models import ShopOrder, ShopShipment


class SqlOrderSource:
    name = "sql"

    def __init__(self, db: Database) -> None:
        self.db = db

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        query = _with_shipments().where(ShopOrder.number == number.lstrip("#"))
        async with self.db.session() as session:
            row = (await session.execute(query)).scalar_one_or_none()
        return None if row is None else to_order(row, fetched_at=now)

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        clauses = []
        if email and email.strip():
            clauses.append(func.lower(ShopOrder.email) == email.strip().casefold())
        if phone:
            clauses.append(ShopOrder.phone == phone)
        if not clauses:
            return []
        query = (
            _with_shipments().where(or_(*clauses)).order_by(ShopOrder.placed_at.desc()).limit(limit)
        )
        async with self.db.session() as session:
            rows = (await session.execute(query)).scalars().all()
        return [to_order(row, fetched_at=now) for row in rows]


def _with_shipments() -> Select[ShopOrder]:
    return select(ShopOrder).options(
        selectinload(ShopOrder.shipments).selectinload(ShopShipment.events)
    )


def to_order(row: ShopOrder, *, fetched_at: datetime) -> Order:
    return Order(
        number=row.number,
        customer_name=row.customer_name,
        email=row.email,
        phone=row.phone,
        placed_at=row.placed_at,
        status=row.status,
        fulfillment_status=row.fulfillment_status,
        promised_by=row.promised_by,
        expected_ship_by=row.expected_ship_by,
        total=row.total,
        currency=row.currency,
        ship_city=row.ship_city,
        ship_postcode=row.ship_postcode,
        ship_country=row.ship_country,
        shipments=[
            Shipment(
                carrier=s.carrier,
                tracking_number=s.tracking_number,
                tracking_url=s.tracking_url,
                status=ShipmentStatus(s.status),
                status_detail=s.status_detail,
                reason=s.reason,
                action_required=s.action_required,
                estimated_delivery=s.estimated_delivery,
                shipped_at=s.shipped_at,
                delivered_at=s.delivered_at,
                scans=[
                    Scan(
                        occurred_at=e.occurred_at,
                        status=ShipmentStatus(e.status),
                        description=e.description,
                        location=e.location,
                    )
                    for e in s.events
                ],
            )
            for s in row.shipments
        ],
        source=FactSource(system="sql", record_id=f"shop_orders/{row.id}", fetched_at=fetched_at),
    )
