"""A local fake of the Slack Web API (https://docs.slack.dev/reference/methods) for tests.

It speaks what slack_sdk's AsyncWebClient sends, so the real client runs against it
unchanged (`base_url=fake.api_url`): POST with a JSON body (chat.*, views.*) or a form, GET
with a query string (conversations.*, usergroups.*), the token as `Authorization: Bearer`
(or a form field `token`). It answers as Slack does: HTTP 200 with `{"ok": true, …}` or
`{"ok": false, "error": …}` (auth failures included), 429 with Retry-After when rate limited.

Posted messages are kept per channel, so history, threads and card updates read back what the
code under test wrote; blocks and views are checked with slack_sdk's Block Kit models, so a
malformed card fails here as `invalid_blocks` the way it would in Slack. Every call is
recorded, and faults (429, `ok: false`, 5xx, a slow answer) can be queued per method.

Choices where Slack's docs are silent: an unknown method is a 404 (slack_sdk raises either
way); a `thread_ts` naming no message is `thread_not_found` (stricter than Slack, which may
accept it), and one naming a reply threads under that reply's parent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web
from multidict import CIMultiDictProxy
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from tests.helpers import local_server

TOKEN = "xoxb-1234567890-1234567890123-FakeSlackBotTokenForTests"
TEAM_ID = "T0WISMO01"
TEAM = "Wismo Test Shop"
BOT_USER_ID = "U0WISMOBOT"
BOT_ID = "B0WISMOBOT"
APP_ID = "A0WISMOAPP"
CHANNEL = "C0ESCALATE"
START = 1_700_000_000  # seconds of the first ts: "1700000000.000100"

MAX_TEXT = 40_000  # chat.postMessage truncates past 40,000 characters; the fake refuses
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
ERROR_METHODS_STATUS = 404


class Refused(Exception):
    """An `ok: false` answer: `error`, and extra fields (response_metadata…)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Call:
    """One request as it arrived: the Web API method, its arguments merged from the query
    string and the body (JSON values as sent, form values as strings), and the headers."""

    method: str
    args: dict[str, Any]
    headers: CIMultiDictProxy[str]
    http_method: str
    content_type: str


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user: str = BOT_USER_ID
    bot_id: str | None = BOT_ID
    thread_ts: str | None = None  # the parent's ts for a reply
    metadata: dict[str, Any] | None = None
    reply_broadcast: bool = False
    edited_ts: str | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None


@dataclass
class OpenedView:
    id: str
    trigger_id: str
    view: dict[str, Any]


@dataclass
class Fault:
    method: str  # or "*": any method
    error: str
    status: int
    retry_after: int | None
    times: int
    body: str | None  # sent as text/html instead of Slack's JSON (a proxy's error page)


@dataclass
class Stall:
    method: str
    seconds: float
    times: int


Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def _as_bool(value: Any) -> bool:
    """Slack's booleans: true/false in JSON, "1"/"0" or "true"/"false" in a form or query."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def _ts_value(ts: Any, error: str) -> Decimal:
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        raise Refused(error) from None


def _cursor(ts: str) -> str:
    """Slack's cursors look like base64("next_ts:…"); clients only pass them back."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _from_cursor(cursor: str) -> str:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Refused("invalid_cursor") from None
    prefix, _, ts = decoded.partition(":")
    if prefix != "next_ts" or not ts:
        raise Refused("invalid_cursor")
    return ts


