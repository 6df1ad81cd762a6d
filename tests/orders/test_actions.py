"""router/orders/actions.py: approved remedies carried out once, whatever happens around them.

SqlOrderActions runs on SQLite and on the real PostgreSQL server (the demo shop seeded in
both); ShopifyOrderActions against a local fake of the Admin GraphQL API
(tests/orders/fake_shopify.py) that keeps state and records every mutation.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import func, select

import router.orders.actions as actions_module
from router.orders.actions import (
    DRAFT_COMPLETE_MUTATION,
    DRAFT_CREATE_MUTATION,
    DRAFTS_QUERY,
    ORDER_QUERY,
    REFUND_MUTATION,
    REFUND_MUTATION_IDEMPOTENT,
    SUGGESTED_REFUND_QUERY,
    OrderActions,
    Remedy,
    RemedyDone,
    ShopifyOrderActions,
    SqlOrderActions,
    key_tag,
)
from router.orders.errors import SourceError
from router.settings import ShopifySettings, SourcesSettings
from router.sources import order_actions
from router.store.db import Database
from router.store.models import ShopAction
from tests.helpers import Clock, assert_retry_flag
from tests.orders.fake_shopify import (
    TOKEN,
    VERSION,
    Canned,
    FakeOrder,
    FakeShopifyAdmin,
    access_denied,
    address,
    http,
    line_item,
    running,
    throttled,
)

KEY = "esc-7f3a:refund"
RESHIP_KEY = "esc-7f3a:reship"


# =========================================================================== own tables (SQL)


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture
def sql(seeded: Database, clock: Clock) -> SqlOrderActions:
    return SqlOrderActions(seeded, clock)


async def rows(db: Database) -> list[ShopAction]:
    async with db.session() as session:
        return list((await session.execute(select(ShopAction).order_by(ShopAction.id))).scalars())


async def test_sql_is_order_actions(sql: SqlOrderActions) -> None:
    actions: OrderActions = sql
    assert actions.name == "sql"


async def test_sql_refund_is_one_row(sql: SqlOrderActions, seeded: Database, now: datetime) -> None:
    done = await sql.carry_out(
        Remedy.REFUND, "#1001", idempotency_key=KEY, approved_by="Ana Ops", note="Lost parcel"
    )
    [row] = await rows(seeded)
    assert done == RemedyDone(Remedy.REFUND, "1001", f"shop_actions:{row.id}")
    assert (row.order_number, row.kind, row.idempotency_key) == ("1001", "refund", KEY)
    assert (row.requested_by, row.note, row.created_at) == ("Ana Ops", "Lost parcel", now)


async def test_sql_reship_is_one_row(sql: SqlOrderActions, seeded: Database) -> None:
    done = await sql.carry_out(Remedy.RESHIP, "1002", idempotency_key=RESHIP_KEY, approved_by="u1")
    [row] = await rows(seeded)
    assert done == RemedyDone(Remedy.RESHIP, "1002", f"shop_actions:{row.id}")
    assert (row.kind, row.note) == ("reship", None)


async def test_sql_twice_with_one_key_is_one_row(sql: SqlOrderActions, seeded: Database) -> None:
    first = await sql.carry_out(Remedy.REFUND, "1001", idempotency_key=KEY, approved_by="Ana")
    again = await sql.carry_out(Remedy.REFUND, "1001", idempotency_key=KEY, approved_by="Bo")
    assert again == first
    [row] = await rows(seeded)
    assert row.requested_by == "Ana"  # the first approval is the one on record


async def test_sql_concurrent_calls_with_one_key_are_one_row(
    sql: SqlOrderActions, seeded: Database
) -> None:
    results = await asyncio.gather(
        *(
            sql.carry_out(Remedy.RESHIP, "1001", idempotency_key=RESHIP_KEY, approved_by=f"u{i}")
            for i in range(8)
        )
    )
    assert len(set(results)) == 1
    assert len(await rows(seeded)) == 1


async def test_sql_concurrent_processes_with_one_key_are_one_row(
    seeded: Database, clock: Clock
) -> None:
    """Two services on one database: separate engines, so separate connections and
    transactions racing for the unique key."""
    other = Database(seeded.engine.url.render_as_string(hide_password=False))
    try:
        mine, theirs = SqlOrderActions(seeded, clock), SqlOrderActions(other, clock)
        results = await asyncio.gather(
            *(
                actions.carry_out(Remedy.REFUND, "1003", idempotency_key=KEY, approved_by="x")
                for actions in (mine, theirs, mine, theirs)
            )
        )
    finally:
        await other.close()
    assert len(set(results)) == 1
    assert len(await rows(seeded)) == 1


async def test_sql_race_lost_after_the_check_reads_the_winner(
    sql: SqlOrderActions, seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other caller inserted between our look-up and our insert: the unique key turns our
    insert into nothing (no IntegrityError), and the winner's row is the answer."""
    first = await sql.carry_out(Remedy.REFUND, "1001", idempotency_key=KEY, approved_by="Ana")
    looked_up = actions_module._action
    calls = 0

    async def stale_first_look(session: Any, key: str) -> ShopAction | None:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await looked_up(session, key)

    monkeypatch.setattr(actions_module, "_action", stale_first_look)
    again = await sql.carry_out(Remedy.REFUND, "1001", idempotency_key=KEY, approved_by="Bo")
    assert again == first
    assert calls == 2
    assert len(await rows(seeded)) == 1


