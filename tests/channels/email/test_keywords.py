"""channels/email/keywords.py: UNSUBSCRIBE / SUBSCRIBE by subject or first body line."""

from __future__ import annotations

import pytest

from channels.email.keywords import Keyword, match, normalize

OUT = Keyword.UNSUBSCRIBE
IN = Keyword.SUBSCRIBE


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        # What a mail client's mailto: unsubscribe sends: our subject, an empty body.
        ("unsubscribe", "", OUT),
        ("UNSUBSCRIBE", "This message was sent by the mail client.", OUT),
        ("Re: Your parcel is on its way", "Stop\n\nSent from my iPhone", OUT),
        ("Re: Your parcel", "\n\n   STOP!  \n> Your parcel is on its way", OUT),
        ("Fwd: x", "Opt-out", OUT),
        ("AW: Ihre Sendung", "Abmelden", OUT),
        ("", "¡Baja!", OUT),
        ("", "Darme de baja", OUT),
        ("", "Désabonner", OUT),
        ("", "se désabonner.", OUT),
        ("", "Uitschrijven", OUT),
        ("", "Cancelar inscrição", OUT),
        ("Re: unsubscribe", "", OUT),
        ("subscribe", "", IN),
        ("", "START", IN),
        ("", "Resubscribe please", None),  # not the word alone
        ("", "m'abonner", IN),
        ("", "Inscrever-me", IN),
        # Subject and body disagree: unsubscribing wins.
        ("start", "stop", OUT),
        ("stop", "start", OUT),
        # Questions, not keywords.
        ("Where is my order?", "Stop sending me the wrong size! Where is order 1001?", None),
        ("Can I unsubscribe?", "Where is my order #1001?", None),
        ("Cancel", "cancel my order", None),  # "cancel" is about the order, not our mail
        ("", "Hi,\nstop", None),  # only the first line counts
        ("", "> stop", None),  # a quote is not the customer's word
        ("", "", None),
    ],
)
def test_match(subject: str, body: str, expected: Keyword | None) -> None:
    assert match(subject, body) is expected


def test_normalize() -> None:
    assert normalize("  « Désinscription »  ") == "desinscription"
    assert normalize("Opt\u2019out") == "opt out"
    assert normalize("x" * 41) == ""
    assert normalize("STOPP") == "stopp"


def test_a_huge_body_is_not_split_whole() -> None:
    assert match("", "\n" * 100_000 + "stop") is None
    assert match("", "stop\n" + "x" * 10_000_000) is OUT
