"""router/reply/compose.py: a Resolution becomes sentences; every fact in them is the Resolution's.

The clock is Wednesday 18 November 2026, 15:00 UTC. English is checked word for word; every
other locale (once its catalog exists) is checked for the facts: order number, carrier,
tracking number, its own date format and its own next-step sentence.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

import router.reply
from router.classify.base import Result
from router.events import Action, Entities, Link, Party, ShipmentStatus
from router.orders.base import Order, Scan, Shipment
from router.reply.catalog import LOCALES, day, text
from router.reply.compose import Content, compose
from router.resolve.decide import History, Lookups, Resolution, decide
from router.settings import PolicySettings
from tests.orders_factory import (
    NOW,
    UPS,
    UPS_URL,
    USPS,
    USPS_URL,
    at,
    make_order,
    resolve,
    shipment,
)

S = ShipmentStatus
LOCALE_DIR = Path(router.reply.__file__).parent / "locales"


def need(lang: str) -> None:
    if not (LOCALE_DIR / f"{lang}.json").is_file():
        pytest.skip(f"{lang}.json is not written yet")


def usps(status: S = S.IN_TRANSIT, **changes: Any) -> Shipment:
    return shipment(status, carrier="USPS", tracking_number=USPS, tracking_url=USPS_URL, **changes)


def asking(rule: str, action: Action = Action.ASK, **entities: Any) -> Resolution:
    return Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.9,
        language="en",
        entities=Entities(**entities),
        action=action,
        rule=rule,
    )


def lines(order: Order, **kwargs: Any) -> list[str]:
    return compose(resolve(order, **kwargs), "en", NOW).lines


ONE_LINK = [Link(label="Track with UPS", url=UPS_URL)]
TRANSIT = shipment(S.IN_TRANSIT, estimated_delivery=date(2026, 11, 20))
DELIVERED = shipment(S.DELIVERED, delivered_at=at(17, 14), status_detail="Left at front door")
LOST = shipment(S.FAILURE, reason="lost", status_detail="Package could not be located")


# --- one parcel, each status ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "changes", "full", "compact"),
    [
        (
            S.IN_TRANSIT,
            {"estimated_delivery": date(2026, 11, 20)},
            f"on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in Oakland, CA: "
            "Arrived at facility. Expected Fri 20 Nov.",
            f"on its way with UPS (tracking {UPS}). Expected Fri 20 Nov.",
        ),
        (
            S.IN_TRANSIT,
            {"estimated_delivery": date(2026, 11, 18)},
            f"on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in Oakland, CA: "
            "Arrived at facility. Expected today.",
            f"on its way with UPS (tracking {UPS}). Expected today.",
        ),
        (
            S.UNKNOWN,
            {"scans": [], "estimated_delivery": date(2026, 11, 28)},
            f"UPS has no tracking information for it yet (tracking {UPS}). Expected Sat 28 Nov.",
            f"UPS has no tracking information for it yet (tracking {UPS}). Expected Sat 28 Nov.",
        ),
        (
            S.PRE_TRANSIT,
            {"estimated_delivery": date(2026, 11, 23)},
            f"a UPS label was created on Mon 16 Nov (tracking {UPS}), but the carrier hasn't "
            "picked it up yet. Expected Mon 23 Nov.",
            f"a UPS label was created on Mon 16 Nov (tracking {UPS}), but the carrier hasn't "
            "picked it up yet. Expected Mon 23 Nov.",
        ),
        (
            S.OUT_FOR_DELIVERY,
            {"estimated_delivery": date(2026, 11, 18)},
            f"out for delivery today with UPS (tracking {UPS}) in Oakland, CA.",
            f"out for delivery today with UPS (tracking {UPS}).",
        ),
        (
            S.DELIVERED,
            {"delivered_at": at(17, 14), "status_detail": "Left at front door"},
            f"delivered on Tue 17 Nov in Oakland, CA by UPS (tracking {UPS}): Left at front door.",
            f"delivered on Tue 17 Nov by UPS (tracking {UPS}).",
        ),
        (
            S.DELIVERED,
            {"status_detail": "Delivered, in/at mailbox"},
            f"delivered on Mon 16 Nov in Oakland, CA by UPS (tracking {UPS}): "
            "Delivered, in/at mailbox.",
            f"delivered on Mon 16 Nov by UPS (tracking {UPS}).",
        ),
        (
            S.AVAILABLE_FOR_PICKUP,
            {"status_detail": "Held at UPS Access Point"},
            f"ready for pickup in Oakland, CA with UPS (tracking {UPS}): Held at UPS Access Point.",
            f"ready for pickup with UPS (tracking {UPS}).",
        ),
        (
            S.ATTEMPT_FAILED,
            {"status_detail": "No access to building", "estimated_delivery": date(2026, 11, 19)},
            f"UPS tried to deliver it on Mon 16 Nov (tracking {UPS}): No access to building. "
            "Expected Thu 19 Nov.",
            f"UPS tried to deliver it on Mon 16 Nov (tracking {UPS}). Expected Thu 19 Nov.",
        ),
        (
            S.EXCEPTION,
            {"status_detail": "Weather delay", "estimated_delivery": date(2026, 11, 18)},
            f"UPS reports a problem on Mon 16 Nov in Oakland, CA (tracking {UPS}): Weather delay. "
            "Expected today.",
            f"UPS reports a problem on Mon 16 Nov (tracking {UPS}). Expected today.",
        ),
        (
            S.RETURN_TO_SENDER,
            {"status_detail": "Address not found"},
            f"UPS is returning it to us (tracking {UPS}): Address not found.",
            f"UPS is returning it to us (tracking {UPS}).",
        ),
        (
            S.CANCELLED,
            {"status_detail": "Shipment cancelled by sender"},
            f"the UPS shipment was cancelled (tracking {UPS}): Shipment cancelled by sender.",
            f"the UPS shipment was cancelled (tracking {UPS}).",
        ),
        (
            S.EXPIRED,
            {"status_detail": "No updates for 30 days"},
            f"UPS stopped updating the tracking (tracking {UPS}): No updates for 30 days.",
            f"UPS stopped updating the tracking (tracking {UPS}).",
        ),
    ],
)
def test_one_parcel(status: S, changes: dict[str, Any], full: str, compact: str) -> None:
    resolution = resolve(make_order(shipment(status, **changes)))
    assert resolution.rule == "answer.status"
    content = compose(resolution, "en", NOW)
    assert content.lines == [f"Order #1001: {full}"]
    assert content.links == ONE_LINK
    assert content.quick_replies == []
    assert content.subject == "Your order #1001"
    short = compose(resolution, "en", NOW, compact=True)
    assert short.lines == [f"Order #1001: {compact}"]
    assert short.links == ONE_LINK


def test_failure_is_a_lost_parcel_with_an_offer() -> None:
    content = compose(resolve(make_order(LOST)), "en", NOW)
    assert content.lines == [
        f"Order #1001: UPS reports it could not be delivered (tracking {UPS}): "
        "Package could not be located.",
        "I'm sorry it's gone missing. I can send you a replacement or refund you, whichever you "
        "prefer.",
    ]
    assert content.quick_replies == ["Send a replacement", "Refund me"]
    assert content.links == ONE_LINK


def test_every_status_has_a_sentence_with_the_facts() -> None:
    for status in S:
        resolution = resolve(make_order(shipment(status, estimated_delivery=date(2026, 11, 20))))
        [sentence, *_] = compose(resolution, "en", NOW).lines
        assert sentence.startswith("Order #1001: ")
        assert "UPS" in sentence
        assert UPS in sentence


def test_a_parcel_without_a_tracking_url_has_no_link() -> None:
    content = compose(resolve(make_order(shipment(S.IN_TRANSIT, tracking_url=None))), "en", NOW)
    assert content.links == []


def test_carrier_text_is_never_read_as_a_template() -> None:
    scan = Scan(occurred_at=at(16), status=S.EXCEPTION, description="{0}", location="{place}")
    odd = shipment(S.EXCEPTION, status_detail="Held {at} depot {carrier}", scans=[scan])
    [sentence] = lines(make_order(odd))
    assert sentence == (
        f"Order #1001: UPS reports a problem on Mon 16 Nov in {{place}} (tracking {UPS}): "
        "Held {at} depot {carrier}."
    )


@pytest.mark.parametrize(
    "eta",
    [date(2026, 11, 17), date(2028, 1, 1)],
    ids=["already past", "more than a year out"],
)
def test_an_implausible_eta_is_not_repeated(eta: date) -> None:
    [sentence] = lines(make_order(shipment(S.IN_TRANSIT, estimated_delivery=eta)))
    assert "Expected" not in sentence
    assert sentence.endswith("Arrived at facility.")


@pytest.mark.parametrize("status", [S.PRE_TRANSIT, S.ATTEMPT_FAILED, S.DELIVERED, S.EXCEPTION])
def test_a_parcel_without_any_scan_reads_cleanly(status: S) -> None:
    [sentence, *_] = lines(make_order(shipment(status, scans=[])))
    assert "  " not in sentence
    assert " ." not in sentence


# --- notes ----------------------------------------------------------------------------------------


def test_late() -> None:
    order = make_order(TRANSIT, promised_by=date(2026, 11, 17))
    content = compose(resolve(order), "en", NOW)
    assert content.lines == [
        f"Order #1001: on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in "
        "Oakland, CA: Arrived at facility. Expected Fri 20 Nov.",
        "This is later than the Tue 17 Nov we promised, and I'm sorry.",
    ]
    assert content.optional == {1}


def test_stale() -> None:
    # Last scan Tue 10 Nov; Wed 11 is Veterans Day: 12, 13, 16, 17, 18 → 5 business days.
    silent = shipment(
        S.IN_TRANSIT,
        scans=[
            Scan(
                occurred_at=at(10),
                status=S.IN_TRANSIT,
                description="Departed facility",
                location="Memphis, TN",
            )
        ],
    )
    content = compose(resolve(make_order(silent)), "en", NOW)
    assert content.lines == [
        f"Order #1001: on its way with UPS (tracking {UPS}). Last update on Tue 10 Nov in "
        "Memphis, TN: Departed facility.",
        "There has been no tracking update for 5 business days.",
    ]
    assert content.optional == {1}


def test_split_with_two_carriers() -> None:
    order = make_order(DELIVERED, usps(estimated_delivery=date(2026, 11, 21)))
    resolution = resolve(order)
    content = compose(resolution, "en", NOW)
    assert content.lines == [
        "Order #1001 was sent in 2 parcels:",
        f"Parcel 1: delivered on Tue 17 Nov in Oakland, CA by UPS (tracking {UPS}): "
        "Left at front door.",
        f"Parcel 2: on its way with USPS (tracking {USPS}). Last update on Mon 16 Nov in "
        "Oakland, CA: Arrived at facility. Expected Sat 21 Nov.",
    ]
    assert content.links == [
        Link(label="Track parcel 1", url=UPS_URL),
        Link(label="Track parcel 2", url=USPS_URL),
    ]
    assert compose(resolution, "en", NOW, compact=True).lines == [
        "Order #1001 was sent in 2 parcels:",
        f"Parcel 1: delivered on Tue 17 Nov by UPS (tracking {UPS}).",
        f"Parcel 2: on its way with USPS (tracking {USPS}). Expected Sat 21 Nov.",
    ]


def test_partly_shipped() -> None:
    order = make_order(shipment(S.OUT_FOR_DELIVERY), fulfillment_status="partial")
    assert lines(order) == [
        "Part of order #1001 has shipped; the rest is still being prepared.",
        f"Order #1001: out for delivery today with UPS (tracking {UPS}) in Oakland, CA.",
    ]


def test_not_shipped() -> None:
    order = make_order(expected_ship_by=date(2026, 11, 19), promised_by=date(2026, 11, 25))
    resolution = resolve(order)
    assert resolution.rule == "answer.not_shipped"
    content = compose(resolution, "en", NOW)
    assert content.lines == [
        "Order #1001 hasn't shipped yet: we're preparing it.",
        "We expect to ship it by Thu 19 Nov.",
    ]
    assert content.links == []
    assert content.subject == "Your order #1001"


def test_ship_overdue_and_late() -> None:
    order = make_order(expected_ship_by=date(2026, 11, 13), promised_by=date(2026, 11, 17))
    content = compose(resolve(order), "en", NOW)
    assert content.lines == [
        "Order #1001 hasn't shipped yet: we're preparing it.",
        "It's taking longer than we expected to ship, sorry about that.",
        "This is later than the Tue 17 Nov we promised, and I'm sorry.",
    ]
    assert content.optional == {1, 2}


def test_cancelled() -> None:
    resolution = resolve(make_order(TRANSIT, status="cancelled"))
    assert resolution.rule == "answer.cancelled"
    content = compose(resolution, "en", NOW)
    assert content.lines == ["Order #1001 was cancelled, so it will not be shipped."]
    assert content.links == []


# --- next steps -----------------------------------------------------------------------------------


def test_offer_lost_with_one_remedy() -> None:
    resolution = resolve(make_order(LOST), policy=PolicySettings(offers=["reship"]))
    content = compose(resolution, "en", NOW)
    assert (
        content.lines[-1] == "I'm sorry it's gone missing. I can send you a replacement right away."
    )
    assert content.quick_replies == ["Send a replacement"]
    resolution = resolve(make_order(LOST), policy=PolicySettings(offers=["refund"]))
    content = compose(resolution, "en", NOW)
    assert content.lines[-1] == "I'm sorry it's gone missing. I can refund you right away."
    assert content.quick_replies == ["Refund me"]


def test_a_lost_parcel_is_not_also_called_late() -> None:
    order = make_order(LOST, promised_by=date(2026, 11, 17))
    assert resolve(order).notes == ["late", f"lost:{UPS}"]
    assert not any("later than" in line for line in lines(order))


def test_lost_needs_approval() -> None:
    resolution = resolve(make_order(LOST, total=150.0))
    assert resolution.rule == "escalate.lost_needs_approval"
    content = compose(resolution, "en", NOW)
    assert content.lines[-1] == (
        "I'm sorry it's gone missing. I've asked a colleague to approve a replacement or refund, "
        "and they'll get back to you here."
    )
    assert content.quick_replies == []
    assert UPS in content.lines[0]


def test_delivered_wait() -> None:
    resolution = resolve(make_order(DELIVERED), "wismo.not_received")
    assert resolution.rule == "answer.delivered_wait"
    content = compose(resolution, "en", NOW)
    assert content.lines == [
        f"Order #1001: delivered on Tue 17 Nov in Oakland, CA by UPS (tracking {UPS}): "
        "Left at front door.",
        "Carriers sometimes mark parcels as delivered a little early. Please check with your "
        "neighbours, your mailbox and any safe place. If it hasn't turned up by Thu 19 Nov, reply "
        "here and we'll sort it out.",
    ]
    assert content.optional == set()


def test_delivered_missing_after_the_wait() -> None:
    old = shipment(S.DELIVERED, delivered_at=at(12, 14))
    resolution = resolve(make_order(old), "wismo.not_received")
    assert resolution.rule == "offer.delivered_missing"
    content = compose(resolution, "en", NOW)
    assert content.lines[0].startswith("Order #1001: delivered on Thu 12 Nov in Oakland, CA by UPS")
    assert content.lines[-1].startswith("I'm sorry it's gone missing. I can send you a replacement")
    assert content.quick_replies == ["Send a replacement", "Refund me"]


def test_claim_needs_approval() -> None:
    old = shipment(S.DELIVERED, delivered_at=at(12, 14))
    resolution = resolve(make_order(old, total=250.0), "wismo.not_received")
    assert resolution.rule == "escalate.claim_needs_approval"
    content = compose(resolution, "en", NOW)
    assert content.lines[-1].startswith("I'm sorry it's gone missing. I've asked a colleague")
    assert not any("personally" in line for line in content.lines)


def test_action_required() -> None:
    customs = shipment(
        S.EXCEPTION,
        reason="held_for_payment",
        action_required=True,
        status_detail="Held by customs: import duties must be paid",
    )
    resolution = resolve(make_order(customs))
    assert resolution.rule == "answer.action_required"
    assert compose(resolution, "en", NOW).lines == [
        f"Order #1001: UPS reports a problem on Mon 16 Nov in Oakland, CA (tracking {UPS}): "
        "Held by customs: import duties must be paid.",
        "The carrier needs something from you to deliver it; the details are on the tracking page.",
    ]


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"history": History(recent_contacts=1)}, "escalate.repeat_contact"),
        ({"angry": True}, "escalate.anger"),
    ],
)
def test_a_hand_off_with_the_facts(kwargs: dict[str, Any], rule: str) -> None:
    resolution = resolve(make_order(TRANSIT), **kwargs)
    assert resolution.rule == rule
    content = compose(resolution, "en", NOW)
    assert content.lines == [
        f"Order #1001: on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in "
        "Oakland, CA: Arrived at facility. Expected Fri 20 Nov.",
        "I've also asked a colleague to look into this personally.",
    ]
    assert content.optional == {1}
    assert content.links == ONE_LINK


def test_high_value_hand_off() -> None:
    resolution = resolve(make_order(TRANSIT, total=900.0))
    assert resolution.rule == "escalate.high_value"
    assert compose(resolution, "en", NOW).lines[-1] == (
        "I've also asked a colleague to look into this personally."
    )


# --- no order: questions, hand-offs, several orders -----------------------------------------------


@pytest.mark.parametrize(
    ("rule", "action", "key"),
    [
        ("greeting", Action.ANSWER, "greeting"),
        ("ask.clarify", Action.ASK, "ask.clarify"),
        ("ask.order_number", Action.ASK, "ask.order_number"),
        ("limit.lookups", Action.ASK, "limit.lookups"),
        ("escalate.non_wismo", Action.ESCALATE, "handoff"),
        ("escalate.human_request", Action.ESCALATE, "handoff"),
        ("hold.source_unavailable", Action.ESCALATE, "hold.source_unavailable"),
    ],
)
def test_fixed_sentences(rule: str, action: Action, key: str) -> None:
    content = compose(asking(rule, action, order_numbers=["1001"]), "en", NOW)
    assert content == Content(lines=[text("en", key)])


def test_the_fixed_sentences_in_english() -> None:
    assert compose(asking("limit.lookups"), "en", NOW).lines == [
        "I can't look up more orders right now. Please try again in an hour."
    ]
    assert compose(asking("hold.source_unavailable", Action.ESCALATE), "en", NOW).lines == [
        "I can't reach our order system right now, so I can't check this for you at the moment. "
        "A colleague will get back to you here with the details."
    ]


def test_ask_identity_names_the_numbers() -> None:
    content = compose(asking("ask.identity", order_numbers=["1001", "1002"]), "en", NOW)
    assert content.lines == [
        "To look up order #1001, #1002, please also send the e-mail address or phone number "
        "you used at checkout."
    ]


def test_not_found_names_at_most_three_numbers() -> None:
    resolution = asking("ask.not_found", order_numbers=["1", "2", "3", "4"], emails=["a@b.co"])
    assert (
        compose(resolution, "en", NOW)
        .lines[0]
        .startswith("I couldn't find an order matching #1, #2, #3 with those details.")
    )


def several(*orders: Order) -> Resolution:
    return decide(
        Result("wismo.status", True, 0.9, "en", Entities()),
        Party(id="mail:alice", email="alice@example.com"),
        Lookups(by_contact=orders),
        now=NOW,
        threshold=0.6,
    )


def test_several_orders() -> None:
    waiting = make_order(number="1009")
    moving = make_order(TRANSIT, usps(S.DELIVERED), number="1001")
    resolution = several(waiting, moving)
    assert resolution.rule == "answer.several_orders"
    content = compose(resolution, "en", NOW)
    assert content == Content(
        lines=[
            "I found 2 recent orders:",
            "#1009: not shipped yet",
            "#1001: on its way, delivered",
            "Which one would you like details for? Send me its number.",
        ],
        quick_replies=["#1009", "#1001"],
    )


def test_several_orders_says_which_one_was_cancelled() -> None:
    cancelled = make_order(number="1015", status="cancelled")
    resolution = several(cancelled, make_order(TRANSIT))
    assert compose(resolution, "en", NOW).lines[1] == "#1015: cancelled"


def test_an_answer_without_an_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"answer\.status needs an order"):
        compose(asking("answer.status", Action.ANSWER), "en", NOW)


def test_the_subject_names_the_order() -> None:
    assert compose(resolve(make_order(TRANSIT)), "en", NOW).subject == "Your order #1001"
    assert compose(asking("ask.order_number"), "en", NOW).subject == ""


# --- every locale states the same facts -----------------------------------------------------------


def facts_scenarios() -> dict[str, tuple[Order, str, dict[str, Any]]]:
    return {
        "in transit": (make_order(TRANSIT), "wismo.status", {}),
        "late": (make_order(TRANSIT, promised_by=date(2026, 11, 17)), "wismo.status", {}),
        "delivered": (make_order(DELIVERED), "wismo.status", {}),
        "split": (
            make_order(DELIVERED, usps(estimated_delivery=date(2026, 11, 21))),
            "wismo.status",
            {},
        ),
        "lost": (make_order(LOST), "wismo.status", {}),
        "lost, approval": (make_order(LOST, total=150.0), "wismo.status", {}),
        "delivered, wait": (make_order(DELIVERED), "wismo.not_received", {}),
        "action required": (
            make_order(shipment(S.EXCEPTION, action_required=True)),
            "wismo.status",
            {},
        ),
        "anger": (make_order(TRANSIT), "wismo.status", {"angry": True}),
    }


NEXT_STEP = {
    "offer.lost": "next.offer",
    "escalate.lost_needs_approval": "next.approval",
    "answer.action_required": "next.action_required",
    "escalate.anger": "handoff.also",
}


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("scenario", list(facts_scenarios()))
@pytest.mark.parametrize("compact", [False, True])
def test_every_locale_states_the_facts(lang: str, scenario: str, compact: bool) -> None:
    need(lang)
    order, intent, kwargs = facts_scenarios()[scenario]
    resolution = resolve(order, intent, lang=lang, **kwargs)
    content = compose(resolution, lang, NOW, compact=compact)
    said = "\n".join(content.lines)
    assert "#1001" in said
    for s in order.shipments:
        assert s.carrier in said
        assert s.tracking_number in said
        if s.estimated_delivery:
            assert day(s.estimated_delivery, lang) in said
        if s.delivered_at:
            assert day(s.delivered_at, lang) in said
    if "late" in resolution.notes and "lost" not in str(resolution.notes):
        assert order.promised_by is not None
        assert day(order.promised_by, lang) in said
    if resolution.wait_until is not None:
        key = "next.delivered_wait_short" if compact else "next.delivered_wait"
        assert text(lang, key, day=day(resolution.wait_until, lang)) in said
    if resolution.rule in NEXT_STEP:
        assert text(lang, NEXT_STEP[resolution.rule]) in content.lines
    assert content.subject == text(lang, "email.subject.order", number="1001")
    for s, link in zip(order.shipments, content.links, strict=True):
        assert link.url == s.tracking_url


@pytest.mark.parametrize("lang", LOCALES)
def test_every_locale_has_every_status_sentence(lang: str) -> None:
    need(lang)
    for status in S:
        order = make_order(shipment(status, estimated_delivery=date(2026, 11, 20)))
        resolution = resolve(order, lang=lang)
        sentence = compose(resolution, lang, NOW).lines[0]
        assert "#1001" in sentence
        assert "UPS" in sentence
        assert UPS in sentence
