"""Remedies a human approved (reship, refund), carried out in the order system.

Every call carries an idempotency key (the approval's id): an approval redelivered by the bus,
a double click or a retry after a timeout must never reship or refund twice. The second call
with a key returns what the first one did.

Errors follow the order sources' convention (router/orders/errors.py): SourceError, with
`retry` True only where asking again can help (timeouts, dropped connections, throttling, 5xx)
and False where it cannot (4xx, unknown order, nothing to refund, the shop refusing the
mutation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Protocol

import aiohttp
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.orders.errors import SourceError
from router.orders.shopify import ShopifyAdmin, search_value
from router.store.db import Database
from router.store.models import ShopAction, ShopOrder
from router.store.repo import insert_for


class Remedy(StrEnum):
    RESHIP = "reship"
    REFUND = "refund"


@dataclass(frozen=True)
class RemedyDone:
    remedy: Remedy
    order_number: str
    reference: str  # the order system's id for what it did
    detail: str | None = None  # for the people reading the audit trail: amount, new order name


class OrderActions(Protocol):
    """An order system that can carry out an approved remedy, at most once per key."""

    name: str

    async def carry_out(
        self,
        remedy: Remedy,
        order_number: str,
        *,
        idempotency_key: str,
        approved_by: str,
        note: str | None = None,
    ) -> RemedyDone:
        """Do it (or return what an earlier call with this key did)."""


def _number(order_number: str) -> str:
    return order_number.strip().lstrip("#").strip()


def _key(idempotency_key: str) -> str:
    key = idempotency_key.strip()
    if not key:
        raise ValueError("an idempotency key is required: without one a retry acts twice")
    return key


# --------------------------------------------------------------------------------- own tables


class SqlOrderActions:
    """The project's own shop (the demo store): a remedy is a row in shop_actions.

    A cancelled order gets neither remedy: nothing was shipped and nothing is owed, so an
    approval for one is a mistake a person should look at. A second refund of an order (under
    another key) is refused for the same reason; a second reship is allowed (the replacement
    can get lost too).
    """

    name = "sql"

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def carry_out(
        self,
        remedy: Remedy,
        order_number: str,
        *,
        idempotency_key: str,
        approved_by: str,
        note: str | None = None,
    ) -> RemedyDone:
        remedy = Remedy(remedy)
        key = _key(idempotency_key)
        number = _number(order_number)
        async with self.db.session() as session, session.begin():
            done = await _action(session, key)
            if done is not None:
                return _done(done, remedy, number)
            order = (
                await session.execute(select(ShopOrder).where(ShopOrder.number == number))
            ).scalar_one_or_none()
            if order is None:
                raise SourceError(f"sql: no order #{number}", retry=False)
            if order.status == "cancelled":
                raise SourceError(f"sql: order #{number} is cancelled: no {remedy}", retry=False)
            if remedy is Remedy.REFUND and await _refunded(session, number, other_than=key):
                raise SourceError(f"sql: nothing to refund: #{number} was refunded", retry=False)
            # ON CONFLICT DO NOTHING: a concurrent call with the same key (another process)
            # inserts first; PostgreSQL makes this statement wait for it to commit, SQLite
            # serialises writers, and either way the row read below is the one that won.
            await session.execute(
                insert_for(session)(ShopAction)
                .values(
                    order_number=number,
                    kind=remedy.value,
                    idempotency_key=key,
                    requested_by=approved_by,
                    note=note,
                    created_at=self.clock(),
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            row = await _action(session, key)
            assert row is not None  # inserted now, or by the call that won the race
            return _done(row, remedy, number)


async def _action(session: AsyncSession, key: str) -> ShopAction | None:
    query = select(ShopAction).where(ShopAction.idempotency_key == key)
    found: ShopAction | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def _refunded(session: AsyncSession, number: str, *, other_than: str) -> bool:
    """Refunded under another key. Ours may have been committed by a concurrent call since we
    looked: that is the same refund, and the insert below returns it."""
    query = select(ShopAction.id).where(
        ShopAction.order_number == number,
        ShopAction.kind == Remedy.REFUND.value,
        ShopAction.idempotency_key != other_than,
    )
    return (await session.execute(query.limit(1))).first() is not None


def _done(row: ShopAction, remedy: Remedy, number: str) -> RemedyDone:
    """The stored result, if the key was used for this very remedy: a key reused for another
    order or remedy is a caller's bug, and guessing which one was meant could cost money."""
    if (row.kind, row.order_number) != (remedy.value, number):
        raise SourceError(
            f"sql: idempotency key already used for a {row.kind} of #{row.order_number}",
            retry=False,
        )
    return RemedyDone(remedy=remedy, order_number=number, reference=f"shop_actions:{row.id}")


