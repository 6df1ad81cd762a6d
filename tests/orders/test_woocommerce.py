"""router/orders/woocommerce.py against a local fake of the WooCommerce REST API (wc/v3).

The fake answers on 127.0.0.1 the way the API does: GET /wp-json/wc/v3/orders with HTTP Basic
auth (consumer key and secret), a JSON list of orders out, a WordPress error object
({code, message, data: {status}}) on failure. Its `search` is WooCommerce's: the order id when
the term is that number, else a case-insensitive substring of the billing and shipping
fields and the order number (as order-number plugins make it searchable), so "1001" also
finds #10010 and a "10015" postcode.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from router.events import ShipmentStatus as S
from router.orders.base import OrderSource
from router.orders.errors import SourceError
from router.orders.woocommerce import WooCommerceOrderSource
from tests.helpers import assert_retry_flag, local_server

KEY = "ck_4f1d2a6c0e3b9a8d7c6b5a4f3e2d1c0b9a8f7e6d"
SECRET = "cs_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
ORDERS_PATH = "/wp-json/wc/v3/orders"

Json = dict[str, Any]

UPS = "1ZXK3DEG0359083017"
USPS = "9400111423667127684262"
DHL = "2057986825"


# ------------------------------------------------------------------------------------------
# Realistic payloads (field names and shapes from the REST API docs)


def address(
    first: str,
    last: str,
    city: str,
    postcode: str,
    country: str = "US",
    email: str | None = None,
    phone: str | None = None,
) -> Json:
    fields: Json = {
        "first_name": first,
        "last_name": last,
        "company": "",
        "address_1": "969 Market",
        "address_2": "",
        "city": city,
        "state": "CA",
        "postcode": postcode,
        "country": country,
    }
    if email is not None:  # only billing addresses carry e-mail and phone
        fields["email"] = email
        fields["phone"] = phone or ""
    return fields


ALICE_BILLING = address(
    "Alice", "Johnson", "San Francisco", "94107", email="alice@example.com", phone="4155550134"
)
ALICE_SHIPPING = address("Alice", "Johnson", "San Francisco", "94107")
BEN_BILLING = address(
    "Ben",
    "Carter",
    "Washington",
    "20001",
    email="ben.carter@example.com",
    phone="(202) 555-0147",
)
BEN_SHIPPING = address("Ben", "Carter", "Washington", "20001")


def tracking_item(
    number: str,
    provider: str = "",
    *,
    custom_provider: str = "",
    link: str = "",
    shipped: int | str = "",
) -> Json:
    """One item of the Shipment Tracking extension's `_wc_shipment_tracking_items` meta."""
    return {
        "tracking_provider": provider,
        "custom_tracking_provider": custom_provider,
        "custom_tracking_link": link,
        "tracking_number": number,
        "date_shipped": shipped,
        "tracking_id": f"{number.lower()}-5f0c2e9a",
    }


def woo_order(
    order_id: int,
    *,
    created: str,
    status: str = "processing",
    number: str | None = None,
    billing: Json | None = None,
    shipping: Json | None = None,
    total: str = "29.35",
    currency: str = "USD",
    tracking: list[Json] | Json | None = None,
) -> Json:
    meta: list[Json] = [
        {"id": order_id * 10, "key": "_order_stock_reduced", "value": "yes"},
        {"id": order_id * 10 + 1, "key": "is_vat_exempt", "value": "no"},
    ]
    if tracking is not None:
        meta.append(
            {"id": order_id * 10 + 2, "key": "_wc_shipment_tracking_items", "value": tracking}
        )
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id) if number is None else number,
        "order_key": f"wc_order_{order_id:x}abc",
        "created_via": "checkout",
        "version": "9.8.1",
        "status": status,
        "currency": currency,
        "date_created": created,  # the site's timezone (here UTC-3)…
        "date_created_gmt": _plus_3h(created),  # …and GMT, without an offset
        "date_modified": created,
        "date_modified_gmt": _plus_3h(created),
        "discount_total": "0.00",
        "shipping_total": "10.00",
        "total": total,
        "total_tax": "1.35",
        "prices_include_tax": False,
        "customer_id": 0,
        "customer_note": "",
        "billing": copy.deepcopy(billing or ALICE_BILLING),
        "shipping": copy.deepcopy(shipping or ALICE_SHIPPING),
        "payment_method": "bacs",
        "payment_method_title": "Direct Bank Transfer",
        "meta_data": meta,
        "line_items": [
            {"id": order_id * 100, "name": "Woo Single #1", "product_id": 93, "quantity": 2}
        ],
        "shipping_lines": [{"id": 1, "method_title": "Flat Rate", "method_id": "flat_rate"}],
        "refunds": [],
        "_links": {"self": [{"href": f"https://shop.example/wp-json/wc/v3/orders/{order_id}"}]},
    }


