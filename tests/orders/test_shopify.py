"""router/orders/shopify.py against a local fake of Shopify's Admin GraphQL API.

The fake answers on 127.0.0.1 the way the API does: POST /admin/api/{version}/graphql.json,
X-Shopify-Access-Token, {query, variables} in, {data: {orders: {nodes}}} (or `errors`) out.
Its search reads one `field:"value"` term; anything else (free text, OR, a bare value) it
answers like a broad search, with every order, so an unescaped customer value would widen the
search. A filter field the orders query does not document (`phone`) is ignored, as Shopify's
search syntax says unknown fields are, and every order comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from router.events import ShipmentStatus as S
from router.orders.base import OrderSource
from router.orders.errors import SourceError
from router.orders.shopify import ORDERS_QUERY, ShopifyOrderSource
from tests.helpers import assert_retry_flag, local_server

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
VERSION = "2025-07"
GRAPHQL_PATH = f"/admin/api/{VERSION}/graphql.json"

Json = dict[str, Any]


# ------------------------------------------------------------------------------------------
# Realistic payloads (field names and shapes from the Admin GraphQL reference)


def event(
    status: str,
    at: str,
    message: str | None = None,
    city: str | None = None,
    province: str | None = None,
    country: str | None = None,
) -> Json:
    return {
        "status": status,
        "happenedAt": at,
        "message": message,
        "city": city,
        "province": province,
        "country": country,
    }


def fulfillment(
    *,
    tracking: list[Json],
    status: str = "SUCCESS",
    display: str | None = "IN_TRANSIT",
    created: str = "2026-03-02T14:00:00Z",
    in_transit: str | None = None,
    eta: str | None = None,
    delivered: str | None = None,
    events: list[Json] | None = None,
) -> Json:
    """Events newest first, as `events(sortKey: HAPPENED_AT, reverse: true)` returns them."""
    return {
        "status": status,
        "displayStatus": display,
        "createdAt": created,
        "inTransitAt": in_transit,
        "estimatedDeliveryAt": eta,
        "deliveredAt": delivered,
        "trackingInfo": tracking,
        "events": {"nodes": events or []},
    }


def tracking(number: str, company: str | None = None, url: str | None = None) -> Json:
    return {"company": company, "number": number, "url": url}


def order(
    legacy_id: int,
    name: str,
    *,
    created: str,
    email: str | None = "alice@example.com",
    phone: str | None = "+14155550134",
    customer: str = "Alice Johnson",
    closed: bool = False,
    cancelled: str | None = None,
    display: str = "UNFULFILLED",
    total: str = "89.90",
    currency: str = "USD",
    city: str = "San Francisco",
    zip_code: str = "94107",
    country: str = "US",
    fulfillments: list[Json] | None = None,
) -> Json:
    return {
        "id": f"gid://shopify/Order/{legacy_id}",
        "name": name,
        "email": email,
        "phone": phone,
        "createdAt": created,
        "closed": closed,
        "cancelledAt": cancelled,
        "displayFulfillmentStatus": display,
        "shippingAddress": {
            "name": customer,
            "city": city,
            "zip": zip_code,
            "countryCodeV2": country,
        },
        "billingAddress": {"name": customer},
        "totalPriceSet": {"shopMoney": {"amount": total, "currencyCode": currency}},
        "fulfillments": fulfillments or [],
    }


UPS = "1ZXK3DEG0359083017"
USPS = "9400111423667127684262"
FEDEX = "388853933638"

SPLIT = order(
    5001,
    "#1001",
    created="2026-03-01T09:15:00Z",
    display="FULFILLED",
    fulfillments=[
        fulfillment(
            tracking=[tracking(UPS, "UPS", f"https://www.ups.com/track?tracknum={UPS}")],
            display="IN_TRANSIT",
            created="2026-03-02T14:00:00Z",
            in_transit="2026-03-02T18:30:00Z",
            eta="2026-03-06T20:00:00Z",
            events=[
                event(
                    "IN_TRANSIT",
                    "2026-03-03T06:10:00Z",
                    "Departed facility",
                    "Louisville",
                    "KY",
                    "US",
                ),
                event(
                    "CARRIER_PICKED_UP", "2026-03-02T18:30:00Z", "Picked up", "San Jose", "CA", "US"
                ),
                event("LABEL_PRINTED", "2026-03-02T14:00:00Z"),
            ],
        ),
        fulfillment(
            tracking=[tracking(USPS)],
            display="DELIVERED",
            created="2026-03-02T15:00:00Z",
            delivered="2026-03-04T10:05:00Z",
            events=[
                event(
                    "DELIVERED",
                    "2026-03-04T10:05:00Z",
                    "Delivered, In/At Mailbox",
                    "San Francisco",
                    "CA",
                    "US",
                ),
                event(
                    "OUT_FOR_DELIVERY", "2026-03-04T07:30:00Z", None, "San Francisco", "CA", "US"
                ),
                event("IN_TRANSIT", "2026-03-03T02:00:00Z", "Arrived at USPS Regional Facility"),
            ],
        ),
    ],
)
EXCHANGE = order(
    5006,
    "#1001-A",
    created="2026-03-03T11:00:00Z",
    email="ben.carter@example.com",
    phone="+12025550147",
    customer="Ben Carter",
)
UNFULFILLED = order(
    5002, "#1002", created="2026-02-20T16:40:00Z", email="Alice@Example.com", phone=None
)
CANCELLED = order(
    5003, "#1003", created="2026-02-10T08:00:00Z", closed=True, cancelled="2026-02-11T09:30:00Z"
)
CLOSED = order(
    5004,
    "#1004",
    created="2026-02-25T12:00:00Z",
    email="ben.carter@example.com",
    phone="+12025550147",
    customer="Ben Carter",
    city="Washington",
    zip_code="20001",
    closed=True,
    display="PARTIALLY_FULFILLED",
    total="240.00",
    fulfillments=[
        fulfillment(
            tracking=[tracking(FEDEX, "FedEx", "javascript:alert(document.cookie)")],
            display="OUT_FOR_DELIVERY",
            created="2026-02-26T10:00:00Z",
        )
    ],
)
DIEGO = order(
    5005,
    "#1005",
    created="2026-03-02T20:00:00Z",
    email="diego@example.com",
    phone="(312) 555-0199",
    customer="Diego Fernández",
    city="Chicago",
    zip_code="60601",
    total="12.50",
)
ORDERS = [SPLIT, EXCHANGE, UNFULFILLED, CANCELLED, CLOSED, DIEGO]


# ------------------------------------------------------------------------------------------
# The fake shop

_TERM = re.compile(r'(?P<field>[a-z_]+):"(?P<value>(?:[^"\\]|\\.)*)"')


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Json


@dataclass
class FakeShopify:
    orders: list[Json]
    base_url: str = ""
    seen: list[Seen] = field(default_factory=list)
    reply: Callable[[], web.Response] | None = None  # canned answer instead of a search
    delay: float = 0.0
    ignored_fields: set[str] = field(default_factory=lambda: {"phone"})

    async def graphql(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(Seen(request.method, request.path, dict(request.headers), body))
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return web.json_response(
                {
                    "errors": "[API] Invalid API key or access token"
                    " (unrecognized login or wrong password)"
                },
                status=401,
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply is not None:
            return self.reply()
        variables = body["variables"]
        nodes = self.search(variables["query"])[: variables["first"]]
        return web.json_response(
            {
                "data": {"orders": {"nodes": nodes}},
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 472,
                        "actualQueryCost": 12,
                        "throttleStatus": {
                            "maximumAvailable": 2000.0,
                            "currentlyAvailable": 1988,
                            "restoreRate": 100.0,
                        },
                    }
                },
            }
        )

    def search(self, query: str) -> list[Json]:
        term = _TERM.fullmatch(query.strip())
        if term is None:
            hits = list(self.orders)  # free text or several terms: a broad search
        else:
            value = re.sub(r"\\(.)", r"\1", term["value"]).casefold()
            if term["field"] in self.ignored_fields:
                hits = list(self.orders)  # not a filter of the orders query: ignored
            elif term["field"] == "name":  # loose: "#1001" also finds "#1001-A"
                hits = [o for o in self.orders if o["name"].casefold().startswith(value)]
            elif term["field"] == "email":
                hits = [o for o in self.orders if (o["email"] or "").casefold() == value]
            else:
                hits = list(self.orders)
        return sorted(hits, key=lambda o: str(o["createdAt"]), reverse=True)

    @property
    def queries(self) -> list[str]:
        return [s.body["variables"]["query"] for s in self.seen]


@contextlib.asynccontextmanager
async def running(shop: FakeShopify) -> AsyncIterator[FakeShopify]:
    """The fake, serving on 127.0.0.1 (its base_url set) for the life of the block."""
    async with local_server(
        web.post(GRAPHQL_PATH, shop.graphql),
    ) as server:
        shop.base_url = str(server.make_url("/")).rstrip("/")
        yield shop


@pytest.fixture
async def fake() -> AsyncIterator[FakeShopify]:
    async with running(FakeShopify(orders=copy.deepcopy(ORDERS))) as shop:
        yield shop


def make_source(
    fake: FakeShopify, session: aiohttp.ClientSession, *, token: str = TOKEN, timeout_s: float = 2.0
) -> ShopifyOrderSource:
    return ShopifyOrderSource(
        session,
        shop_domain="wismo-demo.myshopify.com",
        access_token=token,
        base_url=fake.base_url,
        timeout_s=timeout_s,
    )


@pytest.fixture
def source(fake: FakeShopify, session: aiohttp.ClientSession) -> ShopifyOrderSource:
    return make_source(fake, session)


def one_order(fake: FakeShopify, **kwargs: Any) -> None:
    """Replace the shop's orders with a single #2001."""
    fake.orders = [order(9001, "#2001", created="2026-03-01T10:00:00Z", **kwargs)]


