"""A local fake of Shopify's Admin GraphQL API for the order actions (refunds, reships).

POST /admin/api/{version}/graphql.json with X-Shopify-Access-Token; {query, variables} in,
{data, extensions} (or `errors`) out, in the shapes of the Admin GraphQL reference: orders
(lineItems, shippingAddress, refunds), Order.suggestedRefund, refundCreate, draftOrders,
draftOrderCreate, draftOrderComplete, each mutation answering {<payload>, userErrors}.

It answers by the operation's name (the client's documents are constants) and keeps state: a
refund is added to its order, a draft order is kept and, once completed, points to a new order.
Every request is recorded, so tests can say exactly which mutations were sent. Failures can be
queued per operation (answered instead of the real thing, once each), and `lose_answer` applies
a mutation but answers 503, as when the response is lost on the way back.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.helpers import local_server

TOKEN = "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"
VERSION = "2025-07"

Json = dict[str, Any]
Canned = Callable[[], web.Response]

_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")
_TERM = re.compile(r'(?P<field>[a-z_]+):"(?P<value>(?:[^"\\]|\\.)*)"')
COST = {
    "cost": {
        "requestedQueryCost": 126,
        "actualQueryCost": 14,
        "throttleStatus": {
            "maximumAvailable": 2000.0,
            "currentlyAvailable": 1986,
            "restoreRate": 100.0,
        },
    }
}


def money(amount: Decimal | str, currency: str = "USD") -> Json:
    """A MoneyBag: shop and presentment money (one currency here)."""
    value = {"amount": str(Decimal(amount)), "currencyCode": currency}
    return {"shopMoney": dict(value), "presentmentMoney": dict(value)}


def line_item(
    legacy_id: int,
    title: str,
    *,
    quantity: int = 1,
    price: str = "25.00",
    variant: int | None = None,
    requires_shipping: bool = True,
    currency: str = "USD",
) -> Json:
    return {
        "id": f"gid://shopify/LineItem/{legacy_id}",
        "title": title,
        "quantity": quantity,
        "currentQuantity": quantity,
        "requiresShipping": requires_shipping,
        "variant": {"id": f"gid://shopify/ProductVariant/{variant}"} if variant else None,
        "originalUnitPriceSet": money(price, currency),
    }


def address(**changes: str | None) -> Json:
    value: Json = {
        "firstName": "Alice",
        "lastName": "Johnson",
        "company": None,
        "address1": "500 Howard St",
        "address2": "Apt 4",
        "city": "San Francisco",
        "province": "California",
        "provinceCode": "CA",
        "zip": "94105",
        "country": "United States",
        "countryCodeV2": "US",
        "phone": "+14155550134",
    }
    value.update(changes)
    return value


@dataclass
class FakeOrder:
    legacy_id: int
    name: str
    lines: list[Json]
    shipping: Decimal = Decimal("4.90")
    email: str | None = "alice@example.com"
    cancelled_at: str | None = None
    shipping_address: Json | None = field(default_factory=address)
    currency: str = "USD"
    gateway: str = "shopify_payments"
    refunds: list[Json] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"gid://shopify/Order/{self.legacy_id}"

    @property
    def sale_id(self) -> str:
        return f"gid://shopify/OrderTransaction/{self.legacy_id}01"

    @property
    def total(self) -> Decimal:
        items = sum(
            (Decimal(i["originalUnitPriceSet"]["shopMoney"]["amount"]) * i["quantity"])
            for i in self.lines
        )
        return Decimal(items) + self.shipping

    @property
    def refunded(self) -> Decimal:
        return sum(
            (Decimal(r["totalRefundedSet"]["shopMoney"]["amount"]) for r in self.refunds),
            Decimal(0),
        )

    def node(self) -> Json:
        """The order as the orders query returns it."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "cancelledAt": self.cancelled_at,
            "shippingAddress": self.shipping_address,
            "lineItems": {"nodes": self.lines, "pageInfo": {"hasNextPage": False}},
            "refunds": self.refunds,
        }

    def suggested_refund(self) -> Json:
        """Order.suggestedRefund(suggestFullRefund: true, refundShipping: true): what is left."""
        left = self.total - self.refunded
        shipping = self.shipping if self.refunded == 0 else Decimal(0)
        transactions = (
            [
                {
                    "parentTransaction": {"id": self.sale_id},
                    "amountSet": money(left, self.currency),
                    "maximumRefundableSet": money(left, self.currency),
                    "gateway": self.gateway,
                    "formattedGateway": "Shopify Payments",
                    "kind": "SUGGESTED_REFUND",
                }
            ]
            if left > 0
            else []
        )
        return {
            "amountSet": money(left, self.currency),
            "maximumRefundableSet": money(left, self.currency),
            "shipping": {
                "amountSet": money(shipping, self.currency),
                "maximumRefundableSet": money(shipping, self.currency),
                "taxSet": money("0.00", self.currency),
            },
            "refundLineItems": [
                {
                    "lineItem": {"id": i["id"]},
                    "quantity": i["currentQuantity"],
                    "restockType": "RETURN",
                }
                for i in self.lines
                if i["currentQuantity"] > 0 and left > 0
            ],
            "suggestedTransactions": transactions,
        }


