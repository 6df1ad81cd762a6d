"""One voice: a Resolution becomes the words we send. Every fact comes from the Resolution.

English only for now; locale templates and per-channel formats (SMS segments, e-mail HTML,
quick replies) build on this (issue 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from router.events import Link, OrderFacts, ShipmentFacts, ShipmentStatus
from router.resolve.decide import Resolution

S = ShipmentStatus


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    links: list[Link] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)


def day(d: date | datetime) -> str:
    """'Sat 28 Nov' — short, unambiguous across US/EU readers."""
    return d.strftime("%a %d %b").replace(" 0", " ")


ASK_ORDER_TEXT = (
    "I can help with that! Please send me your order number (for example #1001) and the "
    "e-mail address or phone number you used at checkout."
)
NOT_FOUND_TEXT = (
    "I couldn't find an order matching {numbers} with those details. Please check the order "
    "number and send the e-mail address or phone number you used at checkout."
)
ASK_IDENTITY_TEXT = (
    "To look up order {numbers}, please also send the e-mail address or phone number you used "
    "at checkout."
)
CLARIFY_TEXT = (
    "Sorry, I'm not sure I understood. If you're asking about an order, send me the order "
    "number and the e-mail address you used at checkout."
)
HANDOFF_TEXT = (
    "Thanks for your message. I've passed it to our team, and someone will reply here as soon "
    "as possible."
)
GREETING_TEXT = (
    "Happy to help! To see where your order is, send me your order number and the e-mail "
    "address you used at checkout."
)


def render(resolution: Resolution, now: datetime) -> Reply:
    numbers = ", ".join(f"#{n}" for n in resolution.entities.order_numbers[:3])
    rule = resolution.rule
    if rule == "greeting":
        return Reply(GREETING_TEXT)
    if rule == "ask.clarify":
        return Reply(CLARIFY_TEXT)
    if rule == "ask.identity":
        return Reply(ASK_IDENTITY_TEXT.format(numbers=numbers))
    if rule == "ask.not_found":
        return Reply(NOT_FOUND_TEXT.format(numbers=numbers or "that order"))
    if rule == "ask.order_number":
        return Reply(ASK_ORDER_TEXT)
    if resolution.action == "escalate":
        return Reply(HANDOFF_TEXT)
    if rule == "answer.several_orders":
        lines = [f"I found {len(resolution.other_orders)} recent orders:"]
        lines += [f"- #{o.number}: {_order_summary(o)}" for o in resolution.other_orders]
        lines.append("Which one would you like details for? Send me its number.")
        return Reply("\n".join(lines))
    assert resolution.order is not None, f"rule {rule} needs an order"
    return _order_reply(resolution.order, resolution.notes, now)


def _order_summary(order: OrderFacts) -> str:
    if not order.shipments:
        return "not shipped yet"
    return ", ".join(STATUS_WORDS[s.status] for s in order.shipments)


STATUS_WORDS: dict[ShipmentStatus, str] = {
    S.UNKNOWN: "waiting for the first tracking update",
    S.PRE_TRANSIT: "label created, waiting for the carrier to pick it up",
    S.IN_TRANSIT: "on its way",
    S.OUT_FOR_DELIVERY: "out for delivery",
    S.AVAILABLE_FOR_PICKUP: "ready for pickup",
    S.ATTEMPT_FAILED: "delivery attempted",
    S.DELIVERED: "delivered",
    S.EXCEPTION: "delayed by a carrier problem",
    S.RETURN_TO_SENDER: "being returned to us",
    S.FAILURE: "reported lost by the carrier",
    S.CANCELLED: "shipment cancelled",
    S.EXPIRED: "tracking no longer updated",
}


def _order_reply(order: OrderFacts, notes: list[str], now: datetime) -> Reply:
    number = f"#{order.number}"
    if "cancelled" in notes:
        return Reply(f"Order {number} was cancelled, so it will not be shipped.")
    lines: list[str] = []
    links: list[Link] = []
    if "not_shipped" in notes:
        lines.append(f"Order {number} hasn't shipped yet: we're preparing it.")
        if "ship_overdue" in notes:
            lines.append("It's taking longer than we expected to ship, sorry about that.")
    elif len(order.shipments) > 1:
        lines.append(f"Order {number} was sent in {len(order.shipments)} parcels:")
    if "partly_shipped" in notes:
        lines.append(f"Part of order {number} has shipped; the rest is still being prepared.")
    for i, shipment in enumerate(order.shipments, start=1):
        prefix = f"Parcel {i}: " if len(order.shipments) > 1 else f"Order {number}: "
        lines.append(prefix + _shipment_sentence(shipment, notes, now))
        if shipment.tracking_url:
            label = f"Track with {shipment.carrier}"
            links.append(
                Link(
                    label=label if len(order.shipments) == 1 else f"{label} ({i})",
                    url=shipment.tracking_url,
                )
            )
    if "late" in notes and order.promised_by:
        lines.append(f"This is later than the {day(order.promised_by)} we promised, and I'm sorry.")
    return Reply("\n".join(lines), links=links)


def _colon(detail: str) -> str:
    return f": {detail}" if detail else ""


def _shipment_sentence(s: ShipmentFacts, notes: list[str], now: datetime) -> str:
    today = now.date()
    carrier = f"{s.carrier} {s.tracking_number}".strip()
    where = f" in {s.last_location}" if s.last_location else ""
    when = f" on {day(s.last_scan_at)}" if s.last_scan_at else ""
    detail = s.status_detail or ""
    eta = ""
    if s.estimated_delivery:
        eta = (
            " Expected today."
            if s.estimated_delivery == today
            else (f" Expected {day(s.estimated_delivery)}.")
        )
    status = s.status
    said = f" ({detail})" if detail else ""
    if status == S.DELIVERED:
        at = f" on {day(s.delivered_at)}" if s.delivered_at else when
        text = f"delivered{at}{where}{said} with {carrier}."
    elif status == S.OUT_FOR_DELIVERY:
        text = f"out for delivery today{where} with {carrier}."
    elif status == S.AVAILABLE_FOR_PICKUP:
        text = f"ready for pickup{where}{said} with {carrier}."
    elif status == S.PRE_TRANSIT:
        text = f"a {carrier} label was created{when}, but the carrier hasn't picked it up yet.{eta}"
    elif status == S.ATTEMPT_FAILED:
        text = f"{carrier} tried to deliver it{when}{_colon(detail)}.{eta}"
    elif status == S.EXCEPTION:
        text = f"{carrier} reports a problem{when}{where}{_colon(detail)}.{eta}"
    elif status == S.RETURN_TO_SENDER:
        text = f"{carrier} is returning it to us{_colon(detail)}."
    elif status == S.FAILURE:
        text = f"{carrier} reports it could not be delivered{_colon(detail)}."
    elif status == S.CANCELLED:
        text = f"the {carrier} shipment was cancelled{_colon(detail)}."
    elif status == S.EXPIRED:
        text = f"{carrier} stopped updating the tracking{when}{_colon(detail)}."
    elif status == S.UNKNOWN:
        text = f"{carrier} has no tracking information for it yet.{eta}"
    else:
        last = f" Last update{when}{where}: {detail}." if detail else ""
        text = f"on its way with {carrier}.{last}{eta}"
    stale = next((n for n in notes if n.startswith(f"stale:{s.tracking_number}:")), None)
    if stale:
        days = stale.rsplit(":", 1)[1]
        text += f" There has been no tracking update for {days} business days."
    return text
