"""Transit times learned from the parcels this shop already delivered, per lane (carrier x
service x origin x destination region), to flag a parcel likely to miss its promise date
before the carrier admits it.

The estimate is conditional: given that a parcel has been travelling `elapsed` hours and has
not arrived, the chance it misses a deadline `deadline` hours after shipping is
P(T > deadline | T > elapsed) over the lane's delivered parcels. A lane with too few parcels
that lasted as long falls back to a coarser one (destination country, then carrier x
service, then carrier); none at all: no prediction (the carrier's EDD still counts).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from router.store.db import Database
from router.store.models import ShopOrder, ShopShipment


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

    def add(self, lane: Lane, hours: float) -> None:
        for key in lane.levels():
            bisect.insort(self._hours.setdefault(key, []), hours)

    @classmethod
    def of(cls, samples: Iterable[tuple[Lane, float]], min_samples: int = 20) -> LaneModel:
        model = cls(min_samples=min_samples)
        for lane, hours in samples:
            model.add(lane, hours)
        return model

    def estimate(self, lane: Lane, elapsed_h: float, deadline_h: float) -> Estimate | None:
        for key in lane.levels():
            hours = self._hours.get(key)
            if not hours:
                continue
            longer = _after(hours, elapsed_h)
            if len(longer) < self.min_samples:
                continue
            late = len(_after(longer, deadline_h))
            return Estimate(late / len(longer), len(longer), key[0], _median(longer))
        return None


def _after(sorted_hours: Sequence[float], threshold: float) -> Sequence[float]:
    """The transit times strictly longer than `threshold` (the list is sorted)."""
    return sorted_hours[bisect.bisect_right(sorted_hours, threshold) :]


def _median(values: Sequence[float]) -> float:
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


async def load(db: Database, now: datetime, *, window_days: int, min_samples: int) -> LaneModel:
    """The lanes of the parcels delivered in the last `window_days`."""
    since = now - timedelta(days=window_days)
    statement = (
        select(
            ShopShipment.carrier,
            ShopShipment.service,
            ShopShipment.origin_region,
            ShopShipment.shipped_at,
            ShopShipment.delivered_at,
            ShopOrder.ship_country,
            ShopOrder.ship_postcode,
        )
        .join(ShopOrder, ShopShipment.order_id == ShopOrder.id)
        .where(
            ShopShipment.delivered_at.is_not(None),
            ShopShipment.shipped_at.is_not(None),
            ShopShipment.delivered_at >= since,
            ShopShipment.delivered_at <= now,
        )
    )
    async with db.session() as session:
        rows = (await session.execute(statement)).all()
    model = LaneModel(min_samples=min_samples)
    for carrier, service, origin, shipped, delivered, country, postcode in rows:
        if shipped is None or delivered is None or delivered <= shipped:
            continue  # a data error: not a transit time
        lane = Lane(carrier, service, origin, destination_region(country, postcode))
        model.add(lane, (delivered - shipped).total_seconds() / 3600)
    return model