async def test_sql_unknown_order_is_permanent(sql: SqlOrderActions, seeded: Database) -> None:
    with pytest.raises(SourceError, match=r"no order #9999") as caught:
        await sql.carry_out(Remedy.REFUND, "9999", idempotency_key=KEY, approved_by="Ana")
    assert caught.value.retry is False
    assert_retry_flag(caught.value)
    assert await rows(seeded) == []


@pytest.mark.parametrize("remedy", list(Remedy))
async def test_sql_cancelled_order_gets_no_remedy(
    sql: SqlOrderActions, seeded: Database, remedy: Remedy
) -> None:
    with pytest.raises(SourceError, match="cancelled") as caught:
        await sql.carry_out(remedy, "1015", idempotency_key=KEY, approved_by="Ana")
    assert caught.value.retry is False
    assert await rows(seeded) == []


async def test_sql_second_refund_is_refused_second_reship_is_not(
    sql: SqlOrderActions, seeded: Database
) -> None:
    await sql.carry_out(Remedy.REFUND, "1001", idempotency_key="a:refund", approved_by="Ana")
    with pytest.raises(SourceError, match="nothing to refund") as caught:
        await sql.carry_out(Remedy.REFUND, "1001", idempotency_key="b:refund", approved_by="Bo")
    assert caught.value.retry is False
    one = await sql.carry_out(Remedy.RESHIP, "1002", idempotency_key="a:reship", approved_by="A")
    two = await sql.carry_out(Remedy.RESHIP, "1002", idempotency_key="b:reship", approved_by="B")
    assert one.reference != two.reference
    assert [r.kind for r in await rows(seeded)] == ["refund", "reship", "reship"]


async def test_sql_key_reused_for_another_remedy_is_refused(
    sql: SqlOrderActions, seeded: Database
) -> None:
    await sql.carry_out(Remedy.RESHIP, "1001", idempotency_key=KEY, approved_by="Ana")
    for remedy, number in ((Remedy.REFUND, "1001"), (Remedy.RESHIP, "1002")):
        with pytest.raises(SourceError, match="already used for a reship of #1001") as caught:
            await sql.carry_out(remedy, number, idempotency_key=KEY, approved_by="Ana")
        assert caught.value.retry is False
    assert len(await rows(seeded)) == 1


async def test_sql_needs_a_key(sql: SqlOrderActions) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        await sql.carry_out(Remedy.REFUND, "1001", idempotency_key="  ", approved_by="Ana")


async def test_sql_accepts_the_remedy_as_a_string(sql: SqlOrderActions) -> None:
    done = await sql.carry_out("refund", "1001", idempotency_key=KEY, approved_by="Ana")  # type: ignore[arg-type]
    assert done.remedy is Remedy.REFUND


# ================================================================================== Shopify