@dataclass
class Call:
    kind: str  # query | mutation
    operation: str
    version: str
    document: str
    variables: Json
    headers: dict[str, str]


@dataclass
class FakeShopifyAdmin:
    orders: list[FakeOrder]
    base_url: str = ""
    calls: list[Call] = field(default_factory=list)
    drafts: list[Json] = field(default_factory=list)
    draft_inputs: list[Json] = field(default_factory=list)
    failures: dict[str, list[Canned]] = field(default_factory=dict)
    user_errors: dict[str, list[Json]] = field(default_factory=dict)
    lose_answer: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds before each answer
    _ids: int = 0

    # --- what tests look at

    @property
    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]

    @property
    def mutations(self) -> list[Call]:
        return [c for c in self.calls if c.kind == "mutation"]

    def order(self, name: str) -> FakeOrder:
        return next(o for o in self.orders if o.name == name)

    def fail(self, operation: str, *answers: Canned) -> None:
        """Answer the next calls of `operation` with these, one each."""
        self.failures.setdefault(operation, []).extend(answers)

    # --- the API

    async def graphql(self, request: web.Request) -> web.Response:
        body = await request.json()
        document = str(body.get("query", ""))
        matched = _OPERATION.match(document)
        kind, operation = matched.groups() if matched else ("query", "")
        call = Call(
            kind=kind,
            operation=operation,
            version=request.match_info["version"],
            document=document,
            variables=dict(body.get("variables") or {}),
            headers=dict(request.headers),
        )
        self.calls.append(call)
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
        queued = self.failures.get(operation)
        if queued:
            return queued.pop(0)()
        handler = {
            "WismoActionOrder": self._orders,
            "WismoSuggestedRefund": self._suggested_refund,
            "WismoRefund": self._refund_create,
            "WismoReshipDrafts": self._draft_orders,
            "WismoReshipDraft": self._draft_create,
            "WismoReshipComplete": self._draft_complete,
        }.get(operation)
        if handler is None:
            return web.json_response(
                {
                    "errors": [
                        {
                            "message": f"Field '{operation}' doesn't exist on type 'QueryRoot'",
                            "extensions": {"code": "undefinedField"},
                        }
                    ]
                }
            )
        data = handler(call.variables)
        if operation in self.lose_answer:
            return web.Response(status=503, text="<html>Service Unavailable</html>")
        return web.json_response({"data": data, "extensions": COST})

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _orders(self, variables: Json) -> Json:
        term = _TERM.fullmatch(str(variables["query"]).strip())
        if term is None or term["field"] != "name":
            hits = list(self.orders)  # a broad search
        else:
            value = re.sub(r"\\(.)", r"\1", term["value"]).casefold()
            hits = [o for o in self.orders if o.name.casefold().startswith(value)]
        return {"orders": {"nodes": [o.node() for o in hits[: int(variables["first"])]]}}

    def _suggested_refund(self, variables: Json) -> Json:
        order = next((o for o in self.orders if o.id == variables["id"]), None)
        if order is None:
            return {"order": None}
        return {"order": {"id": order.id, "suggestedRefund": order.suggested_refund()}}

    def _refund_create(self, variables: Json) -> Json:
        errors = self.user_errors.get("WismoRefund")
        if errors:
            return {"refundCreate": {"refund": None, "userErrors": errors}}
        refund_input = variables["input"]
        order = next(o for o in self.orders if o.id == refund_input["orderId"])
        amount = sum((Decimal(t["amount"]) for t in refund_input["transactions"]), Decimal(0))
        refund = {
            "id": f"gid://shopify/Refund/{9000 + self._next_id()}",
            "note": refund_input.get("note"),
            "createdAt": "2026-03-04T12:00:05Z",
            "totalRefundedSet": money(amount, order.currency),
        }
        order.refunds.append(refund)
        for line in refund_input.get("refundLineItems", []):
            item = next(i for i in order.lines if i["id"] == line["lineItemId"])
            item["currentQuantity"] -= line["quantity"]
        return {"refundCreate": {"refund": refund, "userErrors": []}}

    def _draft_orders(self, variables: Json) -> Json:
        term = _TERM.fullmatch(str(variables["query"]).strip())
        if term is None or term["field"] != "tag":
            hits = list(self.drafts)
        else:
            tag = re.sub(r"\\(.)", r"\1", term["value"]).casefold()
            hits = [d for d in self.drafts if tag in (t.casefold() for t in d["tags"])]
        return {"draftOrders": {"nodes": hits[: int(variables["first"])]}}

    def _draft_create(self, variables: Json) -> Json:
        errors = self.user_errors.get("WismoReshipDraft")
        if errors:
            return {"draftOrderCreate": {"draftOrder": None, "userErrors": errors}}
        self.draft_inputs.append(variables["input"])
        number = self._next_id()
        draft = {
            "id": f"gid://shopify/DraftOrder/{700 + number}",
            "name": f"#D{number}",
            "status": "OPEN",
            "tags": sorted(variables["input"].get("tags", [])),
            "order": None,
        }
        self.drafts.append(draft)
        return {"draftOrderCreate": {"draftOrder": draft, "userErrors": []}}

    def _draft_complete(self, variables: Json) -> Json:
        errors = self.user_errors.get("WismoReshipComplete")
        if errors:
            return {"draftOrderComplete": {"draftOrder": None, "userErrors": errors}}
        draft = next((d for d in self.drafts if d["id"] == variables["id"]), None)
        if draft is None:
            return {
                "draftOrderComplete": {
                    "draftOrder": None,
                    "userErrors": [{"field": ["id"], "message": "Draft order does not exist"}],
                }
            }
        if draft["order"] is None:
            number = self._next_id()
            draft["status"] = "COMPLETED"
            draft["order"] = {
                "id": f"gid://shopify/Order/{8000 + number}",
                "name": f"#{1100 + number}",
            }
        return {"draftOrderComplete": {"draftOrder": draft, "userErrors": []}}


