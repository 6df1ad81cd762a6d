"""Transit times learned from the parcels this shop already delivered, per lane (carrier x
service x origin x destination region), to flag a parcel likely to miss its promise date
before the carrier admits it.

Transit times are counted in working hours (weekends and public holidays of the destination
country left out), so a parcel shipped on Friday is compared with the others fairly. The
estimate is conditional: given that a parcel has been travelling `elapsed` hours and has
not arrived, the chance it misses a deadline `deadline` hours after shipping is
P(T > deadline | T > elapsed) over the lane's delivered parcels. A lane with too few parcels
that lasted as long falls back to a coarser one (destination country, then carrier x
service, then carrier); none at all: no prediction (the carrier's EDD still counts).

The same estimate runs on a second distribution, the *last leg*: from a parcel's last hub scan
(the latest scan in transit before it reached the facility that delivers it) to its delivery.
It is what lets a slow parcel be caught a day early: one still leaving a hub on the eve of its
promised day needs a last leg that few parcels ever managed. Only parcels whose tracking source
reports that stage (`TrackingUpdate.at_delivery_facility`) give last-leg samples.

A third, shop-wide, is the shop's own fulfilment: when each order got its label, in working
hours from the start of its ship-by day (UTC), and whether it then missed its promise. An order
still without a label late on its ship-by day is compared with the orders that waited as long.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from router.notify.quiet import customer_zone, promise_deadline
from router.resolve.reasoning import holidays_of
from router.store.db import Database
from router.store.models import ShipmentState, ShopOrder, ShopShipment


@functools.lru_cache(maxsize=65_536)
def _working(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in holidays_of(country)


@functools.lru_cache(maxsize=65_536)
def _working_days(first: date, stop: date, country: str) -> int:
    """Working days from `first` up to, not including, `stop`. Cached: the lane model relearns
    hourly from the same parcels, whose day spans repeat."""
    return sum(_working(first + timedelta(days=n), country) for n in range((stop - first).days))


def business_hours(start: datetime, end: datetime, country: str) -> float:
    """Hours from `start` to `end` that fall on working days (UTC calendar days; weekends and
    the country's public holidays do not count): most carriers do not move parcels then, so
    a Friday shipment is not "three days late" on Monday."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first, last = start.date(), end.date()
    if first == last:
        return (end - start).total_seconds() / 3600 if _working(first, country) else 0.0
    total = 0.0
    if _working(first, country):
        midnight = datetime.combine(first + timedelta(days=1), time(0), tzinfo=UTC)
        total += (midnight - start).total_seconds() / 3600
    total += 24.0 * _working_days(first + timedelta(days=1), last, country)
    if _working(last, country):
        total += (end - datetime.combine(last, time(0), tzinfo=UTC)).total_seconds() / 3600
    return total


def add_business_hours(start: datetime, hours: float, country: str) -> datetime:
    """The moment `hours` working hours after `start` (the inverse of business_hours)."""
    cursor = start.astimezone(UTC)
    left = hours
    for _ in range(3660):  # ten years of days: far beyond any transit time
        midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=UTC)
        if _working(cursor.date(), country):
            available = (midnight - cursor).total_seconds() / 3600
            if left <= available:
                return cursor + timedelta(hours=left)
            left -= available
        cursor = midnight
    return cursor


def destination_region(country: str, postcode: str) -> str:
    """Coarse enough to gather samples, fine enough to tell coasts apart: US ZIP3, else the
    first two characters of the postcode."""
    country = country.upper()
    code = "".join(postcode.split()).upper()
    return f"{country}-{code[:3] if country == 'US' else code[:2]}"


@dataclass(frozen=True, slots=True)
class Lane:
    carrier: str
    service: str | None
    origin: str | None
    destination: str  # destination_region()

    def levels(self) -> list[tuple[str, ...]]:
        """The lane's keys, finest first."""
        carrier, service = self.carrier.lower(), (self.service or "").lower()
        country = self.destination.split("-", 1)[0]
        return [
            ("lane", carrier, service, self.origin or "", self.destination),
            ("country", carrier, service, self.origin or "", country),
            ("service", carrier, service),
            ("carrier", carrier),
        ]


@dataclass(frozen=True, slots=True)
class Estimate:
    late_probability: float
    samples: int  # parcels of that level that travelled at least `elapsed`
    level: str  # lane | country | service | carrier
    expected_hours: float  # the conditional median transit time


