"""Replies: every fact in the text comes from the Resolution.

The clock is Wednesday 18 November 2026, 15:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from router.events import Action, Entities, IdentityCheck, Link, ShipmentStatus
from router.orders.base import Order, Scan, Shipment
from router.reply.render import (
    ASK_ORDER_TEXT,
    CLARIFY_TEXT,
    GREETING_TEXT,
    HANDOFF_TEXT,
    STATUS_WORDS,
    Reply,
    day,
    render,
)
from router.resolve.decide import Resolution
from router.resolve.reasoning import notes, order_facts
from tests.orders_factory import NOW, UPS, USPS, at, make_order

S = ShipmentStatus
UPS_URL = f"https://www.ups.com/track?tracknum={UPS}"
USPS_URL = f"https://tools.usps.com/go/TrackConfirmAction?tLabels={USPS}"


def shipment(status: S, **changes: Any) -> Shipment:
    fields: dict[str, Any] = {
        "carrier": "UPS",
        "tracking_number": UPS,
        "tracking_url": UPS_URL,
        "status": status,
        "shipped_at": at(16),
        "scans": [
            Scan(
                occurred_at=at(16),
                status=status,
                description="Arrived at facility",
                location="Oakland, CA",
            )
        ],
    }
    fields.update(changes)
    return Shipment(**fields)


def answer(order: Order, rule: str = "answer.status") -> Resolution:
    return Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        language="en",
        entities=Entities(order_numbers=[order.number], emails=[order.email]),
        action=Action.ANSWER,
        rule=rule,
        identity=IdentityCheck(verified=True, method="order_number+email"),
        order=order_facts(order),
        notes=notes(order, NOW),
        facts=[order.source],
    )


def reply_for(order: Order) -> Reply:
    return render(answer(order), NOW)


def asking(rule: str, action: Action = Action.ASK, **entities: Any) -> Resolution:
    return Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        language="en",
        entities=Entities(**entities),
        action=action,
        rule=rule,
    )


# --- dates -------------------------------------------------------------------------------------


def test_day_format() -> None:
    assert day(date(2026, 11, 28)) == "Sat 28 Nov"
    assert day(date(2026, 11, 1)) == "Sun 1 Nov"
    assert day(datetime(2026, 12, 5, 23, 0, tzinfo=UTC)) == "Sat 5 Dec"


# --- one parcel, each status -------------------------------------------------------------------


ONE_LINK = [Link(label="Track with UPS", url=UPS_URL)]


@pytest.mark.parametrize(
    ("status", "changes", "sentence"),
    [
        (
            S.IN_TRANSIT,
            {"estimated_delivery": date(2026, 11, 20)},
            f"on its way with UPS {UPS}. Last update on Mon 16 Nov in Oakland, CA: "
            "Arrived at facility. Expected Fri 20 Nov.",
        ),
        (
            S.UNKNOWN,
            {"scans": [], "estimated_delivery": date(2026, 11, 28)},
            f"UPS {UPS} has no tracking information for it yet. Expected Sat 28 Nov.",
        ),
        (
            S.PRE_TRANSIT,
            {"estimated_delivery": date(2026, 11, 23)},
            f"a UPS {UPS} label was created on Mon 16 Nov, but the carrier hasn't picked it up "
            "yet. Expected Mon 23 Nov.",
        ),
        (
            S.OUT_FOR_DELIVERY,
            {"estimated_delivery": date(2026, 11, 18)},
            f"out for delivery today in Oakland, CA with UPS {UPS}.",
        ),
        (
            S.DELIVERED,
            {"delivered_at": at(17, 14), "status_detail": "Delivered, front door"},
            f"delivered on Tue 17 Nov in Oakland, CA (Delivered, front door) with UPS {UPS}.",
        ),
        (
            S.DELIVERED,
            {"status_detail": "Delivered, in/at mailbox"},
            f"delivered on Mon 16 Nov in Oakland, CA (Delivered, in/at mailbox) with UPS {UPS}.",
        ),
        (
            S.AVAILABLE_FOR_PICKUP,
            {"status_detail": "Held at UPS Access Point"},
            f"ready for pickup in Oakland, CA (Held at UPS Access Point) with UPS {UPS}.",
        ),
        (
            S.ATTEMPT_FAILED,
            {"status_detail": "No access to building", "estimated_delivery": date(2026, 11, 19)},
            f"UPS {UPS} tried to deliver it on Mon 16 Nov: No access to building. "
            "Expected Thu 19 Nov.",
        ),
        (
            S.EXCEPTION,
            {"status_detail": "Weather delay", "estimated_delivery": date(2026, 11, 18)},
            f"UPS {UPS} reports a problem on Mon 16 Nov in Oakland, CA: Weather delay. "
            "Expected today.",
        ),
        (
            S.RETURN_TO_SENDER,
            {"status_detail": "Address not found"},
            f"UPS {UPS} is returning it to us: Address not found.",
        ),
        (
            S.FAILURE,
            {"status_detail": "Package lost"},
            f"UPS {UPS} reports it could not be delivered: Package lost.",
        ),
    ],
)
def test_one_parcel(status: S, changes: dict[str, Any], sentence: str) -> None:
    reply = reply_for(make_order(shipment(status, **changes)))
    assert reply.text == f"Order #1001: {sentence}"
    assert reply.links == ONE_LINK
    assert reply.quick_replies == []


@pytest.mark.parametrize("status", [S.CANCELLED, S.EXPIRED])
def test_finished_shipments_are_not_on_their_way(status: S) -> None:
    reply = reply_for(make_order(shipment(status)))
    assert "on its way" not in reply.text
    expected = {S.CANCELLED: "shipment was cancelled", S.EXPIRED: "stopped updating the tracking"}
    assert expected[status] in reply.text


def test_delivered_without_detail_has_no_empty_parentheses() -> None:
    reply = reply_for(make_order(shipment(S.DELIVERED, scans=[], delivered_at=at(17, 14))))
    assert "()" not in reply.text


def test_parcel_without_tracking_url_has_no_link() -> None:
    reply = reply_for(make_order(shipment(S.IN_TRANSIT, tracking_url=None)))
    assert reply.text.startswith(f"Order #1001: on its way with UPS {UPS}.")
    assert reply.links == []


# --- notes ---------------------------------------------------------------------------------------


def test_late() -> None:
    order = make_order(
        shipment(S.IN_TRANSIT, estimated_delivery=date(2026, 11, 20)),
        promised_by=date(2026, 11, 17),
    )
    assert answer(order).notes == ["late"]
    reply = reply_for(order)
    assert reply.text == (
        f"Order #1001: on its way with UPS {UPS}. Last update on Mon 16 Nov in Oakland, CA: "
        "Arrived at facility. Expected Fri 20 Nov.\n"
        "This is later than the Tue 17 Nov we promised, and I'm sorry."
    )
    assert reply.links == ONE_LINK


def test_late_because_the_carrier_date_is_after_the_promise() -> None:
    order = make_order(
        shipment(S.IN_TRANSIT, estimated_delivery=date(2026, 11, 28)),
        promised_by=date(2026, 11, 25),
    )
    text = reply_for(order).text
    assert "Expected Sat 28 Nov." in text
    assert text.endswith("This is later than the Wed 25 Nov we promised, and I'm sorry.")


def test_stale() -> None:
    # Last scan Tue 10 Nov; Wed 11 is Veterans Day: 12, 13, 16, 17, 18 → 5 business days.
    stale = shipment(
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
    order = make_order(stale)
    assert answer(order).notes == [f"stale:{UPS}:5"]
    reply = reply_for(order)
    assert reply.text == (
        f"Order #1001: on its way with UPS {UPS}. Last update on Tue 10 Nov in Memphis, TN: "
        "Departed facility. There has been no tracking update for 5 business days."
    )
    assert reply.links == ONE_LINK


def test_split() -> None:
    order = make_order(
        shipment(S.DELIVERED, delivered_at=at(17, 14), status_detail="Left at front door"),
        shipment(
            S.IN_TRANSIT,
            carrier="USPS",
            tracking_number=USPS,
            tracking_url=USPS_URL,
            estimated_delivery=date(2026, 11, 21),
        ),
    )
    assert answer(order).notes == ["split"]
    reply = reply_for(order)
    assert reply.text == (
        "Order #1001 was sent in 2 parcels:\n"
        f"Parcel 1: delivered on Tue 17 Nov in Oakland, CA (Left at front door) with UPS {UPS}.\n"
        f"Parcel 2: on its way with USPS {USPS}. Last update on Mon 16 Nov in Oakland, CA: "
        "Arrived at facility. Expected Sat 21 Nov."
    )
    assert reply.links == [
        Link(label="Track with UPS (1)", url=UPS_URL),
        Link(label="Track with USPS (2)", url=USPS_URL),
    ]


def test_partly_shipped() -> None:
    order = make_order(
        shipment(S.OUT_FOR_DELIVERY), fulfillment_status="partial", promised_by=date(2026, 11, 20)
    )
    assert answer(order).notes == ["partly_shipped"]
    reply = reply_for(order)
    assert reply.text == (
        "Part of order #1001 has shipped; the rest is still being prepared.\n"
        f"Order #1001: out for delivery today in Oakland, CA with UPS {UPS}."
    )
    assert reply.links == ONE_LINK


def test_not_shipped() -> None:
    order = make_order(expected_ship_by=date(2026, 11, 19), promised_by=date(2026, 11, 25))
    resolution = answer(order, "answer.not_shipped")
    assert resolution.notes == ["not_shipped"]
    reply = render(resolution, NOW)
    assert reply == Reply("Order #1001 hasn't shipped yet: we're preparing it.")


def test_ship_overdue_and_late() -> None:
    order = make_order(expected_ship_by=date(2026, 11, 13), promised_by=date(2026, 11, 17))
    resolution = answer(order, "answer.not_shipped")
    assert resolution.notes == ["not_shipped", "ship_overdue", "late"]
    assert render(resolution, NOW).text == (
        "Order #1001 hasn't shipped yet: we're preparing it.\n"
        "It's taking longer than we expected to ship, sorry about that.\n"
        "This is later than the Tue 17 Nov we promised, and I'm sorry."
    )


def test_cancelled() -> None:
    order = make_order(shipment(S.IN_TRANSIT), status="cancelled")
    resolution = answer(order, "answer.cancelled")
    assert resolution.notes == ["cancelled"]
    assert render(resolution, NOW) == Reply("Order #1001 was cancelled, so it will not be shipped.")


# --- questions and hand-offs -------------------------------------------------------------------


def test_fixed_texts() -> None:
    assert render(asking("greeting", Action.ANSWER), NOW) == Reply(GREETING_TEXT)
    assert render(asking("ask.clarify"), NOW) == Reply(CLARIFY_TEXT)
    assert render(asking("ask.order_number"), NOW) == Reply(ASK_ORDER_TEXT)
    assert render(asking("escalate.non_wismo", Action.ESCALATE), NOW) == Reply(HANDOFF_TEXT)
    assert render(asking("escalate.human_request", Action.ESCALATE), NOW) == Reply(HANDOFF_TEXT)


def test_ask_identity_names_the_numbers() -> None:
    reply = render(asking("ask.identity", order_numbers=["1001", "1002"]), NOW)
    assert reply.text == (
        "To look up order #1001, #1002, please also send the e-mail address or phone number "
        "you used at checkout."
    )


def test_not_found_names_at_most_three_numbers() -> None:
    resolution = asking("ask.not_found", order_numbers=["1", "2", "3", "4"], emails=["a@b.co"])
    assert render(resolution, NOW).text.startswith(
        "I couldn't find an order matching #1, #2, #3 with those details."
    )
    assert render(asking("ask.not_found"), NOW).text.startswith(
        "I couldn't find an order matching that order with those details."
    )


def test_several_orders() -> None:
    waiting = make_order(number="1009")
    moving = make_order(
        shipment(S.IN_TRANSIT),
        shipment(S.DELIVERED, carrier="USPS", tracking_number=USPS),
        number="1001",
    )
    resolution = Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        language="en",
        entities=Entities(),
        action=Action.ANSWER,
        rule="answer.several_orders",
        identity=IdentityCheck(verified=True, method="sender_email"),
        other_orders=[order_facts(waiting), order_facts(moving)],
        asked_for=["order_number"],
    )
    assert render(resolution, NOW) == Reply(
        "I found 2 recent orders:\n"
        "- #1009: not shipped yet\n"
        "- #1001: on its way, delivered\n"
        "Which one would you like details for? Send me its number."
    )


def test_every_status_has_words() -> None:
    assert set(STATUS_WORDS) == set(S)


def test_answer_without_an_order_is_a_programming_error() -> None:
    with pytest.raises(AssertionError, match=r"answer\.status needs an order"):
        render(asking("answer.status", Action.ANSWER), NOW)
