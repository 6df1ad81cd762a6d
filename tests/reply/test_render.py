"""router/reply/render.py: one voice. A Resolution → the words for one channel, in the customer's
language; and the PARITY check: every channel states the same facts.

The clock is Wednesday 18 November 2026, 15:00 UTC.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import router.reply
from router.events import Action, Entities, Link, ShipmentStatus
from router.orders.base import Order
from router.reply.catalog import LOCALES, day, text, voice
from router.reply.compose import compose
from router.reply.formats import FORMATS, Format, Reply, sms_segments, to_gsm7
from router.reply.render import render
from router.resolve.decide import History, Resolution
from router.settings import BrandSettings, Tone
from tests.orders_factory import (
    NOW,
    UPS,
    UPS_URL,
    USPS,
    USPS_URL,
    at,
    make_order,
    resolve,
    shipment,
)

S = ShipmentStatus
LOCALE_DIR = Path(router.reply.__file__).parent / "locales"


def catalog(lang: str) -> dict[str, Any]:
    path = LOCALE_DIR / f"{lang}.json"
    if not path.is_file():
        pytest.skip(f"{path.name} is not written yet")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


TRANSIT = shipment(S.IN_TRANSIT, estimated_delivery=date(2026, 11, 20))
DELIVERED = shipment(S.DELIVERED, delivered_at=at(17, 14), status_detail="Left at front door")
USPS_TRANSIT = shipment(
    S.IN_TRANSIT,
    carrier="USPS",
    tracking_number=USPS,
    tracking_url=USPS_URL,
    estimated_delivery=date(2026, 11, 21),
)


# --- render(): locale, format, brand --------------------------------------------------------------


def test_chat_is_the_default() -> None:
    resolution = resolve(make_order(TRANSIT))
    reply = render(resolution, NOW)
    assert reply == Reply(
        text=f"Order #1001: on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in "
        "Oakland, CA: Arrived at facility. Expected Fri 20 Nov.",
        links=[Link(label="Track with UPS", url=UPS_URL)],
    )
    assert render(resolution, NOW, fmt="chat") == reply


def test_a_language_without_a_catalog_is_answered_in_english() -> None:
    english = render(resolve(make_order(TRANSIT)), NOW)
    assert render(resolve(make_order(TRANSIT), lang="it"), NOW) == english
    assert render(resolve(make_order(TRANSIT), lang="nl"), NOW) == english


@pytest.mark.parametrize("lang", [lang for lang in LOCALES if lang != "en"])
def test_the_customers_language_is_used(lang: str) -> None:
    words = catalog(lang)
    resolution = resolve(make_order(TRANSIT), lang=lang)
    reply = render(resolution, NOW)
    assert reply.text == "\n".join(compose(resolution, lang, NOW).lines)
    assert reply.text != render(resolve(make_order(TRANSIT)), NOW).text
    assert day(date(2026, 11, 20), lang) in reply.text
    assert reply.links == [Link(label=words["link.track"].format(carrier="UPS"), url=UPS_URL)]


def test_sms_uses_the_compact_sentences() -> None:
    resolution = resolve(make_order(TRANSIT))
    reply = render(resolution, NOW, fmt="sms")
    assert "Oakland" not in reply.text
    assert "Arrived at facility" not in reply.text
    assert reply.text.startswith(
        f"Order #1001: on its way with UPS (tracking {UPS}). Expected Fri 20 Nov."
    )


def test_email_uses_the_brand_and_the_name() -> None:
    brand = BrandSettings(name="Acme", sign_off="Team Acme")
    reply = render(resolve(make_order(TRANSIT)), NOW, fmt="email", brand=brand, name="Alice")
    assert reply.subject == "Your order #1001"
    assert reply.text.startswith("Hi Alice,\n\n")
    assert reply.text.endswith("Best wishes,\nTeam Acme")
    default = render(resolve(make_order(TRANSIT)), NOW, fmt="email")
    assert default.text.endswith("Best wishes,\nThe Demo Shop team")


def test_the_formal_tone() -> None:
    brand = BrandSettings(name="Acme", sign_off="Team Acme", tone="formal")
    email = render(resolve(make_order(TRANSIT)), NOW, fmt="email", brand=brand, name="Alice")
    assert email.text.startswith("Dear Alice,\n\n")
    assert email.text.endswith("Kind regards,\nTeam Acme")
    lost = make_order(shipment(S.FAILURE, reason="lost"))
    friendly = render(resolve(lost, lang="es"), NOW, fmt="chat").text
    formal = render(resolve(lost, lang="es"), NOW, fmt="chat", brand=brand).text
    assert "Puedo enviarte un reemplazo" in friendly
    assert "Podemos enviarle un reemplazo" in formal
    assert friendly.split("\n")[0] == formal.split("\n")[0]  # the same facts


def test_every_format_renders_a_question() -> None:
    resolution = Resolution(
        intent="wismo.status",
        wismo=True,
        confidence=0.9,
        language="en",
        entities=Entities(order_numbers=["1001"]),
        action=Action.ASK,
        rule="ask.identity",
    )
    sentence = text("en", "ask.identity", numbers="#1001")
    for fmt in FORMATS:
        reply = render(resolution, NOW, fmt=fmt)
        assert sentence in reply.text
        assert reply.links == []
        assert UPS not in reply.text


# --- PARITY: the same facts on every channel ------------------------------------------------------


def scenarios() -> dict[str, tuple[Order, str, dict[str, Any]]]:
    return {
        "in transit with an ETA": (make_order(TRANSIT), "wismo.status", {}),
        "late": (make_order(TRANSIT, promised_by=date(2026, 11, 17)), "wismo.status", {}),
        "delivered": (make_order(DELIVERED), "wismo.status", {}),
        "split, two carriers": (make_order(DELIVERED, USPS_TRANSIT), "wismo.status", {}),
        "lost, offer": (
            make_order(
                shipment(S.FAILURE, reason="lost", status_detail="Package could not be located")
            ),
            "wismo.status",
            {},
        ),
        "action required": (
            make_order(
                shipment(
                    S.EXCEPTION,
                    reason="held_for_payment",
                    action_required=True,
                    estimated_delivery=date(2026, 11, 23),
                )
            ),
            "wismo.status",
            {},
        ),
        "repeat contact": (
            make_order(TRANSIT),
            "wismo.status",
            {"history": History(recent_contacts=1)},
        ),
    }


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def status_words(lang: str, status: S) -> list[str]:
    """The fixed words of the locale's sentence for this status ("on its way with", …)."""
    template: str = catalog(lang.partition("@")[0])[f"status.{status.value}"]
    chunks = (chunk.strip(" .,:;()") for chunk in PLACEHOLDER.split(template))
    return [chunk for chunk in chunks if any(c.isalpha() for c in chunk)]


