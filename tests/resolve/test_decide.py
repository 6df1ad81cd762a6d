"""The policy: every rule in router/resolve/decide.py, plus merge() and plan().

The clock is Wednesday 18 November 2026, 15:00 UTC. The default policy: offers up to 100.00,
a human from 500.00, stale after 5 and lost after 8 business days, 2 days' wait for
"delivered but not here".
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
from router.reply.formats import FORMATS
from router.reply.render import render
from router.resolve.decide import (
    ASK_FACTOR,
    ASK_ORDER,
    MAX_ORDER_LOOKUPS,
    Context,
    History,
    Lookups,
    Plan,
    Resolution,
    decide,
    merge,
    plan,
)
from router.resolve.reasoning import notes, order_facts, with_tracking
from router.settings import PolicySettings
from router.tracking.base import TrackingEvent, TrackingInfo

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


def scan(day: int, status: ShipmentStatus = ShipmentStatus.IN_TRANSIT) -> Scan:
    return Scan(occurred_at=at(day), status=status, description="Departed", location="Reno, NV")


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
    *,
    policy: PolicySettings | None = None,
    history: History | None = None,
    angry: bool = False,
) -> Resolution:
    return decide(
        r,
        sender,
        lookups or Lookups(),
        now=NOW,
        threshold=THRESHOLD,
        policy=policy,
        history=history,
        angry=angry,
    )


def asked(order: Order, intent: str = "wismo.status", **kwargs: Any) -> Resolution:
    """Alice asks about `order` by its number and her e-mail."""
    r = result(intent, 0.85, order_numbers=[order.number], emails=[ALICE_EMAIL])
    return run(r, Lookups(by_number={order.number: order}), **kwargs)


def shipment(status: ShipmentStatus, **changes: Any) -> Shipment:
    return in_transit().model_copy(update={"status": status, **changes})


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
    assert resolution.reason == "asked for a person"


def test_a_human_request_below_the_threshold_is_clarified() -> None:
    assert run(result("human_request", 0.4)).rule == "ask.clarify"


def test_a_greeting_with_an_order_in_it_is_not_just_a_greeting() -> None:
    assert run(result("greeting_thanks", 0.8, order_numbers=["1001"])).rule != "greeting"
    tracking = [TrackingRef(number=UPS, carrier="UPS")]
    assert run(result("greeting_thanks", 0.8, tracking_numbers=tracking)).rule != "greeting"


# --- limit.lookups -------------------------------------------------------------------------------


def test_limit_lookups_says_nothing_about_the_order() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"], emails=[ALICE_EMAIL])
    resolution = run(r, Lookups(by_number={"1001": ALICE_1001}), history=History(limited=True))
    assert resolution == Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        language="en",
        entities=r.entities,
        action=Action.ASK,
        rule="limit.lookups",
        reason="look-up limit reached",
    )


def test_limit_lookups_comes_before_everything_else_for_wismo() -> None:
    limited = History(limited=True)
    assert run(result("wismo.status", 0.3), history=limited).rule == "limit.lookups"
    assert run(result("wismo.status"), Lookups(failed=("sql",)), history=limited).rule == (
        "limit.lookups"
    )


def test_limit_lookups_does_not_apply_to_other_messages() -> None:
    limited = History(limited=True)
    assert run(result("greeting_thanks", 0.8), history=limited).rule == "greeting"
    assert run(result("refund", 0.9), history=limited).rule == "escalate.non_wismo"


# --- hold.source_unavailable ---------------------------------------------------------------------


def test_hold_when_a_source_failed_states_no_facts() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"], emails=[ALICE_EMAIL])
    lookups = Lookups(by_number={"1001": ALICE_1001}, failed=("shopify", "easypost"))
    resolution = run(r, lookups)
    assert resolution == Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        language="en",
        entities=r.entities,
        action=Action.ESCALATE,
        rule="hold.source_unavailable",
        reason="unavailable: shopify, easypost",
    )


def test_hold_comes_before_asking_for_identity_or_the_order() -> None:
    failed = Lookups(failed=("sql",))
    assert run(result("wismo.status", 0.85, order_numbers=["1001"]), failed).rule == (
        "hold.source_unavailable"
    )
    assert run(result("wismo.status"), failed).rule == "hold.source_unavailable"


def test_a_non_wismo_message_is_escalated_as_such_even_when_a_source_failed() -> None:
    resolution = run(result("refund", 0.9), Lookups(failed=("sql",)))
    assert resolution.rule == "escalate.non_wismo"


# --- order number + second factor -------------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "method"),
    [
        ({"emails": [ALICE_EMAIL]}, "order_number+email"),
        ({"phones": [ALICE_PHONE]}, "order_number+phone"),
        ({"postcodes": ["94107"]}, "order_number+postcode"),
        ({"phone_last4": ["0134"]}, "order_number+phone_last4"),
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


def test_cancelled_comes_before_lost() -> None:
    lost_then_cancelled = make_order(
        "1001", status="cancelled", shipments=[shipment(ShipmentStatus.FAILURE, reason="lost")]
    )
    resolution = asked(lost_then_cancelled)
    assert (resolution.rule, resolution.offers) == ("answer.cancelled", [])


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


# --- lost parcels ------------------------------------------------------------------------------

LOST_BY_CARRIER = make_order(
    "1001",
    shipments=[
        shipment(
            ShipmentStatus.FAILURE, reason="lost", status_detail="Package could not be located"
        )
    ],
)


def test_offer_lost_when_the_carrier_reports_a_failure() -> None:
    resolution = asked(LOST_BY_CARRIER)
    assert (resolution.action, resolution.rule) == (Action.OFFER, "offer.lost")
    assert resolution.offers == ["reship", "refund"]
    assert resolution.notes == [f"lost:{UPS}"]
    assert resolution.order == order_facts(LOST_BY_CARRIER)
    assert resolution.facts == [source("1001")]
    assert resolution.identity == IdentityCheck(verified=True, method="order_number+email")
    assert resolution.reason is None


def test_offer_lost_when_there_has_been_no_scan_for_eight_business_days() -> None:
    # Last scan Thu 5 Nov: 6, 9, 10, 12, 13, 16, 17, 18 (Veterans Day skipped) → 8.
    silent = make_order("1001", shipments=[shipment(ShipmentStatus.IN_TRANSIT, scans=[scan(5)])])
    resolution = asked(silent)
    assert (resolution.action, resolution.rule) == (Action.OFFER, "offer.lost")
    assert resolution.notes == [f"stale:{UPS}:8", f"lost:{UPS}"]


def test_seven_silent_business_days_are_only_stale() -> None:
    silent = make_order("1001", shipments=[shipment(ShipmentStatus.IN_TRANSIT, scans=[scan(6)])])
    resolution = asked(silent)
    assert resolution.rule == "answer.status"
    assert resolution.notes == [f"stale:{UPS}:7"]


def test_the_lost_threshold_is_the_policys() -> None:
    silent = make_order("1001", shipments=[shipment(ShipmentStatus.IN_TRANSIT, scans=[scan(13)])])
    assert asked(silent).rule == "answer.status"
    policy = PolicySettings(lost_after_business_days=3)
    assert asked(silent, policy=policy).rule == "offer.lost"


def test_offer_lost_offers_what_the_policy_allows() -> None:
    resolution = asked(LOST_BY_CARRIER, policy=PolicySettings(offers=["refund"]))
    assert (resolution.rule, resolution.offers) == ("offer.lost", ["refund"])


def test_offer_lost_up_to_and_including_the_automatic_limit() -> None:
    at_limit = LOST_BY_CARRIER.model_copy(update={"total": 100.0})
    assert asked(at_limit).rule == "offer.lost"


def test_escalate_lost_needs_approval_above_the_automatic_limit() -> None:
    dear = LOST_BY_CARRIER.model_copy(update={"total": 100.01})
    resolution = asked(dear)
    assert (resolution.action, resolution.rule) == (
        Action.ESCALATE,
        "escalate.lost_needs_approval",
    )
    assert resolution.offers == ["reship", "refund"]
    assert resolution.reason == "order value 100.01 USD above the automatic limit"
    assert resolution.order == order_facts(dear)
    assert resolution.facts == [source("1001")]


def test_a_lost_high_value_order_needs_approval_rather_than_a_plain_hand_off() -> None:
    dear = LOST_BY_CARRIER.model_copy(update={"total": 1899.0})
    assert asked(dear, history=History(recent_contacts=2), angry=True).rule == (
        "escalate.lost_needs_approval"
    )


# --- "delivered but not here" ------------------------------------------------------------------


def delivered_on(day: int, total: float = 89.90) -> Order:
    parcel = shipment(
        ShipmentStatus.DELIVERED,
        delivered_at=at(day, 14),
        status_detail="Left at front door",
        scans=[scan(day, ShipmentStatus.DELIVERED)],
    )
    return make_order("1001", shipments=[parcel], total=total)


def test_answer_delivered_wait_inside_the_window() -> None:
    order = delivered_on(17)
    resolution = asked(order, "wismo.not_received")
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.delivered_wait")
    assert resolution.wait_until == date(2026, 11, 19)
    assert resolution.notes == [f"delivered:{UPS}:2026-11-17"]
    assert resolution.order == order_facts(order)
    assert resolution.offers == []


def test_the_last_day_of_the_window_is_still_inside_it() -> None:
    resolution = asked(delivered_on(16), "wismo.not_received")
    assert (resolution.rule, resolution.wait_until) == ("answer.delivered_wait", date(2026, 11, 18))


def test_the_wait_is_the_policys() -> None:
    resolution = asked(
        delivered_on(10), "wismo.not_received", policy=PolicySettings(delivered_wait_days=10)
    )
    assert (resolution.rule, resolution.wait_until) == ("answer.delivered_wait", date(2026, 11, 20))
    assert (
        asked(
            delivered_on(17), "wismo.not_received", policy=PolicySettings(delivered_wait_days=0)
        ).rule
        == "offer.delivered_missing"
    )


def test_offer_delivered_missing_after_the_window() -> None:
    resolution = asked(delivered_on(15), "wismo.not_received")
    assert (resolution.action, resolution.rule) == (Action.OFFER, "offer.delivered_missing")
    assert resolution.offers == ["reship", "refund"]
    assert resolution.facts == [source("1001")]


def test_escalate_claim_needs_approval_after_the_window_above_the_limit() -> None:
    resolution = asked(delivered_on(15, total=250.0), "wismo.not_received")
    assert (resolution.action, resolution.rule) == (
        Action.ESCALATE,
        "escalate.claim_needs_approval",
    )
    assert resolution.offers == ["reship", "refund"]
    assert resolution.reason == "order value 250.00 USD above the automatic limit"


def test_delivered_is_just_a_status_unless_the_customer_says_it_did_not_arrive() -> None:
    resolution = asked(delivered_on(10), "wismo.status")
    assert (resolution.rule, resolution.wait_until) == ("answer.status", None)


def test_the_window_starts_at_the_last_delivered_parcel() -> None:
    first = shipment(ShipmentStatus.DELIVERED, delivered_at=at(12), scans=[scan(12)])
    second = shipment(
        ShipmentStatus.DELIVERED,
        tracking_number="9400111423667127684262",
        carrier="USPS",
        delivered_at=at(17),
        scans=[scan(17)],
    )
    order = make_order("1001", shipments=[first, second])
    resolution = asked(order, "wismo.not_received")
    assert (resolution.rule, resolution.wait_until) == ("answer.delivered_wait", date(2026, 11, 19))


def test_not_received_before_delivery_is_a_status_question() -> None:
    assert asked(ALICE_1001, "wismo.not_received").rule == "answer.status"


# --- facts + a human -----------------------------------------------------------------------------


def test_escalate_high_value_keeps_the_facts() -> None:
    dear = make_order("1001", total=500.0)
    resolution = asked(dear)
    assert (resolution.action, resolution.rule) == (Action.ESCALATE, "escalate.high_value")
    assert resolution.reason == "order value 500.00 USD"
    assert resolution.order == order_facts(dear)
    assert resolution.facts == [source("1001")]
    assert asked(make_order("1001", total=499.99)).rule == "answer.status"
    assert asked(dear, policy=PolicySettings(high_value=1000)).rule == "answer.status"


def test_escalate_repeat_contact() -> None:
    resolution = asked(ALICE_1001, history=History(recent_contacts=1))
    assert (resolution.action, resolution.rule) == (Action.ESCALATE, "escalate.repeat_contact")
    assert resolution.reason == "asked 2 times in 48 h"
    assert resolution.order == order_facts(ALICE_1001)
    assert resolution.facts == [source("1001")]
    policy = PolicySettings(repeat_contact_hours=24)
    assert asked(ALICE_1001, history=History(recent_contacts=3), policy=policy).reason == (
        "asked 4 times in 24 h"
    )


def test_escalate_anger() -> None:
    resolution = asked(ALICE_1001, angry=True)
    assert (resolution.action, resolution.rule) == (Action.ESCALATE, "escalate.anger")
    assert resolution.reason == "the customer is upset"
    assert resolution.order == order_facts(ALICE_1001)


def test_anger_is_not_an_answer_before_identity() -> None:
    r = result("wismo.status", 0.85, order_numbers=["1001"])
    assert run(r, Lookups(by_number={"1001": ALICE_1001}), angry=True).rule == "ask.identity"


@pytest.mark.parametrize(
    ("total", "recent", "angry", "rule"),
    [
        (500.0, 1, True, "escalate.high_value"),
        (89.9, 1, True, "escalate.repeat_contact"),
        (89.9, 0, True, "escalate.anger"),
        (89.9, 0, False, "answer.status"),
    ],
)
def test_hand_off_rules_in_order(total: float, recent: int, angry: bool, rule: str) -> None:
    order = make_order("1001", total=total)
    assert asked(order, history=History(recent_contacts=recent), angry=angry).rule == rule


def test_the_wait_window_comes_before_a_hand_off() -> None:
    resolution = asked(delivered_on(17, total=900.0), "wismo.not_received", angry=True)
    assert resolution.rule == "answer.delivered_wait"


# --- action required, status -------------------------------------------------------------------


def test_answer_action_required() -> None:
    customs = make_order(
        "1001",
        shipments=[
            shipment(
                ShipmentStatus.EXCEPTION,
                reason="held_for_payment",
                action_required=True,
                status_detail="Held by customs: import duties must be paid",
            )
        ],
    )
    resolution = asked(customs)
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.action_required")
    assert resolution.notes == [f"action_required:{UPS}"]
    assert resolution.order == order_facts(customs)
    assert asked(customs, angry=True).rule == "escalate.anger"


def test_answer_status() -> None:
    resolution = asked(ALICE_1001)
    assert (resolution.action, resolution.rule) == (Action.ANSWER, "answer.status")
    assert (resolution.notes, resolution.offers, resolution.wait_until) == ([], [], None)
    assert resolution.reason is None


def test_facts_name_the_carrier_when_its_tracking_was_merged() -> None:
    info = TrackingInfo(
        tracking_number=UPS,
        carrier="UPS",
        status=ShipmentStatus.OUT_FOR_DELIVERY,
        source="easypost",
        events=[
            TrackingEvent(
                occurred_at=at(18, 8),
                status=ShipmentStatus.OUT_FOR_DELIVERY,
                description="Out for delivery",
            )
        ],
        record_id="trk_1",
        fetched_at=NOW,
    )
    merged = with_tracking(ALICE_1001, {UPS: info})
    resolution = asked(merged)
    carrier = FactSource(system="easypost", record_id="trk_1", fetched_at=NOW)
    assert resolution.facts == [source("1001"), carrier]
    assert resolution.order is not None
    assert resolution.order.shipments[0].status == ShipmentStatus.OUT_FOR_DELIVERY
    assert resolution.notes == notes(merged, NOW)


# --- never reveal that an order exists ------------------------------------------------------------


@pytest.mark.parametrize(
    "entities",
    [
        {"order_numbers": ["1002"], "emails": [ALICE_EMAIL]},
        {"order_numbers": ["1002"], "phone_last4": ["0134"]},
        {"order_numbers": ["1002"]},
        {"order_numbers": ["1002", "1003"], "postcodes": ["94107"]},
    ],
)
def test_unknown_and_someone_elses_order_look_the_same_everywhere(
    entities: dict[str, Any],
) -> None:
    r = result("wismo.status", 0.85, **entities)
    numbers = entities["order_numbers"]
    unknown = run(r, Lookups(by_number=dict.fromkeys(numbers)))
    dear_ben = BEN_1002.model_copy(update={"total": 2000.0})
    for someone_elses in (BEN_1002, dear_ben):
        lookups = Lookups(
            by_number={n: someone_elses.model_copy(update={"number": n}) for n in numbers}
        )
        other = run(r, lookups, history=History(recent_contacts=4), angry=True)
        assert other == unknown
        for fmt in FORMATS:
            a, b = render(unknown, NOW, fmt=fmt), render(other, NOW, fmt=fmt)
            assert a.text.encode() == b.text.encode()
            assert (a.subject, a.html, a.links, a.quick_replies) == (
                b.subject,
                b.html,
                b.links,
                b.quick_replies,
            )
