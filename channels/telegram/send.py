"""The Bot API's sendMessage, with the shared retry rules and a token that never leaks.

The token is part of every URL (`/bot<token>/sendMessage`), so no URL, and no exception that
could carry one, ever reaches a log line or an error message. Telegram puts the flood-control
wait in the body (`parameters.retry_after`), not only in a Retry-After header: it is read
from there. The Bot API has no idempotency key: a reply whose answer was lost on the way
back (a timeout after Telegram sent it) can reach the customer twice.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from channels.outbound import Answer, ProviderApi, RetrySettings, retry_after_header
from channels.text import clip
from router.dispatch import SendFailed
from router.events import Link

PROVIDER = "telegram"
MAX_CALLBACK_DATA_BYTES = 64  # Bot API: callback_data is 1-64 bytes
MAX_DESCRIPTION_CHARS = 200
URL_SCHEMES = ("https://", "http://")
FORBIDDEN = 403  # the user blocked the bot (or deleted their account)


class BotApiError(SendFailed):
    """Telegram refused the call: `error_code` as it sent it (400, 403, …)."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(f"{PROVIDER}: HTTP {error_code} ({description})")
        self.error_code = error_code


class ResponseParameters(BaseModel):
    model_config = ConfigDict(extra="ignore")

    retry_after: float | None = None


class BotAnswer(BaseModel):
    """Every Bot API answer: {"ok": true, "result": …} or {"ok": false, "error_code", …}."""

    model_config = ConfigDict(extra="ignore")

    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str = ""
    parameters: ResponseParameters | None = None


class BotApi:
    def __init__(
        self, session: aiohttp.ClientSession, token: str, base_url: str, retry: RetrySettings
    ) -> None:
        self._token = token
        self._base = f"{base_url}/bot{token}"
        self._api = ProviderApi(
            session,
            PROVIDER,
            retry,
            describe=self._describe,
            retry_after=_retry_after,
            refused=self._refused,
        )

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The method's `result`; BotApiError when Telegram refused, SendFailed when it kept
        failing (429 and 5xx are retried, honouring its retry_after)."""
        answer = await self._api.request("POST", f"{self._base}/{method}", json_body=params)
        parsed = _answer(answer.body)
        if parsed is None or not parsed.ok:
            raise SendFailed(f"{PROVIDER}: HTTP {answer.status} with an unreadable answer")
        return parsed.result

    def _describe(self, answer: Answer) -> str:
        parsed = _answer(answer.body)
        code = parsed.error_code if parsed and parsed.error_code else answer.status
        return f"HTTP {code} ({self._scrub(parsed.description if parsed else '')})"

    def _refused(self, answer: Answer, described: str) -> SendFailed:
        parsed = _answer(answer.body)
        code = parsed.error_code if parsed and parsed.error_code else answer.status
        return BotApiError(code, self._scrub(parsed.description if parsed else ""))

    def _scrub(self, description: str) -> str:
        return description.replace(self._token, "<token>")[:MAX_DESCRIPTION_CHARS]


def _retry_after(answer: Answer) -> float | None:
    """Flood control says how long in the body (parameters.retry_after), else the header."""
    parsed = _answer(answer.body)
    if parsed and parsed.parameters and parsed.parameters.retry_after is not None:
        return max(0.0, parsed.parameters.retry_after)
    return retry_after_header(answer)


def _answer(body: bytes) -> BotAnswer | None:
    try:
        return BotAnswer.model_validate_json(body)
    except ValidationError:
        return None


def send_message_params(
    chat_id: str, text: str, links: list[Link], quick_replies: list[str]
) -> dict[str, Any]:
    """sendMessage's parameters: plain text (no parse_mode, so nothing needs escaping), no
    link preview (the tracking link is a button), URL buttons for the links and callback
    buttons for the quick replies."""
    params: dict[str, Any] = {
        "chat_id": int(chat_id) if _is_int(chat_id) else chat_id,
        "text": text,
        "link_preview_options": {"is_disabled": True},
    }
    keyboard = inline_keyboard(links, quick_replies)
    if keyboard:
        params["reply_markup"] = {"inline_keyboard": keyboard}
    return params


def inline_keyboard(links: list[Link], quick_replies: list[str]) -> list[list[dict[str, str]]]:
    """One button per row. A quick reply's callback_data is its label cut to 64 bytes; the
    channel reads the full label back from the message when the button is pressed."""
    rows: list[list[dict[str, str]]] = [
        [{"text": link.label, "url": link.url}]
        for link in links
        if link.label.strip() and link.url.startswith(URL_SCHEMES)
    ]
    seen: set[str] = set()
    for label in quick_replies:
        data = clip(label, MAX_CALLBACK_DATA_BYTES)
        if not label.strip() or not data or data in seen:
            continue  # Telegram refuses empty labels; equal data would be ambiguous
        seen.add(data)
        rows.append([{"text": label, "callback_data": data}])
    return rows


def _is_int(value: str) -> bool:
    return value.lstrip("-").isdigit()