def shop_orders() -> list[FakeOrder]:
    return [
        FakeOrder(
            5001,
            "#1001",
            lines=[
                line_item(11, "Trail Runner - 42 / Blue", price="89.00", variant=4101),
                line_item(12, "Engraving (custom)", price="5.00"),
                line_item(13, "Gift card", price="25.00", variant=4103, requires_shipping=False),
            ],
        ),
        FakeOrder(
            5006,
            "#1001-A",
            email="ben.carter@example.com",
            lines=[line_item(61, "Socks", quantity=2, price="9.00", variant=4601)],
        ),
        FakeOrder(
            5003,
            "#1003",
            cancelled_at="2026-02-11T09:30:00Z",
            lines=[line_item(31, "Rain Jacket", price="120.00", variant=4301)],
        ),
        FakeOrder(
            5004,
            "#1004",
            shipping_address=None,
            lines=[line_item(41, "Cap", price="15.00", variant=4401)],
        ),
    ]


@pytest.fixture
async def fake() -> AsyncIterator[FakeShopifyAdmin]:
    async with running(FakeShopifyAdmin(orders=shop_orders())) as shop:
        yield shop


def make_actions(
    fake: FakeShopifyAdmin,
    session: aiohttp.ClientSession,
    *,
    version: str = VERSION,
    token: str = TOKEN,
    timeout_s: float = 2.0,
) -> ShopifyOrderActions:
    return ShopifyOrderActions(
        session,
        shop_domain="wismo-demo.myshopify.com",
        access_token=token,
        api_version=version,
        base_url=fake.base_url,
        timeout_s=timeout_s,
    )


@pytest.fixture
def shopify(fake: FakeShopifyAdmin, session: aiohttp.ClientSession) -> ShopifyOrderActions:
    return make_actions(fake, session)


def tag(key: str) -> str:
    return "wismo-key-" + hashlib.sha256(key.encode()).hexdigest()[:16]


async def refund(actions: ShopifyOrderActions, number: str = "1001") -> RemedyDone:
    return await actions.carry_out(
        Remedy.REFUND, number, idempotency_key=KEY, approved_by="Ana Ops", note="Lost in transit"
    )


async def reship(actions: ShopifyOrderActions, number: str = "1001") -> RemedyDone:
    return await actions.carry_out(
        Remedy.RESHIP, number, idempotency_key=RESHIP_KEY, approved_by="Ana Ops", note=None
    )


async def test_shopify_is_order_actions(session: aiohttp.ClientSession) -> None:
    actions: OrderActions = ShopifyOrderActions(
        session, shop_domain="wismo-demo.myshopify.com", access_token=TOKEN
    )
    assert actions.name == "shopify"
    assert isinstance(actions, ShopifyOrderActions)
    assert actions.endpoint == "https://wismo-demo.myshopify.com/admin/api/2025-07/graphql.json"


def test_the_key_tag_is_short_and_stable() -> None:
    assert key_tag(KEY) == tag(KEY)
    assert key_tag(f" {KEY} ") == key_tag(KEY)
    assert key_tag(KEY) != key_tag(RESHIP_KEY)
    assert len(key_tag(KEY)) <= 40  # Shopify's limit for a tag
    with pytest.raises(ValueError, match="idempotency key"):
        key_tag("")


# --- refund


