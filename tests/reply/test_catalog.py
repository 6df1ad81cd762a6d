"""router/reply/catalog.py and the locale files: every locale says everything English says.

The non-English catalogs may not be written yet: a test about a missing locale file is skipped,
never failed. Once a file exists it must have every key of en.json with the same placeholders.
"""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import router.reply
from router.events import ShipmentStatus
from router.reply import catalog
from router.reply.catalog import DEFAULT, LOCALES, day, keys, locale_for, text, variants, voice
from router.reply.compose import ASKS
from router.settings import NOTICE_KINDS, OFFERS
from router.tracking.status import REASONS

LOCALE_DIR = Path(router.reply.__file__).parent / "locales"
OTHERS = [lang for lang in LOCALES if lang != DEFAULT]


def raw(lang: str) -> dict[str, Any]:
    path = LOCALE_DIR / f"{lang}.json"
    if not path.is_file():
        pytest.skip(f"{path.name} is not written yet")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def templates(lang: str) -> dict[str, str]:
    """The default-tone sentences."""
    return {k: v for k, v in raw(lang).items() if not k.startswith("_") and "@" not in k}


def formal(lang: str) -> dict[str, str]:
    """The sentences a locale rewrites for the formal tone, by their default-tone key."""
    return {k.removesuffix("@formal"): v for k, v in raw(lang).items() if k.endswith("@formal")}


EN = templates("en")


def test_the_locales() -> None:
    assert LOCALES == ("en", "es", "fr", "de", "pt")
    assert DEFAULT == "en"
    assert (LOCALE_DIR / "en.json").is_file()


# --- English is complete -----------------------------------------------------------------------


def used_keys() -> set[str]:
    """Every key the reply code asks for: literal ones, and the ones built from a status."""
    found: set[str] = set()
    for module in ("compose.py", "formats.py", "notice.py"):
        source = (LOCALE_DIR.parent / module).read_text(encoding="utf-8")
        found |= set(re.findall(r"\btext\(\s*lang,\s*\"([a-z_.]+)\"", source))
    found |= ASKS  # an ask rule's sentence has the rule's name
    found |= {f"status.{s.value}" for s in ShipmentStatus}
    found |= {f"summary.{s.value}" for s in ShipmentStatus} | {"summary.not_shipped"}
    found |= {f"quick.{o}" for o in OFFERS} | {f"next.offer_{o}" for o in OFFERS}
    found |= {f"remedy.{o}" for o in OFFERS}  # the notices after an approved remedy
    found |= {f"notice.{k}" for k in NOTICE_KINDS}  # a parcel notice's headline, by its kind
    found |= {f"reason.{r}" for r in REASONS}  # a carrier's reason code, in our words
    return found


def test_english_has_every_key_the_code_uses() -> None:
    used = used_keys()
    assert len(used) > 60
    assert used - set(EN) == set()


def test_the_remedy_notices_are_found_in_the_code() -> None:
    """notice.py asks for them by literal key: the scan above sees them, so every locale must
    have them (test_every_english_key_exists)."""
    source = (LOCALE_DIR.parent / "notice.py").read_text(encoding="utf-8")
    literal = set(re.findall(r"\btext\(\s*lang,\s*\"([a-z_.]+)\"", source))
    assert {"remedy.reship", "remedy.refund"} <= literal


def test_the_parcel_notices_and_followups_are_found_in_the_code() -> None:
    """Their keys are literal in notice.py and compose.py, or built from a kind or a reason
    code (above): either way every locale must have them."""
    used = used_keys()
    assert {f"notice.{k}" for k in NOTICE_KINDS} <= used
    assert {f"reason.{r}" for r in REASONS} <= used
    assert {
        "notice.subject",
        "notice.sms_from",
        "notice.reason",
        "notice.eta",
        "notice.estimate",
        "notice.last_scan",
        "notice.place",
        "notice.tracking",
        "notice.tracking_number",
        "notice.carrier",
        "notice.next.wait",
        "notice.next.check",
        "notice.next.redeliver",
        "notice.next.pickup",
        "notice.reply",
        "followup.told",
        "followup.changed",
        "followup.unchanged",
    } <= used


