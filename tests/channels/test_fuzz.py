"""Every HTTP endpoint of every channel (and the Slack desk), fuzzed from the outside: random
bodies, wrong content types, truncated multipart, bad UTF-8, deeply nested JSON, random
signature headers, bodies over the limit. The answer is always a short JSON 4xx (or a 2xx where
the input is legitimately ignorable), never a 5xx, and nothing reaches the bus.

Each channel's own tests fuzz again *behind* its signature check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.fuzzing import Running, check_answer, json_trees, nested, running_service

# Every channel configured with test credentials (none of which a fuzzer knows to sign with).
CHANNELS: dict[str, dict[str, Any]] = {
    "webchat": {"session_secret": "fuzz-secret"},
    "whatsapp": {"app_secret": "fuzz", "verify_token": "fuzz", "access_token": "fuzz"},
    "messenger": {"app_secret": "fuzz", "verify_token": "fuzz", "access_token": "fuzz"},
    "instagram": {"app_secret": "fuzz", "verify_token": "fuzz", "access_token": "fuzz"},
    "telegram": {
        "bot_token": "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
        "secret_token": "fuzz-secret",
    },
    "api": {"secret": "fuzz-secret-0123456789"},
    "email": {
        "from_address": "support@shop.example",
        "sendgrid_parse_token": "fuzz-token-0123456789",
        "mailgun_signing_key": "fuzz-key",
        "postmark_inbound_user": "fuzz",
        "postmark_inbound_password": "fuzz-password",
        "mime_user": "fuzz",
        "mime_password": "fuzz-password",
        "smtp_host": "127.0.0.1",
    },
    "sms": {
        "account_sid": "AC" + "0" * 32,
        "auth_token": "fuzz-token",
        "from_number": "+14155552671",
    },
    # The human desk's routes too (its API is never reached: nothing gets past the signature).
    "slack": {
        "signing_secret": "fuzz-signing-secret",
        "bot_token": "xoxb-fuzz",
        "channel": "C0FUZZ0001",
        "api_base_url": "http://127.0.0.1:9/api/",
    },
}

MAX_BODY = 1024 * 1024
# E-mail routes take mails with attachments (a photo of the parcel): their own, larger limit.
MAX_BODY_BY_PREFIX = {"/webhooks/email/": 25 * 1024 * 1024}
EXAMPLES = 400


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # The tracking webhooks too: every aggregator's route is mounted.
    webhooks = {f"{name}_secret": "fuzz-secret" for name in ("easypost", "aftership", "shippo")}
    notify = {"webhooks": webhooks}
    with running_service(tmp_path_factory.mktemp("fuzz"), CHANNELS, notify=notify) as served:
        yield served


def endpoints(running: Running) -> list[tuple[str, str]]:
    """(method, path) of every channel route, path parameters filled in."""
    assert running.service.runner is not None
    app = running.service.runner.app
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if not path or route.method == "HEAD" or path in ("/healthz", "/readyz", "/metrics"):
            continue
        found.append((route.method, re.sub(r"\{[^}]+\}", "fuzz-param", str(path))))
    return sorted(set(found))


def multipart(parts: list[tuple[str, str]], cut: int) -> tuple[bytes, str]:
    boundary = "fuzzBoundary7MA4YWxkTrZu0gW"
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in parts
    ]
    body = ("".join(chunks) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")
    return body[: max(0, len(body) - cut)], f"multipart/form-data; boundary={boundary}"


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(
        st.sampled_from(["binary", "text", "json", "nested", "form", "multipart", "bad_utf8"])
    )
    if kind == "binary":
        return draw(st.binary(max_size=300)), draw(
            st.sampled_from(["application/octet-stream", "application/json", "text/plain", ""])
        )
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass"), "text/plain"
    if kind == "json":
        return json.dumps(draw(json_trees)).encode(), "application/json"
    if kind == "nested":
        return nested(draw(st.integers(100, 5000))), "application/json"
    if kind == "form":
        fields = draw(st.dictionaries(st.text(max_size=15), st.text(max_size=40), max_size=8))
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if kind == "multipart":
        parts = draw(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=40)), max_size=5))
        return multipart(parts, draw(st.integers(0, 60)))
    return b'{"text": "\xff\xfe caf\xe9"}', "application/json; charset=utf-8"


signature_headers = st.dictionaries(
    st.sampled_from(
        [
            "X-Twilio-Signature",
            "X-Hub-Signature-256",
            "X-Telegram-Bot-Api-Secret-Token",
            "X-Wismo-Signature",
            "X-Wismo-Timestamp",
            "X-Slack-Signature",
            "X-Slack-Request-Timestamp",
            "X-Hmac-Signature",
            "aftership-hmac-sha256",
            "Shippo-Auth-Signature",
            "Authorization",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
    max_size=3,
)


def test_every_channel_route_is_found(running: Running) -> None:
    paths = {path for _, path in endpoints(running)}
    assert "/webchat/messages" in paths
    assert {"/slack/events", "/slack/interactivity"} <= paths
    assert {f"/webhooks/tracking/{name}" for name in ("easypost", "aftership", "shippo")} <= paths
    assert set(running.service.channels) | set(running.service.desks) == set(CHANNELS)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_requests_never_fail_inside(running: Running, data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(endpoints(running)))
    body, content_type = data.draw(bodies())
    headers = {**data.draw(signature_headers)}
    if content_type:
        headers["Content-Type"] = content_type
    before = running.published()
    status, answer, answer_type = running.request(method, path, body, headers)
    check_answer(status, answer, answer_type)
    if not path.startswith("/webchat/"):  # the web chat has no signature: a valid post counts
        assert running.published() == before


def test_every_endpoint_refuses_a_body_over_the_limit(running: Running) -> None:
    for method, path in endpoints(running):
        if method != "POST":
            continue
        limit = next((n for p, n in MAX_BODY_BY_PREFIX.items() if path.startswith(p)), MAX_BODY)
        big = b"x" * (limit + 1)
        status, answer, answer_type = running.request(
            method, path, big, {"Content-Type": "application/json"}
        )
        if limit == MAX_BODY:
            assert status == 413, path
        else:  # credentials are checked first there: a stranger's large body is not even read
            assert status in (401, 413), path
        check_answer(status, answer, answer_type)