# ------------------------------------------------------------------------------------ Shopify

RESHIP_TAG: Final = "wismo-reship"
KEY_TAG_PREFIX: Final = "wismo-key-"
MAX_LINE_ITEMS: Final = 100  # one page; a bigger order is left to a person
FIRST_IDEMPOTENT_VERSION: Final = "2026-01"  # refundCreate takes @idempotent from here on

# Field and argument names checked against the Admin GraphQL reference (2025-01 … 2026-04):
# Order.lineItems / shippingAddress / refunds, LineItem.currentQuantity / requiresShipping /
# variant / originalUnitPriceSet, Order.suggestedRefund(suggestFullRefund, refundShipping),
# SuggestedRefund.refundLineItems / suggestedTransactions / shipping, SuggestedOrderTransaction
# (parentTransaction, amountSet, gateway, kind: SUGGESTED_REFUND). [unverified] Order.refunds
# as a plain list without `first` (public client code reads it so; the reference page was not
# seen). Like the order source, the orders search only reaches the last 60 days of orders
# unless the app has read_all_orders.
ORDER_QUERY: Final = """
query WismoActionOrder($query: String!, $first: Int!) {
  orders(first: $first, query: $query) {
    nodes {
      id
      name
      email
      cancelledAt
      shippingAddress {
        firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone
      }
      lineItems(first: 100) {
        nodes {
          id
          title
          currentQuantity
          requiresShipping
          variant { id }
          originalUnitPriceSet { presentmentMoney { amount currencyCode } }
        }
        pageInfo { hasNextPage }
      }
      refunds { id note totalRefundedSet { presentmentMoney { amount currencyCode } } }
    }
  }
}
"""

SUGGESTED_REFUND_QUERY: Final = """
query WismoSuggestedRefund($id: ID!) {
  order(id: $id) {
    id
    suggestedRefund(suggestFullRefund: true, refundShipping: true) {
      amountSet { presentmentMoney { amount currencyCode } }
      shipping { amountSet { presentmentMoney { amount currencyCode } } }
      refundLineItems { lineItem { id } quantity }
      suggestedTransactions {
        parentTransaction { id }
        amountSet { presentmentMoney { amount currencyCode } }
        gateway
        kind
      }
    }
  }
}
"""

_REFUND_SELECTION: Final = """{
    refund { id note totalRefundedSet { presentmentMoney { amount currencyCode } } }
    userErrors { field message }
  }"""

REFUND_MUTATION: Final = f"""
mutation WismoRefund($input: RefundInput!) {{
  refundCreate(input: $input) {_REFUND_SELECTION}
}}
"""

# From 2026-01 refundCreate takes Shopify's own idempotency key (mandatory from 2026-04).
# [unverified] that the directive's `key` accepts a variable (GraphQL allows it; Shopify's
# examples only show a literal).
REFUND_MUTATION_IDEMPOTENT: Final = f"""
mutation WismoRefund($input: RefundInput!, $idempotencyKey: String!) {{
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {_REFUND_SELECTION}
}}
"""

_DRAFT_FIELDS: Final = "id name status tags order { id name }"

# The draftOrders query documents a `tag` filter. [unverified] how soon a new draft is
# searchable: Shopify's search index lags writes, so a retry within seconds may not see it.
DRAFTS_QUERY: Final = f"""
query WismoReshipDrafts($query: String!, $first: Int!) {{
  draftOrders(first: $first, query: $query) {{
    nodes {{ {_DRAFT_FIELDS} }}
  }}
}}
"""

