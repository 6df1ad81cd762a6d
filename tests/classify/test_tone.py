"""router/classify/tone.py: is the customer upset? Anger words, emoji, shouting with "!!"."""

from __future__ import annotations

import pytest

from router.classify.tone import angry


@pytest.mark.parametrize(
    "text",
    [
        # profanity
        "where the fuck is my order",
        "This is bullshit, order #1001 still isn't here",
        "wtf where is my parcel",
        "F*ck, ffs, where is it",
        # anger words, English
        "This is ridiculous, I ordered two weeks ago",
        "Totally unacceptable. Where is order 1001?",
        "I am furious about this delay",
        "Worst shop ever",
        "I'm fed up with waiting",
        "This is a scam",
        "I'll do a chargeback",
        # Spanish
        "Es una vergüenza, ¿dónde está mi pedido?",
        "Esto es una estafa",
        "Estoy harta de esperar",
        # French
        "C'est honteux, où est ma commande ?",
        "J'en ai marre d'attendre",
        "C'est une arnaque",
        # German
        "Das ist unverschämt, wo ist meine Bestellung?",
        "So eine Frechheit",
        "Das ist Betrug",
        # Portuguese
        "Isso é um absurdo, cadê minha encomenda?",
        "Que palhaçada",
        # angry emoji
        "where is my order 😡",
        "🤬🤬",
        "still nothing 😤",
        # shouting with a run of exclamation marks
        "WHERE IS MY ORDER!!",
        "WHERE IS MY ORDER 1001?!!",
        "I STILL HAVE NOT RECEIVED ANYTHING!!!",
    ],
)
def test_angry(text: str) -> None:
    assert angry(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "where is my order?",
        "Where is my order #1001?",
        "ORDER 1001",
        "ORDER 1001!!",  # too few letters to be shouting
        "WHERE IS MY ORDER",  # capitals without exclamation marks
        "WHERE IS MY ORDER 1001? PLEASE CHECK.",
        "Hi! Any update on my parcel? Thanks!!",  # excited, not shouting
        "My order has not arrived yet, could you check please?",
        "Thanks, the tracking says it was delivered to my mailbox.",
        "¿Dónde está mi pedido?",
        "Où est ma commande ?",
        "Wo ist meine Bestellung?",
        "Cadê minha encomenda?",
        "Merci beaucoup !",
        "Obrigado! 😊",
        "",
    ],
)
def test_calm(text: str) -> None:
    assert angry(text) is False


def test_only_the_first_2000_characters_are_read_for_words() -> None:
    assert angry("where is my order " * 200 + " ridiculous") is False
    assert angry("ridiculous " + "where is my order " * 200) is True
