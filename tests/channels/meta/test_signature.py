"""channels/meta/signature.py: X-Hub-Signature-256 over the raw bytes."""

from __future__ import annotations

import json

import pytest

from channels.meta.signature import sign, signature_ok, verify_signature
from channels.webhook import Rejected

# Copied from /work/shared/reference/vectors/meta.json (origin: self-generated, scheme from
# https://developers.facebook.com/docs/graph-api/webhooks/getting-started/). The valid body
# holds `caf\u00e9` as six ASCII characters, exactly as Meta escapes non-ASCII; the tampered
# one is the same JSON value re-serialised with a UTF-8 "é", so its bytes (and HMAC) differ.
VECTOR_SECRET = b"app_secret_123"
VECTOR_SIGNATURE = "sha256=47213eacd7d9628cfe5bf8ee823a0e766636a2e7329cc9b9e9aff2f6bcec00e8"
VECTOR_BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",'
    b'"value":{"messages":[{"id":"wamid.X","from":"16315551181","type":"text",'
    b'"text":{"body":"caf\\u00e9"}}]}}]}]}'
)
TAMPERED_BODY = (
    '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",'
    '"value":{"messages":[{"id":"wamid.X","from":"16315551181","type":"text",'
    '"text":{"body":"caf\u00e9"}}]}}]}]}'
).encode()


def test_the_vector_body_is_what_the_vector_file_says() -> None:
    assert b"caf\\u00e9" in VECTOR_BODY
    assert VECTOR_BODY.isascii()
    assert json.loads(VECTOR_BODY) == json.loads(TAMPERED_BODY)
    assert "café".encode() in TAMPERED_BODY


def test_valid_vector_passes() -> None:
    assert sign(VECTOR_SECRET, VECTOR_BODY) == VECTOR_SIGNATURE
    assert signature_ok(VECTOR_SECRET, VECTOR_BODY, VECTOR_SIGNATURE)
    verify_signature(VECTOR_SECRET, VECTOR_BODY, VECTOR_SIGNATURE)


def test_reserialised_vector_is_rejected() -> None:
    assert not signature_ok(VECTOR_SECRET, TAMPERED_BODY, VECTOR_SIGNATURE)
    with pytest.raises(Rejected) as caught:
        verify_signature(VECTOR_SECRET, TAMPERED_BODY, VECTOR_SIGNATURE)
    assert (caught.value.status, caught.value.code) == (403, "bad_signature")
    assert "47213eac" not in caught.value.message


@pytest.mark.parametrize(
    "header",
    [
        VECTOR_SIGNATURE.replace("sha256=", "sha1="),
        VECTOR_SIGNATURE[7:],  # no prefix
        VECTOR_SIGNATURE[:-1] + "9",
        VECTOR_SIGNATURE + "00",
        "sha256=",
        "sha256=é" + VECTOR_SIGNATURE[8:],
        "sha256=\udcff",  # undecodable header bytes as aiohttp hands them over
    ],
)
def test_wrong_signatures_are_rejected(header: str) -> None:
    assert not signature_ok(VECTOR_SECRET, VECTOR_BODY, header)
    with pytest.raises(Rejected) as caught:
        verify_signature(VECTOR_SECRET, VECTOR_BODY, header)
    assert (caught.value.status, caught.value.code) == (403, "bad_signature")


def test_other_secret_or_body_is_rejected() -> None:
    assert not signature_ok(b"app_secret_124", VECTOR_BODY, VECTOR_SIGNATURE)
    assert not signature_ok(VECTOR_SECRET, VECTOR_BODY + b" ", VECTOR_SIGNATURE)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_is_401(header: str | None) -> None:
    with pytest.raises(Rejected) as caught:
        verify_signature(VECTOR_SECRET, VECTOR_BODY, header)
    assert (caught.value.status, caught.value.code) == (401, "unauthorized")


def test_upper_case_hex_and_whitespace_are_tolerated() -> None:
    assert signature_ok(VECTOR_SECRET, VECTOR_BODY, " " + VECTOR_SIGNATURE.upper() + " ")