def _plus_3h(local: str) -> str:
    moved = datetime.fromisoformat(local).replace(tzinfo=UTC).timestamp() + 3 * 3600
    return datetime.fromtimestamp(moved, UTC).replace(tzinfo=None).isoformat()


SPLIT = woo_order(
    727,
    created="2026-03-01T06:15:00",
    status="completed",
    total="89.90",
    tracking=[
        tracking_item(UPS, "ups", shipped="1772460000"),  # 2026-03-02T14:00:00Z, as a string
        tracking_item(
            "CP123456789CA",
            custom_provider="Parcelforce",
            link="https://www.parcelforce.com/track-trace?trackNumber=%1$s",
            shipped=1772528400,  # 2026-03-03T09:00:00Z
        ),
    ],
)
NEWEST = woo_order(
    1001, created="2026-03-03T10:00:00", billing={**ALICE_BILLING, "email": "Alice@Example.com"}
)
LOOKALIKE = woo_order(
    10010,
    created="2026-03-02T08:00:00",
    status="pending",
    billing=BEN_BILLING,
    shipping=BEN_SHIPPING,
)
POSTCODE_1001 = woo_order(
    1500,
    created="2026-02-27T08:00:00",
    status="on-hold",
    billing=BEN_BILLING,
    shipping={**BEN_SHIPPING, "postcode": "10015"},
)
CANCELLED = woo_order(1600, created="2026-02-10T08:00:00", status="cancelled")
PLUGIN_NUMBER = woo_order(
    1003, created="2026-02-01T08:00:00", number="2045", billing=BEN_BILLING, shipping=BEN_SHIPPING
)
NOT_BEN = woo_order(
    1700,
    created="2026-03-02T09:00:00",
    billing=address("Dana", "Lee", "Boston", "01470", email="dana@example.com", phone="6175550199"),
)
DRAFT = woo_order(1900, created="2026-03-03T12:00:00", status="checkout-draft")
ORDERS = [SPLIT, NEWEST, LOOKALIKE, POSTCODE_1001, CANCELLED, PLUGIN_NUMBER, NOT_BEN, DRAFT]


# ------------------------------------------------------------------------------------------
# The fake shop

BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
_INDEXED = ("first_name", "last_name", "company", "address_1", "city", "postcode", "country")


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeWoo:
    orders: list[Json]
    base_url: str = ""
    seen: list[Seen] = field(default_factory=list)
    reply: Callable[[], web.Response] | None = None  # canned answer instead of a search
    delay: float = 0.0

    async def list_orders(self, request: web.Request) -> web.Response:
        self.seen.append(
            Seen(request.method, request.path, dict(request.query), dict(request.headers))
        )
        if request.headers.get("Authorization") != BASIC:
            return web.json_response(
                {
                    "code": "woocommerce_rest_cannot_view",
                    "message": "Sorry, you cannot list resources.",
                    "data": {"status": 401},
                },
                status=401,
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply is not None:
            return self.reply()
        query = request.query
        statuses = query.get("status", "any").split(",")
        hits = [
            o
            for o in self.orders
            if self.matches(o, query.get("search", ""))
            and (o["status"] in statuses or ("any" in statuses and o["status"] != "trash"))
        ]
        hits.sort(key=lambda o: str(o["date_created_gmt"]), reverse=query.get("order") != "asc")
        per_page = int(query.get("per_page", "10"))
        return web.json_response(
            hits[:per_page],
            headers={"X-WP-Total": str(len(hits)), "X-WP-TotalPages": "1"},
        )

    @staticmethod
    def matches(order: Json, term: str) -> bool:
        if not term:
            return True
        if term.isdigit() and int(term) == order["id"]:
            return True
        billing, shipping = order["billing"], order["shipping"]
        # Order-number plugins add their number to the searched fields.
        fields = [order["number"]] + [billing.get(k) for k in (*_INDEXED, "email", "phone")]
        fields += [shipping.get(k) for k in _INDEXED]
        index = " ".join(str(f) for f in fields if f).casefold()
        return term.casefold() in index

    @property
    def searches(self) -> list[str]:
        return [s.query.get("search", "") for s in self.seen]


@contextlib.asynccontextmanager
async def running(shop: FakeWoo) -> AsyncIterator[FakeWoo]:
    """The fake, serving on 127.0.0.1 (its base_url set) for the life of the block."""
    async with local_server(
        web.get(ORDERS_PATH, shop.list_orders),
    ) as server:
        shop.base_url = str(server.make_url("/")).rstrip("/")
        yield shop


@pytest.fixture
async def fake() -> AsyncIterator[FakeWoo]:
    async with running(FakeWoo(orders=copy.deepcopy(ORDERS))) as shop:
        yield shop


def make_source(
    fake: FakeWoo,
    session: aiohttp.ClientSession,
    *,
    secret: str = SECRET,
    timeout_s: float = 2.0,
) -> WooCommerceOrderSource:
    return WooCommerceOrderSource(
        session,
        base_url=fake.base_url + "/",
        consumer_key=KEY,
        consumer_secret=secret,
        timeout_s=timeout_s,
    )


@pytest.fixture
def source(fake: FakeWoo, session: aiohttp.ClientSession) -> WooCommerceOrderSource:
    return make_source(fake, session)


def one_order(fake: FakeWoo, **kwargs: Any) -> None:
    """Replace the shop's orders with a single #3001."""
    fake.orders = [woo_order(3001, created="2026-03-01T10:00:00", **kwargs)]


# ------------------------------------------------------------------------------------------
# Looking up by number


async def test_is_an_order_source(session: aiohttp.ClientSession) -> None:
    source: OrderSource = WooCommerceOrderSource(
        session, base_url="https://shop.example/", consumer_key=KEY, consumer_secret=SECRET
    )
    assert source.name == "woocommerce"
    assert isinstance(source, WooCommerceOrderSource)
    assert source.endpoint == "https://shop.example/wp-json/wc/v3/orders"


async def test_by_number_with_and_without_hash(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    plain = await source.by_number("727", now=now)
    hashed = await source.by_number(" #727", now=now)
    assert plain is not None
    assert plain == hashed
    assert (plain.number, plain.customer_name, plain.email, plain.phone) == (
        "727",
        "Alice Johnson",
        "alice@example.com",
        "+14155550134",  # stored as typed, "4155550134": E.164 for the identity check
    )
    assert plain.placed_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)  # from date_created_gmt
    assert (plain.status, plain.fulfillment_status, plain.total, plain.currency) == (
        "closed",
        "fulfilled",
        89.90,
        "USD",
    )
    assert (plain.ship_city, plain.ship_postcode, plain.ship_country) == (
        "San Francisco",
        "94107",
        "US",
    )
    assert (plain.source.system, plain.source.record_id) == ("woocommerce", "orders/727")
    assert plain.source.fetched_at == now


async def test_request_is_an_authenticated_get(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    await source.by_number("727", now=now)
    [seen] = fake.seen
    assert (seen.method, seen.path) == ("GET", ORDERS_PATH)
    assert seen.headers["Authorization"] == BASIC
    assert seen.query == {
        "search": "727",
        "status": "any",
        "per_page": "20",
        "orderby": "date",
        "order": "desc",
    }


async def test_split_order_shipments_from_tracking_meta(
    source: WooCommerceOrderSource, now: datetime
) -> None:
    found = await source.by_number("727", now=now)
    assert found is not None
    ups, parcelforce = found.shipments
    assert (ups.carrier, ups.tracking_number, ups.status) == ("UPS", UPS, S.UNKNOWN)
    assert ups.tracking_url is not None
    assert UPS in ups.tracking_url  # the number's own tracking page
    assert ups.shipped_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert (ups.scans, ups.delivered_at, ups.estimated_delivery) == ([], None, None)
    assert (parcelforce.carrier, parcelforce.status) == ("Parcelforce", S.UNKNOWN)
    assert parcelforce.tracking_url == (
        "https://www.parcelforce.com/track-trace?trackNumber=CP123456789CA"
    )
    assert parcelforce.shipped_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


async def test_by_number_keeps_only_the_exact_number(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    # "1001" also matches #10010 and the order shipped to postcode 10015.
    assert [o["id"] for o in fake.orders if FakeWoo.matches(o, "1001")] == [1001, 10010, 1500]
    found = await source.by_number("1001", now=now)
    assert found is not None
    assert (found.number, found.source.record_id) == ("1001", "orders/1001")


async def test_number_is_what_the_customer_sees_not_the_id(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    """A sequential-numbers plugin shows #2045 for order id 1003."""
    renumbered = await source.by_number("2045", now=now)
    assert renumbered is not None
    assert (renumbered.number, renumbered.source.record_id) == ("2045", "orders/1003")
    assert await source.by_number("1003", now=now) is None
    one_order(fake, number="")  # no number at all: the id is what the shop shows
    bare = await source.by_number("3001", now=now)
    assert bare is not None
    assert bare.number == "3001"


async def test_unknown_number_is_none(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    assert await source.by_number("99999", now=now) is None
    assert await source.by_number("#", now=now) is None
    assert await source.by_number("1900", now=now) is None  # a checkout draft is not an order
    assert fake.searches == ["99999", "1900"]


# ------------------------------------------------------------------------------------------
# Looking up by contact


async def test_by_contact_email_is_case_insensitive_and_newest_first(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    orders = await source.by_contact(email="ALICE@example.com ", phone=None, now=now)
    assert [o.number for o in orders] == ["1001", "727", "1600"]
    assert fake.seen[0].query["search"] == "ALICE@example.com"
    assert fake.seen[0].query["status"] == "any"


async def test_by_contact_limit(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    orders = await source.by_contact(email="alice@example.com", phone=None, now=now, limit=2)
    assert [o.number for o in orders] == ["1001", "727"]
    assert await source.by_contact(email="alice@example.com", phone=None, now=now, limit=0) == []


async def test_by_contact_phone_in_any_format(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    # Stored as "(202) 555-0147"; the search for "0147" also finds Dana's postcode 01470.
    ben = await source.by_contact(email=None, phone="+12025550147", now=now)
    assert [o.number for o in ben] == ["10010", "1500", "2045"]
    assert fake.searches == ["0147"]
    alice = await source.by_contact(email=None, phone="+1 (415) 555-0134", now=now)
    assert [o.number for o in alice] == ["1001", "727", "1600"]


async def test_by_contact_email_and_phone_are_merged(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    orders = await source.by_contact(
        email="dana@example.com", phone="+12025550147", now=now, limit=3
    )
    assert [o.number for o in orders] == ["1700", "10010", "1500"]
    assert fake.searches == ["dana@example.com", "0147"]


async def test_by_contact_without_a_match_or_contact(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    assert await source.by_contact(email="nobody@example.com", phone=None, now=now) == []
    assert await source.by_contact(email=None, phone="+19995550000", now=now) == []
    assert await source.by_contact(email="", phone="12", now=now) == []  # not a phone number
    assert await source.by_contact(email=None, phone=None, now=now) == []
    assert fake.searches == ["nobody@example.com", "0000"]


async def test_search_text_cannot_widen_the_result(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    """`search` is one query parameter, and every hit is checked for an exact match."""
    assert await source.by_number("1001 OR 1=1", now=now) is None
    assert await source.by_number("100", now=now) is None  # a prefix of 1001 and 10010
    assert await source.by_contact(email="example.com", phone=None, now=now) == []
    assert await source.by_contact(email="alice@example.com&status=any", phone=None, now=now) == []
    assert fake.searches == ["1001 OR 1=1", "100", "example.com", "alice@example.com&status=any"]
    assert all(
        set(s.query) == {"search", "status", "per_page", "orderby", "order"} for s in fake.seen
    )


# ------------------------------------------------------------------------------------------
# Status mapping


@pytest.mark.parametrize(
    ("status", "tracked", "expected"),
    [
        ("pending", False, ("open", "unfulfilled")),
        ("processing", False, ("open", "unfulfilled")),
        ("on-hold", False, ("open", "unfulfilled")),
        ("processing", True, ("open", "partial")),
        ("on-hold", True, ("open", "partial")),
        ("completed", False, ("closed", "fulfilled")),
        ("completed", True, ("closed", "fulfilled")),
        ("cancelled", False, ("cancelled", "unfulfilled")),
        ("refunded", True, ("cancelled", "unfulfilled")),
        ("failed", False, ("cancelled", "unfulfilled")),
        ("trash", False, ("cancelled", "unfulfilled")),
        ("partial-shipped", True, ("open", "partial")),
        ("shipped", True, ("open", "fulfilled")),
        ("delivered", True, ("closed", "fulfilled")),
        ("awaiting-pickup", False, ("open", "unfulfilled")),  # a shop's own status
        ("awaiting-pickup", True, ("open", "partial")),
    ],
)
async def test_status_mapping(
    fake: FakeWoo,
    session: aiohttp.ClientSession,
    now: datetime,
    status: str,
    tracked: bool,
    expected: tuple[str, str],
) -> None:
    one_order(fake, status=status, tracking=[tracking_item(UPS, "ups")] if tracked else None)
    fake.reply = lambda: web.json_response(fake.orders)  # `status=any` leaves out trash
    found = await make_source(fake, session).by_number("3001", now=now)
    assert found is not None
    assert (found.status, found.fulfillment_status) == expected
    shipment_status = S.DELIVERED if status == "delivered" else S.UNKNOWN
    assert [s.status for s in found.shipments] == ([shipment_status] if tracked else [])


# ------------------------------------------------------------------------------------------
# Shipment Tracking meta


async def test_tracking_meta_variants(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    one_order(
        fake,
        status="completed",
        # A PHP array with a deleted item arrives as a JSON object keyed "0", "2".
        tracking={
            "0": tracking_item(USPS, "usps", shipped="2026-03-02"),
            "2": tracking_item(DHL, "dhl-express", link="javascript:alert(1)", shipped=0),
            "3": tracking_item("", "ups"),  # no number: not a shipment
            "4": "garbage",
            "5": tracking_item(
                "LOCAL-77", custom_provider="Courier Co", link="https://c.example/%2$s"
            ),
            "6": tracking_item("LOCAL-78", "royal-mail", link="ftp://c.example/%1$s"),
        },
    )
    found = await source.by_number("3001", now=now)
    assert found is not None
    assert [
        (s.carrier, s.tracking_number, s.tracking_url is not None) for s in found.shipments
    ] == [
        ("USPS", USPS, True),
        ("DHL", DHL, True),  # a javascript: link is dropped; the carrier's page is used
        ("Courier Co", "LOCAL-77", False),  # a link that cannot be filled in is dropped
        ("royal-mail", "LOCAL-78", False),  # only http(s) links
    ]
    usps, dhl = found.shipments[:2]
    assert usps.shipped_at == datetime(2026, 3, 2, tzinfo=UTC)
    assert dhl.shipped_at is None
    assert dhl.tracking_url is not None
    assert dhl.tracking_url.startswith("http://www.dhl.com/")


async def test_provider_that_disagrees_with_the_number_is_kept(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    one_order(fake, status="completed", tracking=[tracking_item(UPS, "fedex")])
    found = await source.by_number("3001", now=now)
    assert found is not None
    [shipment] = found.shipments
    assert (shipment.carrier, shipment.tracking_url) == ("fedex", None)


async def test_phone_is_read_in_the_billing_country(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    one_order(fake, billing={**ALICE_BILLING, "country": "GB", "phone": "07700 900123"})
    found = await source.by_number("3001", now=now)
    assert found is not None
    assert found.phone == "+447700900123"
    one_order(fake, billing={**ALICE_BILLING, "phone": "ask at desk"})
    odd = await source.by_number("3001", now=now)
    assert odd is not None
    assert odd.phone == "ask at desk"  # not a number: kept as the shop has it


async def test_no_shipping_address_uses_billing(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime
) -> None:
    empty = dict.fromkeys(ALICE_SHIPPING, "")
    one_order(fake, shipping=empty, billing={**ALICE_BILLING, "phone": ""})
    found = await source.by_number("3001", now=now)
    assert found is not None
    assert (found.ship_city, found.ship_postcode, found.ship_country, found.phone) == (
        "San Francisco",
        "94107",
        "US",
        None,
    )


# ------------------------------------------------------------------------------------------
# Failures: the shop could not answer


def _order_without(field_name: str) -> Json:
    broken = copy.deepcopy(SPLIT)
    del broken[field_name]
    return broken


FAILURES: dict[str, tuple[Callable[[], web.Response], str]] = {
    "http 403": (
        lambda: web.json_response(
            {
                "code": "woocommerce_rest_cannot_view",
                "message": "Sorry, you cannot list resources.",
                "data": {"status": 403},
            },
            status=403,
        ),
        r"HTTP 403 \(woocommerce_rest_cannot_view\)",
    ),
    "http 404 no route": (
        lambda: web.json_response(
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            },
            status=404,
        ),
        r"HTTP 404 \(rest_no_route\)",
    ),
    "http 429": (
        lambda: web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "30"}),
        "HTTP 429",
    ),
    "http 500": (
        lambda: web.json_response(
            {
                "code": "internal_server_error",
                "message": "<p>There has been a critical error on this website.</p>",
                "data": {"status": 500},
            },
            status=500,
        ),
        r"HTTP 500 \(internal_server_error\)",
    ),
    "http 502": (lambda: web.Response(status=502, text="<html>Bad Gateway</html>"), "HTTP 502"),
    "redirect": (
        lambda: web.Response(
            status=301, headers={"Location": "https://shop.example/wp-json/wc/v3/orders"}
        ),
        "HTTP 301",
    ),
    "malformed json": (
        lambda: web.Response(text='[{"id": 727, ', content_type="application/json"),
        "unexpected payload",
    ),
    "html": (
        lambda: web.Response(
            text="<!DOCTYPE html><html>Maintenance</html>", content_type="text/html"
        ),
        "unexpected payload",
    ),
    "object not list": (lambda: web.json_response({"orders": []}), "unexpected payload"),
    "missing date_created_gmt": (
        lambda: web.json_response([_order_without("date_created_gmt")]),
        "unexpected payload",
    ),
    "missing billing": (
        lambda: web.json_response([_order_without("billing")]),
        "unexpected payload",
    ),
    "wrong total": (lambda: web.json_response([{**SPLIT, "total": "a lot"}]), "unexpected payload"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
async def test_failures_raise_source_error(
    source: WooCommerceOrderSource, fake: FakeWoo, now: datetime, case: str
) -> None:
    reply, reason = FAILURES[case]
    fake.reply = reply
    with pytest.raises(SourceError, match=reason) as caught:
        await source.by_number("727", now=now)
    assert_retry_flag(caught.value)
    with pytest.raises(SourceError, match=reason):
        await source.by_contact(email="alice@example.com", phone=None, now=now)


async def test_rejected_keys_raise(
    fake: FakeWoo, session: aiohttp.ClientSession, now: datetime
) -> None:
    source = make_source(fake, session, secret="cs_revoked")
    with pytest.raises(SourceError, match=r"HTTP 401 \(woocommerce_rest_cannot_view\)") as raised:
        await source.by_number("727", now=now)
    assert "cs_revoked" not in str(raised.value)


async def test_timeout_raises(fake: FakeWoo, session: aiohttp.ClientSession, now: datetime) -> None:
    fake.delay = 0.5
    source = make_source(fake, session, timeout_s=0.05)
    with pytest.raises(SourceError, match="no answer"):
        await source.by_contact(email="alice@example.com", phone=None, now=now)


async def test_unreachable_shop_raises(session: aiohttp.ClientSession, now: datetime) -> None:
    server = TestServer(web.Application(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/")).rstrip("/")
    await server.close()  # nothing listens there any more
    source = WooCommerceOrderSource(
        session, base_url=base, consumer_key=KEY, consumer_secret=SECRET
    )
    with pytest.raises(SourceError):
        await source.by_number("727", now=now)
