"""channels/api/signature.py: the documented scheme, byte for byte, and every way to fail it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from channels.api.signature import signature, signed_headers, verify
from channels.webhook import Rejected
from tests.channels.api.conftest import NOW, SECRET

KEY = SECRET.encode()
BODY = (
    b'{"id":"m-1","conversation_id":"c-1","sender":{"id":"u-1"},"text":"where is my order #1001?"}'
)
TS = "1770920772"  # NOW
# Computed once with the operator docs' example (hmac.new(secret, f"{ts}.".encode() + body,
# hashlib.sha256).hexdigest()) and frozen here: the scheme must never change under clients.
BODY_SIGNATURE = "v1=d18329ea1b5c498e3e3e76441f21312a209590d6dd694b095219adae8ec6d41e"
PATH = b"/webhooks/api/conversations/c-1/messages?after=0"
PATH_SIGNATURE = "v1=8f563aabee88ea48e29b01e48584bafaec0b77bb8f58be27a99d26cb402a1093"
WINDOW = 300


def headers(ts: str = TS, sig: str = BODY_SIGNATURE) -> dict[str, str]:
    return {"X-Wismo-Timestamp": ts, "X-Wismo-Signature": sig}


def refused(hdrs: dict[str, str], payload: bytes = BODY, *, now_offset_s: float = 0) -> Rejected:
    with pytest.raises(Rejected) as caught:
        verify(KEY, hdrs, payload, NOW + timedelta(seconds=now_offset_s), WINDOW)
    assert caught.value.status == 401
    return caught.value


def test_frozen_vectors() -> None:
    assert signature(KEY, TS, BODY) == BODY_SIGNATURE
    assert signature(KEY, TS, PATH) == PATH_SIGNATURE
    expected = hmac.new(KEY, f"{TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert BODY_SIGNATURE == f"v1={expected}"
    assert signed_headers(KEY, NOW, BODY) == headers()


def test_a_good_signature_passes() -> None:
    verify(KEY, headers(), BODY, NOW, WINDOW)
    verify(KEY, headers(sig=PATH_SIGNATURE), PATH, NOW, WINDOW)


@pytest.mark.parametrize(
    "payload",
    [
        BODY.replace(b"#1001", b"#1002"),
        BODY + b" ",
        BODY[:-1],
        b"",
        PATH,  # a GET's signature is not a POST's
    ],
)
def test_a_tampered_payload_fails(payload: bytes) -> None:
    assert refused(headers(), payload).code == "bad_signature"


def test_the_path_is_signed_for_polling() -> None:
    other = b"/webhooks/api/conversations/c-2/messages?after=0"
    assert refused(headers(sig=PATH_SIGNATURE), other).code == "bad_signature"
    later = b"/webhooks/api/conversations/c-1/messages?after=9"
    assert refused(headers(sig=PATH_SIGNATURE), later).code == "bad_signature"


def test_a_wrong_secret_fails() -> None:
    wrong = signature(b"wismo-api-test-secret-0002", TS, BODY)
    error = refused(headers(sig=wrong))
    assert error.code == "bad_signature"
    assert BODY_SIGNATURE[3:] not in error.message
    assert SECRET not in error.message


@pytest.mark.parametrize(
    "sig",
    [
        BODY_SIGNATURE.upper(),
        BODY_SIGNATURE[3:],  # no version
        "v2=" + BODY_SIGNATURE[3:],
        BODY_SIGNATURE[:-1],
        BODY_SIGNATURE + "0",
        "",
        "v1=",
        "v1=é",
    ],
)
def test_malformed_signatures_fail(sig: str) -> None:
    assert refused(headers(sig=sig)).code == "bad_signature"


@pytest.mark.parametrize("ts", ["", "abc", "-1770920772", "1770920772.5", "1" * 13, " "])
def test_malformed_timestamps_fail(ts: str) -> None:
    assert refused(headers(ts=ts, sig=signature(KEY, ts.strip() or "0", BODY))).code == (
        "bad_signature"
    )


@pytest.mark.parametrize("missing", ["X-Wismo-Timestamp", "X-Wismo-Signature"])
def test_missing_headers_fail(missing: str) -> None:
    hdrs = headers()
    del hdrs[missing]
    assert refused(hdrs).code == "unauthorized"
    assert refused({}).code == "unauthorized"


@pytest.mark.parametrize("offset", [-WINDOW, WINDOW, -WINDOW + 0.999, WINDOW - 1])
def test_the_window_edges_pass(offset: float) -> None:
    """A request signed `offset` seconds from our clock (late or early)."""
    verify(KEY, headers(), BODY, NOW + timedelta(seconds=offset), WINDOW)


@pytest.mark.parametrize("offset", [WINDOW + 1, -(WINDOW + 1), WINDOW + 0.001, 86_400])
def test_beyond_the_window_fails(offset: float) -> None:
    error = refused(headers(), now_offset_s=offset)
    assert error.code == "stale_timestamp"


def test_a_stale_request_with_a_bad_signature_says_only_bad_signature() -> None:
    """The clock hint is only for holders of the secret."""
    assert refused(headers(sig="v1=" + "0" * 64), now_offset_s=9999).code == "bad_signature"
