"""The built-in demo shop: 28 orders whose shipments cover every case the resolver handles.

Times are offsets from `now` (the injected clock), so the demo tells the same story on any day:
#1006 is always late, #1008 has been silent for two weeks (at least 8 business days,
holidays included). Tracking numbers carry valid
check digits for their carrier (tests/orders/test_demo.py checks each one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, text

from router.events import ShipmentStatus as S
from router.store.db import Database
from router.store.models import ShopOrder, ShopShipment, ShopTrackingEvent
from router.tracking.numbers import validate


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    city: str
    postcode: str
    country: str


CUSTOMERS = {
    "alice": Customer(
        "Alice Johnson", "alice@example.com", "+14155550134", "San Francisco", "94107", "US"
    ),
    "ben": Customer(
        "Ben Carter", "ben.carter@example.com", "+12025550147", "Washington", "20001", "US"
    ),
    "diego": Customer(
        "Diego Fernández", "diego@example.com", "+13125550199", "Chicago", "60601", "US"
    ),
    "emma": Customer(
        "Emma Wilson", "emma.wilson@example.co.uk", "+447700123456", "London", "SW1A 1AA", "GB"
    ),
    "farah": Customer(
        "Farah Khan", "farah.khan@example.com", "+12065550100", "Seattle", "98101", "US"
    ),
    "greta": Customer(
        "Greta Müller", "greta.mueller@example.de", "+4915901234567", "Berlin", "10115", "DE"
    ),
    "hugo": Customer("Hugo Tremblay", "hugo@example.ca", "+16135550112", "Ottawa", "K1A 0B1", "CA"),
    "ines": Customer(
        "Inês Costa", "ines.costa@example.com", "+13055550123", "Miami", "33101", "US"
    ),
    "jack": Customer(
        "Jack Brown", "jack.brown@example.com", "+17135550188", "Houston", "77002", "US"
    ),
}


@dataclass(frozen=True)
class DemoScan:
    day: float  # offset from now, in days (negative: the past)
    status: S
    description: str
    location: str | None = None


@dataclass(frozen=True)
class DemoShipment:
    carrier: str
    tracking_number: str
    status: S
    scans: tuple[DemoScan, ...]
    detail: str | None = None
    eta_day: int | None = None
    reason: str | None = None
    action_required: bool = False


@dataclass(frozen=True)
class DemoOrder:
    number: str
    customer: str
    case: str  # what this order demonstrates
    placed_day: float
    total: float
    fulfillment: str = "fulfilled"
    status: str = "open"
    promised_day: int | None = None
    expected_ship_day: int | None = None
    shipments: tuple[DemoShipment, ...] = field(default_factory=tuple)


def _label(day: float, where: str) -> DemoScan:
    return DemoScan(day, S.PRE_TRANSIT, "Shipping label created, carrier awaiting item", where)


def _picked(day: float, where: str) -> DemoScan:
    return DemoScan(day, S.IN_TRANSIT, "Picked up by carrier", where)


def _moving(day: float, where: str) -> DemoScan:
    return DemoScan(day, S.IN_TRANSIT, "Departed facility", where)


def _ofd(day: float, where: str) -> DemoScan:
    return DemoScan(day, S.OUT_FOR_DELIVERY, "Out for delivery", where)


ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder(
        "1001",
        "alice",
        "in transit, on time",
        -3,
        89.90,
        promised_day=3,
        shipments=(
            DemoShipment(
                "UPS",
                "1ZXK3DEG0359083017",
                S.IN_TRANSIT,
                eta_day=2,
                scans=(
                    _label(-2.5, "Reno, NV"),
                    _picked(-2, "Reno, NV"),
                    _moving(-1, "Sacramento, CA"),
                    DemoScan(-0.4, S.IN_TRANSIT, "Arrived at facility", "Oakland, CA"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1002",
        "ben",
        "delivered",
        -7,
        45.00,
        promised_day=-1,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111423667127684262",
                S.DELIVERED,
                detail="Delivered, in/at mailbox",
                scans=(
                    _label(-6, "Columbus, OH"),
                    _picked(-5.5, "Columbus, OH"),
                    _moving(-4, "Baltimore, MD"),
                    _ofd(-2.3, "Washington, DC"),
                    DemoScan(-2, S.DELIVERED, "Delivered, in/at mailbox", "Washington, DC"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1003",
        "diego",
        "out for delivery",
        -4,
        129.00,
        promised_day=1,
        shipments=(
            DemoShipment(
                "FedEx",
                "388853933638",
                S.OUT_FOR_DELIVERY,
                eta_day=0,
                scans=(
                    _label(-3.5, "Memphis, TN"),
                    _picked(-3, "Memphis, TN"),
                    _moving(-1.5, "Indianapolis, IN"),
                    _ofd(-0.2, "Chicago, IL"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1004",
        "farah",
        "label created, not yet picked up",
        -1.5,
        59.00,
        promised_day=5,
        shipments=(
            DemoShipment(
                "DHL",
                "2057986825",
                S.PRE_TRANSIT,
                eta_day=4,
                scans=(_label(-0.6, "Los Angeles, CA"),),
            ),
        ),
    ),
    DemoOrder(
        "1005",
        "ines",
        "unfulfilled, still processing",
        -1,
        74.50,
        fulfillment="unfulfilled",
        promised_day=6,
        expected_ship_day=1,
    ),
    DemoOrder(
        "1006",
        "jack",
        "late against the promised date",
        -9,
        210.00,
        promised_day=-2,
        shipments=(
            DemoShipment(
                "UPS",
                "1Z54ESF50309139095",
                S.IN_TRANSIT,
                eta_day=2,
                detail="Delivery date updated",
                scans=(
                    _label(-8, "Louisville, KY"),
                    _picked(-7.5, "Louisville, KY"),
                    _moving(-5, "Nashville, TN"),
                    DemoScan(
                        -1,
                        S.IN_TRANSIT,
                        "Delivery date updated: running later than expected",
                        "Dallas, TX",
                    ),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1007",
        "alice",
        "carrier exception (weather)",
        -6,
        35.00,
        promised_day=0,
        shipments=(
            DemoShipment(
                "FedEx",
                "387500474393",
                S.EXCEPTION,
                detail="Delay: severe weather conditions",
                reason="delayed_weather",
                eta_day=3,
                scans=(
                    _label(-5, "Denver, CO"),
                    _picked(-4.6, "Denver, CO"),
                    DemoScan(
                        -1.2, S.EXCEPTION, "Delay: severe weather conditions", "Salt Lake City, UT"
                    ),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1008",
        "diego",
        "no scan for 14 days",
        -18,
        99.00,
        promised_day=-9,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111846563212233070",
                S.IN_TRANSIT,
                eta_day=None,
                scans=(
                    _label(-17, "Atlanta, GA"),
                    _picked(-16, "Atlanta, GA"),
                    DemoScan(-14, S.IN_TRANSIT, "In transit to next facility", "Atlanta, GA"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1009",
        "ben",
        "returned to sender",
        -20,
        64.00,
        promised_day=-12,
        shipments=(
            DemoShipment(
                "UPS",
                "1Z3DRCJV0362819482",
                S.RETURN_TO_SENDER,
                detail="Returned to sender: address could not be found",
                scans=(
                    _label(-19, "Louisville, KY"),
                    _picked(-18.5, "Louisville, KY"),
                    DemoScan(
                        -14,
                        S.ATTEMPT_FAILED,
                        "Delivery attempted: address not found",
                        "Washington, DC",
                    ),
                    DemoScan(
                        -12,
                        S.RETURN_TO_SENDER,
                        "Returning to sender: address could not be found",
                        "Washington, DC",
                    ),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1010",
        "farah",
        "available for pickup at the post office",
        -5,
        42.00,
        promised_day=0,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111924402685995283",
                S.AVAILABLE_FOR_PICKUP,
                detail="Available for pickup at Seattle Main Post Office",
                scans=(
                    _label(-4.5, "Portland, OR"),
                    _picked(-4, "Portland, OR"),
                    _ofd(-1.3, "Seattle, WA"),
                    DemoScan(-1.1, S.AVAILABLE_FOR_PICKUP, "Available for pickup", "Seattle, WA"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1011",
        "hugo",
        "split into two shipments, two carriers",
        -6,
        158.00,
        promised_day=2,
        shipments=(
            DemoShipment(
                "UPS",
                "1ZMGN1GE0390937864",
                S.DELIVERED,
                detail="Delivered, front door",
                scans=(
                    _label(-5, "Buffalo, NY"),
                    _picked(-4.7, "Buffalo, NY"),
                    _ofd(-1.4, "Ottawa, ON"),
                    DemoScan(-1.2, S.DELIVERED, "Delivered, front door", "Ottawa, ON"),
                ),
            ),
            DemoShipment(
                "FedEx",
                "575513137359",
                S.IN_TRANSIT,
                eta_day=2,
                scans=(
                    _label(-3, "Memphis, TN"),
                    _picked(-2.6, "Memphis, TN"),
                    _moving(-0.8, "Toronto, ON"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1012",
        "greta",
        "delivery attempt failed",
        -8,
        88.00,
        promised_day=0,
        shipments=(
            DemoShipment(
                "DHL",
                "8288072903",
                S.ATTEMPT_FAILED,
                detail="Recipient not at home, next attempt tomorrow",
                eta_day=1,
                scans=(
                    _label(-7, "Leipzig, DE"),
                    _picked(-6.5, "Leipzig, DE"),
                    _ofd(-0.6, "Berlin, DE"),
                    DemoScan(
                        -0.3,
                        S.ATTEMPT_FAILED,
                        "Recipient not at home, next attempt tomorrow",
                        "Berlin, DE",
                    ),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1013",
        "ines",
        "marked delivered but the customer says it is not there",
        -5,
        119.00,
        promised_day=-1,
        shipments=(
            DemoShipment(
                "FedEx",
                "379907511631",
                S.DELIVERED,
                detail="Left at front door",
                scans=(
                    _label(-4.5, "Orlando, FL"),
                    _picked(-4, "Orlando, FL"),
                    _ofd(-1.4, "Miami, FL"),
                    DemoScan(-1.1, S.DELIVERED, "Delivered: left at front door", "Miami, FL"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1014",
        "jack",
        "carrier exception: address issue",
        -6,
        51.00,
        promised_day=0,
        shipments=(
            DemoShipment(
                "UPS",
                "1ZX771WS0323194878",
                S.EXCEPTION,
                detail="The address is incomplete; the carrier is trying to contact you",
                reason="address_issue",
                action_required=True,
                scans=(
                    _label(-5, "Louisville, KY"),
                    _picked(-4.5, "Louisville, KY"),
                    DemoScan(
                        -0.9,
                        S.EXCEPTION,
                        "Address incomplete: carrier attempting to update it",
                        "Houston, TX",
                    ),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1015",
        "emma",
        "cancelled before shipping",
        -4,
        33.00,
        status="cancelled",
        fulfillment="unfulfilled",
    ),
    DemoOrder(
        "1016",
        "emma",
        "international, in transit",
        -5,
        140.00,
        promised_day=4,
        shipments=(
            DemoShipment(
                "DHL",
                "2227918055",
                S.IN_TRANSIT,
                eta_day=2,
                scans=(
                    _label(-4, "New York, NY"),
                    _picked(-3.8, "New York, NY"),
                    DemoScan(-2, S.IN_TRANSIT, "Customs clearance completed", "East Midlands, GB"),
                    _moving(-0.5, "London Heathrow, GB"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1017",
        "farah",
        "unfulfilled, past its expected ship date",
        -6,
        61.00,
        fulfillment="unfulfilled",
        promised_day=1,
        expected_ship_day=-2,
    ),
    DemoOrder(
        "1018",
        "ben",
        "delivered weeks ago",
        -40,
        25.00,
        promised_day=-33,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111907866661760310",
                S.DELIVERED,
                detail="Delivered, front porch",
                scans=(
                    _label(-39, "Columbus, OH"),
                    _picked(-38, "Columbus, OH"),
                    DemoScan(-35, S.DELIVERED, "Delivered, front porch", "Washington, DC"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1019",
        "alice",
        "lost by the carrier",
        -21,
        180.00,
        promised_day=-14,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111372159010928159",
                S.FAILURE,
                detail="The package could not be located",
                reason="lost",
                scans=(
                    _label(-20, "Reno, NV"),
                    _picked(-19, "Reno, NV"),
                    DemoScan(-17, S.IN_TRANSIT, "In transit to next facility", "Sacramento, CA"),
                    DemoScan(-3, S.FAILURE, "Package could not be located", "Sacramento, CA"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1020",
        "diego",
        "arriving today",
        -4,
        77.00,
        promised_day=1,
        shipments=(
            DemoShipment(
                "FedEx",
                "726516761220",
                S.IN_TRANSIT,
                eta_day=0,
                scans=(
                    _label(-3.4, "Memphis, TN"),
                    _picked(-3, "Memphis, TN"),
                    DemoScan(-0.5, S.IN_TRANSIT, "At local FedEx facility", "Chicago, IL"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1021",
        "jack",
        "partly shipped, partly still processing",
        -3,
        132.00,
        fulfillment="partial",
        promised_day=4,
        expected_ship_day=2,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111901396245957110",
                S.IN_TRANSIT,
                eta_day=2,
                scans=(
                    _label(-2, "Dallas, TX"),
                    _picked(-1.6, "Dallas, TX"),
                    _moving(-0.7, "Houston, TX"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1022",
        "greta",
        "out for delivery",
        -3,
        49.00,
        promised_day=1,
        shipments=(
            DemoShipment(
                "DHL",
                "8887180330",
                S.OUT_FOR_DELIVERY,
                eta_day=0,
                scans=(
                    _label(-2.5, "Leipzig, DE"),
                    _picked(-2, "Leipzig, DE"),
                    _ofd(-0.25, "Berlin, DE"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1023",
        "hugo",
        "label created six days ago, never picked up",
        -8,
        69.00,
        promised_day=1,
        shipments=(
            DemoShipment(
                "UPS", "1ZY6VEH40325276019", S.PRE_TRANSIT, scans=(_label(-6, "Buffalo, NY"),)
            ),
        ),
    ),
    DemoOrder(
        "1024",
        "ines",
        "high value, in transit",
        -2,
        1899.00,
        promised_day=4,
        shipments=(
            DemoShipment(
                "FedEx",
                "202972997525",
                S.IN_TRANSIT,
                eta_day=2,
                scans=(
                    _label(-1.6, "Memphis, TN"),
                    _picked(-1.2, "Memphis, TN"),
                    _moving(-0.4, "Atlanta, GA"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1025",
        "greta",
        "delivered",
        -9,
        39.00,
        promised_day=-3,
        shipments=(
            DemoShipment(
                "DHL",
                "4018780172",
                S.DELIVERED,
                detail="Delivered to neighbour",
                scans=(
                    _label(-8, "Leipzig, DE"),
                    _picked(-7.5, "Leipzig, DE"),
                    _ofd(-4.3, "Berlin, DE"),
                    DemoScan(-4, S.DELIVERED, "Delivered to neighbour", "Berlin, DE"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1026",
        "alice",
        "a second recent order of the same customer",
        -2,
        19.90,
        promised_day=5,
        shipments=(
            DemoShipment(
                "USPS",
                "9400111777741215472806",
                S.IN_TRANSIT,
                eta_day=3,
                scans=(
                    _label(-1.5, "Reno, NV"),
                    _picked(-1, "Reno, NV"),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1027",
        "ben",
        "waiting at a UPS Access Point",
        -5,
        58.00,
        promised_day=0,
        shipments=(
            DemoShipment(
                "UPS",
                "1ZXY097E0314710495",
                S.AVAILABLE_FOR_PICKUP,
                detail="Ready for pickup at UPS Access Point, 1200 K St NW",
                scans=(
                    _label(-4.5, "Louisville, KY"),
                    _picked(-4, "Louisville, KY"),
                    DemoScan(
                        -0.8,
                        S.AVAILABLE_FOR_PICKUP,
                        "Delivered to UPS Access Point",
                        "Washington, DC",
                    ),
                ),
            ),
        ),
    ),
    DemoOrder(
        "1028",
        "emma",
        "held in customs",
        -7,
        260.00,
        promised_day=0,
        shipments=(
            DemoShipment(
                "DHL",
                "5989834782",
                S.EXCEPTION,
                detail="Held by customs: import duties must be paid",
                reason="held_for_payment",
                action_required=True,
                scans=(
                    _label(-6, "New York, NY"),
                    _picked(-5.8, "New York, NY"),
                    DemoScan(
                        -2,
                        S.EXCEPTION,
                        "Shipment on hold: customs duties payable",
                        "East Midlands, GB",
                    ),
                ),
            ),
        ),
    ),
)


def _at(now: datetime, day: float) -> datetime:
    return now + timedelta(days=day)


def _on(now: datetime, day: int | None) -> date | None:
    return None if day is None else (now + timedelta(days=day)).date()


def build(now: datetime) -> list[ShopOrder]:
    """The demo orders as rows, with every time placed relative to `now`."""
    rows = []
    for spec in ORDERS:
        who = CUSTOMERS[spec.customer]
        order = ShopOrder(
            number=spec.number,
            customer_name=who.name,
            email=who.email,
            phone=who.phone,
            placed_at=_at(now, spec.placed_day),
            status=spec.status,
            fulfillment_status=spec.fulfillment,
            promised_by=_on(now, spec.promised_day),
            expected_ship_by=_on(now, spec.expected_ship_day),
            total=spec.total,
            currency="USD",
            ship_city=who.city,
            ship_postcode=who.postcode,
            ship_country=who.country,
            updated_at=now,
        )
        for ship in spec.shipments:
            [match, *_] = validate(ship.tracking_number)
            first, last = ship.scans[0], ship.scans[-1]
            order.shipments.append(
                ShopShipment(
                    carrier=ship.carrier,
                    tracking_number=ship.tracking_number,
                    tracking_url=match.tracking_url,
                    status=ship.status,
                    status_detail=ship.detail,
                    reason=ship.reason,
                    action_required=ship.action_required,
                    estimated_delivery=_on(now, ship.eta_day),
                    shipped_at=_at(now, first.day),
                    delivered_at=_at(now, last.day) if ship.status == S.DELIVERED else None,
                    updated_at=_at(now, last.day),
                    events=[
                        ShopTrackingEvent(
                            occurred_at=_at(now, scan.day),
                            status=scan.status,
                            description=scan.description,
                            location=scan.location,
                        )
                        for scan in ship.scans
                    ],
                )
            )
        rows.append(order)
    return rows


async def seed(db: Database, now: datetime) -> int:
    """Replace the demo orders with a fresh copy dated from `now`; returns how many."""
    numbers = [spec.number for spec in ORDERS]
    rows = build(now)
    async with db.session() as session, session.begin():
        if db.dialect == "postgresql":
            # Processes sharing the database may seed at once: one at a time (SQLite
            # serialises writers by itself).
            await session.execute(text("LOCK TABLE shop_orders IN SHARE ROW EXCLUSIVE MODE"))
        await session.execute(delete(ShopOrder).where(ShopOrder.number.in_(numbers)))
        session.add_all(rows)
    return len(rows)
