"""The pipeline role: inbound message → classify → gather facts → resolve → render → publish.

Idempotent: a redelivered message whose turn was recorded is skipped; one that was not is
decided again and republished with the same ids (decision:/reply:/escalation:<inbound id>),
which dispatch and every other consumer dedupe. The customer's message is recorded first (so
a conversation reads question → answer); the decision and the ledger row are written only
after the publishes succeeded, so a crash in between means a redelivery, never a lost reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from router.bus import EventBus, Record
from router.bus import topics as t
from router.bus.codec import decode_as, publish_event
from router.classify.base import Classifier
from router.events import (
    Action,
    Decision,
    Escalation,
    InboundMessage,
    OutboundMessage,
)
from router.metrics import Metrics
from router.orders.base import Order, OrderSource
from router.reply.render import render
from router.resolve.decide import ASK_ORDER, Context, Lookups, Plan, decide, merge, plan
from router.settings import Settings
from router.store import repo
from router.store.db import Database

log = structlog.get_logger(__name__)

CONSUMER = "pipeline"
CONTEXT_WINDOW = timedelta(minutes=30)


@dataclass
class Pipeline:
    db: Database
    bus: EventBus
    orders: OrderSource
    classifier: Classifier
    settings: Settings
    metrics: Metrics
    clock: Callable[[], datetime]

    async def handle(self, record: Record) -> None:
        inbound = decode_as(InboundMessage, record)
        if await repo.is_processed(self.db, CONSUMER, inbound.event_id):
            log.info("duplicate_skipped", event_id=inbound.event_id)
            return
        try:
            await self._handle(inbound)
        except Exception as exc:
            self.metrics.errors.labels(role="pipeline", kind=type(exc).__name__).inc()
            raise

    async def _handle(self, inbound: InboundMessage) -> None:
        now = self.clock()
        context = await self._context(inbound, now)
        await repo.record_inbound(self.db, inbound, now)
        raw = self.classifier.classify(
            inbound.text,
            language_hint=inbound.language,
            expect_order=ASK_ORDER in context.asked_for,
        )
        result = merge(raw, context)
        lookups = await self._look_up(plan(result, inbound.sender), now)
        resolution = decide(
            result,
            inbound.sender,
            lookups,
            now=now,
            threshold=self.settings.classifier.threshold,
        )
        reply = render(resolution, now)
        about = _about(inbound, now)
        decision = Decision(
            event_id=Decision.make_id(inbound.event_id),
            **about,
            intent=resolution.intent,
            wismo=resolution.wismo,
            confidence=resolution.confidence,
            language=resolution.language,
            entities=resolution.entities,
            action=resolution.action,
            rule=resolution.rule,
            notes=resolution.notes,
            identity=resolution.identity,
            asked_for=resolution.asked_for,
            order=resolution.order,
            facts=resolution.facts,
            reply_text=reply.text,
            classifier=self.classifier.name,
        )
        outbound = OutboundMessage(
            event_id=OutboundMessage.make_id(inbound.event_id),
            **about,
            decision_id=decision.event_id,
            recipient=inbound.sender,
            route=inbound.route,
            text=reply.text,
            links=reply.links,
            quick_replies=reply.quick_replies,
            received_at=inbound.received_at,
        )
        await publish_event(self.bus, t.DECISIONS, decision)
        if decision.action == Action.ESCALATE:
            escalation = Escalation(
                event_id=Escalation.make_id(inbound.event_id),
                **about,
                decision_id=decision.event_id,
                reason=decision.rule,
                rule=decision.rule,
                intent=decision.intent,
                language=decision.language,
                customer_text=inbound.text,
                order=decision.order,
            )
            await publish_event(self.bus, t.ESCALATIONS, escalation)
        await publish_event(self.bus, t.OUTBOUND, outbound)
        await repo.record_decision(self.db, CONSUMER, decision, now)
        self.metrics.decisions.labels(intent=decision.intent, action=decision.action.value).inc()
        log.info(
            "decided",
            event_id=inbound.event_id,
            intent=decision.intent,
            action=decision.action.value,
            rule=decision.rule,
            verified=decision.identity.verified,
        )

    async def _context(self, inbound: InboundMessage, now: datetime) -> Context:
        previous = await repo.last_decision(self.db, inbound.conversation_key, now - CONTEXT_WINDOW)
        if previous is None or not previous.asked_for:
            return Context()
        return Context(
            intent=previous.intent, asked_for=previous.asked_for, entities=previous.entities
        )

    async def _look_up(self, wanted: Plan, now: datetime) -> Lookups:
        by_number = {n: await self.orders.by_number(n, now=now) for n in wanted.order_numbers}
        by_contact: tuple[Order, ...] = ()
        if wanted.email or wanted.phone:
            by_contact = tuple(
                await self.orders.by_contact(email=wanted.email, phone=wanted.phone, now=now)
            )
        return Lookups(by_number=by_number, by_contact=by_contact)


def _about(inbound: InboundMessage, now: datetime) -> dict[str, Any]:
    """The fields every event about one inbound message shares."""
    return {
        "trace_id": inbound.trace_id,
        "occurred_at": now,
        "inbound_id": inbound.event_id,
        "conversation_key": inbound.conversation_key,
        "channel": inbound.channel,
        "provider": inbound.provider,
    }
