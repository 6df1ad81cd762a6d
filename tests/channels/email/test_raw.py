"""channels/email/raw.py: raw MIME from our own MTA → Mail, identity from trusted A-R only."""

from __future__ import annotations

from channels.email.raw import parse_raw
from tests.channels.email import mails

TRUSTED = frozenset({"mx.shop.example"})
AR_PASS = "Authentication-Results: mx.shop.example; dkim=pass header.d=example.com header.s=s1\n"


def test_parsed_fields() -> None:
    mail = parse_raw(mails.plain(to="Shop <support+abc@shop.example>"), TRUSTED)
    assert mail.provider == "mime"
    assert mail.sender == ("Alice Example", "alice@example.com")
    assert mail.envelope_sender == "alice@example.com"
    assert mail.recipients == ("support+abc@shop.example",)
    assert mail.message_id == "<CAF=alice.1@mail.example.com>"
    assert not mail.verified_from


def test_trusted_authentication_results_vouch() -> None:
    assert parse_raw(mails.plain(extra=AR_PASS), TRUSTED).verified_from
    assert not parse_raw(mails.plain(extra=AR_PASS), frozenset({"other.example"})).verified_from
    forged = AR_PASS.replace("mx.shop.example", "mx.attacker.example")
    assert not parse_raw(mails.plain(extra=forged), TRUSTED).verified_from


def test_null_return_path() -> None:
    mail = parse_raw(mails.DSN_BOUNCE, TRUSTED)
    assert mail.envelope_sender == ""
    assert mail.content_type == "multipart/report"
