"""router/reply/formats.py: the same sentences in four envelopes (chat, sms, email, messaging).

SMS replies are checked for every demo-like scenario in every locale that exists: GSM-7 only,
at most two segments (formats.sms_segments), no link list, no quick replies.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import router.reply
from router.events import Action, Entities, Link, ShipmentStatus
from router.orders import demo
from router.orders.base import Order, Shipment
from router.orders.sql import to_order
from router.reply.catalog import LOCALES, text
from router.reply.compose import Content, compose
from router.reply.formats import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    MAX_QUICK_REPLIES,
    MESSAGING_MAX_CHARS,
    Reply,
    render,
    sms_segments,
    to_gsm7,
)
from router.reply.render import render as render_resolution
from router.resolve.decide import History, Resolution
from router.settings import BrandSettings, PolicySettings
from tests import orders_factory
from tests.orders_factory import NOW, UPS, UPS_URL, USPS, USPS_URL, at, make_order, resolve

S = ShipmentStatus
BRAND = BrandSettings(name="Acme & Co", sign_off="The Acme team")
LOCALE_DIR = Path(router.reply.__file__).parent / "locales"
DEMO_NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def shipment(status: S, **changes: Any) -> Shipment:
    """A parcel last seen in São Paulo: a place with a letter GSM-7 lacks (ã)."""
    return orders_factory.shipment(status, place="São Paulo", **changes)


def need(lang: str) -> None:
    if not (LOCALE_DIR / f"{lang}.json").is_file():
        pytest.skip(f"{lang}.json is not written yet")


def gsm7_only(value: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in value)


TRANSIT = shipment(S.IN_TRANSIT, estimated_delivery=date(2026, 11, 20))
DELIVERED = shipment(S.DELIVERED, delivered_at=at(17, 14), status_detail="Left at front door")
SPLIT = make_order(
    DELIVERED,
    shipment(
        S.IN_TRANSIT,
        carrier="USPS",
        tracking_number=USPS,
        tracking_url=USPS_URL,
        estimated_delivery=date(2026, 11, 21),
    ),
)
LOST = make_order(shipment(S.FAILURE, reason="lost", status_detail="Package could not be located"))


# --- GSM-7 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("ã", "a"),
        ("São João", "Sao Joao"),
        ("ç", "c"),
        ("não, avião, põe", "nao, aviao, poe"),
        ("está, aquí, sí, tú, ó", "esta, aqui, si, tu, o"),
        ("être, île, où, dû", "etre, ile, où, du"),
        ("é è à ù ì ò ä ö ü ñ ß Ç É", "é è à ù ì ò ä ö ü ñ ß Ç É"),  # GSM-7 has these
        ("¿¡", "¿¡"),
        ("it\u2019s \u201cok\u201d \u2013 wait\u2026", 'it\'s "ok" - wait...'),
        ("10 €, [x] {y} ~ ^ | \\", "10 €, [x] {y} ~ ^ | \\"),
        ("a\u00a0b", "a b"),  # a no-break space is a space
        ("😡 你好", "? ??"),
    ],
)
def test_to_gsm7(value: str, folded: str) -> None:
    assert to_gsm7(value) == folded
    assert gsm7_only(to_gsm7(value))


@pytest.mark.parametrize("lang", LOCALES)
def test_every_catalog_sentence_survives_gsm7(lang: str) -> None:
    """Folding may drop an accent, never turn a letter into '?'."""
    need(lang)
    catalog = json.loads((LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    values = [v for k, v in catalog.items() if not k.startswith("_")]
    values += catalog["_dates"]["days"] + catalog["_dates"]["months"]
    lost = {v: to_gsm7(v) for v in values if to_gsm7(v).count("?") != v.count("?")}
    assert lost == {}


@pytest.mark.parametrize(
    ("value", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters cost two
        ("€" * 81, 2),
        ("a" * 305 + "€", 3),
        ("ã" * 70, 1),  # not GSM-7: UCS-2
        ("ã" * 71, 2),
        ("ã" * 134, 2),
        ("ã" * 135, 3),
        ("😡" * 35, 1),  # outside the BMP: two UCS-2 units each
        ("😡" * 36, 2),
    ],
)
def test_sms_segments(value: str, segments: int) -> None:
    assert sms_segments(value) == segments


# --- chat -----------------------------------------------------------------------------------------


def test_chat_has_the_links_as_buttons_and_the_quick_replies() -> None:
    content = compose(resolve(LOST), "en", NOW)
    reply = render(content, "chat", "en", BRAND)
    assert reply == Reply(
        text="\n".join(content.lines),
        links=[Link(label="Track with UPS", url=UPS_URL)],
        quick_replies=["Send a replacement", "Refund me"],
    )
    assert UPS_URL not in reply.text


def test_chat_keeps_every_quick_reply() -> None:
    content = Content(lines=["Which one?"], quick_replies=[f"#{n}" for n in range(1001, 1006)])
    assert render(content, "chat", "en", BRAND).quick_replies == [
        "#1001",
        "#1002",
        "#1003",
        "#1004",
        "#1005",
    ]


# --- sms ------------------------------------------------------------------------------------------


def sms(resolution: Resolution, now: datetime = NOW) -> Reply:
    return render_resolution(resolution, now, fmt="sms")


def assert_sms(reply: Reply) -> None:
    assert gsm7_only(reply.text), [c for c in reply.text if not gsm7_only(c)]
    assert sms_segments(reply.text) <= 2, reply.text
    assert "\n" not in reply.text
    assert reply.links == []
    assert reply.quick_replies == []
    assert (reply.subject, reply.html) == (None, None)


def test_sms_in_transit_is_compact_with_the_tracking_link() -> None:
    reply = sms(resolve(make_order(TRANSIT)))
    assert reply == Reply(
        text=f"Order #1001: on its way with UPS (tracking {UPS}). Expected Fri 20 Nov. "
        f"Track: {UPS_URL}"
    )
    assert_sms(reply)


def test_sms_split_order_with_two_carriers() -> None:
    reply = sms(resolve(SPLIT))
    assert reply.text == (
        "Order #1001 was sent in 2 parcels: "
        f"Parcel 1: delivered on Tue 17 Nov by UPS (tracking {UPS}). "
        f"Parcel 2: on its way with USPS (tracking {USPS}). Expected Sat 21 Nov. "
        f"Track: {UPS_URL}"  # the first link only
    )
    assert_sms(reply)


def test_sms_lost_offer() -> None:
    reply = sms(resolve(LOST))
    assert reply.text == (
        f"Order #1001: UPS reports it could not be delivered (tracking {UPS}). I'm sorry it's "
        "gone missing. I can send you a replacement or refund you, whichever you prefer. "
        f"Track: {UPS_URL}"
    )
    assert_sms(reply)


def test_sms_folds_accents_it_cannot_carry() -> None:
    content = Content(lines=["Pedido #1001: em trânsito, São Paulo."])
    assert render(content, "sms", "en", BRAND).text == "Pedido #1001: em transito, Sao Paulo."


def test_sms_leaves_the_link_out_when_it_does_not_fit() -> None:
    long_url = "https://example.com/track/" + "x" * 200
    line = "Order #1001: on its way with UPS. " + "y" * 100
    content = Content(lines=[line], links=[Link(label="Track", url=long_url)])
    reply = render(content, "sms", "en", BRAND)
    assert reply.text == line
    short = Content(lines=[line], links=[Link(label="Track", url="https://t.example/1")])
    assert render(short, "sms", "en", BRAND).text == f"{line} Track: https://t.example/1"


def test_sms_drops_optional_lines_before_cutting() -> None:
    facts = "Order #1001: on its way with UPS (tracking 1Z). Expected Fri 20 Nov."
    next_step = "Reply here if it has not arrived by Thu 19 Nov."
    filler = " ".join(["filler"] * 15)
    content = Content(lines=[facts, filler, filler, next_step], optional={1, 2})
    reply = render(content, "sms", "en", BRAND)
    assert reply.text == f"{facts} {filler} {next_step}"
    assert sms_segments(reply.text) == 2


def test_sms_drops_expendable_lines_before_the_other_optional_ones() -> None:
    """An expendable line goes first wherever it stands (a follow-up opens an answer but
    matters less than the answer's own facts); then the optional ones, latest first."""
    facts = "Order #1001: on its way with UPS (tracking 1Z). Expected Fri 20 Nov."
    filler = " ".join(["filler"] * 15)
    content = Content()
    content.add("We last wrote to you about this order on Mon 16 Nov.", expendable=True)
    content.add(facts)
    content.add(filler, optional=True)
    content.add(filler, optional=True)
    assert content.optional == {0, 2, 3}
    assert content.expendable == {0}
    assert render(content, "sms", "en", BRAND).text == f"{facts} {filler} {filler}"
    content.add("One line too many for two segments.", optional=True)
    assert render(content, "sms", "en", BRAND).text == f"{facts} {filler} {filler}"


def test_sms_cuts_at_a_word_as_the_last_resort() -> None:
    content = Content(lines=["word " * 100])
    reply = render(content, "sms", "en", BRAND)
    assert reply.text.endswith("word...")
    assert len(reply.text) <= 306
    assert sms_segments(reply.text) == 2


def test_sms_cut_counts_extension_characters() -> None:
    reply = render(Content(lines=["[ref] " * 80]), "sms", "en", BRAND)
    assert sms_segments(reply.text) <= 2


def demo_orders() -> list[Order]:
    return [to_order(row, fetched_at=DEMO_NOW) for row in demo.build(DEMO_NOW)]


SITUATIONS: list[tuple[str, dict[str, Any]]] = [
    ("wismo.status", {}),
    ("wismo.not_received", {}),
    ("wismo.status", {"history": History(recent_contacts=1)}),
    ("wismo.status", {"angry": True}),
    ("wismo.delayed", {"policy": PolicySettings(auto_offer_max_value=10_000)}),
]


@pytest.mark.parametrize("lang", LOCALES)
def test_every_demo_sms_is_gsm7_in_two_segments(lang: str) -> None:
    need(lang)
    for order in demo_orders():
        for intent, kwargs in SITUATIONS:
            resolution = resolve(order, intent, lang=lang, now=DEMO_NOW, **kwargs)
            assert_sms(sms(resolution, DEMO_NOW))


@pytest.mark.parametrize("lang", LOCALES)
def test_every_sms_without_an_order_is_gsm7_in_two_segments(lang: str) -> None:
    need(lang)
    for rule, action in [
        ("greeting", Action.ANSWER),
        ("ask.clarify", Action.ASK),
        ("ask.order_number", Action.ASK),
        ("ask.identity", Action.ASK),
        ("ask.not_found", Action.ASK),
        ("limit.lookups", Action.ASK),
        ("escalate.non_wismo", Action.ESCALATE),
        ("hold.source_unavailable", Action.ESCALATE),
    ]:
        resolution = Resolution(
            intent="wismo.status",
            wismo=True,
            confidence=0.9,
            language=lang,
            entities=Entities(order_numbers=["123-1234567-1234567", "A-100001", "1001"]),
            action=action,
            rule=rule,
        )
        reply = sms(resolution)
        assert_sms(reply)
        assert not reply.text.endswith("...")


@pytest.mark.parametrize("lang", LOCALES)
def test_the_demo_sms_states_the_facts_uncut(lang: str) -> None:
    """Every demo answer fits whole (a long one drops its optional lines first)."""
    need(lang)
    for order in demo_orders():
        for intent, kwargs in SITUATIONS:
            resolution = resolve(order, intent, lang=lang, now=DEMO_NOW, **kwargs)
            if resolution.rule == "answer.delivered_wait":
                continue
            reply = sms(resolution, DEMO_NOW)
            assert not reply.text.endswith("..."), reply.text
            assert f"#{order.number}" in reply.text
            for s in order.shipments:
                assert s.tracking_number in reply.text


def test_the_delivered_but_missing_sms_keeps_its_next_step() -> None:
    cut = []
    for lang in LOCALES:
        if not (LOCALE_DIR / f"{lang}.json").is_file():
            continue
        for order in demo_orders():
            resolution = resolve(order, "wismo.not_received", lang=lang, now=DEMO_NOW)
            if resolution.rule == "answer.delivered_wait":
                reply = sms(resolution, DEMO_NOW)
                if reply.text.endswith("..."):
                    cut.append((lang, order.number))
    assert cut == []


# --- email ----------------------------------------------------------------------------------------


def test_email_has_a_subject_text_and_html() -> None:
    content = compose(resolve(make_order(TRANSIT)), "en", NOW)
    reply = render(content, "email", "en", BRAND, name="Alice")
    assert reply.subject == "Your order #1001"
    assert reply.text == (
        "Hi Alice,\n\n"
        f"Order #1001: on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in "
        "São Paulo: Arrived at facility. Expected Fri 20 Nov.\n\n"
        f"Track with UPS: {UPS_URL}\n\n"
        "Best wishes,\nThe Acme team"
    )
    assert reply.html == (
        "<!doctype html><html><body><p>Hi Alice,</p>"
        f"<p>Order #1001: on its way with UPS (tracking {UPS}). Last update on Mon 16 Nov in "
        "São Paulo: Arrived at facility. Expected Fri 20 Nov.</p>"
        f'<p><a href="{UPS_URL}">Track with UPS</a></p>'
        "<p>Best wishes,<br>The Acme team</p></body></html>"
    )
    assert reply.links == [Link(label="Track with UPS", url=UPS_URL)]
    assert reply.quick_replies == []


def test_email_without_a_name_or_an_order() -> None:
    content = compose(
        Resolution(
            intent="wismo.status",
            wismo=True,
            confidence=0.9,
            language="en",
            entities=Entities(),
            action=Action.ASK,
            rule="ask.order_number",
        ),
        "en",
        NOW,
    )
    reply = render(content, "email", "en", BRAND)
    assert reply.subject == "Your message to Acme & Co"
    assert reply.text.startswith("Hi,\n\nI can help with that!")
    assert reply.html is not None
    assert reply.html.startswith("<!doctype html><html><body><p>Hi,</p>")


def test_email_html_escapes_everything_it_did_not_write() -> None:
    evil = shipment(
        S.EXCEPTION,
        status_detail='<script>alert("x")</script> & more',
        tracking_url='https://t.example/?a=1&b="2"',
    )
    content = compose(resolve(make_order(evil)), "en", NOW)
    reply = render(content, "email", "en", BRAND, name="<b>Ben</b> & Co")
    assert reply.html is not None
    assert "<script>" not in reply.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in reply.html
    assert "<p>Hi &lt;b&gt;Ben&lt;/b&gt; &amp; Co,</p>" in reply.html
    assert '<a href="https://t.example/?a=1&amp;b=&quot;2&quot;">' in reply.html
    # The plain-text part is plain text: not escaped.
    assert '<script>alert("x")</script> & more' in reply.text
    assert reply.text.startswith("Hi <b>Ben</b> & Co,")


def test_email_lists_every_link() -> None:
    content = compose(resolve(SPLIT), "en", NOW)
    reply = render(content, "email", "en", BRAND)
    assert f"Track parcel 1: {UPS_URL}\n\nTrack parcel 2: {USPS_URL}" in reply.text
    assert reply.html is not None
    assert reply.html.count("<a href=") == 2


# --- messaging ------------------------------------------------------------------------------------


def test_messaging_has_links_inline_and_three_quick_replies_at_most() -> None:
    content = Content(
        lines=["I found 5 recent orders:", "Which one?"],
        links=[Link(label="Track with UPS", url=UPS_URL)],
        quick_replies=[f"#{n}" for n in range(1001, 1006)],
    )
    reply = render(content, "messaging", "en", BRAND)
    assert reply.text == f"I found 5 recent orders:\nWhich one?\nTrack with UPS: {UPS_URL}"
    assert reply.quick_replies == ["#1001", "#1002", "#1003"]
    assert len(reply.quick_replies) == MAX_QUICK_REPLIES
    assert reply.links == content.links


def test_messaging_split_order() -> None:
    reply = render_resolution(resolve(SPLIT), NOW, fmt="messaging")
    assert reply.text.endswith(f"Track parcel 1: {UPS_URL}\nTrack parcel 2: {USPS_URL}")
    assert (reply.subject, reply.html) == (None, None)


def test_messaging_is_cut_to_4096_characters() -> None:
    content = Content(lines=["word " * 1000, "the end"])
    reply = render(content, "messaging", "en", BRAND)
    assert len(reply.text) <= MESSAGING_MAX_CHARS
    assert reply.text.endswith("word…")
    exact = Content(lines=["x" * MESSAGING_MAX_CHARS])
    assert render(exact, "messaging", "en", BRAND).text == "x" * MESSAGING_MAX_CHARS


def test_messaging_lost_offer_has_its_quick_replies() -> None:
    reply = render_resolution(resolve(LOST), NOW, fmt="messaging")
    assert reply.quick_replies == ["Send a replacement", "Refund me"]
    assert f"Track with UPS: {UPS_URL}" in reply.text
    assert text("en", "next.offer") in reply.text