def test_every_english_template_formats() -> None:
    for key, template in EN.items():
        assert template.strip(), key
        template.format(**dict.fromkeys(placeholders(template), "x"))


def test_the_underscore_keys_are_not_templates() -> None:
    assert "_dates" not in keys("en")
    assert keys("en") == set(EN)


# --- the other locales ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", OTHERS)
def test_every_english_key_exists(lang: str) -> None:
    other = templates(lang)
    assert sorted(set(EN) - set(other)) == [], f"{lang}.json lacks these keys"
    assert sorted(set(other) - set(EN)) == [], f"{lang}.json has keys English does not"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_placeholder_matches_english(lang: str) -> None:
    other = templates(lang)
    wrong = {
        key: (placeholders(EN[key]), placeholders(template))
        for key, template in other.items()
        if key in EN and placeholders(template) != placeholders(EN[key])
    }
    assert wrong == {}


@pytest.mark.parametrize("lang", OTHERS)
def test_every_template_is_a_nonempty_string_that_formats(lang: str) -> None:
    for key, template in templates(lang).items():
        assert isinstance(template, str), key
        assert template.strip(), key
        template.format(**dict.fromkeys(placeholders(template), "x"))


@pytest.mark.parametrize("lang", OTHERS)
def test_every_template_is_translated_or_a_name(lang: str) -> None:
    """A copy of the English sentence is a forgotten translation (short labels may agree)."""
    other = templates(lang)
    copied = [k for k, v in other.items() if v == EN.get(k) and len(v) > 25]
    assert copied == []


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LOCALES)
def test_date_names(lang: str) -> None:
    dates = raw(lang)["_dates"]
    assert len(dates["days"]) == 7
    assert len(set(dates["days"])) == 7
    assert len(dates["months"]) == 12
    assert len(set(dates["months"])) == 12
    assert placeholders(dates["format"]) == {"weekday", "day", "month"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 28), "Sat 28 Nov"),
        (date(2026, 11, 1), "Sun 1 Nov"),
        (date(2026, 11, 16), "Mon 16 Nov"),
        (date(2027, 1, 5), "Tue 5 Jan"),
        (date(2026, 7, 15), "Wed 15 Jul"),
        (datetime(2026, 12, 5, 23, 0, tzinfo=UTC), "Sat 5 Dec"),
    ],
)
def test_day_in_english(value: date, expected: str) -> None:
    assert day(value, "en") == expected


@pytest.mark.parametrize("lang", LOCALES)
def test_day_uses_the_locales_names(lang: str) -> None:
    dates = raw(lang)["_dates"]
    # Mon 16 Nov 2026 … Sun 22 Nov 2026: every weekday once.
    for offset in range(7):
        value = date(2026, 11, 16 + offset)
        assert day(value, lang) == dates["format"].format(
            weekday=dates["days"][offset], day=16 + offset, month=dates["months"][10]
        )
    # The 1st of every month of 2026: every month name once.
    seen = {day(date(2026, month, 1), lang) for month in range(1, 13)}
    assert len(seen) == 12
    for month in range(1, 13):
        assert dates["months"][month - 1] in day(date(2026, month, 1), lang)


@pytest.mark.parametrize("tone", ["friendly", "formal"])
@pytest.mark.parametrize("lang", LOCALES)
def test_no_sentence_ends_in_a_double_full_stop(lang: str, tone: str) -> None:
    """German and French dates end in a full stop ("Sa, 21. Nov.", "sam. 21 nov."): there a
    sentence must not end with {day}, or it ends in "Nov..". Every key, month and tone."""
    voice_ = voice(lang, tone)
    doubled = {}
    for key in keys(lang):
        names = placeholders(EN[key])
        for month in range(1, 13):
            params = dict.fromkeys(names, "x")
            if "day" in names:
                params["day"] = day(date(2026, month, 7), lang)
            said = text(voice_, key, **params)
            if re.search(r"(?<!\.)\.\.(?!\.)", said):
                doubled[key] = said
    assert doubled == {}


