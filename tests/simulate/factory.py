"""Hand-made orders and parcels for the simulator's tests: one story, every field chosen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from router.events import ShipmentStatus as S
from router.simulate.shop import CITIES, Customer, Parcel, Scan, SimOrder, local_at

NEW_YORK = CITIES[0]
MONDAY = date(2026, 3, 2)


def at(day: date, hour: float) -> datetime:
    """`hour` o'clock in New York on `day`, as UTC."""
    return local_at(day, hour, NEW_YORK.tz)


def scan(day: date, hour: float, status: S, eta: date | None = None) -> Scan:
    return Scan(at(day, hour), status, status.value, "New York, NY", eta)


def order(
    scans: Sequence[Scan],
    *,
    number: str = "20001",
    promised_by: date = MONDAY + timedelta(days=3),
    arrived_at: datetime | None = None,
    placed_at: datetime | None = None,
    fate: str = "on_time",
    phone: str = "+12125550123",
) -> SimOrder:
    first = scans[0].at if scans else at(MONDAY, 10)
    parcel = Parcel(
        tracking_number=f"1ZTEST{number}",
        tracking_url=None,
        carrier="UPS",
        service="Ground",
        origin_region="US-OH",
        nominal_days=3,
        ship_day=MONDAY,
        label_at=first,
        scans=tuple(scans),
        arrived_at=arrived_at,
        fate=fate,
    )
    customer = Customer("Ann Lee", f"ann.{number}@example.com", phone, NEW_YORK)
    return SimOrder(
        id=int(number) - 20000,
        number=number,
        customer=customer,
        placed_at=placed_at or first - timedelta(hours=2),
        ship_by=MONDAY,
        promised_by=promised_by,
        total=50.0,
        parcel=parcel,
    )
