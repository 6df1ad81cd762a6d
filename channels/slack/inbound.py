"""Requests from Slack: the Events API (thread messages) and interactivity (buttons, the reply
modal). Each is verified with slack_sdk's SignatureVerifier (5-minute window) before anything
else, turned into one DeskAction and put on the stream; Slack gets its 200 once the stream has
it, well within its 3 seconds, and the desk role does the work after. A retried delivery
(X-Slack-Retry-Num) carries the same event id and is acknowledged without a second action.

Only "Reply…" does something before the ack: Slack's trigger_id lives 3 seconds, so its modal
is opened at once (opening a modal changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import structlog
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack import blocks
from channels.slack.settings import SlackSettings
from channels.webhook import Rejected, error_response, read_body
from router.bus import topics as t
from router.events import DeskAction, DeskCommand
from router.ingest import Ingest
from router.store import channel_state, handoffs
from router.store.db import Database

log = structlog.get_logger(__name__)

NAME = "slack"
THREAD_REFS = "slack"  # channel_state thread refs: "<channel>:<thread ts>" → escalation id


def thread_ref(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


class _Clock(Clock):
    """The injected clock, for the verifier's 5-minute window."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now().timestamp()


class SlackInbound:
    def __init__(
        self,
        cfg: SlackSettings,
        *,
        ingest: Ingest,
        db: Database,
        client: AsyncWebClient,
        clock: Callable[[], datetime],
    ) -> None:
        assert cfg.signing_secret is not None
        assert cfg.channel is not None
        self.cfg = cfg
        self.channel = cfg.channel
        self.ingest = ingest
        self.db = db
        self.client = client
        self.clock = clock
        self.verifier = SignatureVerifier(cfg.signing_secret.get_secret_value(), _Clock(clock))

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        timestamp = headers.get("X-Slack-Request-Timestamp")
        signature = headers.get("X-Slack-Signature")
        try:
            valid = self.verifier.is_valid(body, timestamp, signature)
        except (ValueError, TypeError):  # a non-numeric timestamp, a body that is not UTF-8
            valid = False
        if not valid:
            raise Rejected(401, "bad_signature", "The Slack signature is missing, wrong or stale.")

    # -- Events API --------------------------------------------------------------------------

    async def events(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        self.verify(body, request.headers)
        payload = _json_object(body)
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                raise Rejected(400, "bad_payload", "url_verification without a challenge.")
            return web.json_response({"challenge": challenge})
        if kind != "event_callback":
            return self._ignored("event_type")
        event_id = payload.get("event_id")
        event = payload.get("event")
        if not isinstance(event_id, str) or not event_id or not isinstance(event, dict):
            raise Rejected(400, "bad_payload", "event_callback without event_id or event.")
        retry = request.headers.get("X-Slack-Retry-Num")
        if retry:
            reason = request.headers.get("X-Slack-Retry-Reason")
            log.info("slack_retry", event_id=event_id, retry=retry, reason=reason)
        action = await self._thread_message(event_id, event)
        if action is None:
            return self._ignored("not_a_thread_reply")
        await self.ingest.accept_event(action, t.DESK, NAME)
        return web.json_response({"ok": True})

    async def _thread_message(self, event_id: str, event: dict[str, Any]) -> DeskAction | None:
        """A human's message in an escalation's thread; None for everything else (top-level
        messages, edits, bots including ourselves, other channels)."""
        if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
            return None
        channel, thread_ts = event.get("channel"), event.get("thread_ts")
        user, text = event.get("user"), event.get("text")
        if channel != self.channel or not isinstance(text, str):
            return None
        if not (isinstance(thread_ts, str) and thread_ts and isinstance(user, str) and user):
            return None
        escalation_id = await channel_state.find_thread(
            self.db, THREAD_REFS, [thread_ref(self.channel, thread_ts)]
        )
        if escalation_id is None:
            return None
        handoff = await handoffs.get(self.db, escalation_id)
        if handoff is None:
            return None
        stripped = text.lstrip()
        prefix = self.cfg.reply_prefix
        to_customer = stripped[: len(prefix)].casefold() == prefix.casefold()
        message = stripped[len(prefix) :].strip() if to_customer else text
        return DeskAction(
            event_id=f"slack:event:{event_id}",
            occurred_at=self.clock(),
            escalation_id=escalation_id,
            conversation_key=handoff.conversation_key,
            desk=NAME,
            command=DeskCommand.REPLY if to_customer else DeskCommand.NOTE,
            user_id=user[:128],
            text=message,
            acted_at=self.clock(),
            reply_to={"channel": channel, "user": user, "thread_ts": thread_ts},
        )

    # -- interactivity -----------------------------------------------------------------------

    async def interactivity(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        self.verify(body, request.headers)
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=False, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            raise Rejected(400, "bad_form", "The body is not a form.") from None
        raw = form.get("payload", [None])[0]
        if raw is None:
            raise Rejected(400, "bad_payload", "The form has no payload field.")
        payload = _json_object(raw.encode())
        user = payload.get("user")
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, str) or not user_id:
            raise Rejected(400, "bad_payload", "The payload names no user.")
        assert isinstance(user, dict)
        name = user.get("username") or user.get("name")
        user_name = name if isinstance(name, str) else None
        kind = payload.get("type")
        if kind == "block_actions":
            return await self._block_action(payload, user_id, user_name)
        if kind == "view_submission":
            return await self._view_submission(payload, user_id, user_name)
        return self._ignored("interaction_type")

    async def _block_action(
        self, payload: dict[str, Any], user_id: str, user_name: str | None
    ) -> web.StreamResponse:
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            raise Rejected(400, "bad_payload", "block_actions without actions.")
        action = actions[0]
        action_id, escalation_id = action.get("action_id"), action.get("value")
        if not isinstance(escalation_id, str) or not escalation_id:
            raise Rejected(400, "bad_payload", "The action carries no escalation id.")
        if action_id == blocks.REPLY:
            return await self._open_reply_modal(payload, escalation_id)
        command = blocks.COMMANDS.get(action_id) if isinstance(action_id, str) else None
        if command is None:
            raise Rejected(400, "unknown_action", "Unknown action id.")
        handoff = await handoffs.get(self.db, escalation_id)
        if handoff is None:
            raise Rejected(404, "unknown_escalation", "No such escalation.")
        action_ts = action.get("action_ts")
        if not isinstance(action_ts, str) or not action_ts:
            raise Rejected(400, "bad_payload", "The action has no action_ts.")
        await self._accept(
            f"slack:action:{escalation_id}:{action_id}:{user_id}:{action_ts}",
            handoff,
            command,
            user_id,
            user_name,
            None,
            _reply_to(payload, user_id),
        )
        return web.Response(status=200)

    async def _open_reply_modal(
        self, payload: dict[str, Any], escalation_id: str
    ) -> web.StreamResponse:
        trigger_id = payload.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            raise Rejected(400, "bad_payload", "Reply… without a trigger_id.")
        handoff = await handoffs.get(self.db, escalation_id)
        if handoff is None:
            raise Rejected(404, "unknown_escalation", "No such escalation.")
        view = blocks.reply_modal(escalation_id, suggested=handoff.escalation.suggested_reply)
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            # Nothing changed; the human clicks again. Slack shows a warning on a non-200.
            log.warning("slack_views_open_failed", error=str(exc.response.get("error")))
            return error_response(502, "slack_error", "Could not open the reply form.")
        return web.Response(status=200)

    async def _view_submission(
        self, payload: dict[str, Any], user_id: str, user_name: str | None
    ) -> web.StreamResponse:
        view = payload.get("view")
        if not isinstance(view, dict) or view.get("callback_id") != blocks.REPLY_MODAL:
            raise Rejected(400, "unknown_view", "Unknown view.")
        escalation_id, view_id = view.get("private_metadata"), view.get("id")
        if not isinstance(escalation_id, str) or not isinstance(view_id, str) or not view_id:
            raise Rejected(400, "bad_payload", "The view carries no escalation id.")
        text = _input_value(view)
        if not text:
            return web.json_response(
                {"response_action": "errors", "errors": {blocks.REPLY_BLOCK: "Write a reply."}}
            )
        handoff = await handoffs.get(self.db, escalation_id)
        if handoff is None:
            raise Rejected(404, "unknown_escalation", "No such escalation.")
        reply_to = {"user": user_id}
        if handoff.desk_ref:
            reply_to |= {k: str(v) for k, v in handoff.desk_ref.items()}
        await self._accept(
            f"slack:view:{view_id}",
            handoff,
            DeskCommand.REPLY,
            user_id,
            user_name,
            text,
            reply_to,
        )
        return web.Response(status=200)  # an empty 200 closes the modal

    async def _accept(
        self,
        event_id: str,
        handoff: handoffs.HandoffView,
        command: DeskCommand,
        user_id: str,
        user_name: str | None,
        text: str | None,
        reply_to: dict[str, str],
    ) -> None:
        now = self.clock()
        action = DeskAction(
            event_id=event_id[:512],
            occurred_at=now,
            escalation_id=handoff.escalation_id,
            conversation_key=handoff.conversation_key,
            desk=NAME,
            command=command,
            user_id=user_id[:128],
            user_name=user_name,
            text=text,
            acted_at=now,
            reply_to=reply_to,
        )
        await self.ingest.accept_event(action, t.DESK, NAME)

    def _ignored(self, reason: str) -> web.StreamResponse:
        self.ingest.ignore(NAME, reason)
        return web.json_response({"ok": True})


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected(400, "bad_json", "The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise Rejected(400, "bad_payload", "Expected a JSON object.")
    return value


def _reply_to(payload: dict[str, Any], user_id: str) -> dict[str, str]:
    """Where errors for this human go: an ephemeral message in the card's channel."""
    out = {"user": user_id}
    container = payload.get("container")
    channel = payload.get("channel")
    if isinstance(channel, dict) and isinstance(channel.get("id"), str):
        out["channel"] = channel["id"]
    if isinstance(container, dict) and isinstance(container.get("message_ts"), str):
        out["thread_ts"] = container["message_ts"]
    response_url = payload.get("response_url")
    if isinstance(response_url, str):
        out["response_url"] = response_url
    return out


def _input_value(view: dict[str, Any]) -> str:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(blocks.REPLY_BLOCK) if isinstance(values, dict) else None
    field = block.get(blocks.REPLY_INPUT) if isinstance(block, dict) else None
    value = field.get("value") if isinstance(field, dict) else None
    return value.strip() if isinstance(value, str) else ""
