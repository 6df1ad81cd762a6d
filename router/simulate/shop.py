"""The synthetic shop: customers in four US time zones, two warehouses, four carrier services
with per-lane transit times, and every parcel's whole carrier story written from the seed.

The stories never depend on what the service does, so the runs with and without notices see
the same orders, scans, delays, exceptions and losses (common random numbers): any difference
between the two runs is the service's doing.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

from router.events import ShipmentStatus as S
from router.resolve.reasoning import add_business_days, business_days_between
from router.tracking.numbers import validate

START = datetime(2026, 3, 2, tzinfo=UTC)
"""Measured day 0 (a Monday, 00:00 UTC). Fixed, so a seed means the same calendar."""

COUNTRY = "US"
HISTORY_GAP_DAYS = 21
"""Warm-up orders end this long before day 0, so every history parcel has finished."""

FIRST_NAMES = (
    "Alice", "Ben", "Chloe", "Diego", "Emma", "Farah", "Grace", "Hugo", "Ines", "Jack", "Kofi",
    "Lena", "Maya", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
    "Wen", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Johnson", "Carter", "Nguyen", "Fernandez", "Wilson", "Khan", "Lee", "Tremblay", "Costa",
    "Brown", "Mensah", "Fischer", "Patel", "Garcia", "Haddad", "Sato", "Murphy", "Rossi",
    "Kim", "Okafor",
)  # fmt: skip


@dataclass(frozen=True)
class City:
    name: str
    state: str
    postcode: str  # one per city: a lane is the same whatever destination grain is used
    tz: str
    area_codes: tuple[str, ...]
    weight: float


CITIES: tuple[City, ...] = (
    City("New York", "NY", "10001", "America/New_York", ("212", "646", "917"), 0.20),
    City("Miami", "FL", "33130", "America/New_York", ("305", "786"), 0.10),
    City("Chicago", "IL", "60601", "America/Chicago", ("312", "773"), 0.14),
    City("Houston", "TX", "77002", "America/Chicago", ("713", "832"), 0.12),
    City("Denver", "CO", "80202", "America/Denver", ("303", "720"), 0.10),
    City("Phoenix", "AZ", "85004", "America/Phoenix", ("602", "480"), 0.08),
    City("Seattle", "WA", "98101", "America/Los_Angeles", ("206",), 0.10),
    City("Los Angeles", "CA", "90012", "America/Los_Angeles", ("213", "323"), 0.16),
)


@dataclass(frozen=True)
class Warehouse:
    region: str  # shop_shipments.origin_region
    city: str
    tz: str
    zones: tuple[int, ...]  # distance zone 1..4 to each of CITIES, in their order
    cutoff_hour: int = 14  # orders placed before this (local, business day) ship the same day

    def zone_to(self, city: City) -> int:
        return self.zones[CITIES.index(city)]


WAREHOUSES: tuple[Warehouse, ...] = (
    Warehouse("US-NV", "Reno, NV", "America/Los_Angeles", (4, 4, 3, 3, 2, 1, 1, 1)),
    Warehouse("US-OH", "Columbus, OH", "America/New_York", (1, 2, 1, 3, 3, 4, 4, 4)),
)
NEAREST_WAREHOUSE = 0.8
"""Share of orders shipped from the nearer warehouse (the rest: stock was elsewhere)."""

Distribution = tuple[tuple[int, float], ...]
"""(value, probability) pairs; probabilities sum to 1."""


@dataclass(frozen=True)
class CarrierService:
    carrier: str
    service: str
    share: float
    base_days: int  # business days on top of the zone (or in all, when not per_zone)
    per_zone: bool
    noise: Distribution  # business days early (-) or late (+) against the nominal transit
    hub: str
    number_prefix: str
    number_length: int


SERVICES: tuple[CarrierService, ...] = (
    CarrierService(
        "UPS", "Ground", 0.35, 0, True, ((-1, 0.04), (0, 0.895), (1, 0.05), (2, 0.015)),
        "Louisville, KY", "1Z", 18,
    ),
    CarrierService(
        "USPS", "Ground Advantage", 0.30, 1, True, ((-1, 0.05), (0, 0.85), (1, 0.07), (2, 0.03)),
        "Indianapolis, IN", "9400", 22,
    ),
    CarrierService(
        "FedEx", "Ground", 0.25, 0, True, ((-1, 0.04), (0, 0.89), (1, 0.05), (2, 0.02)),
        "Memphis, TN", "", 12,
    ),
    CarrierService(
        "UPS", "2nd Day Air", 0.10, 2, False, ((0, 0.96), (1, 0.035), (2, 0.005)),
        "Louisville, KY", "1Z", 18,
    ),
)  # fmt: skip


def nominal_days(service: CarrierService, warehouse: Warehouse, city: City) -> int:
    """The lane's quoted transit in business days: what the carrier and the shop promise."""
    if not service.per_zone:
        return service.base_days
    return service.base_days + warehouse.zone_to(city)


