"""A person in Slack, as the service sees them: signed Events API and interactivity requests in
Slack's own shapes (signed with slack_sdk's own signature code)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from channels.slack import blocks
from tests.channels.slack.fake_slack import APP_ID, CHANNEL, TEAM_ID, TOKEN

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # any string; Slack's are 32 hex chars
USER = "U0DANA0001"
OUTSIDER = "U0MALLORY1"


def slack_config(api_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "signing_secret": SIGNING_SECRET,
        "bot_token": TOKEN,
        "channel": CHANNEL,
        "api_base_url": api_url,
        **extra,
    }


class SlackPerson:
    """Clicks buttons, submits the reply modal and writes in threads, the way Slack delivers
    them to the service: signed POSTs to /slack/interactivity and /slack/events."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base: str,
        *,
        user: str = USER,
        secret: str = SIGNING_SECRET,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.base = base
        self.user = user
        self.secret = secret
        self.now = now

    def headers(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(self.now()) if timestamp is None else timestamp)
        try:
            signature = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        except UnicodeDecodeError:  # the SDK signs text; Slack's scheme itself is over bytes
            base = b"v0:" + ts.encode() + b":" + body
            signature = "v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()
        assert signature is not None
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def post(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        sent = {"Content-Type": content_type, **self.headers(body), **(headers or {})}
        async with self.http.post(self.base + path, data=body, headers=sent) as resp:
            return resp.status, await resp.text()

    async def interact(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post("/slack/interactivity", body, "application/x-www-form-urlencoded")

    async def click(
        self, action_id: str, escalation_id: str, *, message_ts: str = "1700000000.000100"
    ) -> tuple[int, str]:
        return await self.interact(block_actions(self.user, action_id, escalation_id, message_ts))

    async def submit_reply(
        self, escalation_id: str, text: str, view_id: str = "V0001"
    ) -> tuple[int, str]:
        return await self.interact(view_submission(self.user, escalation_id, text, view_id))

    async def say_in_thread(
        self, thread_ts: str, text: str, *, event_id: str | None = None, retry: int | None = None
    ) -> tuple[int, str]:
        payload = event_callback(
            self.user, thread_ts, text, event_id or f"Ev{uuid.uuid4().hex[:10]}"
        )
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        body = json.dumps(payload).encode()
        return await self.post("/slack/events", body, "application/json", headers=headers)


def block_actions(
    user: str, action_id: str, escalation_id: str, message_ts: str = "1700000000.000100"
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "dana", "name": "dana", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": CHANNEL,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.123456.{uuid.uuid4().hex[:16]}",
        "team": {"id": TEAM_ID, "domain": "wismo-test"},
        "channel": {"id": CHANNEL, "name": "escalations"},
        "message": {"type": "message", "ts": message_ts, "text": "escalation"},
        "response_url": f"https://hooks.slack.com/actions/{TEAM_ID}/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": blocks.ACTIONS_BLOCK,
                "text": {"type": "plain_text", "text": "button"},
                "value": escalation_id,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission(user: str, escalation_id: str, text: str, view_id: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "wismo-test"},
        "user": {"id": user, "username": "dana", "name": "dana", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "trigger_id": f"{int(time.time())}.123456.{uuid.uuid4().hex[:16]}",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": blocks.REPLY_MODAL,
            "private_metadata": escalation_id,
            "hash": "156772938.1827394",
            "state": {
                "values": {
                    blocks.REPLY_BLOCK: {
                        blocks.REPLY_INPUT: {"type": "plain_text_input", "value": text}
                    }
                }
            },
        },
    }


def event_callback(user: str, thread_ts: str, text: str, event_id: str) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {
            "type": "message",
            "channel": CHANNEL,
            "user": user,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "event_ts": ts,
            "channel_type": "channel",
            "client_msg_id": str(uuid.uuid4()),
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0WISMOBOT", "is_bot": True}],
    }
