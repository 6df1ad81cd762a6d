"""Every e-mail route fuzzed *behind* valid credentials: random JSON trees and near-valid
Postmark payloads, random and truncated multipart forms (SendGrid), random signed form fields
(Mailgun), random bytes and mangled mails as MIME, wrong content types, bad UTF-8. Always a
200 (a valid or legitimately ignorable mail) or a short JSON 4xx, never a 5xx, and an event is
published only when the answer says the mail was accepted.

The service runs in a thread of its own (ingest role only). (tests/channels/test_fuzz.py fuzzes
without credentials.)
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from channels.email import EmailChannel
from channels.email.unsubscribe import token
from tests.channels.email import mails, payloads
from tests.channels.email.support import (
    MAILGUN_KEY,
    MIME_AUTH,
    POSTMARK_AUTH,
    SENDGRID_TOKEN,
    UNSUBSCRIBE_CONFIG,
    UNSUBSCRIBE_SECRET,
    basic,
)
from tests.channels.fuzzing import Running, check_answer, running_service

SG_HEADERS = {"Authorization": basic("sendgrid", "sg-basic-secret")}
BOUNDARY = "fuzzBoundary42"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_service(
        tmp_path_factory.mktemp("email-fuzz"),
        {"email": UNSUBSCRIBE_CONFIG},
        factories={"email": EmailChannel},
        roles=["ingest"],
    ) as served:
        yield served


def call(running: Running, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """POST and check the answer's shape; the JSON answer."""
    before = running.published()
    status, raw, content_type = running.request("POST", path, body, headers)
    check_answer(status, raw, content_type)
    if currently_in_test_context():
        event(f"{path} {status}")
    assert content_type.startswith("application/json"), content_type
    answer = json.loads(raw)
    assert isinstance(answer, dict)
    if status >= 400:
        assert running.published() == before
    else:
        assert status == 200
        assert running.published() - before == answer["accepted"]
    return answer


FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_tree = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)
POSTMARK_FIELDS = list(payloads.postmark())


@st.composite
def postmark_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["near", "near", "tree", "deep", "bad_utf8", "truncated"]))
    if kind == "tree":
        return json.dumps(draw(json_tree)).encode()
    if kind == "deep":
        depth = draw(st.integers(50, 5000))
        return b"[" * depth + b"]" * depth
    if kind == "bad_utf8":
        return b'{"From": "caf\xe9@example.com", "TextBody": "\xff"}'
    payload = payloads.postmark(text=draw(text), subject=draw(text))
    for _ in range(draw(st.integers(0, 4))):
        payload[draw(st.sampled_from(POSTMARK_FIELDS))] = draw(json_tree)
    body = json.dumps(payload).encode()
    if kind == "truncated":
        return body[: draw(st.integers(0, len(body)))]
    return body


@FUZZ
@given(
    body=postmark_bodies(),
    content_type=st.sampled_from(["application/json"] * 4 + ["text/plain", "multipart/form-data"]),
)
def test_postmark(running: Running, body: bytes, content_type: str) -> None:
    headers = {"Authorization": basic(*POSTMARK_AUTH), "Content-Type": content_type}
    call(running, "/webhooks/email/postmark", body, headers)


header_names = st.sampled_from(
    [
        "From",
        "To",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Reply-To",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Auto-Submitted",
        "Return-Path",
        "Authentication-Results",
    ]
)
header_values = (
    st.sampled_from(
        [
            "alice@example.com",
            '"Smith, A" <a@example.com>',
            "<x@y>",
            "=?utf-8?q?caf=C3=A9?=",
            "=?bogus?b?!!!?=",
            "multipart/mixed; boundary=zz",
            "text/plain; charset=x-unknown",
            "text/html; charset=utf-16",
            "base64",
            "quoted-printable",
            "<>",
            "mx.shop.example; dkim=pass header.d=example.com",
            "",
        ]
    )
    | text
)


@st.composite
def mime_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "headers", "mangled", "truncated"]))
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=400))
    if kind == "headers":
        lines = draw(st.lists(st.tuples(header_names, header_values), max_size=10))
        head = "".join(f"{name}: {value}\r\n" for name, value in lines)
        return (head + "\r\n" + draw(text)).encode("utf-8", "surrogateescape")
    raw = draw(
        st.sampled_from(
            [
                mails.plain(),
                mails.WITH_ATTACHMENTS,
                mails.HTML_ONLY,
                mails.QP_LATIN1,
                mails.DSN_BOUNCE,
            ]
        )
    )
    if kind == "truncated":
        return raw[: draw(st.integers(1, len(raw)))] or b"x"
    index = draw(st.integers(0, len(raw) - 1))
    return raw[:index] + draw(st.binary(min_size=1, max_size=20)) + raw[index + 1 :]


@FUZZ
@given(
    body=mime_bodies(), content_type=st.sampled_from(["message/rfc822"] * 4 + ["application/json"])
)
def test_raw_mime(running: Running, body: bytes, content_type: str) -> None:
    headers = {"Authorization": basic(*MIME_AUTH), "Content-Type": content_type}
    call(running, "/webhooks/email/mime", body, headers)


SENDGRID_FIELDS = ["from", "to", "cc", "subject", "text", "html", "headers", "envelope", "dkim",
                   "SPF", "charsets", "attachments", "attachment-info", "email"]  # fmt: skip


