"""Orders from a WooCommerce store, read through the REST API (wc/v3).

WooCommerce's `search` is a loose substring match over many fields (ids, names, addresses,
e-mail, phone), so every result is checked here: the exact order number, the same billing
e-mail, the same phone. Tracking numbers come from the Shipment Tracking extension's order meta
`_wc_shipment_tracking_items` (the Advanced Shipment Tracking plugin writes the same key). The
shop only knows that a parcel left, so those shipments stay UNKNOWN unless the order itself
says delivered; the carrier's tracking fills in the rest later.

Anything other than a clean answer raises SourceError; None and [] mean "no such order".
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from router.errors import transient
from router.events import FactSource, ShipmentStatus
from router.orders.base import Order, Shipment
from router.orders.errors import SourceError

# The carrier-name, phone and link checks are the same for every shop.
from router.orders.shopify import e164, safe_url, same_carrier, same_phone
from router.tracking.numbers import validate

S = ShipmentStatus

TRACKING_META_KEY: Final = "_wc_shipment_tracking_items"

# WooCommerce order status -> (Order.status, Order.fulfillment_status).
# Core statuses: only `completed` means the goods left ("order fulfilled and complete").
# `processing`/`on-hold` with tracking numbers attached become "partial" below: something has
# shipped, and the shop has not said everything has. `shipped`, `partial-shipped` and
# `delivered` are not core: shipment-tracking plugins (e.g. Advanced Shipment Tracking) add
# them, and when a shop uses them they say exactly that.
WOO_STATUS: Final[dict[str, tuple[str, str]]] = {
    "pending": ("open", "unfulfilled"),  # awaiting payment
    "processing": ("open", "unfulfilled"),  # paid, being prepared
    "on-hold": ("open", "unfulfilled"),  # awaiting payment confirmation
    "completed": ("closed", "fulfilled"),
    "cancelled": ("cancelled", "unfulfilled"),
    "refunded": ("cancelled", "unfulfilled"),
    "failed": ("cancelled", "unfulfilled"),  # payment failed: nothing will ship
    "trash": ("cancelled", "unfulfilled"),
    "partial-shipped": ("open", "partial"),
    "shipped": ("open", "fulfilled"),
    "delivered": ("closed", "fulfilled"),
}
_UNKNOWN_STATUS: Final = ("open", "unfulfilled")  # a shop's custom status: still an order
_NOT_AN_ORDER: Final = frozenset({"checkout-draft", "auto-draft"})  # carts, not orders
_MAX_PER_PAGE: Final = 100  # the REST API's ceiling
_NUMBER_PAGE: Final = 20  # "1001" also matches #10010, postcodes, phones: look a little further


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Address(_Record):
    first_name: str | None = None
    last_name: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p.strip() for p in (self.first_name, self.last_name) if p and p.strip())


class _Meta(_Record):
    key: str
    value: Any = None


class _WooOrder(_Record):
    id: int
    number: str | int | None = None
    status: str
    date_created_gmt: datetime
    billing: _Address
    shipping: _Address
    total: float
    currency: str
    meta_data: list[_Meta] = Field(default_factory=list)

    @property
    def placed_at(self) -> datetime:
        """`date_created_gmt` is GMT written without an offset."""
        created = self.date_created_gmt
        if created.tzinfo is None:
            return created.replace(tzinfo=UTC)
        return created.astimezone(UTC)

    @property
    def customer_number(self) -> str:
        """What the customer sees; the id stands in only when the shop gives no number."""
        return str(self.number or "").strip() or str(self.id)


_ORDERS: Final = TypeAdapter(list[_WooOrder])


class WooCommerceOrderSource:
    """An OrderSource backed by one WooCommerce store (REST API key with read access).

    HTTP Basic auth is what WooCommerce accepts over HTTPS; base_url must be https in
    production (over plain HTTP WooCommerce expects OAuth 1.0a signatures instead).
    """

    name = "woocommerce"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        timeout_s: float = 2.0,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        credentials = f"{consumer_key}:{consumer_secret}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/wp-json/wc/v3/orders"

    async def by_number(self, number: str, *, now: datetime) -> Order | None:
        wanted = number.strip().lstrip("#").strip()
        if not wanted:
            return None
        for record in await self._search(wanted, per_page=_NUMBER_PAGE):
            if record.status in _NOT_AN_ORDER:
                continue
            if record.customer_number.casefold() == wanted.casefold():
                return _to_order(record, fetched_at=now)
        return None

    async def by_contact(
        self, *, email: str | None, phone: str | None, now: datetime, limit: int = 5
    ) -> list[Order]:
        if limit <= 0:
            return []
        per_page = min(_MAX_PER_PAGE, max(20, limit))
        found: dict[int, _WooOrder] = {}
        email = (email or "").strip()
        if email:
            for record in await self._search(email, per_page=per_page):
                if (record.billing.email or "").strip().casefold() == email.casefold():
                    found[record.id] = record
        phone = (phone or "").strip()
        term = _phone_search_term(phone)
        if term is not None:
            for record in await self._search(term, per_page=per_page):
                stored = record.billing.phone or ""
                if stored and same_phone(stored, phone, record.billing.country):
                    found[record.id] = record
        orders = [r for r in found.values() if r.status not in _NOT_AN_ORDER]
        newest = sorted(orders, key=lambda r: r.placed_at, reverse=True)[:limit]
        return [_to_order(record, fetched_at=now) for record in newest]

    async def _search(self, term: str, *, per_page: int) -> list[_WooOrder]:
        params = {
            "search": term,
            "status": "any",
            "per_page": str(per_page),
            "orderby": "date",
            "order": "desc",
        }
        try:
            async with self.session.get(
                self.endpoint,
                params=params,
                headers={"Authorization": self._authorization, "Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,  # an http->https or moved-site redirect is a config error
            ) as response:
                body = await response.read()
                status = response.status
        except TimeoutError as exc:
            raise SourceError(f"woocommerce: no answer within {self._timeout.total}s") from exc
        except aiohttp.ClientError as exc:
            raise SourceError(f"woocommerce: {type(exc).__name__}") from exc
        if status != 200:
            raise SourceError(
                f"woocommerce: HTTP {status}{_error_code(body)}", retry=transient(status)
            )
        try:
            return _ORDERS.validate_json(body)
        except ValidationError as exc:
            raise SourceError(
                f"woocommerce: unexpected payload ({exc.error_count()} errors)", retry=False
            ) from exc


def _phone_search_term(phone: str) -> str | None:
    """The last four digits: they survive every way a shop stores a number.

    WooCommerce compares `search` as a substring, and billing phones are kept as the customer
    typed them: "(415) 555-0134", "415-555-0134", "+1 415 555 0134" share only "0134" with
    "+14155550134". The matches are checked digit for digit afterwards.
    """
    digits = re.sub(r"\D", "", phone)
    return digits[-4:] if len(digits) >= 7 else None


def _error_code(body: bytes) -> str:
    """WordPress's error `code` (e.g. woocommerce_rest_cannot_view), when the body has one."""
    match = re.search(rb'"code"\s*:\s*"([a-z0-9_]{1,80})"', body[:2000])
    return f" ({match.group(1).decode()})" if match else ""


