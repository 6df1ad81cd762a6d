"""Language detection (word naive Bayes, shipped model), with the channel's hint as fallback."""

from __future__ import annotations

import pytest

from router.classify.language import SUPPORTED, LanguageModel, detect


def test_the_shipped_model_knows_every_supported_language() -> None:
    from router.classify.language import MODEL_PATH

    model = LanguageModel.load(MODEL_PATH)
    assert SUPPORTED == ("en", "es", "fr", "de", "pt", "it", "nl")
    assert model.languages == SUPPORTED


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Where is my order? It has not arrived", "en"),
        ("¿Dónde está mi pedido? No ha llegado", "es"),
        ("Où est ma commande ? Je ne l'ai pas reçue", "fr"),
        ("Wo ist meine Bestellung? Das Paket ist noch nicht da", "de"),
        ("Onde está o meu pedido? Não chegou", "pt"),
        ("Dov'è il mio ordine? Non è arrivato", "it"),
        ("Waar is mijn bestelling? Het pakket is nog niet", "nl"),
    ],
)
def test_clear_messages(text: str, language: str) -> None:
    assert detect(text) == language
    # A clear text beats a different hint.
    other = "de" if language != "de" else "fr"
    assert detect(text, hint=other) == language


@pytest.mark.parametrize(("text", "hint"), [("ok", None), ("#1001", None), ("", None)])
def test_no_clues_default_to_english(text: str, hint: str | None) -> None:
    assert detect(text, hint=hint) == "en"


@pytest.mark.parametrize("hint", ["es", "fr", "de", "pt", "it", "nl", "en"])
def test_short_message_follows_a_supported_hint(hint: str) -> None:
    assert detect("#1001", hint=hint) == hint
    assert detect("ok", hint=hint) == hint


def test_unsupported_hint_falls_back_to_english() -> None:
    assert detect("ok", hint="ja") == "en"
    assert detect("ok", hint="") == "en"


def test_one_clue_word_is_not_enough() -> None:
    assert detect("pedido 1001") == "en"
    assert detect("pedido 1001", hint="fr") == "fr"


def test_two_clue_words_win_over_the_default() -> None:
    assert detect("mi pedido 1001") == "es"


def test_hint_wins_a_tie() -> None:
    # "la" and "de" are Spanish and French stopwords alike: 2 each.
    assert detect("la de", hint="fr") == "fr"
    assert detect("la de", hint="es") == "es"


def test_accents_are_ignored() -> None:
    assert detect("não recebi minha encomenda") == "pt"
    assert detect("nao recebi minha encomenda") == "pt"


def test_case_is_ignored() -> None:
    assert detect("WO IST MEINE BESTELLUNG") == "de"


@pytest.mark.parametrize(("hint", "language"), [("fr-CA", "fr"), ("pt-BR", "pt"), ("ES", "es")])
def test_regional_hint_uses_its_primary_language(hint: str, language: str) -> None:
    assert detect("#1001", hint=hint) == language
