"""channels/email/identity.py: sender.email only when the provider vouches for From."""

from __future__ import annotations

import pytest

from channels.email.headers import Headers
from channels.email.identity import (
    authentication_results_vouch,
    mailgun_vouches,
    postmark_vouches,
    sendgrid_vouches,
)

TRUSTED = frozenset({"mx.shop.example"})


def test_sendgrid() -> None:
    assert sendgrid_vouches("pass", "{@example.com : pass}", "example.com")
    assert sendgrid_vouches("PASS", "{@sendgrid.info : pass, @example.com : pass}", "example.com")
    assert not sendgrid_vouches("pass", "{@sendgrid.info : pass}", "example.com")
    assert not sendgrid_vouches("softfail", "{@example.com : pass}", "example.com")
    assert not sendgrid_vouches("pass", "{@example.com : fail}", "example.com")
    assert not sendgrid_vouches("pass", "{@evil-example.com : pass}", "example.com")
    assert not sendgrid_vouches(None, None, "example.com")
    assert not sendgrid_vouches("pass", "{@example.com : pass}", None)


def test_mailgun() -> None:
    good = Headers.of([("X-Mailgun-Spf", "Pass"), ("X-Mailgun-Dkim-Check-Result", "Pass")])
    assert mailgun_vouches(good, "alice@example.com", "example.com")
    assert not mailgun_vouches(good, "bounces@esp.example.net", "example.com")  # not aligned
    assert not mailgun_vouches(good, None, "example.com")
    spf_only = Headers.of([("X-Mailgun-Spf", "Pass"), ("X-Mailgun-Dkim-Check-Result", "Fail")])
    assert not mailgun_vouches(spf_only, "alice@example.com", "example.com")
    neutral = Headers.of([("X-Mailgun-Spf", "Neutral"), ("X-Mailgun-Dkim-Check-Result", "Pass")])
    assert not mailgun_vouches(neutral, "alice@example.com", "example.com")


POSTMARK_SPF = (
    "Pass (sender SPF authorized) identity=mailfrom; client-ip=209.85.160.180; "
    "helo=mail-gy0-f180.google.com; envelope-from=alice@example.com; "
    "receiver=451d9b70cf9364d23ff6f9d51d870251569e+ahoy@inbound.postmarkapp.com"
)


def test_postmark() -> None:
    assert postmark_vouches(Headers.of([("Received-SPF", POSTMARK_SPF)]), "example.com")
    assert not postmark_vouches(Headers.of([("Received-SPF", POSTMARK_SPF)]), "other.example")
    softfail = POSTMARK_SPF.replace("Pass (sender SPF authorized)", "SoftFail")
    assert not postmark_vouches(Headers.of([("Received-SPF", softfail)]), "example.com")
    no_envelope = "Pass (sender SPF authorized) identity=mailfrom; client-ip=1.2.3.4"
    assert not postmark_vouches(Headers.of([("Received-SPF", no_envelope)]), "example.com")
    # Postmark's own verdict is the topmost; one the sender wrote further down is not read.
    forged_below = Headers.of([("Received-SPF", softfail), ("Received-SPF", POSTMARK_SPF)])
    assert not postmark_vouches(forged_below, "example.com")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("mx.shop.example; dkim=pass header.d=example.com header.s=s1", True),
        ("mx.shop.example; dkim=pass (2048-bit key) header.i=@example.com", True),
        ("mx.shop.example; spf=pass smtp.mailfrom=alice@example.com", True),
        ("mx.shop.example 1; dmarc=pass (p=none) header.from=example.com", True),
        ("MX.SHOP.EXAMPLE; dkim=pass header.d=Example.com", True),
        ("mx.shop.example; dkim=pass header.d=esp.example.net; spf=fail", False),
        ("mx.shop.example; spf=pass smtp.mailfrom=bounce@esp.example.net", False),
        ("mx.shop.example; dkim=fail header.d=example.com", False),
        ("mx.shop.example; dmarc=pass header.from=other.example", False),
        ("mx.evil.example; dkim=pass header.d=example.com", False),
        ("mx.shop.example; none", False),
        ("garbage", False),
    ],
)
def test_authentication_results(value: str, ok: bool) -> None:
    headers = Headers.of([("Authentication-Results", value)])
    assert authentication_results_vouch(headers, TRUSTED, "example.com") is ok


def test_authentication_results_topmost_only_and_needs_trust() -> None:
    forged_below = Headers.of(
        [
            ("Authentication-Results", "mx.shop.example; dkim=none; spf=softfail"),
            ("Authentication-Results", "mx.shop.example; dkim=pass header.d=example.com"),
        ]
    )
    assert not authentication_results_vouch(forged_below, TRUSTED, "example.com")
    good = Headers.of(
        [("Authentication-Results", "mx.shop.example; dkim=pass header.d=example.com")]
    )
    assert not authentication_results_vouch(good, frozenset(), "example.com")
    assert not authentication_results_vouch(good, TRUSTED, None)