def _tracking_items(record: _WooOrder) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for meta in record.meta_data:
        if meta.key != TRACKING_META_KEY:
            continue
        value = meta.value
        if isinstance(value, dict):  # a PHP array with gaps in its keys (an item was deleted)
            value = list(value.values())
        if isinstance(value, list):
            items.extend(v for v in value if isinstance(v, dict))
    return items


def _shipped_at(raw: object) -> datetime | None:
    """`date_shipped` is a Unix timestamp in the meta (a YYYY-MM-DD date is accepted too)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float) or (isinstance(raw, str) and raw.strip().isdigit()):
        seconds = int(raw)
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    if isinstance(raw, str):
        try:
            day = datetime.strptime(raw.strip(), "%Y-%m-%d")
        except ValueError:
            return None
        return day.replace(tzinfo=UTC)
    return None


def _link(template: str, number: str) -> str | None:
    """A custom link with Shipment Tracking's `%1$s` filled in; unfillable ones are dropped."""
    url = template.replace("%1$s", number)
    return None if "%" in re.sub(r"%[0-9A-Fa-f]{2}", "", url) else safe_url(url)


def _shipment(item: dict[str, Any], delivered: bool) -> Shipment | None:
    number = str(item.get("tracking_number") or "").strip()
    if not number:
        return None
    provider = str(item.get("custom_tracking_provider") or item.get("tracking_provider") or "")
    provider = provider.strip()
    match = next(iter(validate(number)), None)
    agrees = match is not None and (not provider or same_carrier(provider, match))
    if match is not None and agrees:
        carrier = match.carrier
    else:
        carrier = provider or (match.carrier if match else "")
    link = _link(str(item.get("custom_tracking_link") or ""), number)
    if link is None and match is not None and agrees:
        link = match.tracking_url
    return Shipment(
        carrier=carrier,
        tracking_number=number,
        tracking_url=link,
        status=S.DELIVERED if delivered else S.UNKNOWN,
        shipped_at=_shipped_at(item.get("date_shipped")),
    )


def _to_order(record: _WooOrder, *, fetched_at: datetime) -> Order:
    status, fulfillment = WOO_STATUS.get(record.status, _UNKNOWN_STATUS)
    delivered = record.status == "delivered"
    shipments = [
        s for item in _tracking_items(record) if (s := _shipment(item, delivered)) is not None
    ]
    if shipments and status == "open" and fulfillment == "unfulfilled":
        fulfillment = "partial"
    ship = record.shipping
    if not (ship.city or ship.postcode or ship.country):
        ship = record.billing  # no shipping address at all (e.g. virtual goods): billing's
    return Order(
        number=record.customer_number,
        customer_name=record.billing.name or record.shipping.name,
        email=(record.billing.email or "").strip(),
        phone=e164(record.billing.phone, record.billing.country),
        placed_at=record.placed_at,
        status=status,
        fulfillment_status=fulfillment,
        total=record.total,
        currency=record.currency,
        ship_city=ship.city or "",
        ship_postcode=ship.postcode or "",
        ship_country=ship.country or "",
        shipments=shipments,
        source=FactSource(
            system="woocommerce", record_id=f"orders/{record.id}", fetched_at=fetched_at
        ),
    )
