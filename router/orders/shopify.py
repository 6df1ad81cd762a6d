"""Orders from a Shopify store, read through the Admin GraphQL API.

Search values typed by a customer go into Shopify's search syntax as one quoted, escaped value,
and the GraphQL document itself is a constant (values travel as variables), so "1001 OR
email:*" stays a single term. Every answer is checked again here (exact order name, same
e-mail, same phone): Shopify ignores a filter field it does not know and then returns every
order, and a customer must never see somebody else's orders because of that.

Anything other than a clean answer (HTTP error, throttling, GraphQL `errors`, a payload that is
not what the API sends, a timeout) raises SourceError; None and [] mean "no such order".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import aiohttp
import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from router.errors import transient
from router.events import FactSource, ShipmentStatus
from router.orders.base import Order, Scan, Shipment
from router.orders.errors import SourceError
from router.tracking.numbers import TrackingMatch, validate
from router.tracking.status import normalize

S = ShipmentStatus

# Fulfillment statuses map through the shared crosswalk (router/tracking/data/crosswalk.json,
# source "shopify"): GraphQL FulfillmentEventStatus and FulfillmentDisplayStatus share value
# names. FULFILLED and MARKED_AS_FULFILLED carry no carrier state: the events decide, else
# UNKNOWN.
# Order.displayFulfillmentStatus -> Order.fulfillment_status. Everything else (UNFULFILLED,
# OPEN, IN_PROGRESS, PENDING_FULFILLMENT, ON_HOLD, SCHEDULED, REQUEST_DECLINED, RESTOCKED,
# FULFILLMENT_NOT_REQUIRED) means nothing has left the warehouse.
FULFILLMENT_STATUS: Final[dict[str, str]] = {
    "FULFILLED": "fulfilled",
    "PARTIALLY_FULFILLED": "partial",
}

# Query cost stays under Shopify's 1,000-point ceiling for a single query: per order about
# 5 objects + 5 fulfillments x (1 + 5 tracking infos + 2 + 10 events) = 95 points, so at most
# 10 orders (2 + 10 x 95 = 952).
MAX_ORDERS_PER_QUERY: Final = 10
_NUMBER_CANDIDATES: Final = 5  # a name search may also match "#1001-A"; the exact one is kept

ORDERS_QUERY: Final = """
query WismoOrders($query: String!, $first: Int!) {
  orders(first: $first, query: $query, sortKey: CREATED_AT, reverse: true) {
    nodes {
      id
      name
      email
      phone
      createdAt
      closed
      cancelledAt
      displayFulfillmentStatus
      shippingAddress { name city zip countryCodeV2 }
      billingAddress { name }
      totalPriceSet { shopMoney { amount currencyCode } }
      fulfillments(first: 5) {
        status
        displayStatus
        createdAt
        inTransitAt
        estimatedDeliveryAt
        deliveredAt
        trackingInfo(first: 5) { company number url }
        events(first: 10, sortKey: HAPPENED_AT, reverse: true) {
          nodes { status happenedAt message city province country }
        }
      }
    }
  }
}
"""


class _Node(BaseModel):
    """The subset of the Admin GraphQL schema this module asks for; extra fields ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _Event(_Node):
    status: str
    happenedAt: AwareDatetime
    message: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None


class _Events(_Node):
    nodes: list[_Event]


class _TrackingInfo(_Node):
    company: str | None = None
    number: str | None = None
    url: str | None = None


class _Fulfillment(_Node):
    status: str
    displayStatus: str | None = None
    createdAt: AwareDatetime
    inTransitAt: AwareDatetime | None = None
    estimatedDeliveryAt: AwareDatetime | None = None
    deliveredAt: AwareDatetime | None = None
    trackingInfo: list[_TrackingInfo]
    events: _Events


class _Address(_Node):
    name: str | None = None
    city: str | None = None
    zip: str | None = None
    countryCodeV2: str | None = None


class _Money(_Node):
    amount: Decimal
    currencyCode: str


class _MoneyBag(_Node):
    shopMoney: _Money


class _Order(_Node):
    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    createdAt: AwareDatetime
    closed: bool
    cancelledAt: AwareDatetime | None = None
    displayFulfillmentStatus: str
    shippingAddress: _Address | None = None
    billingAddress: _Address | None = None
    totalPriceSet: _MoneyBag
    fulfillments: list[_Fulfillment]


class _Orders(_Node):
    nodes: list[_Order]


class _Data(_Node):
    orders: _Orders