@dataclass(frozen=True)
class Risks:
    """How often things go wrong, per parcel (see docs/simulation.md)."""

    late_ship: float = 0.04  # the warehouse ships one business day late
    delay: float = 0.06  # held in the network (weather, a missed connection)
    delay_days: Distribution = ((1, 0.45), (2, 0.30), (3, 0.17), (4, 0.08))
    silent_delay: float = 0.45  # ... with no scan at all while held
    admit_at_once: float = 0.5  # the carrier's date moves when the delay starts, else when due
    exception: float = 0.03  # address problem, damage, carrier breakdown
    attempt: float = 0.03  # nobody home: redelivery or held for pickup
    lost: float = 0.008  # scans stop for good
    order_value_median: float = 60.0
    order_value_sigma: float = 0.7


@dataclass(frozen=True)
class Scan:
    at: datetime
    status: S
    message: str
    location: str | None
    eta: date | None  # the carrier's estimated delivery date as of this scan
    reason: str | None = None
    action_required: bool = False
    at_facility: bool = False  # arrived at the facility that delivers it (its last stop)


@dataclass(frozen=True)
class Parcel:
    tracking_number: str
    tracking_url: str | None
    carrier: str
    service: str
    origin_region: str
    nominal_days: int
    ship_day: date  # the business day the warehouse shipped it (late: after the order's ship_by)
    label_at: datetime  # shop_shipments.shipped_at: when the shop fulfilled the order
    scans: tuple[Scan, ...]
    arrived_at: datetime | None  # delivered, or held for pickup; None: lost or returned
    fate: str  # on_time | early | slow | late_ship | delay | exception | attempt | lost | returned

    @property
    def first_eta(self) -> date | None:
        return self.scans[0].eta if self.scans else None

    @property
    def final_status(self) -> S:
        return self.scans[-1].status


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    city: City

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.city.tz)


@dataclass(frozen=True)
class SimOrder:
    id: int
    number: str
    customer: Customer
    placed_at: datetime
    ship_by: date
    promised_by: date
    total: float
    parcel: Parcel
    warmup: bool = False

    @property
    def deadline(self) -> datetime:
        """The promise date has passed: midnight at its end, in the customer's time zone."""
        return local_at(self.promised_by + timedelta(days=1), 0.0, self.customer.city.tz)

    @property
    def late(self) -> bool:
        """Arrived after the promised day (customer's local date), or never arrived."""
        arrived = self.parcel.arrived_at
        return arrived is None or arrived >= self.deadline


@dataclass(frozen=True)
class Shop:
    seed: int
    days: int
    orders_per_day: int
    warmup_days: int
    start: datetime
    orders: tuple[SimOrder, ...]  # measured: placed on days 0 … days-1
    history: tuple[SimOrder, ...] = field(default=())  # finished before day 0: lane samples


@functools.lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_at(day: date, hour: float, tz: str) -> datetime:
    """`hour` (fractional) on `day` in the zone `tz`, as an aware UTC datetime."""
    naive = datetime.combine(day, time()) + timedelta(hours=hour)
    return naive.replace(tzinfo=zone(tz)).astimezone(UTC)