@dataclass
class LaneModel:
    min_samples: int = 20
    _hours: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    _legs: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    _labels: list[tuple[float, bool]] = field(default_factory=list)  # (hours, missed promise)
    _label_hours: list[float] = field(default_factory=list)  # sorted, from _labels
    _late_from: list[int] = field(default_factory=lambda: [0])
    _sorted: bool = True

    def add(self, lane: Lane, hours: float, last_leg: float | None = None) -> None:
        """Appended now, sorted once before the first estimate (a history of 100,000 parcels
        must not be sorted one insertion at a time)."""
        for key in lane.levels():
            self._hours.setdefault(key, []).append(hours)
            if last_leg is not None:
                self._legs.setdefault(key, []).append(last_leg)
        self._sorted = False

    def add_fulfilment(self, hours: float, late: bool) -> None:
        self._labels.append((hours, late))
        self._sorted = False

    def fulfilment(self, elapsed_h: float) -> Estimate | None:
        """Of the orders that had no label `elapsed_h` working hours into their ship-by day,
        the share that missed their promise; None below `min_samples` such orders."""
        self.prepare()
        start = bisect.bisect_right(self._label_hours, elapsed_h)
        waited = len(self._label_hours) - start
        if waited < self.min_samples:
            return None
        late = self._late_from[start]
        return Estimate(late / waited, waited, "shop", _median(self._label_hours, start))

    @classmethod
    def of(cls, samples: Iterable[tuple[Lane, float]], min_samples: int = 20) -> LaneModel:
        model = cls(min_samples=min_samples)
        for lane, hours in samples:
            model.add(lane, hours)
        return model

    def estimate(self, lane: Lane, elapsed_h: float, deadline_h: float) -> Estimate | None:
        """Transit from shipping: `elapsed_h` travelled, the deadline `deadline_h` after it."""
        return self._conditional(self._hours, lane, elapsed_h, deadline_h)

    def last_leg(self, lane: Lane, elapsed_h: float, deadline_h: float) -> Estimate | None:
        """The same, counted from the parcel's last hub scan. Only for a lane whose parcels
        mostly report reaching their delivery facility: on a one-day lane that shows no
        facility scan, the pickup is the "last hub" of every on-time parcel, and a last leg
        learned elsewhere would cry wolf for all of them. The leg itself (hub to door) is
        much the same on every route with a facility scan, so thin lanes borrow it from the
        coarser levels as transit times do."""
        for key in lane.levels():
            parcels = len(self._hours.get(key, ()))
            if parcels:
                if 2 * len(self._legs.get(key, ())) < parcels:
                    return None
                break
        return self._conditional(self._legs, lane, elapsed_h, deadline_h)

    def prepare(self) -> None:
        """Sort the samples (once, before the first estimate; done in the learning thread)."""
        if not self._sorted:
            for samples in (*self._hours.values(), *self._legs.values()):
                samples.sort()
            self._labels.sort()
            self._label_hours = [hours for hours, _ in self._labels]
            # _late_from[i]: how many of the labels from i on missed their promise
            self._late_from = [0] * (len(self._labels) + 1)
            for i in range(len(self._labels) - 1, -1, -1):
                self._late_from[i] = self._late_from[i + 1] + self._labels[i][1]
            self._sorted = True

    def _conditional(
        self,
        table: dict[tuple[str, ...], list[float]],
        lane: Lane,
        elapsed_h: float,
        deadline_h: float,
    ) -> Estimate | None:
        self.prepare()
        for key in lane.levels():
            hours = table.get(key)
            if not hours:
                continue
            start = bisect.bisect_right(hours, elapsed_h)
            longer = len(hours) - start
            if longer < self.min_samples:
                continue
            late = len(hours) - max(start, bisect.bisect_right(hours, deadline_h))
            return Estimate(late / longer, longer, key[0], _median(hours, start))
        return None


def fulfilment_start(ship_by: date) -> datetime:
    """Where fulfilment hours count from: the start of the ship-by day, UTC (the same for the
    orders learned from and the order asked about, whatever the warehouse's zone)."""
    return datetime.combine(ship_by, time(0), tzinfo=UTC)


def _median(values: Sequence[float], start: int = 0) -> float:
    """The median of the sorted `values[start:]`, without copying them: the estimates run
    for every parcel on every tick, over histories of any size."""
    size = len(values) - start
    middle = start + size // 2
    if size % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


