"""channels/email/quotes.py: the customer's new words only (mail-parser-reply), in several
languages, with the provider's own stripped text preferred elsewhere (see test_inbound)."""

from __future__ import annotations

from channels.email.quotes import clean, latest_reply

GMAIL_EN = (
    "Hi, any update on order #1001?\nMy email is alice@example.com\n\nThanks,\nAlice\n\n"
    "On Mon, Mar 3, 2025 at 10:00 AM Demo Shop <support@shop.example> wrote:\n"
    "> Hi,\n> Your order is on its way.\n"
)
OUTLOOK_EN = (
    "Still nothing arrived.\n\n________________________________\n"
    "From: Demo Shop <support@shop.example>\nSent: Monday, March 3, 2025 10:00 AM\n"
    "To: Alice <alice@example.com>\nSubject: Re: Where is my order?\n\nHi, it is on its way."
)
GMAIL_ES = (
    "Hola, ¿dónde está mi pedido #1002?\n\nSaludos,\nBen\n\n"
    "El lun, 3 mar 2025 a las 10:00, Demo Shop (<support@shop.example>) escribió:\n"
    "> Hola,\n> Tu pedido está en camino.\n"
)
OUTLOOK_ES = (
    "Todavía no ha llegado.\n\n________________________________\n"
    "De: Demo Shop <support@shop.example>\nEnviado: lunes, 3 de marzo de 2025 10:00\n"
    "Para: Ben <ben@example.com>\nAsunto: RE: Pedido\n\nHola, tu pedido está en camino."
)
GMAIL_FR = (
    "Bonjour, où est ma commande 1003 ?\n\n"
    "Le lun. 3 mars 2025 à 10:00, Demo Shop <support@shop.example> a écrit :\n> Bonjour\n"
)
GMAIL_DE = (
    "Wo ist meine Bestellung 1004?\n\nMit freundlichen Grüßen\nHans\n\n"
    "Am Mo., 3. März 2025 um 10:00 Uhr schrieb Demo Shop <support@shop.example>:\n> Hallo\n"
)


def test_gmail_english() -> None:
    assert latest_reply(GMAIL_EN) == "Hi, any update on order #1001?\nMy email is alice@example.com"


def test_outlook_english() -> None:
    assert latest_reply(OUTLOOK_EN) == "Still nothing arrived."


def test_gmail_spanish() -> None:
    assert latest_reply(GMAIL_ES) == "Hola, ¿dónde está mi pedido #1002?"


def test_outlook_spanish() -> None:
    assert latest_reply(OUTLOOK_ES) == "Todavía no ha llegado."


def test_french_and_german() -> None:
    assert latest_reply(GMAIL_FR) == "Bonjour, où est ma commande 1003 ?"
    assert latest_reply(GMAIL_DE) == "Wo ist meine Bestellung 1004?"


def test_signatures() -> None:
    assert latest_reply("Where is #1001?\n-- \nAlice\nCEO") == "Where is #1001?"
    assert latest_reply("Where is #1001?\n\nSent from my iPhone") == "Where is #1001?"
    assert latest_reply("Where is #1001?\n\nBest regards,\nAlice") == "Where is #1001?"


def test_hyphen_lists_are_not_signatures() -> None:
    text = "I ordered:\n- a blue mug\n- a teapot\nWhere are they? Order 1001."
    assert latest_reply(text) == text


def test_bare_trailing_quotes_are_dropped() -> None:
    assert latest_reply("Any news?\n\n> Your order shipped.\n> Demo Shop") == "Any news?"


def test_nothing_left_keeps_the_whole_text() -> None:
    only_quote = "On Mon, Mar 3, 2025 Demo Shop wrote:\n> Your order shipped."
    assert latest_reply(only_quote) != ""
    assert latest_reply("") == ""
    assert latest_reply("   \n ") == ""


def test_clean() -> None:
    assert clean("a\r\nb\rc\x00d\u200b\n\n\n\ne  ") == "a\nb\ncd\n\ne"
