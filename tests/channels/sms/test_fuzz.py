"""The SMS webhooks fuzzed *behind* a valid signature: random and garbled form fields, bad
UTF-8, wrong content types, random query strings. Always a 2xx (a legitimately ignorable or
valid payload) or a short JSON 4xx, never a 5xx, and nothing published unless the payload was
a real message. (tests/channels/test_fuzz.py fuzzes every channel without a signature.)

The service runs in a thread of its own (ingest role only: nothing is sent).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from multidict import MultiDict
from pydantic import ValidationError
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from channels.sms import TwilioSmsChannel
from channels.sms.keywords import depends_on_opt_out, match
from channels.sms.parse import InboundForm, first_values, to_inbound
from tests.channels.fuzzing import Running, check_answer, running_service
from tests.channels.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from tests.channels.sms.test_parse import NOW, sms

FORM = "application/x-www-form-urlencoded"
FIELDS = [
    "MessageSid",
    "SmsSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "MessagingServiceSid",
    "MessageStatus",
    "ErrorCode",
    "OptOutType",
]


def url(running: Running, path: str) -> str:
    return f"http://127.0.0.1:{running.port}{path}"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    config = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": FROM_NUMBER}
    with running_service(
        tmp_path_factory.mktemp("sms-fuzz"),
        {"sms": config},
        factories={"sms": TwilioSmsChannel},
        roles=["ingest"],
    ) as served:
        yield served


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # no lone surrogates
names = st.sampled_from(FIELDS) | text
pairs = st.lists(st.tuples(names, text), max_size=10)


@st.composite
def payloads(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Mostly near-valid messages with fields dropped, replaced or repeated; else noise."""
    if draw(st.booleans()):
        return draw(pairs)
    fields = list(sms(body=draw(text)).items())
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(fields) - 1))
        action = draw(st.sampled_from(["drop", "replace", "repeat"]))
        if action == "drop":
            fields.pop(index)
        elif action == "replace":
            fields[index] = (fields[index][0], draw(text))
        else:
            fields.append((fields[index][0], draw(text)))
        if not fields:
            break
    return fields


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["form", "form", "form", "raw", "bad_utf8", "other"]))
    if kind == "form":
        return urlencode(draw(payloads())).encode(), FORM
    if kind == "raw":
        return draw(st.binary(max_size=200)), FORM
    if kind == "bad_utf8":
        return b"Body=caf\xe9&From=%2B1415&MessageSid=SM\xff", FORM
    body = json.dumps(dict(draw(pairs))).encode()
    return body, draw(st.sampled_from(["application/json", "text/plain", "multipart/form-data"]))


def parsed(body: bytes) -> MultiDict[str] | None:
    """The parameters as the server reads them (aiohttp's request.post()), if it can."""
    try:
        return MultiDict(parse_qsl(body.rstrip().decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return None


def is_message(params: MultiDict[str]) -> bool:
    """Whether these parameters are an SMS the channel publishes."""
    try:
        form = InboundForm.model_validate(first_values(params))
    except ValidationError:
        return False
    if match(form.body, opted_out=False, opt_out_type=form.opt_out_type) is not None:
        return False
    return to_inbound(form, params, NOW, max_bytes=4096) is not None


def check(status: int, body: bytes, content_type: str) -> None:
    check_answer(status, body, content_type)
    if status < 400:
        assert status == 200
        assert content_type.startswith("text/xml")


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(path=st.sampled_from(["/webhooks/sms", "/webhooks/sms/status"]), sent=bodies())
def test_signed_posts_never_fail_inside(
    running: Running, path: str, sent: tuple[bytes, str]
) -> None:
    body, content_type = sent
    params = parsed(body) if content_type == FORM else None
    validator = RequestValidator(AUTH_TOKEN)
    headers = {
        "Content-Type": content_type,
        "X-Twilio-Signature": validator.compute_signature(url(running, path), params or {}),
    }
    before = running.published()
    status, answer, answer_type = running.request("POST", path, body, headers)
    check(status, answer, answer_type)
    event(f"{path} {status}")
    if params is None:
        assert status in (400, 415)
    published = running.published() - before
    if path == "/webhooks/sms" and params is not None and is_message(params):
        assert status == 200
        assert published in (0, 1)  # 0: a MessageSid an earlier example already sent
    elif params is not None and depends_on_opt_out(params.get("Body", "")):
        assert published in (0, 1)  # YES: published unless an earlier STOP opted it out
    else:
        assert published == 0


@FUZZ
@given(fields=payloads())
def test_signed_gets_never_fail_inside(running: Running, fields: list[tuple[str, str]]) -> None:
    path = "/webhooks/sms" + (f"?{urlencode(fields)}" if fields else "")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url(running, path), {})
    before = running.published()
    status, answer, answer_type = running.request(
        "GET", path, b"", {"X-Twilio-Signature": signature}
    )
    check(status, answer, answer_type)
    event(f"GET {status}")
    assert status != 403, path  # the URL is rebuilt exactly as signed, whatever the query
    published = running.published() - before
    params = MultiDict(fields)
    if is_message(params) or depends_on_opt_out(params.get("Body", "")):
        assert published in (0, 1)
    else:
        assert published == 0