async def test_refund_happy_path(shopify: ShopifyOrderActions, fake: FakeShopifyAdmin) -> None:
    done = await refund(shopify)
    assert done == RemedyDone(
        Remedy.REFUND, "1001", reference="gid://shopify/Refund/9001", detail="123.90 USD"
    )
    assert fake.operations == ["WismoActionOrder", "WismoSuggestedRefund", "WismoRefund"]
    lookup, suggestion, mutation = fake.calls
    assert lookup.document == ORDER_QUERY
    assert lookup.variables == {"query": 'name:"#1001"', "first": 5}
    assert suggestion.document == SUGGESTED_REFUND_QUERY
    assert suggestion.variables == {"id": "gid://shopify/Order/5001"}
    assert "suggestedRefund(suggestFullRefund: true, refundShipping: true)" in suggestion.document
    assert mutation.document == REFUND_MUTATION
    assert "@idempotent" not in mutation.document  # not before 2026-01
    assert mutation.variables == {
        "input": {
            "orderId": "gid://shopify/Order/5001",
            "notify": False,
            "note": f"wismo-router: refund approved by Ana Ops; Lost in transit; [{tag(KEY)}]",
            "currency": "USD",
            "refundLineItems": [
                {
                    "lineItemId": "gid://shopify/LineItem/11",
                    "quantity": 1,
                    "restockType": "NO_RESTOCK",
                },
                {
                    "lineItemId": "gid://shopify/LineItem/12",
                    "quantity": 1,
                    "restockType": "NO_RESTOCK",
                },
                {
                    "lineItemId": "gid://shopify/LineItem/13",
                    "quantity": 1,
                    "restockType": "NO_RESTOCK",
                },
            ],
            "transactions": [
                {
                    "orderId": "gid://shopify/Order/5001",
                    "parentId": "gid://shopify/OrderTransaction/500101",
                    "amount": "123.90",
                    "gateway": "shopify_payments",
                    "kind": "REFUND",
                }
            ],
            "shipping": {"fullRefund": True},
        }
    }
    assert fake.order("#1001").refunded == Decimal("123.90")


