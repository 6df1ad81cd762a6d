"""Sending through a provider's API the same way on every channel.

Retried (tenacity, exponential backoff with full jitter): timeouts, dropped connections, 429
and 5xx. A Retry-After the provider sends is honoured as the least wait; one longer than we
are willing to wait gives up at once. Never retried: any other 4xx (the request itself is
wrong: a bad number, a blocked user, an expired window). Giving up raises SendFailed with
the provider's own error code, so the dead-lettered record says why.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import structlog
from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from router.dispatch import SendFailed

log = structlog.get_logger(__name__)

T = TypeVar("T")


class RetrySettings(BaseModel):
    """How hard a channel tries before giving up on one message (part of its settings)."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=4, ge=1, le=10, description="tries per message")
    backoff_s: float = Field(default=0.5, gt=0, description="first backoff (then doubling)")
    max_backoff_s: float = Field(default=8.0, gt=0)
    max_retry_after_s: float = Field(
        default=30.0, ge=0, description="a longer Retry-After gives up at once"
    )
    timeout_s: float = Field(default=10.0, gt=0, description="per request")


class Transient(Exception):
    """A failure that may pass: retried. `retry_after`: the provider's own wait, if it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def with_retries(
    call: Callable[[], Awaitable[T]], *, provider: str, retry: RetrySettings
) -> T:
    """Run `call` until it returns; it raises Transient for what may pass and SendFailed for
    what will not. Spent attempts, or a Retry-After beyond our patience: SendFailed."""
    jitter = wait_random_exponential(multiplier=retry.backoff_s, max=retry.max_backoff_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.retry_after if isinstance(exc, Transient) else None
        return max(jitter(state), asked or 0.0)

    def should_retry(exc: BaseException) -> bool:
        if not isinstance(exc, Transient):
            return False
        return exc.retry_after is None or exc.retry_after <= retry.max_retry_after_s

    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(retry.attempts),
            wait=wait,
            retry=retry_if_exception(should_retry),
            reraise=True,
        ):
            with attempt:
                attempts += 1
                return await call()
    except Transient as exc:
        raise SendFailed(f"{provider}: {exc} (gave up after {attempts} attempts)") from exc
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None


def transient_status(answer: Answer) -> bool:
    return answer.status == 429 or answer.status >= 500


def retry_after_header(answer: Answer) -> float | None:
    return retry_after_seconds(answer.headers.get("Retry-After"))


Headers = Mapping[str, str] | Callable[[], Mapping[str, str]]


class ProviderApi:
    """One provider's send API over the shared aiohttp session, with the retry rules above.

    Providers differ in how they say what went wrong, so hooks take a non-2xx answer:
    `error_detail` (their error code, for the message; or `describe` for the whole message),
    `is_transient` (Meta throttles with HTTP 400 and a code), `retry_after` (Telegram puts it
    in the body) and `refused` (the SendFailed to raise, e.g. one that keeps the provider's
    code for the caller).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        provider: str,
        retry: RetrySettings,
        *,
        error_detail: Callable[[Answer], str] = lambda answer: "",
        describe: Callable[[Answer], str] | None = None,
        is_transient: Callable[[Answer], bool] = transient_status,
        retry_after: Callable[[Answer], float | None] = retry_after_header,
        refused: Callable[[Answer, str], SendFailed] | None = None,
    ) -> None:
        self.session = session
        self.provider = provider
        self.retry = retry
        self._detail = error_detail
        self._describe = describe
        self._is_transient = is_transient
        self._retry_after = retry_after
        self._refused = refused or (lambda answer, text: SendFailed(f"{provider}: {text}"))
        self._timeout = aiohttp.ClientTimeout(total=retry.timeout_s)

    def describe(self, answer: Answer) -> str:
        if self._describe is not None:
            return self._describe(answer)
        detail = self._detail(answer)
        return f"HTTP {answer.status}" + (f" ({detail})" if detail else "")

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        data: bytes | None = None,
        headers: Headers | None = None,
    ) -> Answer:
        """The provider's 2xx answer; SendFailed when it refused or kept failing. `headers` may
        be a function, called for each attempt (a signature over a fresh timestamp)."""

        async def once() -> Answer:
            sent = headers() if callable(headers) else headers
            try:
                async with self.session.request(
                    method,
                    url,
                    json=json_body,
                    data=form if form is not None else data,
                    headers=sent,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    answer = Answer(response.status, await response.read(), dict(response.headers))
            except TimeoutError:
                raise Transient(f"no answer within {self.retry.timeout_s:g} s") from None
            except aiohttp.ClientError as exc:  # its text may hold the URL (tokens): name it only
                raise Transient(f"request failed: {type(exc).__name__}") from None
            if 200 <= answer.status < 300:
                return answer
            described = self.describe(answer)
            if self._is_transient(answer):
                raise Transient(described, self._retry_after(answer))
            raise self._refused(answer, described)

        return await with_retries(once, provider=self.provider, retry=self.retry)
