"""channels/meta/graph.py against the fake Graph API: Meta's error codes decide what is retried."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiohttp import web

from channels.meta.graph import GraphApi, GraphSendFailed
from channels.outbound import RetrySettings
from router.dispatch import SendFailed
from tests.channels.meta.harness import (
    ACCESS_TOKEN,
    API_VERSION,
    FakeGraph,
    fake_graph,
    graph_error,
)

FAST = RetrySettings(attempts=3, backoff_s=0.01, max_backoff_s=0.02, timeout_s=2.0)
BODY = {"recipient": {"id": "24"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}


def api(session: aiohttp.ClientSession, base: str, token: str = ACCESS_TOKEN) -> GraphApi:
    return GraphApi(
        session,
        provider="messenger_platform",
        base_url=base + "/",
        version=API_VERSION,
        access_token=token,
        retry=FAST,
    )


async def test_posts_with_the_bearer_token(session: aiohttp.ClientSession) -> None:
    async with fake_graph() as (graph, base):
        answer = await api(session, base).post("me/messages", BODY)
    assert answer == {"recipient_id": "24", "message_id": "m_fake1"}
    [sent] = graph.sent
    assert (sent.path, sent.body) == (f"/{API_VERSION}/me/messages", BODY)
    assert sent.authorization == f"Bearer {ACCESS_TOKEN}"


async def test_outside_the_window_is_final_with_code_and_subcode(
    session: aiohttp.ClientSession,
) -> None:
    graph = FakeGraph(
        script=[graph_error("(#10) This message is sent outside of allowed window.", 10, 2018278)]
    )
    async with fake_graph(graph) as (graph, base):
        with pytest.raises(GraphSendFailed) as caught:
            await api(session, base).post("me/messages", BODY)
    assert len(graph.sent) == 1  # never retried
    error = caught.value
    assert (error.status, error.code, error.subcode) == (400, 10, 2018278)
    assert str(error) == (
        "messenger_platform: HTTP 400, code 10/2018278 (OAuthException: (#10) This message is "
        "sent outside of allowed window.), fbtrace_id AbCdEfGhIjK"
    )


async def test_a_bad_token_is_final(session: aiohttp.ClientSession) -> None:
    async with fake_graph() as (_, base):
        with pytest.raises(GraphSendFailed) as caught:
            await api(session, base, token="wrong").post("me/messages", BODY)
    assert (caught.value.status, caught.value.code) == (401, 190)
    assert "wrong" not in str(caught.value)


@pytest.mark.parametrize(
    "throttled",
    [
        graph_error("(#4) Application request limit reached", 4, 80007),
        graph_error("(#80007) Rate limit hit", 80007),
        graph_error("(#613) Calls to this api have exceeded the rate limit.", 613),
        graph_error("Rate limit hit", 130429),
        graph_error("An unknown error occurred", 1),
        graph_error("Too many requests", 17, status=429),
        graph_error("Service unavailable", 2, status=503),
        lambda: web.Response(status=502, text="<html>bad gateway</html>"),
    ],
)
async def test_rate_limits_and_5xx_are_retried(
    session: aiohttp.ClientSession, throttled: object
) -> None:
    assert callable(throttled)
    graph = FakeGraph(script=[throttled])
    async with fake_graph(graph) as (graph, base):
        answer = await api(session, base).post("me/messages", BODY)
    assert len(graph.sent) == 2
    assert answer["message_id"] == "m_fake1"


async def test_transient_flag_is_retried(session: aiohttp.ClientSession) -> None:
    def transient() -> web.Response:
        error = {
            "message": "temporary",
            "type": "OAuthException",
            "code": 100,
            "is_transient": True,
        }
        return web.json_response({"error": error}, status=400)

    async with fake_graph(FakeGraph(script=[transient])) as (graph, base):
        await api(session, base).post("me/messages", BODY)
    assert len(graph.sent) == 2


async def test_giving_up_says_why(session: aiohttp.ClientSession) -> None:
    limited = graph_error("(#4) Application request limit reached", 4, 80007)
    async with fake_graph(FakeGraph(script=[limited] * 3)) as (graph, base):
        with pytest.raises(SendFailed) as caught:
            await api(session, base).post("me/messages", BODY)
    assert len(graph.sent) == 3
    assert "HTTP 400, code 4/80007" in str(caught.value)
    assert "gave up after 3 attempts" in str(caught.value)


async def test_retry_after_is_honoured(session: aiohttp.ClientSession) -> None:
    busy = graph_error("Too many", 4, status=429, headers={"Retry-After": "1"})
    async with fake_graph(FakeGraph(script=[busy])) as (graph, base):
        started = time.monotonic()
        await api(session, base).post("me/messages", BODY)
    assert time.monotonic() - started >= 0.9
    assert len(graph.sent) == 2


async def test_a_refused_connection_is_retried_then_fails(session: aiohttp.ClientSession) -> None:
    async with fake_graph() as (_, base):
        pass  # the port is closed again
    with pytest.raises(SendFailed) as caught:
        await api(session, base).post("me/messages", BODY)
    assert "request failed" in str(caught.value)
