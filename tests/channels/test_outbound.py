"""channels/outbound.py against a local fake provider: what is retried, what is not, and why."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from channels.outbound import (
    Answer,
    ProviderApi,
    RetrySettings,
    Transient,
    retry_after_seconds,
    with_retries,
)
from router.dispatch import SendFailed
from tests.helpers import local_server

FAST = RetrySettings(attempts=4, backoff_s=0.01, max_backoff_s=0.02, timeout_s=0.5)


class Script:
    """Answers the n-th request with the n-th response, then repeats the last (each response
    is made afresh: an aiohttp response can be sent only once)."""

    def __init__(self) -> None:
        self.responses: list[Callable[[], web.Response]] = []
        self.seen: list[tuple[str, bytes, str | None]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, await request.read(), request.headers.get("X-Key")))
        index = min(len(self.seen), len(self.responses)) - 1
        return self.responses[index]()


@pytest.fixture
async def served() -> AsyncIterator[tuple[Script, str]]:
    script = Script()
    async with local_server(web.route("*", "/send", script.handle)) as server:
        yield script, str(server.make_url("/send"))


def code(answer: Answer) -> str:
    body = answer.json()
    return str(body.get("code")) if isinstance(body, dict) else ""


async def send(session: aiohttp.ClientSession, url: str, retry: RetrySettings = FAST) -> Answer:
    api = ProviderApi(session, "Acme", retry, error_detail=code)
    return await api.request("POST", url, json_body={"to": "x"}, headers={"X-Key": "k1"})


async def test_success_returns_the_answer(
    session: aiohttp.ClientSession, served: tuple[Script, str]
) -> None:
    script, url = served
    script.responses = [lambda: web.json_response({"sid": "SM1"}, status=201)]
    answer = await send(session, url)
    assert (answer.status, answer.json()) == (201, {"sid": "SM1"})
    assert script.seen == [("POST", b'{"to": "x"}', "k1")]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_transient_failures_are_retried(
    session: aiohttp.ClientSession, served: tuple[Script, str], status: int
) -> None:
    script, url = served
    script.responses = [
        lambda: web.Response(status=status),
        lambda: web.json_response({"ok": True}),
    ]
    assert (await send(session, url)).json() == {"ok": True}
    assert len(script.seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_other_client_errors_are_not_retried(
    session: aiohttp.ClientSession, served: tuple[Script, str], status: int
) -> None:
    script, url = served
    script.responses = [lambda: web.json_response({"code": 21211}, status=status)]
    with pytest.raises(SendFailed, match=rf"^Acme: HTTP {status} \(21211\)$"):
        await send(session, url)
    assert len(script.seen) == 1


async def test_spent_attempts_give_up_with_the_last_reason(
    session: aiohttp.ClientSession, served: tuple[Script, str]
) -> None:
    script, url = served
    script.responses = [lambda: web.json_response({"code": "busy"}, status=503)]
    with pytest.raises(SendFailed, match=r"HTTP 503 \(busy\) \(gave up after 4 attempts\)"):
        await send(session, url)
    assert len(script.seen) == 4


async def test_retry_after_is_the_least_wait(
    session: aiohttp.ClientSession, served: tuple[Script, str]
) -> None:
    script, url = served
    script.responses = [
        lambda: web.Response(status=429, headers={"Retry-After": "1"}),
        lambda: web.json_response({"ok": True}),
    ]
    started = time.monotonic()
    await send(session, url)
    assert time.monotonic() - started >= 0.95


async def test_a_retry_after_beyond_our_patience_gives_up_at_once(
    session: aiohttp.ClientSession, served: tuple[Script, str]
) -> None:
    script, url = served
    script.responses = [lambda: web.Response(status=429, headers={"Retry-After": "3600"})]
    with pytest.raises(SendFailed, match="HTTP 429"):
        await send(session, url)
    assert len(script.seen) == 1


async def test_a_dead_endpoint_is_retried_then_given_up(session: aiohttp.ClientSession) -> None:
    retry = RetrySettings(attempts=2, backoff_s=0.01, max_backoff_s=0.01, timeout_s=0.5)
    with pytest.raises(SendFailed, match=r"request failed: .*\(gave up after 2 attempts\)"):
        await send(session, "http://127.0.0.1:1/send", retry)


async def test_redirects_are_not_followed(
    session: aiohttp.ClientSession, served: tuple[Script, str]
) -> None:
    """A redirect would replay credentials to wherever it points: it is an error instead."""
    script, url = served
    script.responses = [
        lambda: web.Response(status=302, headers={"Location": "http://example.com/"})
    ]
    with pytest.raises(SendFailed, match="HTTP 302"):
        await send(session, url)


async def test_with_retries_lets_a_permanent_failure_through_untouched() -> None:
    calls = 0

    async def refused() -> None:
        nonlocal calls
        calls += 1
        raise SendFailed("outside the 24-hour window")

    with pytest.raises(SendFailed, match=r"^outside the 24-hour window$"):
        await with_retries(refused, provider="Meta", retry=FAST)
    assert calls == 1


async def test_with_retries_returns_once_it_works() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise Transient("503")
        return "ok"

    assert await with_retries(flaky, provider="Meta", retry=FAST) == "ok"
    assert calls == 3


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        (" 120 ", 120.0),
        ("Wed, 04 Mar 2026 12:00:30 GMT", 30.0),
        ("Wed, 04 Mar 2026 11:00:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(value, now) == seconds
