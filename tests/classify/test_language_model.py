"""The word naive-Bayes language model: training, detection with hints, the .npz round trip."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from router.classify.features import prepare
from router.classify.language import (
    MIN_KNOWN_WORDS,
    MIN_MARGIN,
    LanguageModel,
    detect,
    detect_words,
    grams,
    train_language,
)

CORPUS = {
    # Deliberately not in SUPPORTED order: the model orders languages itself.
    "fr": [
        "ou est ma commande",
        "le colis n'est pas encore arrive",
        "merci pour votre aide",
    ],
    "en": [
        "where is my order",
        "the parcel has not arrived yet",
        "thank you for the help",
    ],
    "es": [
        "donde esta mi pedido",
        "el paquete no ha llegado todavia",
        "gracias por la ayuda",
    ],
}


@pytest.fixture(scope="module")
def model() -> LanguageModel:
    return train_language(CORPUS)


def test_constants() -> None:
    assert MIN_KNOWN_WORDS == 2
    assert MIN_MARGIN == 2.0


def test_grams_drop_placeholders_and_single_letters() -> None:
    assert grams(["a", "my", "xnum", "xurl", "xemail", "xhandle", "#", "?", "ok"]) == ["my", "ok"]


def test_languages_follow_the_supported_order(model: LanguageModel) -> None:
    assert model.languages == ("en", "es", "fr")


def test_unsupported_languages_are_ignored() -> None:
    trained = train_language({"xx": ["zzz yyy"], "de": ["wo ist mein paket"]})
    assert trained.languages == ("de",)
    assert "zzz" not in trained.vocabulary
    assert sorted(trained.vocabulary) == ["ist", "mein", "paket", "wo"]


def test_vocabulary_is_sorted_and_indexed(model: LanguageModel) -> None:
    terms = sorted(model.vocabulary, key=lambda t: model.vocabulary[t])
    assert terms == sorted(terms)
    assert len(model.vocabulary) == 42
    assert model.log_probs.shape == (42, 3)
    assert model.log_probs.dtype == np.float32
    assert "n'est" in model.vocabulary
    assert "a" not in model.vocabulary  # one letter


def test_add_one_smoothing(model: LanguageModel) -> None:
    fr, en = model.languages.index("fr"), model.languages.index("en")
    row = model.vocabulary["colis"]
    # fr has 14 words, en 15; 42 in the vocabulary; +1 for the unseen.
    assert float(model.log_probs[row, fr]) == pytest.approx(math.log(2 / 57), rel=1e-6)
    assert float(model.log_probs[row, en]) == pytest.approx(math.log(1 / 58), rel=1e-6)
    assert float(model.log_probs[model.vocabulary["the"], en]) == pytest.approx(
        math.log(3 / 58), rel=1e-6
    )


def test_min_count_drops_rare_words() -> None:
    trained = train_language(CORPUS, min_count=2)
    assert sorted(trained.vocabulary) == ["the"]


def test_texts_are_prepared_like_messages() -> None:
    trained = train_language({"en": ["My PAKAGE hasnt arived, see https://x.example #1001"]})
    assert sorted(trained.vocabulary) == ["arrived", "hasn't", "my", "package", "see"]


def test_scores_count_known_words_with_repeats(model: LanguageModel) -> None:
    scores, known = model.scores(["pedido", "pedido", "unknown", "xnum", "a"])
    assert known == 2
    assert set(scores) == {"en", "es", "fr"}
    es = model.languages.index("es")
    assert scores["es"] == pytest.approx(2 * float(model.log_probs[model.vocabulary["pedido"], es]))
    assert model.scores([]) == ({"en": 0.0, "es": 0.0, "fr": 0.0}, 0)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my parcel", "en"),
        ("donde esta el paquete", "es"),
        ("où est le colis", "fr"),
    ],
)
def test_clear_text_wins_over_any_hint(model: LanguageModel, text: str, language: str) -> None:
    assert detect(text, model=model) == language
    for hint in ("en", "es", "fr", "fr-CA", "de", None):
        assert detect(text, hint=hint, model=model) == language


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("FR-ca", "fr"),
        ("pt_BR", "pt"),
        ("es-419", "es"),
        ("de-DE-1996", "de"),
        ("ja", "en"),
        ("zh-Hant-TW", "en"),
        ("english", "en"),
    ],
)
def test_fewer_than_two_known_words_keep_the_hint(
    model: LanguageModel, hint: str | None, expected: str
) -> None:
    assert detect("pedido", hint=hint, model=model) == expected  # one known word
    assert detect("zzz qqq 1001", hint=hint, model=model) == expected  # none
    assert detect("", hint=hint, model=model) == expected


def test_a_lead_of_min_margin_overrules_the_hint(model: LanguageModel) -> None:
    # Each Spanish word is twice as likely in Spanish: ln 2 of lead per word.
    assert detect_words(["donde", "esta"], hint="fr", model=model) == "fr"  # 1.39
    assert detect_words(["donde", "esta", "mi"], hint="fr", model=model) == "es"  # 2.08


def test_a_weak_lead_keeps_the_hint(model: LanguageModel) -> None:
    scores, known = model.scores(["ma", "commande"])
    assert known == 2
    assert max(scores, key=lambda lang: scores[lang]) == "fr"
    assert scores["fr"] - scores["en"] < MIN_MARGIN
    assert detect("ma commande", model=model) == "en"
    assert detect("ma commande", hint="fr-CA", model=model) == "fr"
    assert detect("ma commande", hint="es", model=model) == "es"


def hand_model(es_score: float) -> LanguageModel:
    """Two words, English at -3 each, Spanish at `es_score` each."""
    return LanguageModel(
        vocabulary={"uno": 0, "dos": 1},
        log_probs=np.array([[-3.0, es_score], [-3.0, es_score]], dtype=np.float32),
        languages=("en", "es"),
    )


def test_margin_boundary() -> None:
    # A lead of exactly MIN_MARGIN (2 x 1.0) overrules the default; less does not.
    assert detect_words(["uno", "dos"], model=hand_model(-2.0)) == "es"
    assert detect_words(["uno", "dos"], model=hand_model(-2.5)) == "en"
    # With a Spanish hint, English must lead Spanish by MIN_MARGIN in turn.
    assert detect_words(["uno", "dos"], hint="es", model=hand_model(-3.5)) == "es"
    assert detect_words(["uno", "dos"], hint="es", model=hand_model(-4.0)) == "en"


def test_a_hint_the_model_does_not_know_never_holds_the_best_back() -> None:
    weak = LanguageModel(
        vocabulary={"uno": 0, "dos": 1},
        log_probs=np.array([[-3.0, -2.9], [-3.0, -2.9]], dtype=np.float32),
        languages=("es", "fr"),
    )
    # Fallback "en" is not in this model: its score is -inf, so any lead is enough.
    assert detect_words(["uno", "dos"], model=weak) == "fr"
    assert detect_words(["uno", "dos"], hint="es", model=weak) == "es"


def test_detect_equals_detect_words_on_prepared_tokens(model: LanguageModel) -> None:
    for text in ("Où est le colis ?", "the parcel HASNT arived", "pedido 1001"):
        for hint in (None, "fr", "es-MX"):
            assert detect(text, hint=hint, model=model) == detect_words(
                prepare(text).tokens, hint=hint, model=model
            )


def test_save_and_load_round_trip(model: LanguageModel, tmp_path: Path) -> None:
    path = tmp_path / "language.npz"
    model.save(path)
    loaded = LanguageModel.load(path)
    assert loaded.vocabulary == model.vocabulary
    assert loaded.languages == model.languages
    np.testing.assert_array_equal(loaded.log_probs, model.log_probs)
    for text in ("where is my parcel", "ma commande", "pedido", "donde esta el paquete"):
        for hint in (None, "fr-CA"):
            assert detect(text, hint=hint, model=loaded) == detect(text, hint=hint, model=model)


def test_saved_file_needs_no_pickle(model: LanguageModel, tmp_path: Path) -> None:
    path = tmp_path / "language.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["languages", "log_probs", "terms"]
        assert str(data["languages"]) == "en\nes\nfr"