def is_business_day(day: date) -> bool:
    return business_days_between(day - timedelta(days=1), day, COUNTRY) == 1


def next_business_day(day: date) -> date:
    return add_business_days(day, 1, COUNTRY)


def business_day_on_or_after(day: date) -> date:
    return day if is_business_day(day) else next_business_day(day)


def draw(rng: random.Random, distribution: Distribution) -> int:
    values = [v for v, _ in distribution]
    weights = [p for _, p in distribution]
    return rng.choices(values, weights=weights)[0]


# -- identities ------------------------------------------------------------------------------


def phone_number(rng: random.Random, city: City, used: set[str]) -> str:
    """A valid E.164 number of one of the city's area codes (so its time zone is the city's)."""
    while True:
        area = rng.choice(city.area_codes)
        exchange = rng.randint(200, 999)
        line = rng.randint(0, 9999)
        number = f"+1{area}{exchange}{line:04d}"
        if number in used or exchange % 100 == 11:  # N11 exchanges are service codes
            continue
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            used.add(number)
            return number


def tracking_number(rng: random.Random, service: CarrierService, used: set[str]) -> str:
    """A number with a valid check digit that only `service.carrier` claims."""
    alphabet = "0123456789"
    while True:
        if service.carrier == "UPS":
            code = "02" if service.service == "2nd Day Air" else "03"
            shipper = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXY0123456789") for _ in range(6))
            body = f"1Z{shipper}{code}" + "".join(rng.choice(alphabet) for _ in range(7))
        else:
            size = service.number_length - len(service.number_prefix) - 1
            body = service.number_prefix + "".join(rng.choice(alphabet) for _ in range(size))
        for digit in alphabet:
            number = body + digit
            found = validate(number)
            if found and found[0].carrier == service.carrier and number not in used:
                used.add(number)
                return number


def tracking_url(number: str) -> str | None:
    found = validate(number)
    return found[0].tracking_url if found else None


# -- one parcel's story ----------------------------------------------------------------------


class _Story:
    """Writes the scans of one parcel, day by day, keeping the carrier's published date."""

    def __init__(
        self, rng: random.Random, warehouse: Warehouse, city: City, service: CarrierService
    ) -> None:
        self.rng = rng
        self.warehouse = warehouse
        self.city = city
        self.service = service
        self.scans: list[Scan] = []
        self.eta: date | None = None
        self.admit_on: date | None = None  # from this day the carrier shows `true_eta`
        self.true_eta: date | None = None

    def published_eta(self, day: date) -> date | None:
        if self.true_eta is not None and self.admit_on is not None and day >= self.admit_on:
            return self.true_eta
        return self.eta

    def add(
        self,
        day: date,
        hour: float,
        status: S,
        message: str,
        where: str | None,
        *,
        tz: str | None = None,
        reason: str | None = None,
        action_required: bool = False,
        eta: date | None = None,
        not_before: datetime | None = None,
        at_facility: bool = False,
    ) -> Scan:
        at = local_at(day, hour, tz or self.city.tz)
        if not_before is not None and at < not_before:
            at = not_before
        if self.scans and at <= self.scans[-1].at:
            at = self.scans[-1].at + timedelta(minutes=17)
        published = eta if eta is not None else self.published_eta(day)
        scan = Scan(at, status, message, where, published, reason, action_required, at_facility)
        self.scans.append(scan)
        return scan

    def network_day(self, day: date, index: int, *, last: bool = False) -> None:
        """One scan in the network: at the carrier's hub, or on the last day before delivery,
        at the facility that delivers to the customer's city."""
        hour = self.rng.uniform(2.0, 22.0)
        if last:
            here = f"{self.city.name}, {self.city.state}"
            message = "Arrived at destination facility"
            self.add(day, hour, S.IN_TRANSIT, message, here, at_facility=True)
            return
        message = "Departed facility" if index % 2 else "Arrived at facility"
        self.add(day, hour, S.IN_TRANSIT, message, self.service.hub)

    def network_days(self, days: Sequence[date], first_index: int) -> None:
        """The network scans up to the day before delivery, the last one at the facility."""
        for offset, day in enumerate(days):
            self.network_day(day, first_index + offset, last=offset == len(days) - 1)

    def deliver(self, day: date) -> datetime:
        here = f"{self.city.name}, {self.city.state}"
        self.add(day, self.rng.uniform(7.0, 9.5), S.OUT_FOR_DELIVERY, "Out for delivery", here)
        scan = self.add(day, self.rng.uniform(10.0, 19.0), S.DELIVERED, "Delivered", here, eta=day)
        return scan.at


