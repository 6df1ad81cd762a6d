"""The policy: every rule in router/resolve/decide.py, plus merge() and plan().

The clock is Wednesday 18 November 2026, 15:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from router.classify import ModelClassifier, Result
from router.events import (
    Action,
    Entities,
    FactSource,
    IdentityCheck,
    Party,
    ShipmentStatus,
    TrackingRef,
)
from router.orders.base import Order, Scan, Shipment
from router.reply.render import render
from router.resolve.decide import (
    ASK_FACTOR,
    ASK_ORDER,
    MAX_ORDER_LOOKUPS,
    Context,
    Lookups,
    Plan,
    Resolution,
    decide,
    merge,
    plan,
)
from router.resolve.reasoning import order_facts

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
THRESHOLD = 0.5
ANONYMOUS = Party(id="webchat-session-1")
ALICE_EMAIL = "alice@example.com"
ALICE_PHONE = "+14155550134"
UPS = "1ZXK3DEG0359083017"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def source(number: str) -> FactSource:
    return FactSource(system="sql", record_id=f"order:{number}", fetched_at=NOW)


def in_transit() -> Shipment:
    return Shipment(
        carrier="UPS",
        tracking_number=UPS,
        tracking_url=f"https://www.ups.com/track?tracknum={UPS}",
        status=ShipmentStatus.IN_TRANSIT,
        estimated_delivery=date(2026, 11, 20),
        shipped_at=at(16),
        scans=[
            Scan(
                occurred_at=at(17),
                status=ShipmentStatus.IN_TRANSIT,
                description="Arrived at facility",
                location="Oakland, CA",
            )
        ],
    )


def make_order(number: str = "1001", **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "number": number,
        "customer_name": "Alice Johnson",
        "email": ALICE_EMAIL,
        "phone": ALICE_PHONE,
        "placed_at": at(15),
        "status": "open",
        "fulfillment_status": "fulfilled",
        "promised_by": date(2026, 11, 20),
        "total": 89.90,
        "currency": "USD",
        "ship_city": "San Francisco",
        "ship_postcode": "94107",
        "ship_country": "US",
        "shipments": [in_transit()],
        "source": source(number),
    }
    fields.update(changes)
    return Order(**fields)


ALICE_1001 = make_order("1001")
BEN_1002 = make_order(
    "1002",
    customer_name="Ben Carter",
    email="ben.carter@example.com",
    phone="+12025550147",
    ship_postcode="20001",
)


def result(intent: str = "wismo.status", confidence: float = 0.85, **entities: Any) -> Result:
    return Result(
        intent=intent,
        wismo=intent.startswith("wismo."),
        confidence=confidence,
        language="en",
        entities=Entities(**entities),
    )


def run(
    r: Result,
    lookups: Lookups | None = None,
    sender: Party = ANONYMOUS,
) -> Resolution:
    return decide(r, sender, lookups or Lookups(), now=NOW, threshold=THRESHOLD)


# --- before any look-up ------------------------------------------------------------------------


def test_greeting() -> None:
    resolution = run(result("greeting_thanks", 0.8))
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "greeting")
    assert resolution.asked_for == []
    assert resolution.order is None
    assert resolution.identity == IdentityCheck(verified=False)


def test_greeting_is_answered_even_below_the_threshold() -> None:
    assert run(result("greeting_thanks", 0.1)).rule == "greeting"


def test_ask_clarify_below_the_threshold() -> None:
    resolution = run(result("wismo.status", 0.45, order_numbers=["1001"]))
    assert (resolution.action, resolution.rule) == (Action.ASK, "ask.clarify")
    assert resolution.asked_for == [ASK_ORDER, ASK_FACTOR]
    assert resolution.order is None


def test_threshold_is_inclusive() -> None:
    r = result("wismo.status", THRESHOLD, order_numbers=["1001"], emails=[ALICE_EMAIL])
    assert run(r, Lookups(by_number={"1001": ALICE_1001})).rule == "answer.status"


@pytest.mark.parametrize("intent", ["refund", "cancel", "damaged_or_wrong_item", "other"])
def test_escalate_non_wismo(intent: str) -> None:
    resolution = run(result(intent, 0.85, order_numbers=["1001"]))
    assert (resolution.action, resolution.rule) == (Action.ESCALATE, "escalate.non_wismo")
    assert resolution.reason == f"intent {intent}"
    assert resolution.wismo is False


def test_escalate_human_request() -> None:
    resolution = run(result("human_request", 0.9))
    assert (resolution.action, resolution.rule) == (Action.ESCALATE, "escalate.human_request")
    assert resolution.reason == "intent human_request"


# --- order number + second factor -------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "method"),
    [
        ({"emails": [ALICE_EMAIL]}, "order_number+email"),
        ({"phones": [ALICE_PHONE]}, "order_number+phone"),
        ({"postcodes": ["94107"]}, "order_number+postcode"),
    ],
)
def test_answer_by_number_and_second_factor(factor: dict[str, list[str]], method: str) -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"], **factor)
    resolution = run(r, Lookups(by_number={"1001": ALICE_1001}))
    assert resolution == Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        language="en",
        entities=r.entities,
        action=Action.ANSWER,
        rule="answer.status",
        identity=IdentityCheck(verified=True, method=method),
        order=order_facts(ALICE_1001),
        notes=[],
        facts=[source("1001")],
    )


def test_answer_by_number_from_the_channel_verified_sender() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"])
    sender = Party(id="sms:+14155550134", phone="(415) 555-0134")
    resolution = run(r, Lookups(by_number={"1001": ALICE_1001}), sender)
    assert resolution.rule == "answer.status"
    assert resolution.identity == IdentityCheck(verified=True, method="sender_phone")


def test_answer_carries_notes() -> None:
    late = make_order("1001", promised_by=date(2026, 11, 17))
    r = result("wismo.delayed", 0.85, order_numbers=["1001"], emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_number={"1001": late}))
    assert (resolution.rule, resolution.notes) == ("answer.status", ["late"])
    assert resolution.intent == "wismo.delayed"


def test_first_verified_of_several_numbers_is_answered() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1002", "1001"], emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_number={"1002": BEN_1002, "1001": ALICE_1001}))
    assert resolution.rule == "answer.status"
    assert resolution.order is not None
    assert resolution.order.number == "1001"


def test_only_the_first_three_numbers_are_looked_at() -> None:
    assert MAX_ORDER_LOOKUPS == 3
    r = result(
        "wismo.status", 0.85, order_numbers=["2001", "2002", "2003", "1001"], emails=[ALICE_EMAIL]
    )
    resolution = run(r, Lookups(by_number={"1001": ALICE_1001}))
    assert resolution.rule == "ask.not_found"


def test_answer_cancelled() -> None:
    cancelled = make_order("1001", status="cancelled")
    r = result("wismo.status", 0.85, order_numbers=["1001"], emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_number={"1001": cancelled}))
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.cancelled")
    assert resolution.notes == ["cancelled"]


def test_answer_not_shipped() -> None:
    waiting = make_order(
        "1001", shipments=[], fulfillment_status="unfulfilled", expected_ship_by=date(2026, 11, 16)
    )
    r = result("wismo.status", 0.85, order_numbers=["1001"], postcodes=["94107"])
    resolution = run(r, Lookups(by_number={"1001": waiting}))
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.not_shipped")
    assert resolution.notes == ["not_shipped", "ship_overdue"]
    assert resolution.order is not None
    assert resolution.order.shipments == []


# --- order number, no proof ---------------------------------------------------------------------


def test_ask_identity_when_only_the_number_is_given() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"])
    resolution = run(r, Lookups(by_number={"1001": ALICE_1001}))
    assert (resolution.action, resolution.rule) == (Action.ASK, "ask.identity")
    assert resolution.asked_for == [ASK_FACTOR]
    assert resolution.order is None
    assert resolution.facts == []
    assert resolution.identity == IdentityCheck(verified=False)


def test_ask_identity_does_not_reveal_whether_the_number_exists() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"])
    known = run(r, Lookups(by_number={"1001": ALICE_1001}))
    unknown = run(r, Lookups(by_number={"1001": None}))
    assert known == unknown
    assert render(known, NOW).text == render(unknown, NOW).text


def test_ask_not_found_for_an_unknown_order() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1002"], emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_number={"1002": None}))
    assert (resolution.action, resolution.rule) == (Action.ASK, "ask.not_found")
    assert resolution.asked_for == [ASK_ORDER, ASK_FACTOR]
    assert resolution.order is None


def test_ask_not_found_for_another_customers_order() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1002"], emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_number={"1002": BEN_1002}), Party(id="x", email=ALICE_EMAIL))
    assert (resolution.action, resolution.rule) == (Action.ASK, "ask.not_found")
    assert resolution.order is None
    assert resolution.facts == []
    assert resolution.notes == []


def test_unknown_and_someone_elses_order_get_byte_identical_replies() -> None:
    """Nothing in the decision or the reply says that order 1002 exists."""
    r = result("wismo.status", 0.85, order_numbers=["1002"], emails=[ALICE_EMAIL])
    unknown = run(r, Lookups(by_number={"1002": None}))
    someone_elses = run(r, Lookups(by_number={"1002": BEN_1002}))
    assert unknown == someone_elses
    unknown_text = render(unknown, NOW).text.encode()
    someone_elses_text = render(someone_elses, NOW).text.encode()
    assert unknown_text == someone_elses_text
    assert unknown_text == (
        b"I couldn't find an order matching #1002 with those details. Please check the order "
        b"number and send the e-mail address or phone number you used at checkout."
    )


# --- no order number: the sender's own orders --------------------------------------------------


def test_answer_from_the_channel_verified_sender_email() -> None:
    sender = Party(id="mail:alice", email="Alice@Example.com")
    resolution = run(result("wismo.status"), Lookups(by_contact=(ALICE_1001,)), sender)
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.status")
    assert resolution.identity == IdentityCheck(verified=True, method="sender_email")
    assert resolution.order == order_facts(ALICE_1001)
    assert resolution.facts == [source("1001")]


def test_answer_from_the_channel_verified_sender_phone() -> None:
    sender = Party(id="sms:+14155550134", phone=ALICE_PHONE)
    resolution = run(result("wismo.eta"), Lookups(by_contact=(ALICE_1001,)), sender)
    assert (resolution.rule, resolution.intent) == ("answer.status", "wismo.eta")
    assert resolution.identity == IdentityCheck(verified=True, method="sender_phone")


def test_typed_email_without_a_number_is_not_proof() -> None:
    r = result("wismo.status", 0.85, emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_contact=(ALICE_1001,)))
    assert (resolution.action, resolution.rule) == (Action.ASK, "ask.order_number")
    assert resolution.order is None
    assert resolution.other_orders == []


def test_answer_several_orders() -> None:
    second = make_order("1009", shipments=[], fulfillment_status="unfulfilled")
    sender = Party(id="mail:alice", email=ALICE_EMAIL)
    resolution = run(result("wismo.status"), Lookups(by_contact=(second, ALICE_1001)), sender)
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.several_orders")
    assert resolution.identity == IdentityCheck(verified=True, method="sender_email")
    assert resolution.other_orders == [order_facts(second), order_facts(ALICE_1001)]
    assert resolution.facts == [source("1009"), source("1001")]
    assert resolution.asked_for == [ASK_ORDER]
    assert resolution.order is None


def test_several_orders_only_lists_the_senders_own() -> None:
    sender = Party(id="mail:alice", email=ALICE_EMAIL)
    resolution = run(result("wismo.status"), Lookups(by_contact=(BEN_1002, ALICE_1001)), sender)
    assert resolution.rule == "answer.status"
    assert resolution.order == order_facts(ALICE_1001)


def test_ask_order_number() -> None:
    resolution = run(result("wismo.status"), Lookups())
    assert (resolution.action, resolution.rule) == (Action.ASK, "ask.order_number")
    assert resolution.asked_for == [ASK_ORDER, ASK_FACTOR]


# --- plan() ------------------------------------------------------------------------------------


def test_plan_nothing_for_non_wismo() -> None:
    sender = Party(id="x", email=ALICE_EMAIL)
    assert plan(result("refund", 0.85, order_numbers=["1001"]), sender) == Plan()


def test_plan_looks_up_at_most_three_numbers() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1", "2", "3", "4"], emails=[ALICE_EMAIL])
    assert plan(r, Party(id="x", email=ALICE_EMAIL)) == Plan(order_numbers=("1", "2", "3"))


def test_plan_looks_up_the_senders_orders_without_a_number() -> None:
    sender = Party(id="x", email=ALICE_EMAIL, phone=ALICE_PHONE)
    assert plan(result("wismo.status"), sender) == Plan(email=ALICE_EMAIL, phone=ALICE_PHONE)
    assert plan(result("wismo.status"), ANONYMOUS) == Plan()


def test_plan_ignores_typed_emails() -> None:
    """A typed e-mail is not proof, so it is not used to look up orders either."""
    assert plan(result("wismo.status", emails=[ALICE_EMAIL]), ANONYMOUS) == Plan()


# --- merge(): follow-ups -----------------------------------------------------------------------


def test_follow_up_email_continues_the_wismo_question() -> None:
    classifier = ModelClassifier.load()
    first = classifier.classify("Where is my order #1001?")
    asked = run(first, Lookups(by_number={"1001": ALICE_1001}))
    assert asked.rule == "ask.identity"
    context = Context(intent=asked.intent, asked_for=asked.asked_for, entities=asked.entities)

    raw = classifier.classify("alice@example.com", expect_order=ASK_ORDER in context.asked_for)
    assert (raw.intent, raw.wismo) == ("other", False)
    merged = merge(raw, context)

    assert merged == Result(
        intent="wismo.status",
        wismo=True,
        confidence=0.8,
        language="en",
        entities=Entities(order_numbers=["1001"], emails=[ALICE_EMAIL]),
    )
    assert plan(merged, ANONYMOUS) == Plan(order_numbers=("1001",))
    resolution = run(merged, Lookups(by_number={"1001": ALICE_1001}))
    assert resolution.rule == "answer.status"
    assert resolution.identity.method == "order_number+email"


def test_follow_up_thanks_keeps_the_question() -> None:
    context = Context(intent="wismo.delayed", asked_for=[ASK_FACTOR])
    merged = merge(result("greeting_thanks", 0.8), context)
    assert (merged.intent, merged.wismo, merged.confidence) == ("wismo.delayed", True, 0.8)


def test_follow_up_with_its_own_wismo_intent_keeps_it() -> None:
    context = Context(
        intent="wismo.status", asked_for=[ASK_FACTOR], entities=Entities(order_numbers=["1001"])
    )
    merged = merge(result("wismo.delayed", 0.85, phones=[ALICE_PHONE]), context)
    assert merged == result("wismo.delayed", 0.85, order_numbers=["1001"], phones=[ALICE_PHONE])


def test_follow_up_on_another_topic_is_not_a_continuation() -> None:
    context = Context(
        intent="wismo.status", asked_for=[ASK_FACTOR], entities=Entities(order_numbers=["1001"])
    )
    merged = merge(result("refund", 0.85), context)
    assert (merged.intent, merged.wismo, merged.confidence) == ("refund", False, 0.85)
    assert merged.entities.order_numbers == ["1001"]


def test_nothing_asked_means_nothing_continued() -> None:
    context = Context(intent="wismo.status", asked_for=[])
    merged = merge(result("other", 0.3, emails=[ALICE_EMAIL]), context)
    assert merged == result("other", 0.3, emails=[ALICE_EMAIL])


def test_merge_new_order_number_replaces_the_remembered_one() -> None:
    context = Context(
        intent="wismo.status",
        asked_for=[ASK_FACTOR],
        entities=Entities(
            order_numbers=["1001"],
            emails=["old@example.com"],
            phones=[ALICE_PHONE],
            postcodes=["94107"],
        ),
    )
    merged = merge(
        result("wismo.status", 0.85, order_numbers=["1002"], emails=[ALICE_EMAIL]), context
    )
    # A number named now replaces the one we were talking about; factors accumulate.
    assert merged.entities == Entities(
        order_numbers=["1002"],
        emails=[ALICE_EMAIL, "old@example.com"],
        phones=[ALICE_PHONE],
        postcodes=["94107"],
    )


def test_merge_keeps_the_remembered_tracking_number_unless_a_new_one_is_given() -> None:
    old = [TrackingRef(number=UPS, carrier="UPS")]
    new = [TrackingRef(number="388853933638", carrier="FedEx")]
    context = Context(
        intent="wismo.status", asked_for=[ASK_ORDER], entities=Entities(tracking_numbers=old)
    )
    assert merge(result("other", 0.3), context).entities.tracking_numbers == old
    assert merge(result("other", 0.3, tracking_numbers=new), context).entities.tracking_numbers == (
        new
    )


def test_follow_up_order_number_after_ask_order_number_is_answered() -> None:
    classifier = ModelClassifier.load()
    first = classifier.classify("where is my parcel?")
    asked = run(first, Lookups())
    assert asked.rule == "ask.order_number"
    context = Context(intent=asked.intent, asked_for=asked.asked_for, entities=asked.entities)

    raw = classifier.classify("#1001 alice@example.com", expect_order=True)
    resolution = run(merge(raw, context), Lookups(by_number={"1001": ALICE_1001}))
    assert resolution.rule == "answer.status"
