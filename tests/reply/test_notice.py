"""router/reply/notice.py: the notices a customer gets without asking (a reship or refund a
person approved; what the notify role found about a parcel) and the follow-up an answer opens
with afterwards, in every locale, tone and format, through the same envelopes as every answer.

The clock is Wednesday 18 November 2026, 15:00 UTC."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from router.events import Action, Entities, Link, ShipmentStatus
from router.orders.actions import Remedy
from router.reply.catalog import LOCALES, day, text, voice
from router.reply.formats import (
    FORMATS,
    GSM7_BASIC,
    GSM7_EXTENDED,
    MESSAGING_MAX_CHARS,
    Format,
    Reply,
    sms_segments,
    to_gsm7,
)
from router.reply.notice import followup_sentence, render_notice, render_remedy
from router.reply.render import Followup, render
from router.resolve.decide import Resolution
from router.settings import NOTICE_KINDS, OFFERS, BrandSettings, Tone
from router.tracking.status import REASONS
from tests.orders_factory import UPS, USPS, make_order, resolve, shipment

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


# --- parcel notices (render_notice) ---------------------------------------------------------------

TONES: tuple[Tone, ...] = ("friendly", "formal")
DHL = "JJD000390007765432"  # no check digits we know: the carrier comes from the shop only
EDD = date(2026, 11, 21)  # Saturday, three days after NOW
LAST_SCAN = date(2026, 11, 13)  # Friday, five days before NOW
PLACE = "UPS Access Point, 12 Rue de la République, 75001 Paris"
NEXT = {
    "exception": "notice.next.check",
    "attempt_failed": "notice.next.redeliver",
    "available_for_pickup": "notice.next.pickup",
    "lost": "notice.next.claim",
}
WITH_REASON = {"exception", "attempt_failed", "return_to_sender", "edd_past_promise"}
DAY_KEY = {
    "exception": "notice.eta",
    "attempt_failed": "notice.eta",
    "edd_past_promise": "notice.eta",
    "predicted_late": "notice.estimate",
    "stale": "notice.last_scan",
    "lost": "notice.last_scan",
}
# Spanish tú gives itself away by these words (tests/reply/test_catalog.py has the same list).
TU = re.compile(
    r"\b(tu|tus|te|ti|contigo|envíame|revisa|vuelve|pregunta|responde|quieres|usaste|tienes"
    r"|prefieras|perdona|enviarte|hacerte|recógelo|consulta|necesitas)\b",
    re.IGNORECASE,
)


def day_for(kind: str) -> date:
    return LAST_SCAN if kind in ("stale", "lost") else EDD


def notice(
    kind: str,
    *,
    lang: str | None = "en",
    fmt: Format = "chat",
    tone: Tone = "friendly",
    brand: BrandSettings | None = None,
    **facts: Any,
) -> Reply:
    given: dict[str, Any] = {
        "number": NUMBER,
        "carrier": "DHL Express",
        "tracking": DHL,
        "day": day_for(kind),
        "place": PLACE,
        "reason": "address_issue",
    }
    given.update(facts)
    brand = brand or BrandSettings(name="Acme & Co", sign_off="The Acme team", tone=tone)
    return render_notice(kind, language=lang, fmt=fmt, brand=brand, now=NOW, **given)


def no_leftovers(value: str) -> None:
    assert "None" not in value
    assert "{" not in value
    assert "}" not in value
    assert not re.search(r"(?<!\.)\.\.(?!\.)", value), value  # "Nov.." or a doubled stop
    assert "  " not in value


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_kind_locale_tone_and_format(kind: str, lang: str, fmt: Format, tone: Tone) -> None:
    v = voice(lang, tone)
    reply = notice(kind, lang=lang, fmt=fmt, tone=tone)
    headline = text(v, f"notice.{kind}", number=NUMBER)
    next_step = text(v, NEXT.get(kind, "notice.next.wait"))
    when = text(v, DAY_KEY[kind], day=day(day_for(kind), lang)) if kind in DAY_KEY else None
    reason = text(v, "notice.reason", reason=text(v, "reason.address_issue"))
    tracking = text(v, "notice.tracking", carrier="DHL Express", tracking=DHL)
    place = text(v, "notice.place", place=PLACE)
    assert f"#{NUMBER}" in reply.text
    no_leftovers(reply.text)
    assert reply.links == []
    assert reply.quick_replies == []
    if fmt == "sms":
        assert gsm7_only(reply.text)
        assert sms_segments(reply.text) <= 2
        assert not reply.text.endswith("...")  # nothing had to be cut
        assert reply.text.startswith(to_gsm7(text(v, "notice.sms_from", brand="Acme & Co")))
        # what must survive: what happened, its date or place, what to do
        for must in (headline, next_step, when, place if kind == "available_for_pickup" else None):
            if must is not None:
                assert to_gsm7(must) in reply.text
        assert (reply.subject, reply.html) == (None, None)
        return
    lines = [headline]
    if kind in WITH_REASON:
        lines.append(reason)
    if when is not None:
        lines.append(when)
    if kind == "available_for_pickup":
        lines.append(place)
    lines += [tracking, next_step, text(v, "notice.reply")]
    if fmt == "email":
        assert reply.subject == text(v, "notice.subject", number=NUMBER)
        assert reply.text.startswith(text(v, "email.greeting") + "\n\n" + "\n".join(lines))
        assert reply.text.endswith(text(v, "email.sign_off", sign_off="The Acme team"))
        assert reply.html is not None
        for line in lines:
            assert f"<p>{html.escape(line)}</p>" in reply.html
        no_leftovers(reply.subject)
    else:
        assert reply.text == "\n".join(lines)
        assert len(reply.text) <= MESSAGING_MAX_CHARS
        assert (reply.subject, reply.html) == (None, None)


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_without_the_optional_facts_only_the_essentials_remain(
    kind: str, lang: str, tone: Tone
) -> None:
    v = voice(lang, tone)
    for blank in (None, "", "  "):
        missing: dict[str, Any] = dict.fromkeys(("carrier", "tracking", "place", "reason"), blank)
        reply = notice(kind, lang=lang, tone=tone, day=None, **missing)
        assert reply.text.split("\n") == [
            text(v, f"notice.{kind}", number=NUMBER),
            text(v, NEXT.get(kind, "notice.next.wait")),
            text(v, "notice.reply"),
        ]
        no_leftovers(reply.text)
        sms = notice(kind, lang=lang, tone=tone, fmt="sms", day=None, **missing)
        no_leftovers(sms.text)
        assert sms_segments(sms.text) <= 2


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_each_missing_fact_drops_its_own_sentence(kind: str) -> None:
    full = notice(kind).text.split("\n")
    for fact in ("day", "place", "reason"):
        gone: dict[str, Any] = {fact: None}
        without = notice(kind, **gone).text.split("\n")
        used = (
            (fact == "day" and kind in DAY_KEY)
            or (fact == "place" and kind == "available_for_pickup")
            or (fact == "reason" and kind in WITH_REASON)
        )
        assert len(without) == len(full) - used, fact
        assert set(without) <= set(full), fact
    # carrier and tracking share a line: one of them is enough to keep it
    tracking_only = notice(kind, carrier=None).text
    assert f"Tracking number: {DHL}." in tracking_only
    carrier_only = notice(kind, tracking=None).text
    assert "Carrier: DHL Express." in carrier_only
    neither = notice(kind, carrier=None, tracking=None).text.split("\n")
    assert len(neither) == len(full) - 1


def test_the_english_notice_words() -> None:
    assert notice("exception").text == (
        f"The carrier has reported a problem with the delivery of your order #{NUMBER}.\n"
        "Details from the carrier: problem with the delivery address.\n"
        "The new expected delivery date is Sat 21 Nov.\n"
        f"DHL Express tracking number: {DHL}.\n"
        "Please check the carrier's tracking in case they need anything from you.\n"
        "If you have any questions, just reply here."
    )
    assert notice("available_for_pickup").text == (
        f"Your order #{NUMBER} is ready for pickup.\n"
        f"Pickup location: {PLACE}.\n"
        f"DHL Express tracking number: {DHL}.\n"
        "Please pick it up soon: pickup points only keep parcels for a limited time.\n"
        "If you have any questions, just reply here."
    )
    assert notice("stale", tracking=None, carrier=None).text == (
        f"The tracking for your order #{NUMBER} hasn't been updated recently. This sometimes "
        "happens while a parcel is in transit.\n"
        "The last update from the carrier was on Fri 13 Nov.\n"
        "There's nothing you need to do.\n"
        "If you have any questions, just reply here."
    )
    assert notice("predicted_late", tracking=None, carrier=None).text == (
        f"A heads-up: your order #{NUMBER} might arrive later than the date we promised.\n"
        "By our estimate, it should arrive around Sat 21 Nov.\n"
        "There's nothing you need to do.\n"
        "If you have any questions, just reply here."
    )
    sms = notice("edd_past_promise", fmt="sms", tracking=None, reason=None)
    assert sms.text == (
        f"Acme & Co: The carrier now expects to deliver your order #{NUMBER} after the date we "
        "promised. We're sorry about that. The new expected delivery date is Sat 21 Nov. "
        "Carrier: DHL Express. There's nothing you need to do. If you have any questions, "
        "just reply here."
    )


def test_what_day_means_depends_on_the_kind() -> None:
    """The carrier's new date (exception, attempt_failed, edd_past_promise), our own estimate
    (predicted_late), the last scan (stale); never a collection deadline or a return date."""
    saturday = "Sat 21 Nov"
    for kind in ("exception", "attempt_failed", "edd_past_promise"):
        assert f"The new expected delivery date is {saturday}." in notice(kind, day=EDD).text
    assert f"By our estimate, it should arrive around {saturday}." in (
        notice("predicted_late", day=EDD).text
    )
    assert "The last update from the carrier was on Fri 13 Nov." in (
        notice("stale", day=LAST_SCAN).text
    )
    for kind in ("return_to_sender", "available_for_pickup"):
        assert saturday not in notice(kind, day=EDD).text
        assert notice(kind, day=EDD) == notice(kind, day=None)


@pytest.mark.parametrize(
    ("kind", "when"),
    [
        ("exception", date(2026, 11, 17)),  # yesterday: not a date to expect it on
        ("attempt_failed", date(2028, 1, 1)),  # over a year out: not a date we repeat
        ("edd_past_promise", date(2026, 1, 1)),
        ("predicted_late", date(2026, 11, 10)),
        ("stale", date(2026, 11, 19)),  # a last scan tomorrow is nonsense
        ("stale", date(2025, 1, 1)),
    ],
)
def test_a_day_outside_its_window_is_not_said(kind: str, when: date) -> None:
    assert notice(kind, day=when) == notice(kind, day=None)


def test_today_is_inside_the_window_and_a_datetime_is_a_day() -> None:
    assert "The new expected delivery date is Wed 18 Nov." in notice("exception", day=NOW).text
    assert "The last update from the carrier was on Wed 18 Nov." in notice("stale", day=NOW).text


@pytest.mark.parametrize("lang", LOCALES)
def test_a_reason_code_is_said_in_the_customers_words(lang: str) -> None:
    for code in sorted(REASONS):
        reply = notice("exception", lang=lang, reason=code)
        phrase = text(lang, f"reason.{code}")
        assert text(lang, "notice.reason", reason=phrase) in reply.text.split("\n")
        if "_" in code:  # "refused" is an English word too
            assert code not in reply.text


def test_the_carriers_own_words_are_kept_and_an_unknown_code_is_not_shown() -> None:
    said = notice("attempt_failed", reason="Receiver not available.").text
    assert "Details from the carrier: Receiver not available." in said
    assert "Details from the carrier:" not in notice("attempt_failed", reason="delayed_other").text
    assert "delayed_other" not in notice("attempt_failed", reason="delayed_other").text
    assert "Details from the carrier:" not in notice("attempt_failed", reason=" . ").text


@pytest.mark.parametrize("kind", ["available_for_pickup", "stale", "predicted_late"])
def test_a_reason_is_only_said_where_it_explains_the_notice(kind: str) -> None:
    assert notice(kind, reason="address_issue") == notice(kind, reason=None)


@pytest.mark.parametrize("kind", [k for k in NOTICE_KINDS if k != "available_for_pickup"])
def test_a_place_is_only_said_for_a_pickup(kind: str) -> None:
    assert notice(kind, place=PLACE) == notice(kind, place=None)


def test_the_carrier_comes_from_the_tracking_number_when_the_shop_has_none() -> None:
    assert f"UPS tracking number: {UPS}." in notice("exception", carrier=None, tracking=UPS).text
    assert f"Tracking number: {DHL}." in notice("exception", carrier=None, tracking=DHL).text


def test_a_tracking_link_is_a_button_and_inline_where_it_fits() -> None:
    url = f"https://www.ups.com/track?tracknum={UPS}"
    chat = notice("exception", carrier="UPS", tracking=UPS, url=url)
    assert chat.links == [Link(label="Track with UPS", url=url)]
    sms = notice("return_to_sender", fmt="sms", carrier="UPS", tracking=UPS, reason=None, url=url)
    assert sms.text.endswith(f"Track: {url}")
    assert sms_segments(sms.text) <= 2
    messaging = notice("stale", fmt="messaging", carrier=None, tracking=None, url=url)
    assert messaging.links == [Link(label="Track with the carrier", url=url)]
    assert f"Track with the carrier: {url}" in messaging.text


def test_sms_drops_the_optional_lines_in_order() -> None:
    """The link first, then "reply here", then the tracking line, then the carrier's reason;
    what happened, its date or place, and what to do stay."""
    for kind in NOTICE_KINDS:
        for lang in LOCALES:
            for tone in TONES:
                v = voice(lang, tone)
                long = "Consignee not available at the address, a notice card was left " * 2
                reply = notice(
                    kind, lang=lang, tone=tone, fmt="sms", reason=long, url="https://x.test/t"
                )
                said = reply.text
                assert sms_segments(said) <= 2
                assert not said.endswith("...")
                present = {
                    "link": "https://x.test/t" in said,
                    "reply": to_gsm7(text(v, "notice.reply")) in said,
                    "tracking": DHL in said,
                    "reason": "Consignee" in said,
                }
                assert present["link"] <= present["reply"] <= present["tracking"], (kind, lang)
                if kind in WITH_REASON:
                    assert present["tracking"] <= present["reason"], (kind, lang)
                    assert not present["link"]  # a long reason leaves no room for it
    roomy = notice("return_to_sender", fmt="sms", reason=None, url="https://x.test/t").text
    assert roomy.endswith("Track: https://x.test/t")  # with room, nothing is dropped
    assert DHL in roomy


def test_a_long_brand_and_place_still_fit_two_segments() -> None:
    brand = BrandSettings(name="The Very Long Name Of A Shop Ltd", tone="formal")
    for lang in LOCALES:
        for kind in NOTICE_KINDS:
            reply = notice(kind, lang=lang, fmt="sms", brand=brand, place=PLACE + ", 3e étage")
            assert sms_segments(reply.text) <= 2
            assert gsm7_only(reply.text)
            assert reply.text.startswith("The Very Long Name Of A Shop Ltd")


def test_the_notice_email_envelope() -> None:
    reply = notice("available_for_pickup", fmt="email", name="Alice", number="#1001")
    assert reply.subject == "An update on your order #1001"
    assert reply.text.startswith("Hi Alice,\n\nYour order #1001 is ready for pickup.\n")
    assert reply.text.endswith("Best wishes,\nThe Acme team")
    assert reply.html is not None
    assert "<p>Hi Alice,</p>" in reply.html
    assert f"<p>Pickup location: {html.escape(PLACE)}.</p>" in reply.html
    formal = notice("stale", fmt="email", tone="formal", name="Alice", lang="de")
    assert formal.subject == "Information zu Ihrer Bestellung #1001-A"
    assert formal.text.startswith("Guten Tag Alice,\n\n")
    assert formal.text.endswith("Mit freundlichen Grüßen\nThe Acme team")


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_formal_spanish_says_usted_and_friendly_spanish_says_tu(kind: str) -> None:
    for fmt in FORMATS:
        formal = notice(kind, lang="es", tone="formal", fmt=fmt)
        assert not TU.search(formal.text), formal.text
        if formal.subject is not None:
            assert not TU.search(formal.subject)
    friendly = notice(kind, lang="es", fmt="email")
    assert TU.search(friendly.text)
    assert friendly.subject is not None
    assert "tu pedido" in friendly.subject


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_german_and_french_say_sie_and_vous(kind: str) -> None:
    for tone in TONES:
        german = notice(kind, lang="de", tone=tone).text
        assert "Ihre" in german or "Ihnen" in german or "Sie" in german
        assert not re.search(r"\b(du|dein|deine|dir|dich)\b", german, re.IGNORECASE)
        french = notice(kind, lang="fr", tone=tone).text
        assert "votre" in french.lower() or "vous" in french
        assert not re.search(r"\b(tu|ton|ta|tes|toi)\b", french, re.IGNORECASE)


@pytest.mark.parametrize("language", ["it", "nl", None, ""])
def test_a_notice_in_a_language_without_a_catalog_is_in_english(language: str | None) -> None:
    assert notice("exception", lang=language) == notice("exception", lang="en")


def test_the_notice_number_is_written_once_with_one_hash() -> None:
    for given in ("1001", "#1001", " #1001 "):
        reply = notice("stale", number=given)
        assert "#1001" in reply.text
        assert "##" not in reply.text


def test_an_unknown_kind_or_no_number_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown notice kind"):
        notice("delivered")
    with pytest.raises(ValueError, match="order number"):
        notice("stale", number=" # ")


def test_the_kinds_are_the_settings_kinds() -> None:
    """The tables above name every kind the notify role may send, and no other."""
    assert set(NOTICE_KINDS) == {
        "exception",
        "attempt_failed",
        "return_to_sender",
        "available_for_pickup",
        "edd_past_promise",
        "stale",
        "lost",
        "predicted_late",
    }
    assert set(NEXT) | set(DAY_KEY) | WITH_REASON <= set(NOTICE_KINDS)


# --- follow-ups after a notice --------------------------------------------------------------------

TOLD = date(2026, 11, 16)


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("lang", LOCALES)
def test_followups_in_every_locale(lang: str, tone: Tone) -> None:
    v = voice(lang, tone)
    brand = BrandSettings(tone=tone)
    told = text(v, "followup.told", day=day(TOLD, lang))
    unchanged = followup_sentence(TOLD, None, language=lang, brand=brand)
    assert unchanged == f"{told} {text(v, 'followup.unchanged')}"
    assert day(TOLD, lang) in unchanged
    no_leftovers(unchanged)
    said = {unchanged}
    for status in ShipmentStatus:
        changed = followup_sentence(TOLD, status.value, language=lang, brand=brand)
        summary = text(v, f"summary.{status.value}")
        assert changed == f"{told} {text(v, 'followup.changed', change=summary)}"
        assert changed == followup_sentence(TOLD, status, language=lang, brand=brand)
        no_leftovers(changed)
        said.add(changed)
        if lang == "es" and tone == "formal":
            assert not TU.search(changed)
    assert len(said) == len(ShipmentStatus) + 1
    if lang == "es" and tone == "formal":
        assert not TU.search(unchanged)


def test_the_english_followups() -> None:
    assert followup_sentence(TOLD, None, language="en", brand=BRAND) == (
        "We last wrote to you about this order on Mon 16 Nov. Nothing has changed since then."
    )
    assert followup_sentence(TOLD, "delivered", language="en", brand=BRAND) == (
        "We last wrote to you about this order on Mon 16 Nov. Since then, its status has "
        "changed to: delivered."
    )


def test_an_unknown_status_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        followup_sentence(TOLD, "edd_past_promise", language="en", brand=BRAND)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_followup_opens_the_answer_inside_its_envelope(fmt: Format) -> None:
    transit = shipment(ShipmentStatus.IN_TRANSIT, estimated_delivery=date(2026, 11, 20))
    resolution = resolve(make_order(transit))
    before = render(resolution, NOW, fmt=fmt)
    after = render(resolution, NOW, fmt=fmt, followup=Followup(TOLD))
    line = followup_sentence(TOLD, None, language="en", brand=BRAND)
    if fmt == "sms":
        assert after.text == f"{line} {before.text}"
        assert sms_segments(after.text) <= 2
    elif fmt == "email":
        assert after.text == before.text.replace("Hi,\n\n", f"Hi,\n\n{line}\n", 1)
        assert after.html is not None
        assert f"<p>Hi,</p><p>{line}</p>" in after.html
        assert after.subject == before.subject
    else:
        assert after.text.startswith(f"{line}\n")
        assert after.text.removeprefix(f"{line}\n") == before.text
        assert after.links == before.links
    changed = render(resolution, NOW, fmt=fmt, followup=Followup(TOLD, ShipmentStatus.IN_TRANSIT))
    assert "Since then, its status has changed to: on its way." in changed.text


def test_a_followup_in_spanish_formal() -> None:
    transit = shipment(ShipmentStatus.IN_TRANSIT, estimated_delivery=date(2026, 11, 20))
    resolution = resolve(make_order(transit), lang="es")
    formal = BrandSettings(tone="formal")
    reply = render(resolution, NOW, fmt="chat", brand=formal, followup=Followup(TOLD))
    assert reply.text.startswith("Le escribimos sobre este pedido el lun 16 nov.")
    assert not TU.search(reply.text)


@pytest.mark.parametrize("lang", LOCALES)
def test_a_crowded_sms_leaves_the_followup_out_before_any_fact(lang: str) -> None:
    parcels = [
        shipment(ShipmentStatus.EXCEPTION),
        shipment(ShipmentStatus.IN_TRANSIT, carrier="USPS", tracking_number=USPS),
        shipment(ShipmentStatus.ATTEMPT_FAILED),
    ]
    resolution = resolve(make_order(*parcels, promised_by=date(2026, 11, 17)), lang=lang)
    followup = Followup(TOLD)
    line = followup_sentence(TOLD, None, language=lang, brand=BRAND)
    sms = render(resolution, NOW, fmt="sms", followup=followup)
    assert sms == render(resolution, NOW, fmt="sms")
    assert to_gsm7(line) not in sms.text
    assert render(resolution, NOW, fmt="chat", followup=followup).text.startswith(f"{line}\n")


def test_only_an_answer_about_the_order_gets_the_followup() -> None:
    resolution = Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.9,
        language="en",
        entities=Entities(order_numbers=["1001"]),
        action=Action.ASK,
        rule="ask.identity",
    )
    assert render(resolution, NOW, followup=Followup(TOLD)) == render(resolution, NOW)


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LOCALES)
def test_a_silent_parcel_names_the_day_it_will_count_as_lost(
    lang: str, fmt: Format, tone: Tone
) -> None:
    v = voice(lang, tone)
    act_on = NOW.date() + timedelta(days=6)
    reply = notice("stale", lang=lang, fmt=fmt, tone=tone, act_on=act_on)
    sentence = text(v, "notice.act_on", day=day(act_on, lang))
    assert (to_gsm7(sentence) if fmt == "sms" else sentence) in reply.text
    assert text(v, "notice.last_scan", day=day(LAST_SCAN, lang)).split()[0] in reply.text
    no_leftovers(reply.text)
    if fmt == "sms":
        assert sms_segments(reply.text) <= 2


@pytest.mark.parametrize(
    "act_on", [NOW.date() - timedelta(days=1), NOW.date() + timedelta(days=400)]
)
def test_an_action_day_outside_its_window_is_left_out(act_on: date) -> None:
    reply = notice("stale", act_on=act_on)
    assert "moved by" not in reply.text
    assert notice("predicted_late", act_on=NOW.date()).text == notice("predicted_late").text
