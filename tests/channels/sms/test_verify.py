"""channels/sms/verify.py: Twilio's signature, through the official RequestValidator."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from multidict import MultiDict

from channels.sms.verify import Verifier

# Copied from /work/shared/reference/vectors/twilio.json. The three valid vectors come from the
# official SDK's tests (github.com/twilio/twilio-python tests/unit/test_request_validator.py:
# test_compute_signature / test_validation, test_compute_signature_duplicate_multi_dict,
# test_validation_of_body_succeeds); the tampered ones are self-generated copies of them.
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
FORM_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
    ("Caller", "+14158675309"),
]
JSON_URL = (
    "https://mycompany.com/myapp.php?foo=1&bar=2"
    "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
)
JSON_BODY = '{"property": "value", "boolean": true}'

VALID: list[tuple[str, str, Any, str]] = [
    ("official-form-params", VECTOR_URL, MultiDict(FORM_PARAMS), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    (
        "official-repeated-params",
        VECTOR_URL,
        MultiDict(
            [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
        ),
        "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
    ),
    ("official-json-body", JSON_URL, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="),
]
TAMPERED: list[tuple[str, str, Any, str]] = [
    (
        "tampered-param",  # Digits 1234 → 9999
        VECTOR_URL,
        MultiDict([(k, "9999" if k == "Digits" else v) for k, v in FORM_PARAMS]),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    ),
    (
        "tampered-url",  # foo=1 → foo=2
        "https://mycompany.com/myapp.php?foo=2&bar=2",
        MultiDict(FORM_PARAMS),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    ),
    (
        "tampered-json-body",  # true → false, URL and signature unchanged
        JSON_URL,
        '{"property": "value", "boolean": false}',
        "a9nBmqA0ju/hNViExpshrM61xv4=",
    ),
]


@pytest.mark.parametrize(("name", "url", "params", "signature"), VALID)
def test_official_vectors_verify(name: str, url: str, params: Any, signature: str) -> None:
    assert Verifier(VECTOR_TOKEN).verify(url, params, signature), name


@pytest.mark.parametrize(("name", "url", "params", "signature"), TAMPERED)
def test_tampered_vectors_are_rejected(name: str, url: str, params: Any, signature: str) -> None:
    assert not Verifier(VECTOR_TOKEN).verify(url, params, signature), name


def test_repeated_params_count_every_value() -> None:
    """Dropping one of the repeated values (a plain dict would) breaks the signature."""
    _, url, params, signature = VALID[1]
    only_first = {k: params.getone(k) for k in params}
    assert not Verifier(VECTOR_TOKEN).verify(url, only_first, signature)


def test_wrong_token_missing_or_garbled_signature() -> None:
    _, url, params, signature = VALID[0]
    assert not Verifier("54321").verify(url, params, signature)
    assert not Verifier(VECTOR_TOKEN).verify(url, params, None)
    assert not Verifier(VECTOR_TOKEN).verify(url, params, "")
    assert not Verifier(VECTOR_TOKEN).verify(url, params, "not base64 at all ✓")
    assert not Verifier(VECTOR_TOKEN).verify(url, params, signature.lower())


def test_the_url_is_tried_with_and_without_the_default_port() -> None:
    _, _, params, signature = VALID[0]
    verifier = Verifier(VECTOR_TOKEN)
    assert verifier.verify("https://mycompany.com:443/myapp.php?foo=1&bar=2", params, signature)
    assert not verifier.verify("http://mycompany.com/myapp.php?foo=1&bar=2", params, signature)


def sign_sha256(key: str, url: str, params: list[tuple[str, str]]) -> str:
    """The SharedKey scheme: the same string as the Auth Token one, HMAC-SHA256."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(key.encode(), data.encode(), hashlib.sha256).digest()).decode()


SETTINGS = "key=webhooks_sharedkey_0123456789,algorithm=HMAC_SHA256"


def test_shared_key_signatures() -> None:
    key = "shared-key-secret"
    signature = sign_sha256(key, VECTOR_URL, FORM_PARAMS)
    params = MultiDict(FORM_PARAMS)
    assert Verifier(VECTOR_TOKEN, key).verify(VECTOR_URL, params, signature, SETTINGS)
    # Not configured for SharedKey: refused, whatever the header claims.
    assert not Verifier(VECTOR_TOKEN).verify(VECTOR_URL, params, signature, SETTINGS)
    # A SharedKey signature is not an Auth Token one, and the reverse.
    assert not Verifier(VECTOR_TOKEN, key).verify(VECTOR_URL, params, signature)
    auth_token_signed = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert not Verifier(VECTOR_TOKEN, key).verify(VECTOR_URL, params, auth_token_signed, SETTINGS)
    assert Verifier(VECTOR_TOKEN, key).verify(VECTOR_URL, params, auth_token_signed)
    # An algorithm the SDK does not know: refused.
    unknown = "key=k1,algorithm=HMAC_MD5"
    assert not Verifier(VECTOR_TOKEN, key).verify(VECTOR_URL, params, signature, unknown)