# ------------------------------------------------------------------------------------------
# Looking up by number


async def test_is_an_order_source(session: aiohttp.ClientSession) -> None:
    source: OrderSource = ShopifyOrderSource(
        session, shop_domain="wismo-demo.myshopify.com", access_token=TOKEN
    )
    assert source.name == "shopify"
    assert isinstance(source, ShopifyOrderSource)
    assert source.endpoint == "https://wismo-demo.myshopify.com/admin/api/2025-07/graphql.json"


async def test_by_number_with_and_without_hash(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    plain = await source.by_number("1001", now=now)
    hashed = await source.by_number(" #1001 ", now=now)
    assert plain is not None
    assert plain == hashed
    assert (plain.number, plain.customer_name, plain.email, plain.phone) == (
        "1001",
        "Alice Johnson",
        "alice@example.com",
        "+14155550134",
    )
    assert plain.placed_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
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
    assert plain.source.system == "shopify"
    assert plain.source.record_id == "gid://shopify/Order/5001"
    assert plain.source.fetched_at == now
    assert fake.queries == ['name:"#1001"', 'name:"#1001"']


async def test_request_is_a_graphql_post_with_the_token(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    await source.by_number("1001", now=now)
    [seen] = fake.seen
    assert (seen.method, seen.path) == ("POST", GRAPHQL_PATH)
    assert seen.headers["X-Shopify-Access-Token"] == TOKEN
    assert seen.headers["Content-Type"].startswith("application/json")
    assert seen.body["query"] == ORDERS_QUERY
    assert seen.body["variables"] == {"query": 'name:"#1001"', "first": 5}
    assert "sortKey: CREATED_AT, reverse: true" in seen.body["query"]


async def test_split_order_maps_both_fulfillments(
    source: ShopifyOrderSource, now: datetime
) -> None:
    found = await source.by_number("1001", now=now)
    assert found is not None
    ups, usps = found.shipments
    assert (ups.carrier, ups.tracking_number, ups.status) == ("UPS", UPS, S.IN_TRANSIT)
    assert ups.tracking_url == f"https://www.ups.com/track?tracknum={UPS}"
    assert ups.estimated_delivery == date(2026, 3, 6)
    assert ups.shipped_at == datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
    assert ups.delivered_at is None
    assert [(s.status, s.description, s.location) for s in ups.scans] == [
        (S.PRE_TRANSIT, "Label printed", None),
        (S.IN_TRANSIT, "Picked up", "San Jose, CA, US"),
        (S.IN_TRANSIT, "Departed facility", "Louisville, KY, US"),
    ]
    # No company given: the carrier and its tracking page come from the number itself.
    assert (usps.carrier, usps.tracking_number, usps.status) == ("USPS", USPS, S.DELIVERED)
    assert usps.tracking_url is not None
    assert USPS in usps.tracking_url
    assert usps.delivered_at == datetime(2026, 3, 4, 10, 5, tzinfo=UTC)
    assert usps.shipped_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # createdAt: no inTransitAt
    assert [s.occurred_at for s in usps.scans] == sorted(s.occurred_at for s in usps.scans)
    assert usps.last_scan is not None
    assert usps.last_scan.status is S.DELIVERED
    assert usps.scans[1].description == "Out for delivery"


async def test_by_number_keeps_only_the_exact_name(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    found = await source.by_number("1001", now=now)
    assert found is not None
    assert found.number == "1001"
    exchange = await source.by_number("#1001-a", now=now)
    assert exchange is not None
    assert (exchange.number, exchange.email) == ("1001-A", "ben.carter@example.com")


async def test_unknown_number_is_none(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    assert await source.by_number("9999", now=now) is None
    assert await source.by_number("  # ", now=now) is None
    assert fake.queries == ['name:"#9999"']  # a blank number is not even asked


async def test_unfulfilled_cancelled_and_closed_orders(
    source: ShopifyOrderSource, now: datetime
) -> None:
    unfulfilled = await source.by_number("1002", now=now)
    cancelled = await source.by_number("1003", now=now)
    closed = await source.by_number("1004", now=now)
    assert unfulfilled is not None
    assert cancelled is not None
    assert closed is not None
    assert (unfulfilled.status, unfulfilled.fulfillment_status, unfulfilled.shipments) == (
        "open",
        "unfulfilled",
        [],
    )
    assert unfulfilled.phone is None
    assert (cancelled.status, cancelled.fulfillment_status) == ("cancelled", "unfulfilled")
    assert (closed.status, closed.fulfillment_status, closed.total) == ("closed", "partial", 240.0)
    [fedex] = closed.shipments
    assert (fedex.carrier, fedex.status) == ("FedEx", S.OUT_FOR_DELIVERY)
    # A javascript: link never reaches a customer; the carrier's own page replaces it.
    assert fedex.tracking_url is not None
    assert fedex.tracking_url.startswith("https://www.fedex.com/")


# ------------------------------------------------------------------------------------------
# Looking up by contact


async def test_by_contact_email_is_case_insensitive_and_newest_first(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    orders = await source.by_contact(email=" ALICE@Example.COM ", phone=None, now=now)
    assert [o.number for o in orders] == ["1001", "1002", "1003"]
    assert fake.seen[0].body["variables"] == {"query": 'email:"ALICE@Example.COM"', "first": 5}


async def test_by_contact_limit(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    orders = await source.by_contact(email="alice@example.com", phone=None, now=now, limit=2)
    assert [o.number for o in orders] == ["1001", "1002"]
    assert fake.seen[-1].body["variables"]["first"] == 2
    await source.by_contact(email="alice@example.com", phone=None, now=now, limit=50)
    assert fake.seen[-1].body["variables"]["first"] == 10  # query cost stays under 1,000


async def test_by_contact_phone_never_returns_other_customers(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    # The fake ignores `phone:` and returns the newest orders of everybody.
    orders = await source.by_contact(email=None, phone="+13125550199", now=now)
    assert [o.number for o in orders] == ["1005"]  # stored as "(312) 555-0199", US
    assert orders[0].phone == "+13125550199"
    assert fake.queries == ['phone:"+13125550199"']
    ben = await source.by_contact(email=None, phone="+1 202-555-0147", now=now)
    assert [o.number for o in ben] == ["1001-A", "1004"]


async def test_by_contact_email_never_returns_other_customers(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    """Should Shopify ever answer an e-mail search loosely, only that address's orders count."""
    fake.ignored_fields.add("email")
    orders = await source.by_contact(email="alice@example.com", phone=None, now=now)
    assert [o.number for o in orders] == ["1001", "1002"]  # #1003 is below the newest five
    assert {o.email.casefold() for o in orders} == {"alice@example.com"}


async def test_by_contact_email_and_phone_are_merged(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    orders = await source.by_contact(
        email="ben.carter@example.com", phone="+12025550147", now=now, limit=5
    )
    assert [o.number for o in orders] == ["1001-A", "1004"]
    assert len(fake.seen) == 2


async def test_by_contact_without_a_match_or_contact(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    assert await source.by_contact(email="nobody@example.com", phone=None, now=now) == []
    assert await source.by_contact(email=" ", phone=None, now=now) == []
    assert await source.by_contact(email=None, phone=None, now=now) == []
    assert await source.by_contact(email="alice@example.com", phone=None, now=now, limit=0) == []
    assert len(fake.seen) == 1


# ------------------------------------------------------------------------------------------
# Customer input cannot change the search


async def test_query_injection_does_not_widen_the_search(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    assert await source.by_number("1001 OR email:*", now=now) is None
    assert await source.by_number('1001" OR name:"#1004', now=now) is None
    assert await source.by_number("1001\\", now=now) is None
    stolen = await source.by_contact(
        email='x@example.com" OR email:"alice@example.com', phone=None, now=now
    )
    assert stolen == []
    assert fake.queries == [
        'name:"#1001 OR email:*"',
        'name:"#1001\\" OR name:\\"#1004"',
        'name:"#1001\\\\"',
        'email:"x@example.com\\" OR email:\\"alice@example.com"',
    ]
    # Each search is exactly one quoted term: what the fake (and Shopify) reads as one value.
    assert all(_TERM.fullmatch(q) for q in fake.queries)
    # The GraphQL document never changes: customer text only ever travels as a variable.
    assert all(s.body["query"] == ORDERS_QUERY for s in fake.seen)


async def test_unescaped_injection_would_widen_the_fake_search(fake: FakeShopify) -> None:
    """The injection test above can fail: the fake does widen an unescaped OR."""
    assert len(fake.search("name:#1001 OR email:*")) == len(ORDERS)
    assert [o["name"] for o in fake.search('name:"#1001 OR email:*"')] == []


# ------------------------------------------------------------------------------------------
# Status mappings (crosswalk: tracking-status.md, "Shopify fulfillment vocabularies")

CROSSWALK = [
    ("LABEL_PRINTED", S.PRE_TRANSIT),
    ("LABEL_PURCHASED", S.PRE_TRANSIT),
    ("CONFIRMED", S.PRE_TRANSIT),
    ("SUBMITTED", S.PRE_TRANSIT),
    ("CARRIER_PICKED_UP", S.IN_TRANSIT),
    ("IN_TRANSIT", S.IN_TRANSIT),
    ("OUT_FOR_DELIVERY", S.OUT_FOR_DELIVERY),
    ("READY_FOR_PICKUP", S.AVAILABLE_FOR_PICKUP),
    ("ATTEMPTED_DELIVERY", S.ATTEMPT_FAILED),
    ("DELIVERED", S.DELIVERED),
    ("PICKED_UP", S.DELIVERED),
    ("DELAYED", S.EXCEPTION),
    ("FAILURE", S.EXCEPTION),
    ("NOT_DELIVERED", S.EXCEPTION),
    ("CANCELED", S.CANCELLED),
    ("LABEL_VOIDED", S.CANCELLED),
    ("FULFILLED", S.UNKNOWN),
    ("MARKED_AS_FULFILLED", S.UNKNOWN),
    ("SOMETHING_SHOPIFY_ADDS_LATER", S.UNKNOWN),
]


async def _only_shipment(source: ShopifyOrderSource, now: datetime) -> Any:
    found = await source.by_number("2001", now=now)
    assert found is not None
    [shipment] = found.shipments
    return shipment


@pytest.mark.parametrize(("value", "expected"), CROSSWALK)
async def test_display_status_crosswalk(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime, value: str, expected: S
) -> None:
    one_order(fake, fulfillments=[fulfillment(tracking=[tracking(UPS, "UPS")], display=value)])
    assert (await _only_shipment(source, now)).status is expected


@pytest.mark.parametrize(("value", "expected"), CROSSWALK)
async def test_event_status_crosswalk(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime, value: str, expected: S
) -> None:
    """Without a display status the newest event decides; every scan is mapped alike."""
    one_order(
        fake,
        fulfillments=[
            fulfillment(
                tracking=[tracking(UPS, "UPS")],
                display=None,
                events=[event(value, "2026-03-03T10:00:00Z")],
            )
        ],
    )
    shipment = await _only_shipment(source, now)
    assert shipment.status is expected
    assert [s.status for s in shipment.scans] == [expected]


@pytest.mark.parametrize(
    ("fulfillment_status", "display", "events", "expected"),
    [
        ("CANCELLED", "IN_TRANSIT", [], S.CANCELLED),  # a cancelled fulfillment is void
        ("CANCELLED", None, [], S.CANCELLED),
        ("FAILURE", None, [], S.EXCEPTION),
        ("ERROR", None, [], S.UNKNOWN),
        ("SUCCESS", None, [], S.UNKNOWN),
        (
            "SUCCESS",
            "MARKED_AS_FULFILLED",
            [event("IN_TRANSIT", "2026-03-03T10:00:00Z")],
            S.IN_TRANSIT,
        ),
        (
            "SUCCESS",
            "FULFILLED",
            [
                event("OUT_FOR_DELIVERY", "2026-03-03T10:00:00Z"),
                event("IN_TRANSIT", "2026-03-02T10:00:00Z"),
            ],
            S.OUT_FOR_DELIVERY,
        ),
        ("SUCCESS", "FULFILLED", [event("SOMETHING_NEW", "2026-03-03T10:00:00Z")], S.UNKNOWN),
    ],
)
async def test_fulfillment_status_precedence(
    source: ShopifyOrderSource,
    fake: FakeShopify,
    now: datetime,
    fulfillment_status: str,
    display: str | None,
    events: list[Json],
    expected: S,
) -> None:
    one_order(
        fake,
        fulfillments=[
            fulfillment(
                tracking=[tracking(UPS, "UPS")],
                status=fulfillment_status,
                display=display,
                events=events,
            )
        ],
    )
    assert (await _only_shipment(source, now)).status is expected


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("FULFILLED", "fulfilled"),
        ("PARTIALLY_FULFILLED", "partial"),
        ("UNFULFILLED", "unfulfilled"),
        ("OPEN", "unfulfilled"),
        ("IN_PROGRESS", "unfulfilled"),
        ("PENDING_FULFILLMENT", "unfulfilled"),
        ("ON_HOLD", "unfulfilled"),
        ("SCHEDULED", "unfulfilled"),
        ("REQUEST_DECLINED", "unfulfilled"),
        ("RESTOCKED", "unfulfilled"),
        ("FULFILLMENT_NOT_REQUIRED", "unfulfilled"),
    ],
)
async def test_order_fulfillment_status(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime, display: str, expected: str
) -> None:
    one_order(fake, display=display)
    found = await source.by_number("2001", now=now)
    assert found is not None
    assert found.fulfillment_status == expected


@pytest.mark.parametrize(
    ("closed", "cancelled", "expected"),
    [
        (False, None, "open"),
        (True, None, "closed"),
        (False, "2026-03-02T10:00:00Z", "cancelled"),
        (True, "2026-03-02T10:00:00Z", "cancelled"),
    ],
)
async def test_order_status(
    source: ShopifyOrderSource,
    fake: FakeShopify,
    now: datetime,
    closed: bool,
    cancelled: str | None,
    expected: str,
) -> None:
    one_order(fake, closed=closed, cancelled=cancelled)
    found = await source.by_number("2001", now=now)
    assert found is not None
    assert found.status == expected


async def test_tracking_numbers_per_fulfillment(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    one_order(
        fake,
        display="FULFILLED",
        fulfillments=[
            fulfillment(tracking=[], display="FULFILLED"),  # shipped without a number
            fulfillment(
                tracking=[tracking(UPS, "UPS"), tracking("", "UPS"), tracking(FEDEX, "FedEx")],
                display="DELIVERED",
                events=[event("DELIVERED", "2026-03-03T17:45:00Z", "Left at front door")],
            ),
        ],
    )
    found = await source.by_number("2001", now=now)
    assert found is not None
    assert [(s.carrier, s.tracking_number) for s in found.shipments] == [
        ("UPS", UPS),
        ("FedEx", FEDEX),
    ]
    # deliveredAt missing: the DELIVERED event's time stands in.
    assert {s.delivered_at for s in found.shipments} == {datetime(2026, 3, 3, 17, 45, tzinfo=UTC)}


async def test_unknown_carrier_and_number_stay_unknown(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime
) -> None:
    one_order(
        fake,
        fulfillments=[
            fulfillment(tracking=[tracking("LOCAL-12345")]),
            fulfillment(tracking=[tracking(UPS, "Royal Mail")]),  # the shop's word wins
        ],
    )
    found = await source.by_number("2001", now=now)
    assert found is not None
    local, mislabelled = found.shipments
    assert (local.carrier, local.tracking_url) == ("", None)
    assert (mislabelled.carrier, mislabelled.tracking_url) == ("Royal Mail", None)


# ------------------------------------------------------------------------------------------
# Failures: the shop could not answer


def _order_without(field_name: str) -> Json:
    broken = copy.deepcopy(SPLIT)
    del broken[field_name]
    return broken


FAILURES: dict[str, Callable[[], web.Response]] = {
    "throttled": lambda: web.json_response(
        {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {"cost": {"requestedQueryCost": 472, "actualQueryCost": None}},
        }
    ),
    "access denied with partial data": lambda: web.json_response(
        {
            "data": {"orders": {"nodes": []}},
            "errors": [
                {
                    "message": "Access denied for orders field.",
                    "locations": [{"line": 3, "column": 3}],
                    "path": ["orders"],
                    "extensions": {"code": "ACCESS_DENIED"},
                }
            ],
        }
    ),
    "http 403": lambda: web.json_response({"errors": "Forbidden"}, status=403),
    "http 404": lambda: web.Response(status=404, text="Not Found"),
    "http 429": lambda: web.json_response(
        {"errors": "Exceeded 2 calls per second for api client."}, status=429
    ),
    "http 500": lambda: web.Response(status=500, text="Internal Server Error"),
    "http 503": lambda: web.Response(status=503, text="<html>Service Unavailable</html>"),
    "redirect": lambda: web.Response(
        status=301, headers={"Location": "https://evil.example/graphql"}
    ),
    "malformed json": lambda: web.Response(
        status=200, text='{"data": {"orders": ', content_type="application/json"
    ),
    "html": lambda: web.Response(
        status=200, text="<html>Shop unavailable</html>", content_type="text/html"
    ),
    "json array": lambda: web.json_response([]),
    "no data": lambda: web.json_response({"data": None}),
    "missing createdAt": lambda: web.json_response(
        {"data": {"orders": {"nodes": [_order_without("createdAt")]}}}
    ),
    "missing totalPriceSet": lambda: web.json_response(
        {"data": {"orders": {"nodes": [_order_without("totalPriceSet")]}}}
    ),
    "wrong type": lambda: web.json_response({"data": {"orders": {"nodes": "none"}}}),
}


# What each failure must say (a timeout or a wrong reason would not match).
REASONS = {
    "throttled": "GraphQL errors: THROTTLED",
    "access denied with partial data": "GraphQL errors: ACCESS_DENIED",
    "http 403": "HTTP 403",
    "http 404": "HTTP 404",
    "http 429": "HTTP 429",
    "http 500": "HTTP 500",
    "http 503": "HTTP 503",
    "redirect": "HTTP 301",
    "malformed json": "unexpected payload",
    "html": "unexpected payload",
    "json array": "unexpected payload",
    "no data": "without data",
    "missing createdAt": "unexpected payload",
    "missing totalPriceSet": "unexpected payload",
    "wrong type": "unexpected payload",
}


@pytest.mark.parametrize("case", sorted(FAILURES))
async def test_failures_raise_source_error(
    source: ShopifyOrderSource, fake: FakeShopify, now: datetime, case: str
) -> None:
    fake.reply = FAILURES[case]
    with pytest.raises(SourceError, match=REASONS[case]) as caught:
        await source.by_number("1001", now=now)
    assert_retry_flag(caught.value)
    with pytest.raises(SourceError, match=REASONS[case]):
        await source.by_contact(email="alice@example.com", phone=None, now=now)


async def test_rejected_token_raises(
    fake: FakeShopify, session: aiohttp.ClientSession, now: datetime
) -> None:
    source = make_source(fake, session, token="shpat_revoked")
    with pytest.raises(SourceError, match="HTTP 401") as raised:
        await source.by_number("1001", now=now)
    assert "shpat_revoked" not in str(raised.value)


async def test_timeout_raises(
    fake: FakeShopify, session: aiohttp.ClientSession, now: datetime
) -> None:
    fake.delay = 0.5
    source = make_source(fake, session, timeout_s=0.05)
    with pytest.raises(SourceError, match="no answer"):
        await source.by_number("1001", now=now)


async def test_unreachable_shop_raises(session: aiohttp.ClientSession, now: datetime) -> None:
    server = TestServer(web.Application(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/")).rstrip("/")
    await server.close()  # nothing listens there any more
    source = ShopifyOrderSource(
        session, shop_domain="gone.myshopify.com", access_token=TOKEN, base_url=base
    )
    with pytest.raises(SourceError):
        await source.by_number("1001", now=now)
