"""router/reply/notice.py: the notice a customer gets once a person approved a reship or a
refund, in every locale, tone and format, through the same envelopes as every answer."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from router.orders.actions import Remedy
from router.reply.catalog import LOCALES, text, voice
from router.reply.formats import (
    FORMATS,
    GSM7_BASIC,
    GSM7_EXTENDED,
    MESSAGING_MAX_CHARS,
    Format,
    sms_segments,
    to_gsm7,
)
from router.reply.notice import render_remedy
from router.settings import OFFERS, BrandSettings, Tone

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
BRAND = BrandSettings(name="Acme & Co", sign_off="The Acme team")
NUMBER = "1001-A"  # a number with a letter: it must come through as the shop has it


def gsm7_only(value: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in value)


@pytest.mark.parametrize("tone", ["friendly", "formal"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("remedy", OFFERS)
def test_every_locale_tone_and_format(remedy: str, lang: str, fmt: Format, tone: Tone) -> None:
    brand = BrandSettings(name="Acme & Co", sign_off="The Acme team", tone=tone)
    reply = render_remedy(remedy, NUMBER, language=lang, fmt=fmt, brand=brand, now=NOW)
    sentence = text(voice(lang, tone), f"remedy.{remedy}", number=NUMBER)
    assert f"#{NUMBER}" in reply.text
    assert reply.links == []
    assert reply.quick_replies == []
    if fmt == "sms":
        assert reply.text == to_gsm7(sentence)  # the whole sentence, nothing cut
        assert gsm7_only(reply.text)
        assert sms_segments(reply.text) <= 2
        assert (reply.subject, reply.html) == (None, None)
    elif fmt == "email":
        assert sentence in reply.text
        assert reply.subject == text(voice(lang, tone), "email.subject.order", number=NUMBER)
        assert reply.html is not None
        assert f"<p>{html.escape(sentence)}</p>" in reply.html
        assert reply.text.startswith(text(voice(lang, tone), "email.greeting"))
        assert reply.text.endswith(
            text(voice(lang, tone), "email.sign_off", sign_off="The Acme team")
        )
    else:
        assert reply.text == sentence
        assert len(reply.text) <= MESSAGING_MAX_CHARS
        assert (reply.subject, reply.html) == (None, None)


@pytest.mark.parametrize("remedy", OFFERS)
def test_the_two_remedies_say_different_things(remedy: str) -> None:
    other = next(o for o in OFFERS if o != remedy)
    for lang in LOCALES:
        said = render_remedy(remedy, "1001", language=lang, fmt="chat", brand=BRAND, now=NOW)
        not_said = render_remedy(other, "1001", language=lang, fmt="chat", brand=BRAND, now=NOW)
        assert said.text != not_said.text


def test_the_english_words() -> None:
    reship = render_remedy("reship", "1001", language="en", fmt="chat", brand=BRAND, now=NOW)
    refund = render_remedy("refund", "1001", language="en", fmt="chat", brand=BRAND, now=NOW)
    assert reship.text == (
        "Good news: we're sending order #1001 again at no cost to you. You'll get the new "
        "tracking details as soon as it ships."
    )
    assert refund.text == (
        "We've refunded order #1001 in full. Depending on your bank, it can take "
        "5\u201310 business days to appear."
    )


def test_sms_folds_what_gsm7_lacks() -> None:
    sms = render_remedy("refund", "1001", language="en", fmt="sms", brand=BRAND, now=NOW)
    assert "5-10 business days" in sms.text  # the en dash costs UCS-2 otherwise
    spanish = render_remedy("refund", "1001", language="es", fmt="sms", brand=BRAND, now=NOW)
    assert "Segun tu banco" in spanish.text
    assert sms_segments(spanish.text) == 1


def test_the_email_envelope() -> None:
    reply = render_remedy(
        "reship", "#1001", language="en", fmt="email", brand=BRAND, now=NOW, name="Alice"
    )
    assert reply.subject == "Your order #1001"
    assert reply.text.startswith("Hi Alice,\n\nGood news: we're sending order #1001 again")
    assert reply.text.endswith("Best wishes,\nThe Acme team")
    assert reply.html is not None
    assert reply.html.startswith("<!doctype html>")
    assert "<p>Hi Alice,</p>" in reply.html
    assert "we&#x27;re sending order #1001" in reply.html
    assert "The Acme team" in reply.html


def test_the_formal_tone() -> None:
    formal = BrandSettings(name="Acme", sign_off="Team Acme", tone="formal")
    spanish = render_remedy("reship", "1001", language="es", fmt="chat", brand=formal, now=NOW)
    assert "usted" in spanish.text
    assert not {"te", "tu", "ti"} & set(re.findall(r"\w+", spanish.text.lower()))
    friendly = render_remedy("reship", "1001", language="es", fmt="chat", brand=BRAND, now=NOW)
    assert "Te volvemos a enviar" in friendly.text
    email = render_remedy(
        "refund", "1001", language="en", fmt="email", brand=formal, now=NOW, name="Alice"
    )
    assert email.text.startswith("Dear Alice,\n\nWe have refunded order #1001 in full.")
    assert email.text.endswith("Kind regards,\nTeam Acme")


@pytest.mark.parametrize("language", ["it", "nl", None, ""])
def test_a_language_without_a_catalog_gets_english(language: str | None) -> None:
    reply = render_remedy("refund", "1001", language=language, fmt="chat", brand=BRAND, now=NOW)
    assert reply.text.startswith("We've refunded order #1001 in full.")


def test_the_number_is_written_once_with_one_hash() -> None:
    for given in ("1001", "#1001", " #1001 "):
        reply = render_remedy("refund", given, language="en", fmt="chat", brand=BRAND, now=NOW)
        assert "#1001" in reply.text
        assert "##" not in reply.text


def test_an_unknown_remedy_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown remedy"):
        render_remedy("discount", "1001", language="en", fmt="chat", brand=BRAND, now=NOW)


def test_the_order_systems_remedy_names_are_understood() -> None:
    for remedy in Remedy:
        assert render_remedy(
            remedy, "1001", language="de", fmt="sms", brand=BRAND, now=NOW
        ) == render_remedy(remedy.value, "1001", language="de", fmt="sms", brand=BRAND, now=NOW)
