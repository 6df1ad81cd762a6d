"""channels/email/loops.py: auto-replies, bounces, lists and our own mail are never answered."""

from __future__ import annotations

import pytest

from channels.email.headers import Headers
from channels.email.loops import never_answer
from channels.email.model import Mail
from channels.email.raw import parse_raw
from tests.channels.email import mails

OWN = frozenset({"support@shop.example"})


def mail(*headers: tuple[str, str], envelope: str | None = None, ctype: str = "text/plain") -> Mail:
    base = (("From", "Alice <alice@example.com>"), ("Subject", "hi"))
    return Mail(
        provider="test",
        headers=Headers.of(base + headers),
        envelope_sender=envelope,
        content_type=ctype,
    )


def test_a_person_writing_is_answered() -> None:
    assert never_answer(mail(), OWN) is None
    assert never_answer(mail(("Auto-Submitted", "no")), OWN) is None
    assert never_answer(mail(("Precedence", "first-class")), OWN) is None
    assert never_answer(mail(("X-Auto-Response-Suppress", "DR, RN")), OWN) is None
    assert never_answer(mail(envelope="alice@example.com"), OWN) is None


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ((("Auto-Submitted", "auto-replied"),), "auto_reply"),
        ((("Auto-Submitted", "auto-generated; owner-email=x@y"),), "auto_reply"),
        ((("Auto-Submitted", "Auto-Notified (vacation)"),), "auto_reply"),
        ((("Precedence", "auto_reply"),), "auto_reply"),
        ((("X-Autoreply", "yes"),), "auto_reply"),
        ((("X-Autorespond", "Out of office"),), "auto_reply"),
        ((("X-Auto-Response-Suppress", "All"),), "auto_reply"),
        ((("X-Auto-Response-Suppress", "DR, OOF, AutoReply"),), "auto_reply"),
        ((("Precedence", "bulk"),), "bulk"),
        ((("Precedence", "junk"),), "bulk"),
        ((("Precedence", "List"),), "bulk"),
        ((("List-Id", "<news.shop.example>"),), "bulk"),
        ((("List-Unsubscribe", "<mailto:u@x>"),), "bulk"),
        ((("Return-Path", "<>"),), "bounce"),
    ],
)
def test_headers_that_mean_no_answer(headers: tuple[tuple[str, str], ...], kind: str) -> None:
    assert never_answer(mail(*headers), OWN) == kind


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("MAILER-DAEMON@mx.example.com", "bounce"),
        ("postmaster@example.com", "bounce"),
        ("noreply@example.com", "noreply"),
        ("no-reply+tag@example.com", "noreply"),
        ("do-not-reply@example.com", "noreply"),
        ("Support@Shop.example", "own_address"),
        ("support+t0k3n@shop.example", "own_address"),
    ],
)
def test_senders_that_mean_no_answer(sender: str, kind: str) -> None:
    message = Mail(provider="t", headers=Headers.of([("From", sender)]))
    assert never_answer(message, OWN) == kind


def test_null_envelope_sender_and_reports() -> None:
    assert never_answer(mail(envelope=""), OWN) == "bounce"
    assert never_answer(mail(ctype="multipart/report"), OWN) == "bounce"
    assert never_answer(mail(envelope="mailer-daemon@mx.example.com"), OWN) == "bounce"


def test_real_dsn_and_out_of_office() -> None:
    assert never_answer(parse_raw(mails.DSN_BOUNCE, frozenset()), OWN) == "bounce"
    assert never_answer(parse_raw(mails.OUT_OF_OFFICE, frozenset()), OWN) == "auto_reply"
    assert never_answer(parse_raw(mails.plain(), frozenset()), OWN) is None