@contextlib.asynccontextmanager
async def running(shop: FakeShopifyAdmin) -> AsyncIterator[FakeShopifyAdmin]:
    """The fake on 127.0.0.1 (its base_url set), for every API version, for the block."""
    async with local_server(web.post("/admin/api/{version}/graphql.json", shop.graphql)) as server:
        shop.base_url = str(server.make_url("/")).rstrip("/")
        yield shop


# --- canned failures, as Shopify sends them


def throttled() -> web.Response:
    return web.json_response(
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
            "extensions": {"cost": {"requestedQueryCost": 126, "actualQueryCost": None}},
        }
    )


def http(status: int) -> Canned:
    def answer() -> web.Response:
        if status == 429:
            return web.json_response(
                {"errors": "Exceeded 2 calls per second for api client."},
                status=429,
                headers={"Retry-After": "2.0"},
            )
        return web.Response(status=status, text=f"<html>{status}</html>")

    return answer


def access_denied() -> web.Response:
    return web.json_response(
        {
            "errors": [
                {
                    "message": "Access denied for refundCreate field. Required access: "
                    "`write_orders` access scope.",
                    "locations": [{"line": 3, "column": 3}],
                    "path": ["refundCreate"],
                    "extensions": {"code": "ACCESS_DENIED"},
                }
            ]
        }
    )
