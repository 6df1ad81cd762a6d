"""channels/email/headers.py: decoding, addresses and Message-IDs, never raising."""

from __future__ import annotations

import pytest

from channels.email.headers import (
    MAX_REFERENCES,
    Headers,
    addresses,
    decode_value,
    domain_of,
    message_ids,
    normalize_address,
    same_mailbox,
)


def test_decode_value() -> None:
    assert decode_value("=?utf-8?q?caf=C3=A9?= au lait") == "café au lait"
    assert decode_value("=?x-unknown?q?abc?=") == "=?x-unknown?q?abc?="
    assert decode_value("=?utf-8?b?!!!?=") in ("=?utf-8?b?!!!?=", "")
    assert decode_value("folded\r\n  line") == "folded line"
    assert decode_value("raw \udcc3\udca9") == "raw é"


def test_addresses() -> None:
    assert addresses('"Smith, Alice" <Alice@Example.COM>, bob@example.com') == [
        ("Smith, Alice", "alice@example.com"),
        ("", "bob@example.com"),
    ]
    assert addresses("=?utf-8?q?Jos=C3=A9?= <jose@example.es>") == [("José", "jose@example.es")]
    assert addresses("not an address") == []
    assert addresses(None) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        (" <Alice@Example.com> ", "alice@example.com"),
        ("alice@localhost", None),
        ("a b@example.com", None),
        ("", None),
        (None, None),
        ("x@" + "a" * 320 + ".com", None),
    ],
)
def test_normalize_address(value: str | None, expected: str | None) -> None:
    assert normalize_address(value) == expected


def test_message_ids() -> None:
    assert message_ids("<a@b> <c@d>\r\n <a@b>") == ["<a@b>", "<c@d>"]
    assert message_ids("bare@id.example") == ["<bare@id.example>"]
    assert message_ids("no ids here") == []
    assert message_ids(None) == []
    assert message_ids("<unclosed@x.example\udc80") == ["<unclosed@x.example\ufffd>"]
    assert message_ids("<a\x00b@x>") == []
    many = " ".join(f"<{i}@x>" for i in range(100))
    kept = message_ids(many)
    assert len(kept) == MAX_REFERENCES
    assert kept[0] == "<0@x>"
    assert kept[-1] == "<99@x>"


def test_same_mailbox() -> None:
    assert same_mailbox("Support+abc@Shop.example", "support@shop.example")
    assert same_mailbox("support@shop.example", "support+x@shop.example")
    assert not same_mailbox("support@shop.example", "support@other.example")
    assert not same_mailbox("sales@shop.example", "support@shop.example")
    assert not same_mailbox(None, "support@shop.example")
    assert not same_mailbox("support@shop.example", None)


def test_domain_of() -> None:
    assert domain_of("alice@Example.com") == "example.com"
    assert domain_of("nobody") is None
    assert domain_of(None) is None


def test_headers_are_case_insensitive_and_topmost_first() -> None:
    headers = Headers.of([("Received-SPF", "Pass (ours)"), ("received-spf", "Pass (forged)")])
    assert headers.raw("RECEIVED-SPF") == "Pass (ours)"
    assert headers.raw_all("Received-Spf") == ["Pass (ours)", "Pass (forged)"]
    assert headers.get("X-Missing") is None
    assert not headers.has("X-Missing")
    assert headers.names() == ["Received-SPF", "received-spf"]