def journey(
    rng: random.Random,
    *,
    warehouse: Warehouse,
    city: City,
    service: CarrierService,
    ship_by: date,
    placed_at: datetime,
    risks: Risks,
    number: str,
) -> Parcel:
    """One parcel from label to its end: delivered (maybe late), held for pickup, lost or
    returned. Every random choice comes from `rng`, in a fixed order."""
    story = _Story(rng, warehouse, city, service)
    nominal = nominal_days(service, warehouse, city)
    late_ship = rng.random() < risks.late_ship
    ship_day = next_business_day(ship_by) if late_ship else ship_by
    story.eta = add_business_days(ship_day, nominal, COUNTRY)
    label = story.add(
        ship_day,
        rng.uniform(9.0, 15.0),
        S.PRE_TRANSIT,
        "Shipping label created, carrier awaiting item",
        warehouse.city,
        tz=warehouse.tz,
        not_before=placed_at + timedelta(minutes=rng.uniform(20.0, 90.0)),
    )
    story.add(
        ship_day,
        rng.uniform(17.0, 20.0),
        S.IN_TRANSIT,
        "Picked up by carrier",
        warehouse.city,
        tz=warehouse.tz,
    )
    noise = draw(rng, service.noise)
    if nominal + noise < 1:
        noise = 0
    transit = nominal + noise
    roll = rng.random()
    incident = "none"
    for name, p in (
        ("delay", risks.delay),
        ("exception", risks.exception),
        ("attempt", risks.attempt),
        ("lost", risks.lost),
    ):
        if roll < p:
            incident = name
            break
        roll -= p
    fate = "late_ship" if late_ship else {-1: "early", 0: "on_time"}.get(noise, "slow")
    # The carrier's own lateness (noise): admitted on the first network day, or when due.
    if noise:
        story.true_eta = add_business_days(ship_day, transit, COUNTRY)
        at_once = rng.random() < risks.admit_at_once
        story.admit_on = next_business_day(ship_day) if at_once else story.eta
        if noise < 0:
            story.admit_on = story.true_eta
    days = [add_business_days(ship_day, k, COUNTRY) for k in range(1, transit + 1)]
    arrived: datetime | None
    if incident == "delay":
        fate = "delay"
        arrived = _delayed(story, rng, risks, days, ship_day, transit)
    elif incident == "exception":
        fate, arrived = _exception(story, rng, days, ship_day, transit)
    elif incident == "attempt":
        fate = "attempt"
        arrived = _attempt(story, rng, days)
    elif incident == "lost":
        fate = "lost"
        stop = rng.randint(1, max(1, transit - 1))
        for index, day in enumerate(days[: stop - 1], start=1):
            story.network_day(day, index)
        arrived = None
    else:
        story.network_days(days[:-1], 1)
        arrived = story.deliver(days[-1])
    return Parcel(
        tracking_number=number,
        tracking_url=tracking_url(number),
        carrier=service.carrier,
        service=service.service,
        origin_region=warehouse.region,
        nominal_days=nominal,
        ship_day=ship_day,
        label_at=label.at,
        scans=tuple(story.scans),
        arrived_at=arrived,
        fate=fate,
    )