class _Envelope(BaseModel):
    """A GraphQL response before its `data` is read: errors are looked at first."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    data: Any = None
    errors: Any = None


D = TypeVar("D", bound=BaseModel)


class ShopifyAdmin:
    """One store's Admin GraphQL endpoint: the one place that posts to it, so the order source
    and the order actions fail alike (every failure a SourceError, retry only when it helps)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        shop_domain: str,
        access_token: str,
        api_version: str = "2025-07",
        base_url: str | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        self.session = session
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.base_url = (base_url or f"https://{shop_domain}").rstrip("/")
        self._access_token = access_token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}/graphql.json"

    async def request(self, document: str, variables: Mapping[str, Any], data: type[D]) -> D:
        """`data` read as the given model. HTTP errors, GraphQL `errors` (THROTTLED is worth a
        retry), a missing `data` and a payload the API never sends raise SourceError."""
        payload = {"query": document, "variables": dict(variables)}
        headers = {
            "X-Shopify-Access-Token": self._access_token,
            "Accept": "application/json",
        }
        try:
            async with self.session.post(
                self.endpoint,
                json=payload,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,  # never replay the token to wherever a redirect points
            ) as response:
                body = await response.read()
                status = response.status
        except TimeoutError as exc:
            raise SourceError(f"shopify: no answer within {self.timeout.total}s") from exc
        except aiohttp.ClientError as exc:
            raise SourceError(f"shopify: {type(exc).__name__}") from exc
        if status != 200:
            raise SourceError(f"shopify: HTTP {status}", retry=transient(status))
        try:
            envelope = _Envelope.model_validate_json(body)
        except ValidationError as exc:
            raise _unexpected(exc) from exc
        if envelope.errors:
            summary = _summarize(envelope.errors)
            raise SourceError(f"shopify: GraphQL errors: {summary}", retry="THROTTLED" in summary)
        if envelope.data is None:
            raise SourceError("shopify: response without data", retry=False)
        try:
            return data.model_validate(envelope.data)
        except ValidationError as exc:
            raise _unexpected(exc) from exc


def _unexpected(exc: ValidationError) -> SourceError:
    return SourceError(f"shopify: unexpected payload ({exc.error_count()} errors)", retry=False)


class ShopifyOrderSource:
    """An OrderSource backed by one Shopify store (Admin API access token, read_orders)."""

    name = "shopify"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        shop_domain: str,
        access_token: str,
        api_version: str = "2025-07",
        base_url: str | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        self.admin = ShopifyAdmin(
            session,
            shop_domain=shop_domain,
            access_token=access_token,
            api_version=api_version,
            base_url=base_url,
            timeout_s=timeout_s,
        )

    @property
    def endpoint(self) -> str:
        return self.admin.endpoint

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        wanted = number.strip().lstrip("#").strip()
        if not wanted:
            return None
        nodes = await self._orders(f"name:{search_value('#' + wanted)}", _NUMBER_CANDIDATES)
        for node in nodes:
            if node.name.strip().lstrip("#").casefold() == wanted.casefold():
                return _to_order(node, fetched_at=now)
        return None

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        first = min(limit, MAX_ORDERS_PER_QUERY)
        if first <= 0:
            return []
        found: dict[str, _Order] = {}
        email = (email or "").strip()
        if email:
            for node in await self._orders(f"email:{search_value(email)}", first):
                if (node.email or "").strip().casefold() == email.casefold():
                    found[node.id] = node
        phone = (phone or "").strip()
        if phone:
            # `phone` is not a documented filter of the orders query; if Shopify ignores it,
            # the check below still keeps only this customer's orders.
            for node in await self._orders(f"phone:{search_value(phone)}", first):
                region = node.shippingAddress.countryCodeV2 if node.shippingAddress else None
                if node.phone and same_phone(node.phone, phone, region):
                    found[node.id] = node
        newest = sorted(found.values(), key=lambda n: n.createdAt, reverse=True)[:limit]
        return [_to_order(node, fetched_at=now) for node in newest]

    async def _orders(self, search: str, first: int) -> list[_Order]:
        variables = {"query": search, "first": first}
        found = await self.admin.request(ORDERS_QUERY, variables, _Data)
        return found.orders.nodes


