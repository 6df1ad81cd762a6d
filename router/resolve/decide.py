"""Facts → decision: which order, is the sender its owner, and what to do next. Pure functions.

The pipeline calls `plan` (what to look up), does the look-ups, then `decide`. Every branch
names the rule that fired, in the order below (the first that applies wins):

  limit.lookups            too many look-ups from this sender / for this order: nothing looked up
  greeting                 hello / thanks with no order in it
  escalate.human_request   the customer asks for a person
  ask.clarify              confidence below the threshold: ask, do not guess
  escalate.non_wismo       refunds, returns, damage…: a human, with a holding reply
  hold.source_unavailable  a shop or carrier system failed: holding reply + a human, no facts
  ask.identity             an order number without a second factor
  ask.not_found            unknown order, or someone else's: the same words either way
  ask.order_number         nothing to look up
  answer.several_orders    the sender's own recent orders: a summary, and which one?
  answer.cancelled / answer.not_shipped
  offer.lost, offer.delivered_missing            lost parcel, value ≤ auto_offer_max_value
  escalate.lost_needs_approval, escalate.claim_needs_approval     above it
  answer.delivered_wait    "delivered but not here", still inside the wait window
  escalate.high_value / escalate.repeat_contact / escalate.anger   facts + a human
  answer.action_required   the carrier needs the customer to act
  answer.status

What the customer is told when an order is unknown is word for word what they are told when
it belongs to someone else, so a reply never reveals that an order exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field

from router.classify.base import Result
from router.events import Action, Entities, FactSource, IdentityCheck, Model, OrderFacts, Party
from router.orders.base import Order
from router.resolve.identity import offered_second_factor, verify
from router.resolve.reasoning import notes, order_facts, sources, tagged
from router.settings import PolicySettings

MAX_ORDER_LOOKUPS = 3
ASK_ORDER = "order_number"
ASK_FACTOR = "email_or_phone"
CONTINUATION_CONFIDENCE = 0.8


class Context(Model):
    """What the conversation established in its last turn (the pipeline loads it)."""

    intent: str | None = None
    asked_for: list[str] = Field(default_factory=list)
    entities: Entities = Field(default_factory=Entities)


class Resolution(Model):
    intent: str
    wismo: bool
    confidence: float
    language: str
    entities: Entities
    action: Action
    rule: str
    reason: str | None = None
    identity: IdentityCheck = Field(default_factory=lambda: IdentityCheck(verified=False))
    asked_for: list[str] = Field(default_factory=list)
    order: OrderFacts | None = None
    notes: list[str] = Field(default_factory=list)
    other_orders: list[OrderFacts] = Field(default_factory=list)
    facts: list[FactSource] = Field(default_factory=list)
    offers: list[str] = Field(default_factory=list, description="Offered now, or to approve")
    wait_until: date | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    order_numbers: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.order_numbers or self.email or self.phone)


@dataclass(frozen=True, slots=True)
class Lookups:
    by_number: dict[str, Order | None] = field(default_factory=dict)
    by_contact: tuple[Order, ...] = ()
    failed: tuple[str, ...] = ()  # systems that could not answer


@dataclass(frozen=True, slots=True)
class History:
    """What the store knows about earlier contacts (the pipeline loads it)."""

    recent_contacts: int = 0  # earlier WISMO answers about the same order, in the window
    limited: bool = False  # the sender or the order has hit a look-up limit


def merge(result: Result, context: Context) -> Result:
    """A follow-up ("alice@example.com") continues the question we asked about."""
    entities = Entities(
        # A number named now replaces the one we were talking about; factors accumulate.
        order_numbers=result.entities.order_numbers or context.entities.order_numbers,
        tracking_numbers=result.entities.tracking_numbers or context.entities.tracking_numbers,
        emails=_union(result.entities.emails, context.entities.emails),
        phones=_union(result.entities.phones, context.entities.phones),
        postcodes=_union(result.entities.postcodes, context.entities.postcodes),
        phone_last4=_union(result.entities.phone_last4, context.entities.phone_last4),
    )
    continues = (
        context.asked_for
        and context.intent is not None
        and (result.wismo or result.intent in ("other", "greeting_thanks"))
    )
    if not continues or context.intent is None:
        return Result(result.intent, result.wismo, result.confidence, result.language, entities)
    # The answer to our question: its own WISMO reading if it has one, else the question's.
    intent = result.intent if result.wismo else context.intent
    wismo = intent.startswith("wismo.")
    if wismo and result.wismo:
        confidence = max(result.confidence, CONTINUATION_CONFIDENCE)
    elif wismo:  # the message itself read as not-WISMO: the question we asked decides
        confidence = CONTINUATION_CONFIDENCE
    else:
        confidence = result.confidence
    return Result(intent, wismo, confidence, result.language, entities)


def _union(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def plan(result: Result, sender: Party) -> Plan:
    if not result.wismo:
        return Plan()
    numbers = tuple(result.entities.order_numbers[:MAX_ORDER_LOOKUPS])
    if numbers:
        return Plan(order_numbers=numbers)
    return Plan(email=sender.email, phone=sender.phone)


def owner_check(result: Result, sender: Party) -> Callable[[Order], bool]:
    """Does the sender own this order, with what the message gave? (The same test decide
    applies; the fact gathering uses it before asking carriers about an order.)"""
    named = set(result.entities.order_numbers)

    def owned(order: Order) -> bool:
        return verify(
            order, sender, result.entities, named_by_number=order.number in named
        ).verified

    return owned


def decide(
    result: Result,
    sender: Party,
    lookups: Lookups,
    *,
    now: datetime,
    threshold: float,
    policy: PolicySettings | None = None,
    history: History | None = None,
    angry: bool = False,
) -> Resolution:
    policy = policy or PolicySettings()
    history = history or History()
    if history.limited and result.wismo:
        return _make(result, Action.ASK, "limit.lookups", reason="look-up limit reached")
    has_order = bool(result.entities.order_numbers or result.entities.tracking_numbers)
    if result.intent == "greeting_thanks" and not has_order:
        return _make(result, Action.ANSWER, "greeting")
    if result.intent == "human_request" and result.confidence >= threshold:
        return _make(result, Action.ESCALATE, "escalate.human_request", reason="asked for a person")
    if result.confidence < threshold:
        return _make(result, Action.ASK, "ask.clarify", asked_for=[ASK_ORDER, ASK_FACTOR])
    if not result.wismo:
        return _make(
            result, Action.ESCALATE, "escalate.non_wismo", reason=f"intent {result.intent}"
        )
    if lookups.failed:
        return _make(
            result,
            Action.ESCALATE,
            "hold.source_unavailable",
            reason="unavailable: " + ", ".join(lookups.failed),
        )

    numbers = result.entities.order_numbers[:MAX_ORDER_LOOKUPS]
    if numbers:
        for number in numbers:
            order = lookups.by_number.get(number)
            if order is None:
                continue
            identity = verify(order, sender, result.entities, named_by_number=True)
            if identity.verified:
                return _next_step(result, order, identity, now, policy, history, angry)
        if not offered_second_factor(result.entities):
            return _make(result, Action.ASK, "ask.identity", asked_for=[ASK_FACTOR])
        return _make(result, Action.ASK, "ask.not_found", asked_for=[ASK_ORDER, ASK_FACTOR])

    owned = [
        (o, verify(o, sender, result.entities, named_by_number=False)) for o in lookups.by_contact
    ]
    owned = [(o, identity) for o, identity in owned if identity.verified]
    if len(owned) == 1:
        return _next_step(result, owned[0][0], owned[0][1], now, policy, history, angry)
    if owned:
        return _make(
            result,
            Action.ANSWER,
            "answer.several_orders",
            identity=owned[0][1],
            other_orders=[order_facts(o) for o, _ in owned],
            facts=[o.source for o, _ in owned],
            asked_for=[ASK_ORDER],
        )
    return _make(result, Action.ASK, "ask.order_number", asked_for=[ASK_ORDER, ASK_FACTOR])


def _make(result: Result, action: Action, rule: str, **extra: Any) -> Resolution:
    return Resolution(
        intent=result.intent,
        wismo=result.wismo,
        confidence=result.confidence,
        language=result.language,
        entities=result.entities,
        action=action,
        rule=rule,
        **extra,
    )


def _next_step(
    result: Result,
    order: Order,
    identity: IdentityCheck,
    now: datetime,
    policy: PolicySettings,
    history: History,
    angry: bool,
) -> Resolution:
    tags = notes(order, now, policy)
    base: dict[str, Any] = {
        "identity": identity,
        "order": order_facts(order),
        "notes": tags,
        "facts": sources(order),
    }

    def make(action: Action, rule: str, **extra: Any) -> Resolution:
        return _make(result, action, rule, **base, **extra)

    if "cancelled" in tags:
        return make(Action.ANSWER, "answer.cancelled")
    if "not_shipped" in tags:
        return make(Action.ANSWER, "answer.not_shipped")

    lost = bool(tagged(tags, "lost"))
    delivered = tagged(tags, "delivered")
    missing = result.intent == "wismo.not_received" and bool(delivered)
    wait_until = None
    if missing:
        last_delivery = max(date.fromisoformat(d[1]) for d in delivered)
        wait_until = last_delivery + timedelta(days=policy.delivered_wait_days)
    if lost or (missing and wait_until is not None and now.date() > wait_until):
        kind = "lost" if lost else "delivered_missing"
        if order.total <= policy.auto_offer_max_value and policy.offers:
            return make(Action.OFFER, f"offer.{kind}", offers=list(policy.offers))
        rule = "escalate.lost_needs_approval" if lost else "escalate.claim_needs_approval"
        reason = f"order value {order.total:.2f} {order.currency} above the automatic limit"
        return make(Action.ESCALATE, rule, offers=list(policy.offers), reason=reason)
    if missing:
        return make(Action.ANSWER, "answer.delivered_wait", wait_until=wait_until)
    if order.total >= policy.high_value:
        reason = f"order value {order.total:.2f} {order.currency}"
        return make(Action.ESCALATE, "escalate.high_value", reason=reason)
    if history.recent_contacts > 0:
        reason = f"asked {history.recent_contacts + 1} times in {policy.repeat_contact_hours} h"
        return make(Action.ESCALATE, "escalate.repeat_contact", reason=reason)
    if angry:
        return make(Action.ESCALATE, "escalate.anger", reason="the customer is upset")
    if tagged(tags, "action_required"):
        return make(Action.ANSWER, "answer.action_required")
    return make(Action.ANSWER, "answer.status")