def _delayed(
    story: _Story,
    rng: random.Random,
    risks: Risks,
    days: list[date],
    ship_day: date,
    transit: int,
) -> datetime:
    at = rng.randint(1, max(1, transit - 1))  # the network day the parcel is held on
    extra = draw(rng, risks.delay_days)
    silent = rng.random() < risks.silent_delay
    weather = rng.random() < 0.35
    story.true_eta = add_business_days(ship_day, transit + extra, COUNTRY)
    at_once = rng.random() < risks.admit_at_once
    held_on = days[at - 1]
    story.admit_on = held_on if at_once else max(days[-1], held_on)
    index = 1
    for day in days[: at - 1]:
        story.network_day(day, index)
        index += 1
    if not silent:
        reason = "delayed_weather" if weather else "delayed_carrier"
        message = (
            "Delayed: severe weather conditions"
            if weather
            else "Delayed: the package missed its scheduled connection"
        )
        story.add(
            held_on, rng.uniform(3.0, 20.0), S.IN_TRANSIT, message, story.service.hub, reason=reason
        )
    # Nothing moves while held; then the remaining network days, shifted by `extra`.
    rest = [add_business_days(ship_day, k + extra, COUNTRY) for k in range(at, transit + 1)]
    story.admit_on = min(story.admit_on, rest[0]) if silent else story.admit_on
    story.network_days(rest[:-1], index)
    return story.deliver(rest[-1])


def _exception(
    story: _Story,
    rng: random.Random,
    days: list[date],
    ship_day: date,
    transit: int,
) -> tuple[str, datetime | None]:
    at = rng.randint(1, transit)  # may happen on the delivery day itself
    kind = rng.choices(("address_issue", "damaged", "delayed_carrier"), (0.5, 0.3, 0.2))[0]
    for index, day in enumerate(days[: at - 1], start=1):
        story.network_day(day, index)
    day = days[at - 1]
    messages = {
        "address_issue": "Exception: the address is incomplete; the receiver must confirm it",
        "damaged": "Exception: the package was damaged in transit",
        "delayed_carrier": "Exception: a mechanical failure delayed the vehicle",
    }
    story.add(
        day,
        rng.uniform(9.0, 17.0),
        S.EXCEPTION,
        messages[kind],
        story.service.hub,
        reason=kind,
        action_required=kind == "address_issue",
    )
    if kind == "damaged" and rng.random() < 0.3:
        back = next_business_day(day)
        story.add(
            back,
            rng.uniform(9.0, 17.0),
            S.RETURN_TO_SENDER,
            "Returned to sender: damaged",
            story.service.hub,
            reason="damaged",
        )
        return "returned", None
    extra = {"address_issue": rng.choice((1, 2)), "damaged": 2, "delayed_carrier": 1}[kind]
    resume = add_business_days(day, extra, COUNTRY)
    final = add_business_days(resume, max(1, transit - at), COUNTRY)
    story.true_eta = final
    story.admit_on = resume
    story.add(resume, rng.uniform(3.0, 10.0), S.IN_TRANSIT, "Back in transit", story.service.hub)
    story.network_days(_between(resume, final), at + 1)
    return "exception", story.deliver(final)


def _between(first: date, last: date) -> list[date]:
    """Business days strictly between two business days."""
    out: list[date] = []
    day = next_business_day(first)
    while day < last:
        out.append(day)
        day = next_business_day(day)
    return out


def _attempt(story: _Story, rng: random.Random, days: list[date]) -> datetime:
    story.network_days(days[:-1], 1)
    day = days[-1]
    here = f"{story.city.name}, {story.city.state}"
    story.add(day, rng.uniform(7.0, 9.5), S.OUT_FOR_DELIVERY, "Out for delivery", here)
    story.add(
        day,
        rng.uniform(11.0, 18.0),
        S.ATTEMPT_FAILED,
        "Delivery attempted: no access to the delivery location",
        here,
    )
    again = next_business_day(day)
    story.true_eta = again
    story.admit_on = again
    if rng.random() < 0.65:
        return story.deliver(again)
    held = story.add(
        again,
        rng.uniform(9.0, 11.0),
        S.AVAILABLE_FOR_PICKUP,
        "Held at an access point for pickup",
        here,
    )
    pickup = again + timedelta(days=rng.choice((1, 2)))
    story.add(
        pickup,
        rng.uniform(10.0, 19.0),
        S.DELIVERED,
        "Picked up at the access point",
        here,
        eta=pickup,
    )
    return held.at