DRAFT_CREATE_MUTATION: Final = f"""
mutation WismoReshipDraft($input: DraftOrderInput!) {{
  draftOrderCreate(input: $input) {{
    draftOrder {{ {_DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

# No paymentPending argument: it defaults to false (the draft is marked paid; its total is 0)
# and is deprecated from 2025-10.
DRAFT_COMPLETE_MUTATION: Final = f"""
mutation WismoReshipComplete($id: ID!) {{
  draftOrderComplete(id: $id) {{
    draftOrder {{ {_DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""


class _Node(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Money(_Node):
    amount: Decimal
    currencyCode: str


class _MoneyBag(_Node):
    presentmentMoney: _Money


class _Id(_Node):
    id: str


class _Address(_Node):
    firstName: str | None = None
    lastName: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    provinceCode: str | None = None
    zip: str | None = None
    countryCodeV2: str | None = None
    phone: str | None = None


class _LineItem(_Node):
    id: str
    title: str
    currentQuantity: int
    requiresShipping: bool
    variant: _Id | None = None
    originalUnitPriceSet: _MoneyBag


class _PageInfo(_Node):
    hasNextPage: bool


class _LineItems(_Node):
    nodes: list[_LineItem]
    pageInfo: _PageInfo


class _Refund(_Node):
    id: str
    note: str | None = None
    totalRefundedSet: _MoneyBag


class _Order(_Node):
    id: str
    name: str
    email: str | None = None
    cancelledAt: str | None = None
    shippingAddress: _Address | None = None
    lineItems: _LineItems
    refunds: list[_Refund]


class _Orders(_Node):
    nodes: list[_Order]


class _OrdersData(_Node):
    orders: _Orders


class _ShippingRefund(_Node):
    amountSet: _MoneyBag


class _RefundLine(_Node):
    lineItem: _Id
    quantity: int


class _SuggestedTransaction(_Node):
    parentTransaction: _Id | None = None
    amountSet: _MoneyBag
    gateway: str | None = None
    kind: str


class _SuggestedRefund(_Node):
    amountSet: _MoneyBag
    shipping: _ShippingRefund
    refundLineItems: list[_RefundLine]
    suggestedTransactions: list[_SuggestedTransaction]


class _SuggestedOrder(_Node):
    id: str
    suggestedRefund: _SuggestedRefund


class _SuggestedData(_Node):
    order: _SuggestedOrder | None = None


class _UserError(_Node):
    field: list[str] | None = None
    message: str


class _RefundPayload(_Node):
    refund: _Refund | None = None
    userErrors: list[_UserError]


class _RefundData(_Node):
    refundCreate: _RefundPayload


class _OrderRef(_Node):
    id: str
    name: str


class _Draft(_Node):
    id: str
    name: str
    status: str
    tags: list[str]
    order: _OrderRef | None = None


class _Drafts(_Node):
    nodes: list[_Draft]


class _DraftsData(_Node):
    draftOrders: _Drafts


class _DraftPayload(_Node):
    draftOrder: _Draft | None = None
    userErrors: list[_UserError]


class _DraftCreateData(_Node):
    draftOrderCreate: _DraftPayload


class _DraftCompleteData(_Node):
    draftOrderComplete: _DraftPayload


def key_tag(idempotency_key: str) -> str:
    """The tag (and refund-note marker) that finds what an earlier call with this key did: a
    short hash, since Shopify tags are short and the key itself may say more than a tag should."""
    digest = hashlib.sha256(_key(idempotency_key).encode()).hexdigest()
    return KEY_TAG_PREFIX + digest[:16]


def shopify_note(remedy: Remedy, approved_by: str, note: str | None, tag: str) -> str:
    parts = [f"wismo-router: {remedy.value} approved by {approved_by}"]
    if note and note.strip():
        parts.append(note.strip())
    parts.append(f"[{tag}]")
    return "; ".join(parts)


class ShopifyOrderActions:
    """Remedies in a Shopify store through the Admin GraphQL API (write_orders and
    write_draft_orders). A refund is refundCreate with Shopify's own full-refund suggestion; a
    reship is a free draft order with the same items and address, completed at once.

    Idempotency: a refund carries the key's tag in its note, a reship's draft order carries it
    as a tag; both are looked for before acting. A refund of a cancelled order is allowed
    (Shopify's suggestion says whether anything is left to refund); a reship of one is not.
    """

    name = "shopify"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        shop_domain: str,
        access_token: str,
        api_version: str = "2025-07",
        base_url: str | None = None,
        timeout_s: float = 10.0,
        notify_customer: bool = False,
    ) -> None:
        """`notify_customer`: also send Shopify's refund e-mail; off by default, since the
        service tells the customer itself on the channel they wrote from."""
        self.admin = ShopifyAdmin(
            session,
            shop_domain=shop_domain,
            access_token=access_token,
            api_version=api_version,
            base_url=base_url,
            timeout_s=timeout_s,
        )
        self.notify_customer = notify_customer

    @property
    def endpoint(self) -> str:
        return self.admin.endpoint

    async def carry_out(
        self,
        remedy: Remedy,
        order_number: str,
        *,
        idempotency_key: str,
        approved_by: str,
        note: str | None = None,
    ) -> RemedyDone:
        remedy = Remedy(remedy)
        tag = key_tag(idempotency_key)
        number = _number(order_number)
        order = await self._order(number)
        text = shopify_note(remedy, approved_by, note, tag)
        if remedy is Remedy.REFUND:
            return await self._refund(order, number, text, tag, _key(idempotency_key))
        return await self._reship(order, number, text, tag)

    async def _order(self, number: str) -> _Order:
        if not number:
            raise SourceError("shopify: no order number", retry=False)
        variables = {"query": f"name:{search_value('#' + number)}", "first": 5}
        found = await self.admin.request(ORDER_QUERY, variables, _OrdersData)
        for node in found.orders.nodes:  # the search may also match "#1001-A": exact only
            if _number(node.name).casefold() == number.casefold():
                return node
        raise SourceError(f"shopify: no order #{number}", retry=False)

    # --- refund

    async def _refund(
        self, order: _Order, number: str, note: str, tag: str, key: str
    ) -> RemedyDone:
        for refund in order.refunds:
            if tag in (refund.note or ""):
                return _refund_done(refund, number)
        suggested = await self.admin.request(
            SUGGESTED_REFUND_QUERY, {"id": order.id}, _SuggestedData
        )
        if suggested.order is None:
            raise SourceError(f"shopify: no order #{number}", retry=False)
        suggestion = suggested.order.suggestedRefund
        transactions = [
            t for t in suggestion.suggestedTransactions if t.amountSet.presentmentMoney.amount > 0
        ]
        if not transactions:
            raise SourceError(f"shopify: nothing to refund on order #{number}", retry=False)
        fields = refund_input(order.id, suggestion, note, notify=self.notify_customer)
        variables: dict[str, Any] = {"input": fields}
        document = REFUND_MUTATION
        if self.admin.api_version >= FIRST_IDEMPOTENT_VERSION:  # "unstable" sorts after too
            document = REFUND_MUTATION_IDEMPOTENT
            variables["idempotencyKey"] = hashlib.sha256(key.encode()).hexdigest()
        created = await self.admin.request(document, variables, _RefundData)
        payload = created.refundCreate
        _refused("refundCreate", payload.userErrors)
        if payload.refund is None:
            raise SourceError("shopify: refundCreate returned no refund", retry=False)
        return _refund_done(payload.refund, number)

    # --- reship

    async def _reship(self, order: _Order, number: str, note: str, tag: str) -> RemedyDone:
        if order.cancelledAt is not None:
            raise SourceError(f"shopify: order #{number} is cancelled: no reship", retry=False)
        draft = await self._draft(tag)
        if draft is None:
            draft = await self._create_draft(order, number, note, tag)
        if draft.order is None:  # created now, or created by a call that failed before this
            completed = await self.admin.request(
                DRAFT_COMPLETE_MUTATION, {"id": draft.id}, _DraftCompleteData
            )
            _refused("draftOrderComplete", completed.draftOrderComplete.userErrors)
            draft = completed.draftOrderComplete.draftOrder or draft
        if draft.order is None:
            raise SourceError("shopify: draftOrderComplete returned no order", retry=False)
        return RemedyDone(
            remedy=Remedy.RESHIP,
            order_number=number,
            reference=draft.order.id,
            detail=draft.order.name,
        )

    async def _draft(self, tag: str) -> _Draft | None:
        variables = {"query": f"tag:{search_value(tag)}", "first": 5}
        found = await self.admin.request(DRAFTS_QUERY, variables, _DraftsData)
        # Checked again here: a search filter Shopify does not apply returns every draft.
        return next((d for d in found.draftOrders.nodes if tag in d.tags), None)

    async def _create_draft(self, order: _Order, number: str, note: str, tag: str) -> _Draft:
        created = await self.admin.request(
            DRAFT_CREATE_MUTATION,
            {"input": reship_input(order, number, note, tag)},
            _DraftCreateData,
        )
        payload = created.draftOrderCreate
        _refused("draftOrderCreate", payload.userErrors)
        if payload.draftOrder is None:
            raise SourceError("shopify: draftOrderCreate returned no draft order", retry=False)
        return payload.draftOrder


def refund_input(
    order_id: str, suggestion: _SuggestedRefund, note: str, *, notify: bool
) -> dict[str, Any]:
    """RefundInput from Shopify's own full-refund suggestion. Amounts are in the presentment
    currency, named in `currency` (required when it differs from the shop's). [unverified]
    that OrderTransactionInput.amount is read in that currency as well. Items are not restocked:
    the parcel is lost, so nothing comes back to the shelf."""
    currency = suggestion.amountSet.presentmentMoney.currencyCode
    refund: dict[str, Any] = {
        "orderId": order_id,
        "notify": notify,
        "note": note,
        "currency": currency,
        "refundLineItems": [
            {"lineItemId": line.lineItem.id, "quantity": line.quantity, "restockType": "NO_RESTOCK"}
            for line in suggestion.refundLineItems
            if line.quantity > 0
        ],
        "transactions": [
            {
                "orderId": order_id,
                "parentId": t.parentTransaction.id if t.parentTransaction else None,
                "amount": str(t.amountSet.presentmentMoney.amount),
                "gateway": t.gateway or "",
                "kind": "REFUND",  # SuggestedOrderTransactionKind.SUGGESTED_REFUND, carried out
            }
            for t in suggestion.suggestedTransactions
            if t.amountSet.presentmentMoney.amount > 0
        ],
    }
    if suggestion.shipping.amountSet.presentmentMoney.amount > 0:
        refund["shipping"] = {"fullRefund": True}
    return refund


def reship_input(order: _Order, number: str, note: str, tag: str) -> dict[str, Any]:
    """DraftOrderInput for a free replacement: the order's items still on it (catalog items by
    variant, custom ones by title and price), its e-mail and shipping address, a 100 % discount.
    Items that ship nothing (gift cards, digital goods, tips) are left out."""
    lines: list[dict[str, Any]] = []
    for item in order.lineItems.nodes:
        if item.currentQuantity <= 0 or not item.requiresShipping:
            continue
        if item.variant is not None:
            lines.append({"variantId": item.variant.id, "quantity": item.currentQuantity})
            continue
        price = item.originalUnitPriceSet.presentmentMoney
        lines.append(
            {
                "title": item.title,
                "quantity": item.currentQuantity,
                "originalUnitPriceWithCurrency": {
                    "amount": str(price.amount),
                    "currencyCode": price.currencyCode,
                },
                "requiresShipping": True,
            }
        )
    if order.lineItems.pageInfo.hasNextPage:
        raise SourceError(
            f"shopify: order #{number} has over {MAX_LINE_ITEMS} lines: reship by hand",
            retry=False,
        )
    if not lines:
        raise SourceError(f"shopify: nothing to reship on order #{number}", retry=False)
    address = order.shippingAddress
    if address is None or not address.address1:
        raise SourceError(f"shopify: order #{number} has no shipping address", retry=False)
    draft: dict[str, Any] = {
        "lineItems": lines,
        "shippingAddress": {
            "firstName": address.firstName,
            "lastName": address.lastName,
            "company": address.company,
            "address1": address.address1,
            "address2": address.address2,
            "city": address.city,
            "provinceCode": address.provinceCode,
            "zip": address.zip,
            "countryCode": address.countryCodeV2,
            "phone": address.phone,
        },
        "appliedDiscount": {
            "valueType": "PERCENTAGE",
            "value": 100.0,
            "title": "Reship",
            "description": f"Free replacement for order {order.name}",
        },
        "note": note,
        "tags": [RESHIP_TAG, tag],
    }
    if order.email:
        draft["email"] = order.email
    return draft


def _refund_done(refund: _Refund, number: str) -> RemedyDone:
    total = refund.totalRefundedSet.presentmentMoney
    return RemedyDone(
        remedy=Remedy.REFUND,
        order_number=number,
        reference=refund.id,
        detail=f"{total.amount} {total.currencyCode}",
    )


def _refused(mutation: str, errors: list[_UserError]) -> None:
    """userErrors: the shop understood and said no; asking again gets the same answer."""
    if errors:
        said = "; ".join(e.message for e in errors[:3])[:200]
        raise SourceError(f"shopify: {mutation} refused: {said}", retry=False)