def _json_field(value: Any, error: str) -> Any:
    """Blocks, metadata and views arrive as JSON values, or as JSON text in a form."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise Refused(error) from None
    return value


def _check_blocks(value: Any, limit: int) -> list[dict[str, Any]]:
    """Block Kit as Slack checks it: a list of known blocks within their limits. slack_sdk's
    models drop keys they do not know, so a block that does not survive a round trip
    unchanged has a typo in it."""
    blocks = _json_field(value, "invalid_blocks_format")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise Refused("invalid_blocks_format")
    if len(blocks) > limit:
        raise Refused("invalid_blocks", errors=[f"must provide at most {limit} items"])
    problems: list[str] = []
    for i, block in enumerate(blocks):
        try:
            model = Block.parse(block)
            if model is None:
                problems.append(f"unknown block type [json-pointer:/blocks/{i}/type]")
            elif model.to_dict() != block:
                problems.append(f"unexpected or malformed field [json-pointer:/blocks/{i}]")
        except (SlackObjectFormationError, TypeError, ValueError, KeyError) as exc:
            problems.append(f"{exc} [json-pointer:/blocks/{i}]")
    if problems:
        raise Refused("invalid_blocks", errors=problems)
    return blocks


def _check_view(value: Any) -> dict[str, Any]:
    view = _json_field(value, "invalid_arguments")
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise Refused("invalid_arguments", response_metadata={"messages": ["[ERROR] bad view"]})
    _check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
    try:
        model = View(**view)
        same = model.to_dict() == view
    except (SlackObjectFormationError, TypeError, ValueError, KeyError) as exc:
        raise Refused(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] {exc}"]}
        ) from None
    if not same:
        messages = ["[ERROR] unexpected or malformed field in view"]
        raise Refused("invalid_arguments", response_metadata={"messages": messages})
    return view


def _check_metadata(value: Any) -> dict[str, Any]:
    metadata = _json_field(value, "invalid_metadata_format")
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise Refused("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


@dataclass
class FakeSlack:
    token: str = TOKEN
    channels: set[str] = field(default_factory=lambda: {CHANNEL})
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    url: str = ""  # set once the server runs: http://127.0.0.1:PORT
    log: list[Call] = field(default_factory=list)
    messages: dict[str, list[Message]] = field(default_factory=dict)  # per channel, by ts
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: list[OpenedView] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    stalls: list[Stall] = field(default_factory=list)
    expired_triggers: set[str] = field(default_factory=set)
    start: int = START  # the first ts's seconds: tests with a clock of their own set it
    _sequence: int = 0
    _exchanged: set[str] = field(default_factory=set)

    # -- set-up and inspection -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """What AsyncWebClient takes as base_url."""
        return f"{self.url}/api/"

    def client(self, token: str | None = None, **kwargs: Any) -> AsyncWebClient:
        return AsyncWebClient(token=token or self.token, base_url=self.api_url, **kwargs)

    def next_ts(self) -> str:
        """Unique and increasing, in Slack's format ("1700000000.000100")."""
        self._sequence += 1
        micros = self._sequence * 100
        return f"{self.start + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def post(
        self,
        channel: str,
        text: str,
        *,
        user: str = BOT_USER_ID,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Put a message in a channel as if someone (a human: pass `user`) had written it."""
        self.channels.add(channel)
        bot_id = BOT_ID if user == BOT_USER_ID else None
        parent = self._parent(channel, thread_ts) if thread_ts is not None else None
        message = Message(
            channel,
            self.next_ts(),
            text,
            blocks or [],
            user,
            bot_id,
            parent.ts if parent else None,
            metadata,
        )
        self.messages.setdefault(channel, []).append(message)
        return message

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self.log if method is None or c.method == method]

    def posts(self, channel: str | None = None) -> list[Message]:
        """What chat.postMessage (or `post`) put in `channel` (any), oldest first."""
        found = [m for ms in self.messages.values() for m in ms]
        return sorted(
            (m for m in found if channel is None or m.channel == channel),
            key=lambda m: Decimal(m.ts),
        )

    def message(self, ts: str, channel: str | None = None) -> Message:
        for m in self.posts(channel):
            if m.ts == ts:
                return m
        raise KeyError(ts)

    def thread(self, ts: str) -> list[Message]:
        """A parent and its replies, oldest first; the ts of any message in the thread."""
        start = self.message(ts)
        parent = self.message(start.thread_ts) if start.is_reply and start.thread_ts else start
        return [
            m
            for m in self.posts(parent.channel)
            if m.ts == parent.ts or (m.is_reply and m.thread_ts == parent.ts)
        ]

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int | None = 1,
        *,
        times: int = 1,
        body: str | None = None,
    ) -> None:
        """The next `times` calls of `method` ("*": any) fail: 429 with Retry-After by
        default, `ok: false` with `error` at status 200, or a 5xx (a `body` is sent as an
        HTML page instead of JSON)."""
        self.faults.append(
            Fault(method, error, status, retry_after if status == 429 else None, times, body)
        )

    def slow_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` ("*": any) answer only after `seconds`."""
        self.stalls.append(Stall(method, seconds, times))

    # -- HTTP ----------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/api/{method}", self.handle)]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await self._arguments(request)
        except Refused as refused:
            return web.json_response({"ok": False, "error": refused.error})
        self.log.append(Call(method, args, request.headers, request.method, request.content_type))
        handler = self._methods().get(method)
        if handler is None:
            body = {"ok": False, "error": "unknown_method", "req_method": method}
            return web.json_response(body, status=ERROR_METHODS_STATUS)
        denied = self._auth(request, args)
        if denied is not None:
            return web.json_response({"ok": False, "error": denied})
        await self._stall(method)
        fault = self._fault(method)
        if fault is not None:
            return fault
        try:
            result = await handler(args)
        except Refused as refused:
            return web.json_response({"ok": False, "error": refused.error, **refused.extra})
        return web.json_response({"ok": True, **result})

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if not request.can_read_body:
            return args
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise Refused("invalid_json") from None
            if not isinstance(body, dict):
                raise Refused("json_not_object")
            args.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args

    def _auth(self, request: web.Request, args: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            return None if scheme == "Bearer" and token == self.token else "invalid_auth"
        # Slack also takes the token as a POST form field (never in a JSON body).
        form_token = args.pop("token", None) if request.content_type != "application/json" else None
        if form_token is None:
            return "not_authed"
        return None if form_token == self.token else "invalid_auth"

    async def _stall(self, method: str) -> None:
        for stall in self.stalls:
            if stall.method in (method, "*") and stall.times > 0:
                stall.times -= 1
                await asyncio.sleep(stall.seconds)
                return

    def _fault(self, method: str) -> web.Response | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fault.times > 0:
                fault.times -= 1
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                if fault.body is not None:
                    return web.Response(
                        text=fault.body,
                        status=fault.status,
                        content_type="text/html",
                        headers=headers,
                    )
                return web.json_response(
                    {"ok": False, "error": fault.error}, status=fault.status, headers=headers
                )
        return None

    def _methods(self) -> dict[str, Handler]:
        return {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "views.open": self.views_open,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "usergroups.users.list": self.usergroups_users_list,
        }

    # -- Web API methods -----------------------------------------------------------------------

    def _channel(self, args: dict[str, Any]) -> str:
        channel = args.get("channel")
        if not isinstance(channel, str) or channel not in self.channels:
            raise Refused("channel_not_found")
        return channel

    def _parent(self, channel: str, thread_ts: str) -> Message:
        for m in self.messages.get(channel, []):
            if m.ts == thread_ts:
                if m.is_reply and m.thread_ts is not None:
                    return self._parent(channel, m.thread_ts)
                return m
        raise Refused("thread_not_found")

    def _content(self, args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
        text = args.get("text")
        blocks = _check_blocks(args["blocks"], MAX_MESSAGE_BLOCKS) if "blocks" in args else None
        if not text and not blocks and not args.get("attachments"):
            raise Refused("no_text")
        text = str(text or "")
        if len(text) > MAX_TEXT:
            raise Refused("msg_too_long")
        return text, blocks

    def _api_message(self, message: Message, *, metadata: bool = True) -> dict[str, Any]:
        """A message as Slack's methods return it."""
        body: dict[str, Any] = {
            "type": "message",
            "ts": message.ts,
            "user": message.user,
            "text": message.text,
            "team": TEAM_ID,
        }
        if message.bot_id is not None:
            body.update({"bot_id": message.bot_id, "app_id": APP_ID})
        if message.blocks:
            body["blocks"] = message.blocks
        if message.edited_ts is not None:
            body["edited"] = {"user": message.user, "ts": message.edited_ts}
        replies = [
            m
            for m in self.messages.get(message.channel, [])
            if m.is_reply and m.thread_ts == message.ts
        ]
        if message.is_reply and message.thread_ts is not None:
            body["thread_ts"] = message.thread_ts
            body["parent_user_id"] = self._parent(message.channel, message.thread_ts).user
        elif replies:
            body.update(
                {
                    "thread_ts": message.ts,
                    "reply_count": len(replies),
                    "reply_users": sorted({m.user for m in replies}),
                    "latest_reply": replies[-1].ts,
                }
            )
        if metadata and message.metadata is not None:
            body["metadata"] = message.metadata
        return body

    async def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://wismo-test.slack.com/",
            "team": TEAM,
            "user": "wismo",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    async def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        text, blocks = self._content(args)
        thread_ts = args.get("thread_ts") or None
        parent = self._parent(channel, str(thread_ts)) if thread_ts is not None else None
        metadata = _check_metadata(args["metadata"]) if "metadata" in args else None
        message = Message(
            channel,
            self.next_ts(),
            text,
            blocks or [],
            thread_ts=parent.ts if parent else None,
            metadata=metadata,
            reply_broadcast=parent is not None and _as_bool(args.get("reply_broadcast", False)),
        )
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message.ts, "message": self._api_message(message)}

    async def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = args.get("ts")
        found = [m for m in self.messages.get(channel, []) if m.ts == ts]
        if not found:
            raise Refused("message_not_found")
        message = found[0]
        if message.user != BOT_USER_ID:
            raise Refused("cant_update_message")
        text, blocks = self._content(args)
        message.text = text
        if blocks is not None:  # left out: the message keeps its blocks
            message.blocks = blocks
        if "metadata" in args:
            message.metadata = _check_metadata(args["metadata"])
        message.edited_ts = self.next_ts()
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._api_message(message),
        }

    async def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        user = args.get("user")
        if not isinstance(user, str) or not user:
            raise Refused("user_not_found")
        text, blocks = self._content(args)
        thread_ts = args.get("thread_ts")
        ephemeral = Ephemeral(
            channel, user, self.next_ts(), text, blocks or [], str(thread_ts) if thread_ts else None
        )
        self.ephemerals.append(ephemeral)
        return {"message_ts": ephemeral.message_ts}

    async def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger_id = args.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            messages = ["[ERROR] missing required field: trigger_id"]
            raise Refused("invalid_arguments", response_metadata={"messages": messages})
        if trigger_id in self.expired_triggers:
            raise Refused("expired_trigger_id")
        if trigger_id in self._exchanged:
            raise Refused("exchanged_trigger_id")
        if "view" not in args:
            messages = ["[ERROR] missing required field: view"]
            raise Refused("invalid_arguments", response_metadata={"messages": messages})
        view = _check_view(args["view"])
        self._exchanged.add(trigger_id)
        view_id = f"V{len(self.views) + 1:010d}"
        self.views.append(OpenedView(view_id, trigger_id, view))
        opened = {
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{START}.{len(self.views):08d}",
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            **view,
        }
        return {"view": opened}

    def _window(
        self, args: dict[str, Any], messages: list[Message], default_limit: int
    ) -> tuple[list[Message], str | None]:
        """Slack's oldest/latest/inclusive/limit/cursor over messages in reading order."""
        oldest = _ts_value(args.get("oldest") or "0", "invalid_ts_oldest")
        latest_arg = args.get("latest")
        latest = _ts_value(latest_arg, "invalid_ts_latest") if latest_arg else None
        inclusive = _as_bool(args.get("inclusive", False))

        def inside(m: Message) -> bool:
            ts = Decimal(m.ts)
            after = ts >= oldest if inclusive else ts > oldest
            before = latest is None or (ts <= latest if inclusive else ts < latest)
            return after and before

        shown = [m for m in messages if inside(m)]
        cursor = args.get("cursor")
        if cursor:
            start = _from_cursor(str(cursor))
            index = next((i for i, m in enumerate(shown) if m.ts == start), None)
            if index is None:
                raise Refused("invalid_cursor")
            shown = shown[index:]
        try:
            limit = int(args.get("limit") or default_limit)
        except ValueError:
            raise Refused("invalid_limit") from None
        limit = max(1, min(limit, 999))
        page, rest = shown[:limit], shown[limit:]
        return page, _cursor(rest[0].ts) if rest else None

    @staticmethod
    def _paged(messages: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
        return {
            "messages": messages,
            "has_more": next_cursor is not None,
            "response_metadata": {"next_cursor": next_cursor or ""},
        }

    async def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages (and replies broadcast to the channel), newest first."""
        channel = self._channel(args)
        with_metadata = _as_bool(args.get("include_all_metadata", False))
        top = [m for m in self.messages.get(channel, []) if not m.is_reply or m.reply_broadcast]
        page, next_cursor = self._window(args, list(reversed(top)), 100)
        messages = [self._api_message(m, metadata=with_metadata) for m in page]
        return {**self._paged(messages, next_cursor), "pin_count": 0}

    async def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread, parent first, then its replies oldest first."""
        channel = self._channel(args)
        ts = args.get("ts")
        if not isinstance(ts, str) or not ts:
            raise Refused("thread_not_found")
        parent = self._parent(channel, ts)
        with_metadata = _as_bool(args.get("include_all_metadata", False))
        thread = [
            m
            for m in self.messages.get(channel, [])
            if m.ts == parent.ts or (m.is_reply and m.thread_ts == parent.ts)
        ]
        page, next_cursor = self._window(args, thread, 1000)
        messages = [self._api_message(m, metadata=with_metadata) for m in page]
        return self._paged(messages, next_cursor)

    async def usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup")
        if not isinstance(group, str) or group not in self.usergroups:
            raise Refused("no_such_subteam")
        return {"users": list(self.usergroups[group])}


@asynccontextmanager
async def running(
    *,
    token: str = TOKEN,
    channels: set[str] | None = None,
    usergroups: dict[str, list[str]] | None = None,
    start: int = START,
) -> AsyncIterator[FakeSlack]:
    """The fake on 127.0.0.1; its `api_url` is the client's base_url."""
    fake = FakeSlack(
        token=token,
        channels=set(channels) if channels is not None else {CHANNEL},
        usergroups=dict(usergroups or {}),
        start=start,
    )
    async with local_server(*fake.routes()) as server:
        fake.url = str(server.make_url("")).rstrip("/")
        yield fake
