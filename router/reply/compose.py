"""A Resolution becomes localized sentences: the same facts, in the same order, for every
channel. Every fact in them comes from the Resolution; nothing is made up here.

`compact` drops what an SMS can live without (the last scan's detail and place) while keeping
the facts every channel must state: order number, status, dates, carrier, tracking number,
next step.

A `Followup` (we sent the customer a proactive notice about this order recently) adds a
line before the order's status: when we wrote, and whether anything changed since. It is made
of whole sentences, not a lead-in clause, because the status sentences it precedes start on
their own ("Order #1001: …", "Order #1001 was sent in 2 parcels:").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from router.events import Action, Link, OrderFacts, ShipmentFacts, ShipmentStatus
from router.reply.catalog import day, text
from router.resolve.decide import Resolution
from router.resolve.reasoning import tagged
from router.tracking.numbers import validate

S = ShipmentStatus
PLAUSIBLE_ETA = timedelta(days=366)
SPACES = re.compile(r" {2,}")

ASKS = {"ask.identity", "ask.not_found", "ask.order_number", "ask.clarify", "limit.lookups"}
HOLDING = {"escalate.non_wismo", "escalate.human_request", "hold.source_unavailable"}


@dataclass
class Content:
    lines: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    subject: str = ""
    optional: set[int] = field(default_factory=set)  # lines a 2-segment SMS may leave out
    expendable: set[int] = field(default_factory=set)  # of those, the ones it leaves out first

    def add(self, line: str, *, optional: bool = False, expendable: bool = False) -> None:
        if optional or expendable:
            self.optional.add(len(self.lines))
        if expendable:
            self.expendable.add(len(self.lines))
        self.lines.append(line)


@dataclass(frozen=True)
class Followup:
    """We told the customer about this order before (a proactive notice) on `told_on`.

    `changed`: the parcel's status now, when it differs from the one we told them about;
    None when nothing changed since (the caller compares, this only says it).
    """

    told_on: date
    changed: ShipmentStatus | None = None


def followup_line(followup: Followup, lang: str) -> str:
    """When we wrote, then what changed since: "We last wrote to you about this order on Mon 16
    Nov. Nothing has changed since then." / "… Since then, its status has changed to: delivered."
    """
    told = text(lang, "followup.told", day=day(followup.told_on, lang))
    if followup.changed is None:
        since = text(lang, "followup.unchanged")
    else:
        since = text(
            lang, "followup.changed", change=text(lang, f"summary.{S(followup.changed).value}")
        )
    return f"{told} {since}"


def compose(
    resolution: Resolution,
    lang: str,
    now: datetime,
    *,
    compact: bool = False,
    followup: Followup | None = None,
) -> Content:
    """`followup`: we told the customer about this order before; said first, only in an answer
    about the order. An SMS short of room leaves it out before any fact of the answer."""
    numbers = ", ".join(f"#{n}" for n in resolution.entities.order_numbers[:3])
    rule = resolution.rule
    content = Content(subject=_subject(resolution, lang))
    if rule == "greeting":
        content.lines.append(text(lang, "greeting"))
    elif rule in ASKS:
        key = "ask.not_found" if rule == "ask.not_found" else rule
        content.lines.append(text(lang, key, numbers=numbers or "#?"))
    elif rule == "hold.source_unavailable":
        content.lines.append(text(lang, "hold.source_unavailable"))
    elif rule in HOLDING:
        content.lines.append(text(lang, "handoff"))
    elif rule == "answer.several_orders":
        content.lines.append(text(lang, "ask.which_order", count=len(resolution.other_orders)))
        for order in resolution.other_orders:
            content.lines.append(
                text(lang, "order.summary", number=order.number, summary=_summary(order, lang))
            )
            content.quick_replies.append(f"#{order.number}")
        content.lines.append(text(lang, "ask.pick_order"))
    else:
        if resolution.order is None:
            raise ValueError(f"rule {rule} needs an order")
        if followup is not None:
            content.add(followup_line(followup, lang), expendable=True)
        _order(content, resolution, resolution.order, lang, now, compact)
    return content


def _subject(resolution: Resolution, lang: str) -> str:
    if resolution.order is not None:
        return text(lang, "email.subject.order", number=resolution.order.number)
    return ""


def _summary(order: OrderFacts, lang: str) -> str:
    if order.status == "cancelled":
        return text(lang, "summary.cancelled")
    if not order.shipments:
        return text(lang, "summary.not_shipped")
    return ", ".join(text(lang, f"summary.{s.status.value}") for s in order.shipments)


def _order(
    content: Content,
    resolution: Resolution,
    order: OrderFacts,
    lang: str,
    now: datetime,
    compact: bool,
) -> None:
    tags = resolution.notes
    lines = content.lines
    if "cancelled" in tags:
        lines.append(text(lang, "order.cancelled", number=order.number))
        return
    if "not_shipped" in tags:
        lines.append(text(lang, "order.not_shipped", number=order.number))
        if "ship_overdue" in tags:
            content.add(text(lang, "order.ship_overdue"), optional=True)
        elif order.expected_ship_by:
            content.add(text(lang, "order.ship_by", day=day(order.expected_ship_by, lang)))
    elif len(order.shipments) > 1:
        content.add(
            text(lang, "order.split", number=order.number, count=len(order.shipments)),
            optional=compact,
        )
    if "partly_shipped" in tags:
        lines.append(text(lang, "order.partly_shipped", number=order.number))
    many = len(order.shipments) > 1
    for index, shipment in enumerate(order.shipments, start=1):
        sentence = _shipment(shipment, tags, lang, now, compact)
        if many:
            lines.append(text(lang, "shipment.many", index=index, sentence=sentence))
        else:
            lines.append(text(lang, "shipment.one", number=order.number, sentence=sentence))
        stale = [parts for parts in tagged(tags, "stale") if parts[0] == shipment.tracking_number]
        if stale:
            content.add(text(lang, "note.stale", days=stale[0][1]), optional=True)
        if shipment.tracking_url:
            label = (
                text(lang, "link.track_parcel", index=index)
                if many or not shipment.carrier
                else text(lang, "link.track", carrier=shipment.carrier)
            )
            content.links.append(Link(label=label, url=shipment.tracking_url))
    if "late" in tags and order.promised_by and "lost" not in {t.split(":")[0] for t in tags}:
        content.add(text(lang, "order.late", day=day(order.promised_by, lang)), optional=True)
    _next(content, resolution, lang, compact)


def _next(content: Content, resolution: Resolution, lang: str, compact: bool) -> None:
    rule, lines = resolution.rule, content.lines
    if rule in ("offer.lost", "offer.delivered_missing"):
        offers = resolution.offers
        key = "next.offer" if len(offers) > 1 else f"next.offer_{offers[0]}"
        lines.append(text(lang, key))
        content.quick_replies.extend(text(lang, f"quick.{o}") for o in offers)
    elif rule in ("escalate.lost_needs_approval", "escalate.claim_needs_approval"):
        lines.append(text(lang, "next.approval"))
    elif rule == "answer.delivered_wait" and resolution.wait_until is not None:
        key = "next.delivered_wait_short" if compact else "next.delivered_wait"
        lines.append(text(lang, key, day=day(resolution.wait_until, lang)))
    elif rule == "answer.action_required":
        lines.append(text(lang, "next.action_required"))
    if resolution.action == Action.ESCALATE and rule not in (
        "escalate.lost_needs_approval",
        "escalate.claim_needs_approval",
    ):
        content.add(text(lang, "handoff.also"), optional=True)


def carrier_name(s: ShipmentFacts, lang: str) -> str:
    """The shop's carrier name, else the one the tracking number's check digits imply."""
    if s.carrier:
        return s.carrier
    found = validate(s.tracking_number) if s.tracking_number else []
    return found[0].carrier if found else text(lang, "frag.carrier_unknown")


def _shipment(s: ShipmentFacts, tags: list[str], lang: str, now: datetime, compact: bool) -> str:
    today = now.date()
    on_day = text(lang, "frag.on_day", day=day(s.last_scan_at, lang)) if s.last_scan_at else ""
    place = "" if compact or not s.last_location else s.last_location
    in_place = text(lang, "frag.in_place", place=place) if place else ""
    detail_text = "" if compact else (s.status_detail or "")
    detail = text(lang, "frag.detail", detail=detail_text) if detail_text else ""
    eta = ""
    # A date already past, or more than a year out, is not a promise we repeat.
    if s.estimated_delivery and today <= s.estimated_delivery <= today + PLAUSIBLE_ETA:
        eta = (
            text(lang, "frag.eta_today")
            if s.estimated_delivery == today
            else text(lang, "frag.eta", day=day(s.estimated_delivery, lang))
        )
    last_update = ""
    if not compact and detail_text:
        last_update = text(
            lang, "frag.last_update", on_day=on_day, in_place=in_place, detail=detail_text
        )
    params = {
        "carrier": carrier_name(s, lang),
        "tracking": s.tracking_number or "",
        "on_day": on_day,
        "in_place": in_place,
        "detail": detail,
        "eta": eta,
        "last_update": last_update,
    }
    if s.status == S.DELIVERED and s.delivered_at:
        params["on_day"] = text(lang, "frag.on_day", day=day(s.delivered_at, lang))
    # An empty slot (no scan date, no place) must not leave a double space behind.
    return SPACES.sub(" ", text(lang, f"status.{s.status.value}", **params)).strip()