async def load(
    db: Database,
    now: datetime,
    *,
    window_days: int,
    min_samples: int,
    default_zone: str = "UTC",
) -> LaneModel:
    """The lanes of the parcels delivered in the last `window_days`, and the fulfilment of
    the orders placed in it. The rows are read here; the model is built in a worker thread,
    so a large history does not hold up the event loop (and the other roles on it)."""
    since = now - timedelta(days=window_days)
    transit = (
        select(
            ShopShipment.carrier,
            ShopShipment.service,
            ShopShipment.origin_region,
            ShopShipment.shipped_at,
            ShopShipment.delivered_at,
            ShopOrder.ship_country,
            ShopOrder.ship_postcode,
            ShipmentState.last_hub_at,
            ShipmentState.at_facility_at,
        )
        .join(ShopOrder, ShopShipment.order_id == ShopOrder.id)
        .outerjoin(ShipmentState, ShipmentState.tracking_number == ShopShipment.tracking_number)
        .where(
            ShopShipment.delivered_at.is_not(None),
            ShopShipment.shipped_at.is_not(None),
            ShopShipment.delivered_at >= since,
            ShopShipment.delivered_at <= now,
        )
    )
    labels = (
        select(
            ShopOrder.id,
            ShopOrder.expected_ship_by,
            ShopOrder.promised_by,
            ShopOrder.phone,
            ShopOrder.ship_country,
            ShopOrder.ship_postcode,
            ShopShipment.shipped_at,
            ShopShipment.delivered_at,
        )
        .join(ShopShipment, ShopShipment.order_id == ShopOrder.id)
        .where(
            ShopOrder.placed_at >= since,
            ShopOrder.status != "cancelled",
            ShopOrder.expected_ship_by.is_not(None),
            ShopOrder.promised_by.is_not(None),
            ShopShipment.shipped_at.is_not(None),
        )
        .order_by(ShopOrder.id)
    )
    async with db.session() as session:
        transit_rows = (await session.execute(transit)).all()
        label_rows = (await session.execute(labels)).all()
    model = LaneModel(min_samples=min_samples)
    await asyncio.to_thread(_learn_transit, model, transit_rows)
    await asyncio.to_thread(_learn_fulfilment, model, label_rows, now, default_zone)
    return model


def _learn_transit(model: LaneModel, rows: Sequence[Sequence[Any]]) -> None:
    for carrier, service, origin, shipped, delivered, country, postcode, hub, facility in rows:
        if shipped is None or delivered is None or delivered <= shipped:
            continue  # a data error: not a transit time
        lane = Lane(carrier, service, origin, destination_region(country, postcode))
        leg = None
        if hub is not None and facility is not None and hub < facility < delivered:
            leg = business_hours(hub, delivered, country)
        model.add(lane, business_hours(shipped, delivered, country), leg)
    model.prepare()


def _learn_fulfilment(
    model: LaneModel, rows: Sequence[Sequence[Any]], now: datetime, default_zone: str
) -> None:
    """Label times of the orders whose promise has been decided: the parcel came, or the
    promised day is over."""
    orders: dict[int, _Fulfilled] = {}
    for order_id, ship_by, promised, phone, country, postcode, shipped, delivered in rows:
        if ship_by is None or promised is None or shipped is None:
            continue
        order = orders.get(order_id)
        if order is None:
            zone = customer_zone(
                phone=phone, country=country, postcode=postcode, default=default_zone
            )
            order = orders[order_id] = _Fulfilled(
                ship_by, country, promise_deadline(promised, zone), shipped
            )
        order.labelled = min(order.labelled, shipped)
        order.delivered.append(delivered)
    for order in orders.values():
        arrived = None if None in order.delivered else max(d for d in order.delivered if d)
        if arrived is None and now < order.deadline:
            continue  # still on its way, in time: its outcome is not known yet
        hours = business_hours(fulfilment_start(order.ship_by), order.labelled, order.country)
        model.add_fulfilment(hours, late=arrived is None or arrived >= order.deadline)
    model.prepare()


@dataclass
class _Fulfilled:
    """One order's label and outcome, gathered over its shipments."""

    ship_by: date
    country: str
    deadline: datetime
    labelled: datetime
    delivered: list[datetime | None] = field(default_factory=list)
