"""The Slack desk: escalation cards, their threads, and what humans do with them.

The desk role consumes two topics, both keyed by conversation so one conversation's events
stay in order: wismo.escalations.v1 (new escalations → one card each; customer messages
during a handoff → its thread) and wismo.desk.v1 (human actions that inbound.py verified).

Exactly one thread per escalation: the handoff row is claimed before posting and the thread
ts is stored after; a redelivery after a crash in between finds the card by the metadata it
was posted with (conversations.history) instead of posting a second. Side effects of human
actions are idempotent by construction (the outbound id comes from the desk event id; a
remedy's idempotency key is escalation + remedy, so two people approving one refund refund
once), then the action is recorded; only the card refresh and the thread notice can repeat.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import structlog
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from channels.base import ChannelDisabled, DeskContext
from channels.slack import blocks
from channels.slack.inbound import NAME, THREAD_REFS, SlackInbound, thread_ref
from channels.slack.settings import SlackSettings
from channels.webhook import webhook
from router.bus import Record
from router.bus import topics as t
from router.bus.codec import decode, publish_event
from router.events import (
    DeskAction,
    DeskCommand,
    Escalation,
    HandoffMessage,
    OutboundMessage,
)
from router.orders.actions import Remedy
from router.orders.errors import SourceError
from router.periodic import Periodic
from router.reply.notice import render_remedy
from router.store import channel_state, handoffs
from router.store.handoffs import HandoffView

log = structlog.get_logger(__name__)

METADATA_TYPE = "wismo_escalation"
POSTING_GRACE = timedelta(seconds=30)  # a post in flight elsewhere: wait, then look again
HISTORY_LOOKBACK = timedelta(minutes=10)
REMEDIES = {DeskCommand.APPROVE_RESHIP: Remedy.RESHIP, DeskCommand.APPROVE_REFUND: Remedy.REFUND}
ANSWERS = (DeskCommand.SEND_SUGGESTED, DeskCommand.REPLY)


class PostInFlight(Exception):
    """Another consumer claimed this escalation moments ago and may still be posting: retry."""


class Refused(Exception):
    """A human action that must not happen; told to that human only, nothing changes."""


class SlackDesk:
    name = NAME

    def __init__(self, ctx: DeskContext) -> None:
        self.ctx = ctx
        self.cfg = SlackSettings.model_validate(dict(ctx.config))
        if self.cfg.signing_secret is None or not self.cfg.signing_secret.get_secret_value():
            raise ChannelDisabled("signing_secret is not set: requests could not be verified")
        assert self.cfg.bot_token is not None
        assert self.cfg.channel is not None
        self.channel = self.cfg.channel
        self.client = AsyncWebClient(
            token=self.cfg.bot_token.get_secret_value(),
            base_url=self.cfg.api_base_url,
            timeout=int(max(self.cfg.timeout_s, 1)),
            session=ctx.http,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )
        self.inbound = SlackInbound(
            self.cfg, ingest=ctx.ingest, db=ctx.db, client=self.client, clock=ctx.clock
        )
        hook = webhook(NAME, ctx.ingest)
        self._events = hook(self.inbound.events)
        self._interactivity = hook(self.inbound.interactivity)
        handoff = ctx.settings.handoff
        self.idle = timedelta(minutes=handoff.idle_minutes)
        self.sla = timedelta(minutes=handoff.sla_minutes)
        self.interval = handoff.check_interval_s
        self._group: tuple[float, frozenset[str]] | None = None
        self.ticker = Periodic("slack-desk", self.tick, lambda: self.interval)

    def routes(self) -> Iterable[web.RouteDef]:
        return [
            web.post("/slack/events", self._events),
            web.post("/slack/interactivity", self._interactivity),
        ]

    async def start(self) -> None:
        self.ticker.start()

    async def close(self) -> None:
        await self.ticker.stop()

    # -- the desk role's consumer ------------------------------------------------------------

    async def handle(self, record: Record) -> None:
        event = decode(record)
        if isinstance(event, Escalation):
            await self.escalate(event)
        elif isinstance(event, HandoffMessage):
            await self.mirror(event)
        elif isinstance(event, DeskAction):
            if event.desk == NAME:
                await self.act(event)
        else:
            log.info("desk_ignored_event", event_type=type(event).__name__)

    async def escalate(self, escalation: Escalation) -> None:
        now = self.ctx.clock()
        existing = await handoffs.get(self.ctx.db, escalation.event_id)
        if existing is not None and existing.desk_ref is not None:
            return  # posted before: a redelivery
        if existing is None:
            other = await handoffs.active(self.ctx.db, escalation.conversation_key)
            if other is not None and other.desk_ref is not None:
                await self._escalate_again(other, escalation, now)
                return
            if not await handoffs.claim(self.ctx.db, escalation, NAME, now):
                existing = await handoffs.get(self.ctx.db, escalation.event_id)
        if existing is not None:
            # Claimed before and not known to be posted: find the card, else post it.
            found = await self._find_card(escalation.event_id, existing.created_at)
            if found is not None:
                await self._posted(escalation.event_id, found)
                return
            since = existing.posting_since
            if since is not None and now - since < POSTING_GRACE:
                raise PostInFlight(escalation.event_id)
        text, card = blocks.escalation_card(escalation)
        response = await self.client.chat_postMessage(
            channel=self.channel,
            text=text,
            blocks=card,
            unfurl_links=False,
            unfurl_media=False,
            metadata={
                "event_type": METADATA_TYPE,
                "event_payload": {"escalation_id": escalation.event_id},
            },
        )
        await self._posted(escalation.event_id, str(response["ts"]))
        log.info("escalation_posted", escalation_id=escalation.event_id, rule=escalation.rule)

    async def _posted(self, escalation_id: str, ts: str) -> None:
        await handoffs.set_desk_ref(self.ctx.db, escalation_id, {"channel": self.channel, "ts": ts})
        await channel_state.link_thread(
            self.ctx.db,
            THREAD_REFS,
            [thread_ref(self.channel, ts)],
            escalation_id,
            self.ctx.clock(),
        )

    async def _find_card(self, escalation_id: str, created_at: datetime) -> str | None:
        """The ts of a card already posted for this escalation, by its metadata."""
        oldest = (created_at - HISTORY_LOOKBACK).timestamp()
        cursor: str | None = None
        for _ in range(5):  # 5 pages of 200: far more than a few minutes of escalations
            page = await self.client.conversations_history(
                channel=self.channel,
                oldest=f"{oldest:.6f}",
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            )
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if (
                    metadata.get("event_type") == METADATA_TYPE
                    and payload.get("escalation_id") == escalation_id
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    async def _escalate_again(
        self, handoff: HandoffView, escalation: Escalation, now: datetime
    ) -> None:
        """The conversation already has a card: the new reason goes into its thread, once."""
        if not await handoffs.first_time(self.ctx.db, escalation.event_id):
            return
        text, card = blocks.escalation_card(escalation)
        await self._post_in_thread(handoff, text, card)
        await handoffs.remember(
            self.ctx.db, handoff.escalation_id, escalation.event_id, "escalated_again", now
        )

    async def mirror(self, message: HandoffMessage) -> None:
        """A customer message (and the bot's answer, if any) into the handoff's thread."""
        handoff = await handoffs.active(self.ctx.db, message.conversation_key)
        if handoff is None or handoff.desk_ref is None:
            return
        if not await handoffs.first_time(self.ctx.db, message.event_id):
            return
        text, body = blocks.handoff_message_blocks(message)
        await self._post_in_thread(handoff, text, body)
        await handoffs.remember(
            self.ctx.db,
            handoff.escalation_id,
            message.event_id,
            "customer_message",
            self.ctx.clock(),
        )

    async def _post_in_thread(
        self, handoff: HandoffView, text: str, body: list[dict[str, Any]]
    ) -> None:
        assert handoff.desk_ref is not None
        await self.client.chat_postMessage(
            channel=str(handoff.desk_ref["channel"]),
            thread_ts=str(handoff.desk_ref["ts"]),
            text=text,
            blocks=body,
            unfurl_links=False,
            unfurl_media=False,
        )

    # -- human actions -----------------------------------------------------------------------

    async def act(self, action: DeskAction) -> None:
        if not await handoffs.first_time(self.ctx.db, action.event_id):
            return  # a redelivery of an action carried out and recorded
        handoff = await handoffs.get(self.ctx.db, action.escalation_id)
        command = action.command.value
        try:
            if handoff is None:
                raise Refused("That escalation no longer exists.")
            if handoff.state == "resolved" and action.command != DeskCommand.NOTE:
                raise Refused("This escalation is resolved; nothing was done.")
            if action.command != DeskCommand.NOTE and not await self._may_act(action.user_id):
                group = self.cfg.allowed_group
                raise Refused(f"Only members of <!subteam^{group}> can act on escalations.")
            result = await self._carry_out(action, handoff)
        except Refused as exc:
            self.ctx.metrics.desk_actions.labels(command=command, outcome="refused").inc()
            await self._tell(action, str(exc))
            return
        except SourceError as exc:
            if exc.retry:
                self.ctx.metrics.desk_actions.labels(command=command, outcome="retry").inc()
                raise
            self.ctx.metrics.desk_actions.labels(command=command, outcome="failed").inc()
            await self._tell(action, f"The order system refused it: {exc}. Nothing was done.")
            return
        assert handoff is not None
        first = await handoffs.record_action(self.ctx.db, action, result)
        if not first:
            return  # a redelivery: the card and thread were updated the first time
        self.ctx.metrics.desk_actions.labels(command=command, outcome="done").inc()
        after = await handoffs.get(self.ctx.db, action.escalation_id)
        assert after is not None
        if handoff.picked_up_at is None and after.picked_up_at is not None:
            waited = (after.picked_up_at - handoff.created_at).total_seconds()
            self.ctx.metrics.escalation_pickup.observe(max(waited, 0.0))
        if action.command != DeskCommand.NOTE:
            await self._refresh_card(after)
            text, body = self._notice(action, result)
            await self._post_in_thread(after, text, body)
        log.info("desk_action", escalation_id=action.escalation_id, command=command)

    async def _carry_out(self, action: DeskAction, handoff: HandoffView) -> dict[str, Any]:
        """The action's effect outside the desk; what to record about it."""
        escalation = handoff.escalation
        if action.command in ANSWERS:
            text = (
                escalation.suggested_reply
                if action.command == DeskCommand.SEND_SUGGESTED
                else action.text
            )
            if not text or not text.strip():
                raise Refused("There is no text to send.")
            outbound = self._to_customer(escalation, f"human:{action.event_id}", text.strip())
            await publish_event(self.ctx.bus, t.OUTBOUND, outbound)
            return {"outbound_id": outbound.event_id}
        remedy = REMEDIES.get(action.command)
        if remedy is not None:
            return await self._approve(action, handoff, remedy)
        return {}

    async def _approve(
        self, action: DeskAction, handoff: HandoffView, remedy: Remedy
    ) -> dict[str, Any]:
        escalation = handoff.escalation
        if remedy.value not in escalation.needs_approval:
            raise Refused(f"This escalation does not ask for a {remedy.value}.")
        if action.command.value in handoff.done:
            raise Refused(f"The {remedy.value} was approved already.")
        if escalation.order is None:
            raise Refused("The escalation names no order.")
        if self.ctx.order_actions is None:
            raise Refused("No order system is configured to carry this out.")
        done = await self.ctx.order_actions.carry_out(
            remedy,
            escalation.order.number,
            idempotency_key=f"{escalation.event_id}:{remedy.value}",
            approved_by=action.user_name or action.user_id,
            note=f"Approved in Slack by {action.user_name or action.user_id}",
        )
        fmt = self.ctx.formats.get(escalation.channel, "chat")
        reply = render_remedy(
            remedy.value,
            escalation.order.number,
            language=escalation.language,
            fmt=fmt,
            brand=self.ctx.settings.brand,
            now=self.ctx.clock(),
            name=escalation.recipient.name if escalation.recipient else None,
        )
        outbound = self._to_customer(
            escalation,
            f"remedy:{escalation.event_id}:{remedy.value}",
            reply.text,
            subject=reply.subject,
            html=reply.html,
        )
        await publish_event(self.ctx.bus, t.OUTBOUND, outbound)
        return {"reference": done.reference, "outbound_id": outbound.event_id}

    def _to_customer(
        self,
        escalation: Escalation,
        event_id: str,
        text: str,
        *,
        subject: str | None = None,
        html: str | None = None,
    ) -> OutboundMessage:
        if escalation.recipient is None:
            raise Refused("This escalation has no customer address to answer.")
        return OutboundMessage(
            event_id=event_id,
            trace_id=escalation.trace_id,
            occurred_at=self.ctx.clock(),
            inbound_id=escalation.inbound_id,
            conversation_key=escalation.conversation_key,
            channel=escalation.channel,
            provider=escalation.provider,
            recipient=escalation.recipient,
            route=escalation.route,
            text=text,
            subject=subject,
            html=html,
            author="human",
        )

    async def _may_act(self, user_id: str) -> bool:
        group = self.cfg.allowed_group
        if group is None:
            return True
        now = time.monotonic()
        if self._group is None or now - self._group[0] > self.cfg.group_cache_s:
            response = await self.client.usergroups_users_list(usergroup=group)
            self._group = (now, frozenset(response.get("users") or []))
        return user_id in self._group[1]

    async def _tell(self, action: DeskAction, text: str) -> None:
        """An ephemeral message to the human who acted: only they see it."""
        where = action.reply_to
        channel = where.get("channel") or self.channel
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=action.user_id, text=text, thread_ts=where.get("thread_ts")
            )
        except SlackApiError as exc:
            # Telling them is best effort: the action was refused either way.
            log.warning("slack_ephemeral_failed", error=str(exc.response.get("error")))

    def _notice(
        self, action: DeskAction, result: dict[str, Any]
    ) -> tuple[str, list[dict[str, Any]]]:
        user = action.user_id
        if action.command in ANSWERS:
            handoff_text = action.text
            if action.command == DeskCommand.SEND_SUGGESTED:
                handoff_text = "the suggested reply"
            return blocks.human_reply_notice(user, handoff_text or "")
        what = {
            DeskCommand.TAKE_OVER: "took this over: the bot stays quiet until it is resolved",
            DeskCommand.RESOLVE: "resolved this: the bot answers again",
            DeskCommand.APPROVE_RESHIP: f"approved the reship ({result.get('reference')})",
            DeskCommand.APPROVE_REFUND: f"approved the refund ({result.get('reference')})",
        }.get(action.command, action.command.value)
        return blocks.action_notice(user, what)

    async def _refresh_card(self, handoff: HandoffView) -> None:
        if handoff.desk_ref is None:
            return
        state = blocks.CardState(
            state=handoff.state,
            taken_by=handoff.picked_up_by,
            resolved_by=handoff.resolved_by,
            approved=frozenset(
                remedy.value
                for command, remedy in REMEDIES.items()
                if command.value in handoff.done
            ),
            suggested_sent=DeskCommand.SEND_SUGGESTED.value in handoff.done,
        )
        text, card = blocks.escalation_card(handoff.escalation, state)
        try:
            await self.client.chat_update(
                channel=str(handoff.desk_ref["channel"]),
                ts=str(handoff.desk_ref["ts"]),
                text=text,
                blocks=card,
            )
        except SlackApiError as exc:
            # The action is done and recorded; a stale card is shown until the next refresh.
            log.warning("slack_card_update_failed", error=str(exc.response.get("error")))

    # -- reminders and idle hand-backs -------------------------------------------------------

    async def tick(self) -> None:
        """Ping escalations nobody picked up within the SLA; hand idle ones back to the bot."""
        now = self.ctx.clock()
        for handoff in await handoffs.due_for_ping(self.ctx.db, now, self.sla):
            if not await handoffs.claim_ping(self.ctx.db, handoff.escalation_id, now, self.sla):
                continue  # another desk process reminds this round
            waited = int((now - handoff.created_at).total_seconds() // 60)
            text, body = blocks.sla_ping(self.cfg.ping_group, waited)
            await self._post_in_thread(handoff, text, body)
            self.ctx.metrics.escalation_pings.inc()
        for handoff in await handoffs.resolve_idle(self.ctx.db, now, self.idle):
            await self._refresh_card(handoff)
            minutes = int(self.idle.total_seconds() // 60)
            text, body = blocks.action_notice(
                None, f"No human activity for {minutes} min: the bot answers again."
            )
            await self._post_in_thread(handoff, text, body)
        self.ctx.metrics.escalations_waiting.set(await handoffs.waiting(self.ctx.db))
