"""The pipeline role: inbound message → classify → gather facts → resolve → render → publish.

Idempotent: a redelivered message whose turn was recorded is skipped; one that was not is
decided again and republished with the same ids (decision:/reply:/escalation:<inbound id>),
which dispatch and every other consumer dedupe. The customer's message is recorded first (so
a conversation reads question → answer); the decision and the ledger row are written only
after the publishes succeeded, so a crash in between means a redelivery, never a lost reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from router.bus import EventBus, Record
from router.bus import topics as t
from router.bus.codec import decode_as, publish_event
from router.classify.base import Classifier
from router.classify.tone import angry
from router.events import (
    Action,
    Decision,
    Escalation,
    HandoffMessage,
    InboundMessage,
    OutboundMessage,
)
from router.facts import Gatherer
from router.limits import SlidingLimit
from router.metrics import Metrics
from router.reply.compose import Followup
from router.reply.formats import Format
from router.reply.render import render
from router.resolve.decide import (
    ASK_ORDER,
    Context,
    History,
    Lookups,
    Plan,
    Resolution,
    decide,
    merge,
    owner_check,
    plan,
)
from router.settings import Settings
from router.store import handoffs, notices, repo
from router.store.db import Database

log = structlog.get_logger(__name__)

CONSUMER = "pipeline"
CONTEXT_WINDOW = timedelta(minutes=30)
HOUR_S = 3600.0
FAILED_CHECK_RULES = frozenset({"ask.not_found"})


@dataclass
class Pipeline:
    db: Database
    bus: EventBus
    facts: Gatherer
    classifier: Classifier
    settings: Settings
    metrics: Metrics
    clock: Callable[[], datetime]
    formats: Mapping[str, Format] = field(default_factory=dict)  # channel → reply format
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        policy = self.settings.policy
        self._idle = timedelta(minutes=self.settings.handoff.idle_minutes)
        self.sender_lookups = SlidingLimit(policy.lookups_per_sender_per_hour, HOUR_S)
        self.failed_checks = SlidingLimit(policy.failed_checks_per_order_per_hour, HOUR_S)

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
        handoff = await handoffs.active(self.db, inbound.conversation_key)
        quiet_until = handoff.quiet_until(self._idle) if handoff is not None else None
        if quiet_until is not None and now < quiet_until:
            # A human holds this conversation: the message goes to their thread, unanswered.
            await publish_event(self.bus, t.ESCALATIONS, _handoff_message(inbound, now, None))
            await repo.mark_processed(self.db, CONSUMER, inbound.event_id, now)
            self.metrics.decisions.labels(intent="held", action="held_for_human").inc()
            log.info("held_for_human", event_id=inbound.event_id)
            return
        raw = self.classifier.classify(
            inbound.text,
            language_hint=inbound.language,
            expect_order=ASK_ORDER in context.asked_for,
        )
        result = merge(raw, context)
        wanted = plan(result, inbound.sender)
        limited = self._limited(inbound, wanted)
        lookups = Lookups()
        if not (limited or wanted.empty):
            lookups = await self.facts.gather(
                wanted, now, owned=owner_check(result, inbound.sender)
            )
        recent = await self._recent_contacts(inbound, wanted, lookups, now)
        history = History(recent_contacts=recent, limited=limited)
        resolution = decide(
            result,
            inbound.sender,
            lookups,
            now=now,
            threshold=self.settings.classifier.threshold,
            policy=self.settings.policy,
            history=history,
            angry=angry(inbound.text),
        )
        self._count(inbound, wanted, resolution, limited)
        fmt = self.formats.get(inbound.channel, "chat")
        reply = render(
            resolution,
            now,
            fmt=fmt,
            brand=self.settings.brand,
            name=inbound.sender.name,
            followup=await self._followup(resolution, now),
        )
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
            offers=resolution.offers,
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
            subject=reply.subject,
            html=reply.html,
            links=reply.links,
            quick_replies=reply.quick_replies,
            received_at=inbound.received_at,
        )
        if decision.order is not None and decision.action in (Action.ANSWER, Action.OFFER):
            # They asked first and now learn where it stands: pending notices add nothing.
            await notices.make_redundant(self.db, decision.order.number, now)
        await publish_event(self.bus, t.DECISIONS, decision)
        if decision.action == Action.ESCALATE:
            await publish_event(
                self.bus, t.ESCALATIONS, _escalation(inbound, decision, resolution, about)
            )
        elif handoff is not None:
            # A human desk has this conversation open: show them what was said and answered.
            await publish_event(self.bus, t.ESCALATIONS, _handoff_message(inbound, now, reply.text))
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

    async def _followup(self, resolution: Resolution, now: datetime) -> Followup | None:
        """We told this customer about this order recently (a proactive notice): the answer
        says so, and whether the parcel's status changed since."""
        order = resolution.order
        if order is None or not resolution.identity.verified:
            return None
        if resolution.action not in (Action.ANSWER, Action.OFFER):
            return None
        since = now - timedelta(days=self.settings.notify.followup_days)
        told = await notices.sent_for_order(self.db, order.number, since)
        if not told or told[-1].sent_at is None:
            return None
        last = told[-1]
        assert last.sent_at is not None
        now_status = next(
            (s.status for s in order.shipments if s.tracking_number == last.tracking_number),
            None,
        )
        then = last.facts.get("status")
        changed = now_status if now_status is not None and now_status.value != then else None
        return Followup(told_on=last.sent_at.date(), changed=changed)

    def _limited(self, inbound: InboundMessage, wanted: Plan) -> bool:
        now = self.monotonic()
        if wanted.empty:
            return False
        if self.sender_lookups.exceeded(inbound.sender.id, now):
            return True
        return any(self.failed_checks.exceeded(n, now) for n in wanted.order_numbers)

    def _count(
        self, inbound: InboundMessage, wanted: Plan, resolution: Resolution, limited: bool
    ) -> None:
        """Charge the look-up (and a failed check) against the limits."""
        if wanted.empty or limited:
            return
        now = self.monotonic()
        self.sender_lookups.record(inbound.sender.id, now)
        if resolution.rule in FAILED_CHECK_RULES:
            for number in wanted.order_numbers:
                self.failed_checks.record(number, now)

    async def _recent_contacts(
        self, inbound: InboundMessage, wanted: Plan, lookups: Lookups, now: datetime
    ) -> int:
        numbers = [*wanted.order_numbers, *(o.number for o in lookups.by_contact)]
        since = now - timedelta(hours=self.settings.policy.repeat_contact_hours)
        counts = [
            await repo.recent_answers(
                self.db,
                n.lstrip("#"),
                since,
                conversation_key=inbound.conversation_key,
                same_contact_since=now - CONTEXT_WINDOW,
            )
            for n in numbers[:3]
        ]
        return max(counts, default=0)

    async def _context(self, inbound: InboundMessage, now: datetime) -> Context:
        previous = await repo.last_decision(self.db, inbound.conversation_key, now - CONTEXT_WINDOW)
        if previous is None or not previous.asked_for:
            return Context()
        return Context(
            intent=previous.intent, asked_for=previous.asked_for, entities=previous.entities
        )


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


def _escalation(
    inbound: InboundMessage, decision: Decision, resolution: Resolution, about: dict[str, Any]
) -> Escalation:
    return Escalation(
        event_id=Escalation.make_id(inbound.event_id),
        **about,
        decision_id=decision.event_id,
        reason=resolution.reason or decision.rule,
        rule=decision.rule,
        intent=decision.intent,
        language=decision.language,
        customer_text=inbound.text,
        suggested_reply=decision.reply_text,
        order=decision.order,
        needs_approval=resolution.offers if decision.rule.endswith("needs_approval") else [],
        recipient=inbound.sender,
        route=inbound.route,
        entities=decision.entities,
        confidence=decision.confidence,
        classifier=decision.classifier,
        received_at=inbound.received_at,
    )


def _handoff_message(inbound: InboundMessage, now: datetime, reply: str | None) -> HandoffMessage:
    return HandoffMessage(
        event_id=HandoffMessage.make_id(inbound.event_id),
        trace_id=inbound.trace_id,
        occurred_at=now,
        inbound_id=inbound.event_id,
        conversation_key=inbound.conversation_key,
        channel=inbound.channel,
        provider=inbound.provider,
        customer_text=inbound.text,
        bot_reply=reply,
    )