# --- look-up and fallbacks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "locale"),
    [
        ("en", "en"),
        ("es", "es"),
        ("fr", "fr"),
        ("de", "de"),
        ("pt", "pt"),
        ("it", "en"),
        ("nl", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_locale_for(language: str | None, locale: str) -> None:
    assert locale_for(language) == locale


def test_text_fills_the_placeholders() -> None:
    assert text("en", "order.split", number="1001", count=2) == "Order #1001 was sent in 2 parcels:"
    assert text("en", "email.subject.order", number="1001") == "Your order #1001"
    assert text("en", "greeting") == EN["greeting"]


def test_a_missing_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError):
        text("en", "order.split", number="1001")


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        text("en", "no.such.key")


def test_a_key_missing_from_a_locale_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    english = raw("en")
    partial = {"greeting": "¡Hola!", "order.split": "Pedido #{number}: {count} paquetes"}

    def load(lang: str) -> dict[str, Any]:
        return partial if lang == "xx" else english

    monkeypatch.setattr(catalog, "_load", load)
    assert text("xx", "greeting") == "¡Hola!"
    assert text("xx", "order.split", number="1", count=2) == "Pedido #1: 2 paquetes"
    assert text("xx", "order.cancelled", number="1") == (
        "Order #1 was cancelled, so it will not be shipped."
    )
    assert day(date(2026, 11, 28), "xx") == "Sat 28 Nov"  # no _dates: English dates
    assert keys("xx") == {"greeting", "order.split"}


# --- tone ----------------------------------------------------------------------------------------

# Spanish addresses a customer as tú by default; these words give tú away.
TU = re.compile(
    r"\b(tu|tus|te|ti|contigo|envíame|revisa|vuelve|pregunta|responde|quieres|usaste|tienes"
    r"|prefieras|perdona|enviarte|hacerte)\b",
    re.IGNORECASE,
)


def test_the_default_tone_has_no_modifier() -> None:
    assert voice("es", "friendly") == "es"
    assert voice("es", "formal") == "es@formal"


@pytest.mark.parametrize("lang", LOCALES)
def test_every_formal_variant_rewrites_a_known_sentence(lang: str) -> None:
    variants_ = formal(lang)
    assert variants_, f"{lang}.json has no formal sentences"
    assert variants(lang, "formal") == set(variants_)
    base = templates(lang)
    for key, template in variants_.items():
        assert key in EN, key
        assert placeholders(template) == placeholders(EN[key]), key
        assert template != base.get(key), f"{lang} {key}: the formal sentence is the same"
        template.format(**dict.fromkeys(placeholders(template), "x"))


@pytest.mark.parametrize("lang", LOCALES)
def test_formal_greetings_and_sign_offs_everywhere(lang: str) -> None:
    assert {"email.greeting", "email.sign_off"} <= set(formal(lang))


def test_the_formal_tone_reads_the_variant_and_falls_back_to_the_sentence() -> None:
    assert text("es@formal", "handoff") == formal("es")["handoff"]
    assert text("es@formal", "order.split", number="1", count=2) == text(
        "es", "order.split", number="1", count=2
    )
    assert text("de@formal", "greeting") == templates("de")["greeting"]
    assert text("en@formal", "email.greeting_name", name="Ana") == "Dear Ana,"
    assert day(date(2026, 11, 28), "es@formal") == day(date(2026, 11, 28), "es")


def test_spanish_formal_never_says_tu() -> None:
    """usted throughout: a sentence left in tú would mix registers in one reply. The quick
    replies are the customer's own words and stay as they are."""

    def filled(voice_: str, key: str) -> str:
        return text(voice_, key, **dict.fromkeys(placeholders(EN[key]), "x"))

    informal = {k for k in templates("es") if TU.search(filled("es", k))}
    assert len(informal) > 10  # the pattern finds the default tone's tú
    mixed = {
        k: filled("es@formal", k)
        for k in templates("es")
        if not k.startswith("quick.") and TU.search(filled("es@formal", k))
    }
    assert mixed == {}
