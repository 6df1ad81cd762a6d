"""channels/sms/keywords.py: which messages are STOP/START/HELP, and what we answer."""

from __future__ import annotations

import pytest

from channels.sms.keywords import Keyword, confirmation, default_help, depends_on_opt_out, match
from router.reply.formats import sms_segments, to_gsm7
from router.settings import BrandSettings

STOP, START, HELP = Keyword.STOP, Keyword.START, Keyword.HELP


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", STOP),
        ("stop", STOP),
        ("  Stop \n", STOP),
        ("STOPALL", STOP),
        ("unsubscribe", STOP),
        ("Cancel", STOP),
        ("END", STOP),
        ("quit", STOP),
        ("OPTOUT", STOP),
        ("revoke", STOP),
        ("START", START),
        ("unstop", START),
        ("OptIn", START),
        ("HELP", HELP),
        ("info", HELP),
        # The whole message must be the keyword.
        ("please stop", None),
        ("STOP.", None),
        ("stop sending me this", None),
        ("where is my order? help", None),
        ("", None),
        ("   ", None),
        # YES answers our questions unless the sender opted out (below).
        ("yes", None),
    ],
)
def test_match(body: str, expected: Keyword | None) -> None:
    assert match(body, opted_out=False) is expected


def test_yes_opts_back_in_only_after_stop() -> None:
    assert depends_on_opt_out(" Yes ")
    assert not depends_on_opt_out("STOP")
    assert match(" Yes ", opted_out=True) is START
    assert match("yes", opted_out=False) is None
    assert match("STOP", opted_out=True) is STOP


def test_twilio_advanced_opt_out_type_wins() -> None:
    """Custom keywords configured in Twilio (e.g. French ARRET) arrive marked."""
    assert match("ARRET", opted_out=False, opt_out_type="STOP") is STOP
    assert match("hola", opted_out=False, opt_out_type="start") is START
    assert match("AIDE", opted_out=False, opt_out_type="HELP") is HELP
    assert match("where is my order", opted_out=False, opt_out_type="") is None
    assert match("where is my order", opted_out=False, opt_out_type="OTHER") is None


BRAND = BrandSettings(name="Acme Outdoors", support_email="help@acme.example")


def test_confirmations() -> None:
    assert confirmation(STOP, BRAND, None) == (
        "Acme Outdoors: you are unsubscribed and will get no more messages from us. "
        "Reply START to resubscribe."
    )
    assert confirmation(START, BRAND, None) == (
        "Acme Outdoors: you are subscribed again. Reply HELP for help, STOP to unsubscribe."
    )
    assert confirmation(HELP, BRAND, None) == (
        "Acme Outdoors: text us your order number to get its status, or e-mail "
        "help@acme.example. Reply STOP to unsubscribe."
    )
    assert confirmation(HELP, BRAND, "Call 555-0100.") == "Call 555-0100."
    assert default_help(BrandSettings(name="Demo Shop")) == (
        "Demo Shop: text us your order number to get its status. Reply STOP to unsubscribe."
    )


@pytest.mark.parametrize("keyword", list(Keyword))
def test_confirmations_are_one_plain_segment(keyword: Keyword) -> None:
    text = confirmation(keyword, BRAND, None)
    assert to_gsm7(text) == text
    assert sms_segments(text) == 1