def expected_facts(resolution: Resolution, lang: str, *, compact: bool) -> list[str]:
    """What every channel must say: order number, status words, dates, carrier, tracking
    number(s), next step. The compact (SMS) form may leave out the promised date."""
    order = resolution.order
    assert order is not None
    facts = [f"#{order.number}"]
    for s in order.shipments:
        facts += status_words(lang, s.status)
        facts += [s.carrier or "", s.tracking_number or ""]
        if s.estimated_delivery:
            facts.append(day(s.estimated_delivery, lang))
        if s.delivered_at:
            facts.append(day(s.delivered_at, lang))
    if "late" in resolution.notes and order.promised_by and not compact:
        facts.append(text(lang, "order.late", day=day(order.promised_by, lang)))
    if resolution.rule == "offer.lost":
        facts.append(text(lang, "next.offer"))
    if resolution.rule == "answer.action_required":
        facts.append(text(lang, "next.action_required"))
    if resolution.wait_until is not None:
        key = "next.delivered_wait_short" if compact else "next.delivered_wait"
        facts.append(text(lang, key, day=day(resolution.wait_until, lang)))
    if resolution.action == Action.ESCALATE and not compact:
        facts.append(text(lang, "handoff.also"))
    return facts


def missing(reply: Reply, fmt: Format, facts: list[str]) -> list[str]:
    if fmt == "sms":
        return [f for f in facts if to_gsm7(f) not in reply.text]
    gone = [f for f in facts if f not in reply.text]
    if fmt == "email":
        assert reply.html is not None
        gone += [f"html:{f}" for f in facts if html.escape(f) not in reply.html]
    return gone


@pytest.mark.parametrize("tone", ["friendly", "formal"])
@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("scenario", list(scenarios()))
def test_parity(lang: str, scenario: str, tone: Tone) -> None:
    catalog(lang)
    order, intent, kwargs = scenarios()[scenario]
    resolution = resolve(order, intent, lang=lang, **kwargs)
    assert resolution.order is not None
    brand = BrandSettings(tone=tone)
    for fmt in FORMATS:
        reply = render(resolution, NOW, fmt=fmt, brand=brand)
        facts = expected_facts(resolution, voice(lang, tone), compact=fmt == "sms")
        assert missing(reply, fmt, facts) == [], fmt
        if fmt == "sms":
            assert sms_segments(reply.text) <= 2
        else:
            urls = [s.tracking_url for s in order.shipments]
            assert [link.url for link in reply.links] == urls
            if fmt != "chat":  # chat shows links as buttons; the others also inline
                assert all(url is not None and url in reply.text for url in urls)


def test_parity_scenarios_are_what_they_say() -> None:
    rules = {name: resolve(o, i, **kw).rule for name, (o, i, kw) in scenarios().items()}
    assert rules == {
        "in transit with an ETA": "answer.status",
        "late": "answer.status",
        "delivered": "answer.status",
        "split, two carriers": "answer.status",
        "lost, offer": "offer.lost",
        "action required": "answer.action_required",
        "repeat contact": "escalate.repeat_contact",
    }
    assert resolve(*scenarios()["late"][:2]).notes == ["late"]


def test_parity_in_english_word_for_word() -> None:
    """The English facts of the split order, on each channel."""
    resolution = resolve(make_order(DELIVERED, USPS_TRANSIT))
    parcel_1 = (
        f"delivered on Tue 17 Nov in Oakland, CA by UPS (tracking {UPS}): Left at front door."
    )
    parcel_2 = f"on its way with USPS (tracking {USPS})."
    for fmt in FORMATS:
        said = render(resolution, NOW, fmt=fmt).text
        assert "Order #1001 was sent in 2 parcels:" in said
        assert parcel_2 in said
        assert "Expected Sat 21 Nov." in said
        if fmt == "sms":
            assert f"Parcel 1: delivered on Tue 17 Nov by UPS (tracking {UPS})." in said
        else:
            assert f"Parcel 1: {parcel_1}" in said


def test_parity_for_delivered_but_missing_on_a_split_order() -> None:
    parcel_2 = USPS_TRANSIT.model_copy(update={"estimated_delivery": date(2026, 11, 21)})
    order = make_order(DELIVERED, parcel_2)
    resolution = resolve(order, "wismo.not_received")
    assert resolution.rule == "answer.delivered_wait"
    for fmt in FORMATS:
        reply = render(resolution, NOW, fmt=fmt)
        assert missing(reply, fmt, expected_facts(resolution, "en", compact=fmt == "sms")) == []
