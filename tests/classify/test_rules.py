"""The rule classifier: intent, WISMO flag, confidence, language and entities."""

from __future__ import annotations

import pytest

from router.classify import Classifier, Result, RuleClassifier
from router.classify.rules import RULES, _fold
from router.events import Entities, TrackingRef

UPS = "1ZXK3DEG0359083017"


@pytest.fixture
def classifier() -> RuleClassifier:
    return RuleClassifier()


def test_name_and_protocol(classifier: RuleClassifier) -> None:
    assert classifier.name == "rules@1"
    typed: Classifier = classifier
    assert isinstance(typed.classify("hi"), Result)


def test_fold_drops_case_and_accents() -> None:
    assert _fold("LIVRÉ Não Rückerstattung ¿Dónde?") == "livre nao ruckerstattung ¿donde?"


def test_rule_order_puts_handoff_and_complaints_before_wismo() -> None:
    intents = [rule.intent for rule in RULES]
    assert intents.index("human_request") == 0
    for complaint in ("damaged_or_wrong_item", "refund", "cancel", "return", "change_order"):
        assert intents.index(complaint) < intents.index("wismo.not_received")
    assert intents.index("wismo.delayed") < intents.index("wismo.status")
    assert intents[-1] == "greeting_thanks"


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("Where is my order?", "wismo.status", 0.85),
        ("what's the status of my package", "wismo.status", 0.85),
        ("any update on my parcel?", "wismo.status", 0.85),
        ("My order hasn't arrived yet", "wismo.not_received", 0.9),
        ("It says delivered but it's not here", "wismo.not_received", 0.9),
        ("I never received my package", "wismo.not_received", 0.9),
        ("my parcel is delayed", "wismo.delayed", 0.85),
        ("tracking hasn't moved in a week", "wismo.delayed", 0.85),
        ("it's stuck in Memphis", "wismo.delayed", 0.85),
        ("can I get the tracking number?", "wismo.tracking", 0.85),
        ("How do I track my package", "wismo.tracking", 0.85),
        ("When will it arrive?", "wismo.eta", 0.85),
        ("what's the ETA", "wismo.eta", 0.85),
        ("delivery date?", "wismo.eta", 0.85),
    ],
)
def test_english_wismo(
    classifier: RuleClassifier, text: str, intent: str, confidence: float
) -> None:
    result = classifier.classify(text)
    assert (result.intent, result.wismo, result.confidence, result.language) == (
        intent,
        True,
        confidence,
        "en",
    )


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("¿Dónde está mi pedido?", "wismo.status", "es"),
        ("No he recibido mi pedido", "wismo.not_received", "es"),
        ("Où est ma commande ?", "wismo.status", "fr"),
        ("Je n'ai pas reçu mon colis", "wismo.not_received", "fr"),
        ("Ma commande est en retard", "wismo.delayed", "fr"),
        ("Wo ist meine Bestellung?", "wismo.status", "de"),
        ("Mein Paket ist nicht angekommen", "wismo.not_received", "de"),
        ("Wann kommt mein Paket?", "wismo.eta", "de"),
        ("Onde está o meu pedido?", "wismo.status", "pt"),
        ("Não recebi a minha encomenda", "wismo.not_received", "pt"),
        ("Qual é o código de rastreio?", "wismo.tracking", "pt"),
    ],
)
def test_other_languages(classifier: RuleClassifier, text: str, intent: str, language: str) -> None:
    result = classifier.classify(text)
    assert (result.intent, result.wismo, result.language) == (intent, True, language)


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("I want to speak to a human", "human_request", 0.9),
        ("can I talk with an agent please", "human_request", 0.9),
        ("Quiero hablar con una persona", "human_request", 0.9),
        ("The mug arrived broken", "damaged_or_wrong_item", 0.85),
        ("you sent the wrong size", "damaged_or_wrong_item", 0.85),
        ("I want a refund", "refund", 0.85),
        ("Je veux être remboursé", "refund", 0.85),
        ("please cancel my order", "cancel", 0.85),
        ("Bitte stornieren", "cancel", 0.85),
        ("how do I return it?", "return", 0.8),
        ("I need to change my address", "change_order", 0.8),
        ("do you have this in blue", "product_question", 0.7),
        ("I was charged twice", "payment_billing", 0.75),
        ("I forgot my password", "account", 0.75),
        ("this is unacceptable", "complaint_other", 0.6),
        ("thanks!", "greeting_thanks", 0.8),
        ("Thank you", "greeting_thanks", 0.8),
        ("hi", "greeting_thanks", 0.8),
        ("Hello!", "greeting_thanks", 0.8),
        ("Bonjour", "greeting_thanks", 0.8),
    ],
)
def test_non_wismo_intents(
    classifier: RuleClassifier, text: str, intent: str, confidence: float
) -> None:
    result = classifier.classify(text)
    assert (result.intent, result.wismo, result.confidence) == (intent, False, confidence)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Where is my order? I want to talk to a real person", "human_request"),
        ("where is my order, it arrived damaged", "damaged_or_wrong_item"),
        ("it's late, I want a refund", "refund"),
        ("cancel it, it's taking too long", "cancel"),
        ("thanks, where is my order?", "wismo.status"),
        ("hi, my parcel is late", "wismo.delayed"),
    ],
)
def test_first_matching_rule_wins(classifier: RuleClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


def test_greeting_must_be_the_whole_message(classifier: RuleClassifier) -> None:
    assert classifier.classify("hi there, I have a question about shoes").intent == "other"


def test_words_inside_other_words_do_not_match(classifier: RuleClassifier) -> None:
    # "beta" contains "eta", "latency" contains "late", "scancel" contains "cancel".
    for text in ("I'm a beta tester", "latency issues", "scancel"):
        result = classifier.classify(text)
        assert (result.intent, result.wismo, result.confidence) == ("other", False, 0.3), text


def test_tracking_number_alone_is_probably_wismo(classifier: RuleClassifier) -> None:
    result = classifier.classify(UPS)
    assert result == Result(
        intent="wismo.status",
        wismo=True,
        confidence=0.6,
        language="en",
        entities=Entities(tracking_numbers=[TrackingRef(number=UPS, carrier="UPS")]),
    )


def test_order_number_with_a_parcel_word(classifier: RuleClassifier) -> None:
    result = classifier.classify("package #1001")
    assert (result.intent, result.wismo, result.confidence) == ("wismo.status", True, 0.6)
    assert result.entities.order_numbers == ["1001"]


def test_order_number_alone_is_a_weak_guess(classifier: RuleClassifier) -> None:
    result = classifier.classify("#1001")
    assert (result.intent, result.wismo, result.confidence) == ("wismo.status", True, 0.45)
    assert result.entities.order_numbers == ["1001"]


def test_nothing_recognised_is_other_with_low_confidence(classifier: RuleClassifier) -> None:
    result = classifier.classify("what's the weather like")
    assert result == Result("other", False, 0.3, "en", Entities())


def test_email_alone_is_other(classifier: RuleClassifier) -> None:
    result = classifier.classify("alice@example.com")
    assert result == Result("other", False, 0.3, "en", Entities(emails=["alice@example.com"]))


def test_expect_order_reads_a_bare_number(classifier: RuleClassifier) -> None:
    assert classifier.classify("1001").entities.order_numbers == []
    result = classifier.classify("1001", expect_order=True)
    assert result.entities.order_numbers == ["1001"]
    assert (result.intent, result.wismo, result.confidence) == ("wismo.status", True, 0.45)


def test_entities_come_with_the_intent(classifier: RuleClassifier) -> None:
    result = classifier.classify("Where is order #1001? I'm alice@example.com, zip 94107")
    assert result.intent == "wismo.status"
    assert result.entities == Entities(
        order_numbers=["1001"], emails=["alice@example.com"], postcodes=["94107"]
    )


def test_language_hint_decides_short_messages(classifier: RuleClassifier) -> None:
    assert classifier.classify("#1001", language_hint="fr").language == "fr"
    assert classifier.classify("merci", language_hint="fr").language == "fr"
    assert classifier.classify("merci").language == "en"
    assert classifier.classify("Where is my order?", language_hint="de").language == "en"