def search_value(value: str) -> str:
    """One quoted value of Shopify's search syntax, whatever the customer typed in it."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def same_phone(a: str, b: str, region: str | None) -> bool:
    """Same number once both are in E.164 (local numbers read in the order's country)."""
    key_a, key_b = _phone_key(a, region), _phone_key(b, region)
    return key_a is not None and key_a == key_b


def e164(raw: str | None, region: str | None) -> str | None:
    """The phone in E.164 when it parses (local numbers read in the order's country), else as
    the shop has it: identity checks compare E.164, and a foreign local number read as a US
    one would never match."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        parsed = phonenumbers.parse(raw, (region or "US").upper())
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_possible_number(parsed):
        return raw
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _phone_key(raw: str, region: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, (region or "US").upper())
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", raw)
        return digits or None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _summarize(errors: object) -> str:
    """Codes and messages only: short, and never the request (which holds customer data)."""
    if isinstance(errors, list):
        parts = []
        for error in errors[:3]:
            if isinstance(error, dict):
                extensions = error.get("extensions")
                code = extensions.get("code") if isinstance(extensions, dict) else None
                parts.append(str(code or error.get("message") or "error"))
        return ", ".join(parts)[:200] or "error"
    return str(errors)[:200]


def safe_url(url: str | None) -> str | None:
    """Only http(s) links reach a customer; anything else (javascript:, data:…) is dropped."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def same_carrier(stated: str, match: TrackingMatch) -> bool:
    """Does the shop's carrier name ("UPS", "dhl-us", "FedEx Ground") name this match's?"""
    said = stated.strip().casefold()
    names = {match.carrier.casefold(), match.courier_code.casefold(), match.courier_name.casefold()}
    return any(said == n or said.startswith((n + " ", n + "-")) for n in names)


def _carrier_and_url(company: str | None, number: str, url: str | None) -> tuple[str, str | None]:
    """The shop's words first; the number's own carrier (and its tracking page) otherwise."""
    company = (company or "").strip()
    match = next(iter(validate(number)), None)
    agrees = match is not None and (not company or same_carrier(company, match))
    carrier = company or (match.carrier if match else "")
    link = safe_url(url) or (match.tracking_url if match and agrees else None)
    return carrier, link


def _status(value: str | None) -> ShipmentStatus:
    return normalize("shopify", value).status


def _scan(event: _Event) -> Scan:
    place = ", ".join(p for p in (event.city, event.province, event.country) if p)
    return Scan(
        occurred_at=event.happenedAt,
        status=_status(event.status),
        description=event.message or event.status.replace("_", " ").capitalize(),
        location=place or None,
    )


def _fulfillment_status(fulfillment: _Fulfillment, scans: list[Scan]) -> ShipmentStatus:
    """Cancelled first; then Shopify's display status; then the newest event."""
    if fulfillment.status == "CANCELLED":
        return S.CANCELLED
    shown = _status(fulfillment.displayStatus)
    if shown is not S.UNKNOWN:
        return shown
    if scans and scans[-1].status is not S.UNKNOWN:
        return scans[-1].status
    if fulfillment.status == "FAILURE":
        return S.EXCEPTION
    return S.UNKNOWN


def _shipments(fulfillment: _Fulfillment) -> list[Shipment]:
    scans = sorted((_scan(e) for e in fulfillment.events.nodes), key=lambda s: s.occurred_at)
    status = _fulfillment_status(fulfillment, scans)
    meaning = normalize("shopify", fulfillment.displayStatus)
    delivered_at = fulfillment.deliveredAt
    if delivered_at is None and status is S.DELIVERED:
        delivered_at = next(
            (s.occurred_at for s in reversed(scans) if s.status is S.DELIVERED), None
        )
    eta = fulfillment.estimatedDeliveryAt
    shipments = []
    for info in fulfillment.trackingInfo:
        number = (info.number or "").strip()
        if not number:
            continue
        carrier, url = _carrier_and_url(info.company, number, info.url)
        shipments.append(
            Shipment(
                carrier=carrier,
                tracking_number=number,
                tracking_url=url,
                status=status,
                reason=meaning.reason,
                action_required=meaning.action_required,
                estimated_delivery=eta.date() if eta else None,
                shipped_at=fulfillment.inTransitAt or fulfillment.createdAt,
                delivered_at=delivered_at,
                scans=scans,
            )
        )
    return shipments


def _to_order(node: _Order, *, fetched_at: datetime) -> Order:
    ship = node.shippingAddress or _Address()
    billing = node.billingAddress or _Address()
    if node.cancelledAt is not None:
        status = "cancelled"
    elif node.closed:
        status = "closed"
    else:
        status = "open"
    return Order(
        number=node.name.strip().lstrip("#"),
        customer_name=ship.name or billing.name or "",
        email=node.email or "",
        phone=e164(node.phone, ship.countryCodeV2),
        placed_at=node.createdAt,
        status=status,
        fulfillment_status=FULFILLMENT_STATUS.get(node.displayFulfillmentStatus, "unfulfilled"),
        total=float(node.totalPriceSet.shopMoney.amount),
        currency=node.totalPriceSet.shopMoney.currencyCode,
        ship_city=ship.city or "",
        ship_postcode=ship.zip or "",
        ship_country=ship.countryCodeV2 or "",
        shipments=[s for f in node.fulfillments for s in _shipments(f)],
        source=FactSource(system="shopify", record_id=node.id, fetched_at=fetched_at),
    )
