"""Facts → decision: which order, is the sender its owner, and what to do. Pure functions.

The pipeline calls `plan` (what to look up), does the look-ups, then `decide`. Every branch
names the rule that fired; what the customer is told when an order is unknown is word for word
what they are told when it belongs to someone else, so a reply never reveals that an order
exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field

from router.classify.base import Result
from router.events import (
    Action,
    Entities,
    FactSource,
    IdentityCheck,
    Model,
    OrderFacts,
    Party,
)
from router.orders.base import Order
from router.resolve.identity import offered_second_factor, verify
from router.resolve.reasoning import notes, order_facts

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


@dataclass(frozen=True, slots=True)
class Plan:
    order_numbers: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Lookups:
    by_number: dict[str, Order | None] = field(default_factory=dict)
    by_contact: tuple[Order, ...] = ()


def merge(result: Result, context: Context) -> Result:
    """A follow-up ("alice@example.com") continues the question we asked about."""
    entities = Entities(
        # A number named now replaces the one we were talking about; factors accumulate.
        order_numbers=result.entities.order_numbers or context.entities.order_numbers,
        tracking_numbers=result.entities.tracking_numbers or context.entities.tracking_numbers,
        emails=_union(result.entities.emails, context.entities.emails),
        phones=_union(result.entities.phones, context.entities.phones),
        postcodes=_union(result.entities.postcodes, context.entities.postcodes),
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


def decide(
    result: Result,
    sender: Party,
    lookups: Lookups,
    *,
    now: datetime,
    threshold: float,
) -> Resolution:
    if result.intent == "greeting_thanks" and not result.entities.order_numbers:
        return _make(result, Action.ANSWER, "greeting")
    if result.confidence < threshold:
        return _make(result, Action.ASK, "ask.clarify", asked_for=[ASK_ORDER, ASK_FACTOR])
    if not result.wismo:
        rule = (
            "escalate.human_request" if result.intent == "human_request" else "escalate.non_wismo"
        )
        return _make(result, Action.ESCALATE, rule, reason=f"intent {result.intent}")

    numbers = result.entities.order_numbers[:MAX_ORDER_LOOKUPS]
    if numbers:
        for number in numbers:
            order = lookups.by_number.get(number)
            if order is None:
                continue
            identity = verify(order, sender, result.entities, named_by_number=True)
            if identity.verified:
                return _answer(result, order, identity, now)
        if not offered_second_factor(result.entities):
            return _make(result, Action.ASK, "ask.identity", asked_for=[ASK_FACTOR])
        return _make(result, Action.ASK, "ask.not_found", asked_for=[ASK_ORDER, ASK_FACTOR])

    owned = [
        (o, verify(o, sender, result.entities, named_by_number=False)) for o in lookups.by_contact
    ]
    owned = [(o, identity) for o, identity in owned if identity.verified]
    if len(owned) == 1:
        return _answer(result, owned[0][0], owned[0][1], now)
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


def _answer(result: Result, order: Order, identity: IdentityCheck, now: datetime) -> Resolution:
    tags = notes(order, now)
    if "cancelled" in tags:
        rule = "answer.cancelled"
    elif "not_shipped" in tags:
        rule = "answer.not_shipped"
    else:
        rule = "answer.status"
    return _make(
        result,
        Action.ANSWER,
        rule,
        identity=identity,
        order=order_facts(order),
        notes=tags,
        facts=[order.source],
    )