# -- the shop --------------------------------------------------------------------------------


def _ship_by(placed_at: datetime, warehouse: Warehouse) -> date:
    local = placed_at.astimezone(zone(warehouse.tz))
    if is_business_day(local.date()) and local.hour < warehouse.cutoff_hour:
        return local.date()
    return next_business_day(local.date())


def _order(
    rng: random.Random,
    *,
    index: int,
    number: str,
    day: date,
    risks: Risks,
    phones: set[str],
    numbers: set[str],
    warmup: bool,
) -> SimOrder:
    city = rng.choices(CITIES, weights=[c.weight for c in CITIES])[0]
    near = min(WAREHOUSES, key=lambda w: w.zone_to(city))
    far = next(w for w in WAREHOUSES if w is not near)
    warehouse = near if rng.random() < NEAREST_WAREHOUSE else far
    service = rng.choices(SERVICES, weights=[s.share for s in SERVICES])[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    phone = phone_number(rng, city, phones)
    customer = Customer(
        f"{first} {last}", f"{first}.{last}.{number}@example.com".lower(), phone, city
    )
    placed_at = local_at(day, rng.uniform(8.0, 23.0), city.tz)
    ship_by = _ship_by(placed_at, warehouse)
    promised_by = add_business_days(ship_by, nominal_days(service, warehouse, city), COUNTRY)
    total = round(rng.lognormvariate(0.0, risks.order_value_sigma) * risks.order_value_median, 2)
    parcel = journey(
        rng,
        warehouse=warehouse,
        city=city,
        service=service,
        ship_by=ship_by,
        placed_at=placed_at,
        risks=risks,
        number=tracking_number(rng, service, numbers),
    )
    return SimOrder(
        id=index,
        number=number,
        customer=customer,
        placed_at=placed_at,
        ship_by=ship_by,
        promised_by=promised_by,
        total=max(total, 5.0),
        parcel=parcel,
        warmup=warmup,
    )


def build(
    seed: int,
    *,
    days: int,
    orders_per_day: int,
    warmup_days: int = 90,
    risks: Risks | None = None,
    start: datetime = START,
) -> Shop:
    """The whole world for a seed. Measured orders and history come from separate streams,
    so changing --warmup-days never changes the measured orders."""
    risks = risks or Risks()
    phones: set[str] = set()
    numbers: set[str] = set()
    rng = random.Random(f"wismo-sim:{seed}:orders")
    orders: list[SimOrder] = []
    for day_index in range(days):
        day = start.date() + timedelta(days=day_index)
        for _ in range(orders_per_day):
            index = len(orders) + 1
            orders.append(
                _order(
                    rng,
                    index=index,
                    number=str(20000 + index),
                    day=day,
                    risks=risks,
                    phones=phones,
                    numbers=numbers,
                    warmup=False,
                )
            )
    history_rng = random.Random(f"wismo-sim:{seed}:history")
    history: list[SimOrder] = []
    first_day = start.date() - timedelta(days=HISTORY_GAP_DAYS + warmup_days)
    for day_index in range(warmup_days):
        day = first_day + timedelta(days=day_index)
        for _ in range(orders_per_day):
            index = 1_000_000 + len(history) + 1
            order = _order(
                history_rng,
                index=index,
                number=str(index - 500_000),
                day=day,
                risks=risks,
                phones=phones,
                numbers=numbers,
                warmup=True,
            )
            if order.parcel.scans[-1].at < start:
                history.append(order)
    return Shop(
        seed=seed,
        days=days,
        orders_per_day=orders_per_day,
        warmup_days=warmup_days,
        start=start,
        orders=tuple(orders),
        history=tuple(history),
    )


def late_share(orders: Sequence[SimOrder]) -> float:
    return sum(o.late for o in orders) / len(orders) if orders else 0.0