async def test_refund_request_conventions(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    await refund(shopify)
    for call in fake.calls:
        assert call.version == VERSION
        assert call.headers["X-Shopify-Access-Token"] == TOKEN
        assert call.headers["Content-Type"].startswith("application/json")


async def test_refund_twice_is_one_refund(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    first = await refund(shopify)
    fake.calls.clear()
    again = await refund(shopify)
    assert again == first
    assert fake.operations == ["WismoActionOrder"]  # found by the key in its note
    assert len(fake.order("#1001").refunds) == 1


async def test_refund_whose_answer_was_lost_is_not_repeated(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    fake.lose_answer.add("WismoRefund")
    with pytest.raises(SourceError, match="HTTP 503") as caught:
        await refund(shopify)
    assert caught.value.retry is True
    fake.lose_answer.clear()
    done = await refund(shopify)
    assert done.reference == "gid://shopify/Refund/9001"
    assert [m.operation for m in fake.mutations] == ["WismoRefund"]
    assert len(fake.order("#1001").refunds) == 1


async def test_refund_of_a_refunded_order_is_permanent(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    """Somebody refunded it in the Shopify admin already: nothing is left to refund."""
    order = fake.order("#1001")
    order.refunds.append(
        {
            "id": "gid://shopify/Refund/42",
            "note": "Refunded by hand",
            "totalRefundedSet": {
                "shopMoney": {"amount": "123.90", "currencyCode": "USD"},
                "presentmentMoney": {"amount": "123.90", "currencyCode": "USD"},
            },
        }
    )
    with pytest.raises(SourceError, match="nothing to refund on order #1001") as caught:
        await refund(shopify)
    assert caught.value.retry is False
    assert fake.mutations == []


async def test_refund_of_a_cancelled_order_is_left_to_the_suggestion(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    done = await refund(shopify, "1003")
    assert done.detail == "124.90 USD"
    [mutation] = fake.mutations
    assert mutation.variables["input"]["orderId"] == "gid://shopify/Order/5003"


async def test_refund_idempotent_directive_from_2026_01(
    fake: FakeShopifyAdmin, session: aiohttp.ClientSession
) -> None:
    actions = make_actions(fake, session, version="2026-04")
    await refund(actions)
    [mutation] = fake.mutations
    assert mutation.version == "2026-04"
    assert mutation.document == REFUND_MUTATION_IDEMPOTENT
    assert "@idempotent(key: $idempotencyKey)" in mutation.document
    assert mutation.variables["idempotencyKey"] == hashlib.sha256(KEY.encode()).hexdigest()


async def test_refund_can_notify_through_shopify(
    fake: FakeShopifyAdmin, session: aiohttp.ClientSession
) -> None:
    actions = ShopifyOrderActions(
        session,
        shop_domain="wismo-demo.myshopify.com",
        access_token=TOKEN,
        base_url=fake.base_url,
        notify_customer=True,
    )
    await refund(actions)
    [mutation] = fake.mutations
    assert mutation.variables["input"]["notify"] is True


# --- reship


async def test_reship_happy_path(shopify: ShopifyOrderActions, fake: FakeShopifyAdmin) -> None:
    done = await reship(shopify)
    assert done == RemedyDone(
        Remedy.RESHIP, "1001", reference="gid://shopify/Order/8002", detail="#1102"
    )
    assert fake.operations == [
        "WismoActionOrder",
        "WismoReshipDrafts",
        "WismoReshipDraft",
        "WismoReshipComplete",
    ]
    _, drafts, create, complete = fake.calls
    assert drafts.document == DRAFTS_QUERY
    assert drafts.variables == {"query": f'tag:"{tag(RESHIP_KEY)}"', "first": 5}
    assert create.document == DRAFT_CREATE_MUTATION
    assert create.variables == {
        "input": {
            "lineItems": [
                {"variantId": "gid://shopify/ProductVariant/4101", "quantity": 1},
                {
                    "title": "Engraving (custom)",
                    "quantity": 1,
                    "originalUnitPriceWithCurrency": {"amount": "5.00", "currencyCode": "USD"},
                    "requiresShipping": True,
                },
                # the gift card ships nothing: not sent again
            ],
            "shippingAddress": {
                "firstName": "Alice",
                "lastName": "Johnson",
                "company": None,
                "address1": "500 Howard St",
                "address2": "Apt 4",
                "city": "San Francisco",
                "provinceCode": "CA",
                "zip": "94105",
                "countryCode": "US",
                "phone": "+14155550134",
            },
            "appliedDiscount": {
                "valueType": "PERCENTAGE",
                "value": 100.0,
                "title": "Reship",
                "description": "Free replacement for order #1001",
            },
            "note": f"wismo-router: reship approved by Ana Ops; [{tag(RESHIP_KEY)}]",
            "tags": ["wismo-reship", tag(RESHIP_KEY)],
            "email": "alice@example.com",
        }
    }
    assert complete.document == DRAFT_COMPLETE_MUTATION
    assert complete.variables == {"id": "gid://shopify/DraftOrder/701"}
    assert "paymentPending" not in complete.document  # default false: marked paid, total 0
    [draft] = fake.drafts
    assert draft["status"] == "COMPLETED"


async def test_reship_twice_is_one_reship(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    first = await reship(shopify)
    fake.calls.clear()
    again = await reship(shopify)
    assert again == first
    assert fake.operations == ["WismoActionOrder", "WismoReshipDrafts"]
    assert len(fake.drafts) == 1


async def test_reship_interrupted_before_completion_completes_the_same_draft(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    fake.fail("WismoReshipComplete", http(502))
    with pytest.raises(SourceError, match="HTTP 502") as caught:
        await reship(shopify)
    assert caught.value.retry is True
    [draft] = fake.drafts
    assert draft["status"] == "OPEN"
    done = await reship(shopify)
    assert [m.operation for m in fake.mutations] == [
        "WismoReshipDraft",
        "WismoReshipComplete",
        "WismoReshipComplete",
    ]
    assert len(fake.drafts) == 1
    assert done.reference == draft["order"]["id"]


async def test_reship_ignores_drafts_without_the_key(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    """Should the tag filter be ignored (every draft comes back), only the key's draft counts."""
    fake.drafts.append(
        {
            "id": "gid://shopify/DraftOrder/1",
            "name": "#D0",
            "status": "COMPLETED",
            "tags": ["wholesale"],
            "order": {"id": "gid://shopify/Order/1", "name": "#900"},
        }
    )
    original = fake._draft_orders

    def ignore_the_filter(variables: dict[str, Any]) -> dict[str, Any]:
        return original({**variables, "query": "status:any"})

    fake._draft_orders = ignore_the_filter  # type: ignore[method-assign]
    done = await reship(shopify)
    assert done.reference != "gid://shopify/Order/1"
    assert [m.operation for m in fake.mutations] == ["WismoReshipDraft", "WismoReshipComplete"]


async def test_reship_of_a_cancelled_order_is_permanent(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    with pytest.raises(SourceError, match="order #1003 is cancelled") as caught:
        await reship(shopify, "1003")
    assert caught.value.retry is False
    assert fake.mutations == []


async def test_reship_without_an_address_is_permanent(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    with pytest.raises(SourceError, match="no shipping address") as caught:
        await reship(shopify, "1004")
    assert caught.value.retry is False
    assert fake.mutations == []


async def test_reship_of_nothing_left_is_permanent(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    for item in fake.order("#1001").lines:
        item["currentQuantity"] = 0  # every unit refunded or removed
    with pytest.raises(SourceError, match="nothing to reship on order #1001") as caught:
        await reship(shopify)
    assert caught.value.retry is False
    assert fake.mutations == []


async def test_reship_sends_only_what_is_left(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    fake.order("#1001-A").lines[0]["currentQuantity"] = 1  # one of the two pairs was removed
    fake.order("#1001-A").shipping_address = address(firstName="Ben", lastName="Carter")
    await reship(shopify, "#1001-A")
    [draft_input] = fake.draft_inputs
    assert draft_input["lineItems"] == [
        {"variantId": "gid://shopify/ProductVariant/4601", "quantity": 1}
    ]
    assert draft_input["email"] == "ben.carter@example.com"
    assert draft_input["shippingAddress"]["firstName"] == "Ben"


# --- which order


async def test_unknown_order_is_permanent(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    for remedy in Remedy:
        with pytest.raises(SourceError, match="no order #9999") as caught:
            await shopify.carry_out(remedy, "9999", idempotency_key=KEY, approved_by="Ana")
        assert caught.value.retry is False
        assert_retry_flag(caught.value)
    assert fake.mutations == []


async def test_only_the_exact_order_name_is_acted_on(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    """The name search also finds "#1001-A": the refund goes to #1001 only."""
    await refund(shopify, "1001")
    [mutation] = fake.mutations
    assert mutation.variables["input"]["orderId"] == "gid://shopify/Order/5001"
    fake.orders = [o for o in fake.orders if o.name != "#1001"]
    with pytest.raises(SourceError, match="no order #1001"):
        await reship(shopify, "1001")  # only #1001-A is left: not the same order


async def test_an_order_number_cannot_widen_the_search(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin
) -> None:
    with pytest.raises(SourceError, match="no order"):
        await shopify.carry_out(
            Remedy.REFUND, '1001" OR name:"#1003', idempotency_key=KEY, approved_by="Ana"
        )
    assert fake.calls[0].variables["query"] == 'name:"#1001\\" OR name:\\"#1003"'
    assert fake.mutations == []


# --- failures


USER_ERRORS: dict[str, list[dict[str, Any]]] = {
    "WismoRefund": [
        {
            "field": ["transactions", "0", "amount"],
            "message": "Amount cannot be greater than the refundable amount",
        }
    ],
    "WismoReshipDraft": [
        {"field": ["lineItems", "0", "variantId"], "message": "Variant not found"}
    ],
    "WismoReshipComplete": [{"field": None, "message": "Draft order cannot be completed"}],
}
MUTATION_NAME = {
    "WismoRefund": "refundCreate",
    "WismoReshipDraft": "draftOrderCreate",
    "WismoReshipComplete": "draftOrderComplete",
}


@pytest.mark.parametrize("operation", sorted(USER_ERRORS))
async def test_user_errors_are_permanent(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin, operation: str
) -> None:
    fake.user_errors[operation] = USER_ERRORS[operation]
    message = USER_ERRORS[operation][0]["message"]
    act = refund if operation == "WismoRefund" else reship
    with pytest.raises(SourceError, match=f"{MUTATION_NAME[operation]} refused: {message}") as c:
        await act(shopify)
    assert c.value.retry is False
    assert_retry_flag(c.value)


TRANSIENT: dict[str, Canned] = {
    "http 500": http(500),
    "http 503": http(503),
    "http 429": http(429),
    "throttled": throttled,
}
PERMANENT: dict[str, Canned] = {
    "http 400": http(400),
    "http 403": http(403),
    "http 404": http(404),
    "access denied": access_denied,
    "no data": lambda: web.json_response({"data": None}),
    "wrong shape": lambda: web.json_response({"data": {"refundCreate": {"refund": "yes"}}}),
}
REFUND_STEPS = ["WismoActionOrder", "WismoSuggestedRefund", "WismoRefund"]
RESHIP_STEPS = ["WismoActionOrder", "WismoReshipDrafts", "WismoReshipDraft", "WismoReshipComplete"]


@pytest.mark.parametrize("failure", sorted(TRANSIENT))
@pytest.mark.parametrize(
    ("remedy", "step"),
    [(Remedy.REFUND, s) for s in REFUND_STEPS] + [(Remedy.RESHIP, s) for s in RESHIP_STEPS],
)
async def test_transient_failures_are_retried_and_the_retry_acts_once(
    shopify: ShopifyOrderActions,
    fake: FakeShopifyAdmin,
    remedy: Remedy,
    step: str,
    failure: str,
) -> None:
    fake.fail(step, TRANSIENT[failure])
    act = refund if remedy is Remedy.REFUND else reship
    with pytest.raises(SourceError) as caught:
        await act(shopify)
    assert caught.value.retry is True
    assert_retry_flag(caught.value)
    done = await act(shopify)  # the retry the caller makes
    assert done.order_number == "1001"
    if remedy is Remedy.REFUND:
        assert len(fake.order("#1001").refunds) == 1
    else:
        assert len(fake.drafts) == 1


@pytest.mark.parametrize("failure", sorted(PERMANENT))
@pytest.mark.parametrize("step", ["WismoActionOrder", "WismoRefund"])
async def test_permanent_failures_are_not_retried(
    shopify: ShopifyOrderActions, fake: FakeShopifyAdmin, step: str, failure: str
) -> None:
    fake.fail(step, PERMANENT[failure])
    with pytest.raises(SourceError) as caught:
        await refund(shopify)
    assert caught.value.retry is False
    assert_retry_flag(caught.value)


async def test_rejected_token_is_permanent_and_not_echoed(
    fake: FakeShopifyAdmin, session: aiohttp.ClientSession
) -> None:
    actions = make_actions(fake, session, token="shpat_revoked")
    with pytest.raises(SourceError, match="HTTP 401") as caught:
        await refund(actions)
    assert caught.value.retry is False
    assert "shpat_revoked" not in str(caught.value)


async def test_timeout_is_retryable(fake: FakeShopifyAdmin, session: aiohttp.ClientSession) -> None:
    fake.delay = 0.5
    actions = make_actions(fake, session, timeout_s=0.05)
    with pytest.raises(SourceError, match="no answer") as caught:
        await refund(actions)
    assert caught.value.retry is True
    assert_retry_flag(caught.value)


# ============================================================================ the factory


def sources(**changes: Any) -> SourcesSettings:
    return SourcesSettings.model_validate(changes)


async def test_order_actions_prefers_the_shop_in_use(
    any_db: Database, session: aiohttp.ClientSession
) -> None:
    shopify = ShopifySettings(
        shop_domain="wismo-demo.myshopify.com",
        access_token=SecretStr(TOKEN),
        api_version="2026-01",
        base_url="http://127.0.0.1:9",
    )
    made = order_actions(sources(sql=True, shopify=shopify, budget_s=2.0), any_db, session)
    assert isinstance(made, ShopifyOrderActions)
    assert made.endpoint == "http://127.0.0.1:9/admin/api/2026-01/graphql.json"
    assert made.admin.timeout.total == 10.0  # a refund is not on the customer's clock
    assert isinstance(order_actions(sources(sql=True), any_db, session), SqlOrderActions)
    assert order_actions(sources(sql=False), any_db, session) is None


async def test_order_actions_sql_uses_the_clock(
    seeded: Database, session: aiohttp.ClientSession
) -> None:
    at = datetime(2026, 3, 5, 8, 30, tzinfo=UTC)
    made = order_actions(sources(sql=True), seeded, session, clock=lambda: at)
    assert made is not None
    await made.carry_out(Remedy.RESHIP, "1001", idempotency_key=KEY, approved_by="Ana")
    async with seeded.session() as db_session:
        created = (await db_session.execute(select(func.max(ShopAction.created_at)))).scalar_one()
    assert created == at