def multipart(fields: list[tuple[str, bytes]], files: int) -> bytes:
    out = b""
    for name, value in fields:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode(
                "utf-8", "surrogateescape"
            )
            + value
            + b"\r\n"
        )
    for index in range(files):
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachment{index}"; '
            f'filename="f{index}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode() + b"\x00\x01\x02\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


@st.composite
def sendgrid_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["fields", "fields", "truncated", "raw_email", "noise"]))
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    if kind == "noise":
        return draw(st.binary(max_size=300)), draw(
            st.sampled_from([content_type, "multipart/form-data", "application/json"])
        )
    names = st.sampled_from(SENDGRID_FIELDS) | text
    values = st.binary(max_size=80) | header_values.map(
        lambda v: v.encode("utf-8", "surrogateescape")
    )
    fields = draw(st.lists(st.tuples(names, values), max_size=12))
    if kind == "raw_email":
        fields.append(("email", draw(mime_bodies())))
    else:
        fields.append(("headers", b"From: alice@example.com\r\nMessage-ID: <sg@fuzz>\r\n"))
    body = multipart(fields, draw(st.integers(0, 2)))
    if kind == "truncated":
        body = body[: draw(st.integers(0, len(body) - 1))]
    return body, content_type


@FUZZ
@given(sent=sendgrid_bodies())
def test_sendgrid(running: Running, sent: tuple[bytes, str]) -> None:
    body, content_type = sent
    headers = {**SG_HEADERS, "Content-Type": content_type}
    call(running, f"/webhooks/email/sendgrid/{SENDGRID_TOKEN}", body, headers)


MAILGUN_FIELDS = ["recipient", "sender", "from", "subject", "body-plain", "body-html",
                  "stripped-text", "message-headers", "Message-Id", "In-Reply-To", "References",
                  "attachment-count", "body-mime"]  # fmt: skip


@st.composite
def mailgun_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """Correctly signed (a fresh token and the current time each time), random fields."""
    timestamp, token = str(int(time.time())), secrets.token_hex(25)
    signed = {
        "timestamp": timestamp,
        "token": token,
        "signature": payloads.mailgun_signature(MAILGUN_KEY, timestamp, token),
    }
    if draw(st.booleans()):
        fields = payloads.mailgun(MAILGUN_KEY, timestamp, token, text=draw(text))
        for _ in range(draw(st.integers(0, 4))):
            fields[draw(st.sampled_from(MAILGUN_FIELDS))] = draw(text | json_tree.map(json.dumps))
    else:
        names = st.sampled_from(MAILGUN_FIELDS) | text
        fields = {**dict(draw(st.lists(st.tuples(names, text), max_size=10))), **signed}
    body = urlencode(fields).encode()
    if draw(st.integers(0, 5)) == 0:
        body += b"&body-plain=caf\xe9\xff"
    return body, "application/x-www-form-urlencoded"


@FUZZ
@given(
    sent=mailgun_bodies(),
    path=st.sampled_from(["/webhooks/email/mailgun", "/webhooks/email/mailgun/mime"]),
)
def test_mailgun(running: Running, sent: tuple[bytes, str], path: str) -> None:
    body, content_type = sent
    call(running, path, body, {"Content-Type": content_type})


@st.composite
def unsubscribe_requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str], bool]:
    """(method, path, body, headers, valid link): random, forged and valid links, with random
    bodies and content types."""
    address = draw(st.sampled_from(["fuzz@example.com", "FUZZ@example.com"]) | text)
    kind = draw(st.sampled_from(["valid", "forged", "random", "missing"]))
    query: dict[str, str] = {}
    if kind == "valid":
        query = {"a": address, "t": token(UNSUBSCRIBE_SECRET, address)}
    elif kind == "forged":
        query = {"a": address, "t": token("not-the-secret-0123456789", address)}
    elif kind == "random":
        query = draw(st.dictionaries(st.sampled_from(["a", "t", "x"]), text, max_size=3))
    method = draw(st.sampled_from(["GET", "POST"]))
    body = draw(st.sampled_from([b"", b"List-Unsubscribe=One-Click"]) | st.binary(max_size=200))
    content_type = draw(
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                f"multipart/form-data; boundary={BOUNDARY}",
                "application/json",
                "text/plain",
            ]
        )
    )
    path = "/unsubscribe/email" + ("?" + urlencode(query) if query else "")
    valid = kind == "valid" and "@" in address and "." in address.rsplit("@", 1)[-1]
    return method, path, body, {"Content-Type": content_type}, valid


@FUZZ
@given(sent=unsubscribe_requests())
def test_unsubscribe_routes(
    running: Running, sent: tuple[str, str, bytes, dict[str, str], bool]
) -> None:
    """Never a 5xx; only a valid link answers 200; nothing is ever published."""
    method, path, body, headers, valid = sent
    before = running.published()
    status, raw, content_type = running.request(method, path, body, headers)
    check_answer(status, raw, content_type)
    if currently_in_test_context():
        event(f"unsubscribe {method} {status}")
    if status == 200:
        assert valid, path
        assert content_type.startswith(("text/html", "application/json"))
    assert running.published() == before


def test_a_valid_mail_is_published(running: Running) -> None:
    """The oracle works: a real mail on each route is accepted and published."""
    headers = {"Authorization": basic(*POSTMARK_AUTH), "Content-Type": "application/json"}
    body = json.dumps(payloads.postmark(message_id="<fuzz-oracle@x>")).encode()
    assert call(running, "/webhooks/email/postmark", body, headers) == {"accepted": 1}
