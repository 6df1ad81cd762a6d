"""Text → features: folding, normalization, misspelling repair, word and character features."""

from __future__ import annotations

import pytest

from router.classify.features import (
    CANONICAL,
    KEY_WORDS,
    MAX_MODEL_CHARS,
    NGRAM_SIZES,
    analyze,
    fold,
    prepare,
)

# --- fold -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Livré", "livre"),
        ("LIVRÉ", "livre"),
        ("Où est ma commande", "ou est ma commande"),
        ("¿Dónde está mi pedido?", "¿donde esta mi pedido?"),
        ("Rückerstattung", "ruckerstattung"),
        ("Straße", "strasse"),
        ("Não chegou, cadê?", "nao chegou, cade?"),
        ("ÇA VA", "ca va"),
        ("Ñandú", "nandu"),
        ("plain ascii 123 #!", "plain ascii 123 #!"),
    ],
)
def test_fold_drops_case_and_accents(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("hasn\u2019t", "hasn't"),  # right single quotation mark (phones)
        ("\u2018quoted\u2019", "'quoted'"),  # left and right single quotation marks
        ("don\u02bct", "don't"),  # modifier letter apostrophe
        ("it\u00b4s", "it's"),  # acute accent typed as an apostrophe
        ("it`s", "it's"),  # backtick
        ("WHERE\u2019S", "where's"),
    ],
)
def test_fold_turns_curly_apostrophes_into_straight_ones(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_keeps_non_latin_scripts() -> None:
    assert fold("Где мой \u0417\u0410\u041a\u0410\u0417") == "где мой заказ"  # upper case Cyrillic
    assert fold("我的订单") == "我的订单"


# --- prepare: placeholders ---------------------------------------------------------------------


def test_prepare_replaces_urls_emails_handles_and_numbers_by_placeholders() -> None:
    prepared = prepare(
        "@ShopHelp order #1001 from 12/03 cost 12.50, see https://shop.example/t?id=9 "
        "or mail jo.doe+x@example.co.uk"
    )
    assert prepared.tokens == [
        "xhandle",
        "order",
        "#",
        "xnum",
        "from",
        "xnum",
        "cost",
        "xnum",
        "see",
        "xurl",
        "or",
        "mail",
        "xemail",
    ]
    # The folded text keeps the original handle, URL and e-mail (entities read them).
    assert "@shophelp" in prepared.folded
    assert "https://shop.example/t?id=9" in prepared.folded
    assert "jo.doe+x@example.co.uk" in prepared.folded


def test_prepare_www_links_and_mixed_numbers() -> None:
    assert prepare("www.shop.example/x and 2024-03-05 or 10:30").tokens == [
        "xurl",
        "and",
        "xnum",
        "or",
        "xnum",
    ]


def test_prepare_keeps_punctuation_and_currency_tokens() -> None:
    assert prepare("where?! €5 $6 £7").tokens == [
        "where",
        "?",
        "!",
        "€",
        "xnum",
        "$",
        "xnum",
        "£",
        "xnum",
    ]


def test_words_is_the_set_of_tokens() -> None:
    prepared = prepare("late late LATE")
    assert prepared.tokens == ["late", "late", "late"]
    assert prepared.words == frozenset({"late"})


def test_elisions_stay_one_token() -> None:
    assert prepare("j'annule l'adresse").tokens == ["j'annule", "l'adresse"]


# --- prepare: repeats --------------------------------------------------------------------------


def test_prepare_collapses_long_repeats_in_tokens_only() -> None:
    prepared = prepare("soooo late!!!!")
    assert prepared.tokens == ["soo", "late", "!", "!"]
    assert prepared.folded == "soooo late!!!!"  # the cue rules see the text as typed


def test_prepare_keeps_double_letters() -> None:
    assert prepare("soo good").tokens == ["soo", "good"]


# --- prepare: misspellings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("arived", "arrived"),
        ("pakage", "package"),
        ("hasnt", "hasn't"),
        ("havent", "haven't"),
        ("didnt", "didn't"),
        ("recieved", "received"),
        ("dlvd", "delivered"),
        ("pkg", "package"),
        ("parcle", "parcel"),
        ("trakcing", "tracking"),
        ("shiped", "shipped"),
        ("delivred", "delivered"),
        ("refnud", "refund"),
        ("cancle", "cancel"),
        ("adress", "address"),
        ("wheres", "where's"),
        ("ordr", "order"),
        ("stil", "still"),
        ("angekomen", "angekommen"),
        ("livrasion", "livraison"),
    ],
)
def test_misspellings_of_key_words_are_corrected(typed: str, meant: str) -> None:
    prepared = prepare(f"my {typed} now")
    assert prepared.folded == f"my {meant} now"
    assert prepared.tokens == ["my", meant, "now"]


def test_correction_works_after_folding_case_and_apostrophes() -> None:
    assert prepare("My Oder HASNT ARIVED").folded == "my oder hasn't arrived"


@pytest.mark.parametrize(
    "word",
    [
        "were",
        "live",
        "noting",
        "parce",
        "cancer",
        "recover",
        "adores",
        "order",
        "oder",
        "here",
        "where",
        "arrive",
        "arrived",
        "package",
        "packages",
        "deliver",
        "delivery",
        "shipping",
    ],
)
def test_real_words_are_left_alone(word: str) -> None:
    assert prepare(f"it {word} now").folded == f"it {word} now"


# Real words that the generated one-slip variants of key words rewrite anyway.
REWRITTEN_REAL_WORDS = [
    ("estimate", "estimated"),  # "can you estimate when…" (English verb)
    ("command", "commande"),  # English noun, a variant of French "commande"
    ("sipping", "shipping"),
    ("tracing", "tracking"),
    ("paquet", "paquete"),  # French for parcel turned into the Spanish word
    ("recibio", "recibido"),  # Spanish "recibió", folded
]


@pytest.mark.parametrize("word", [word for word, _ in REWRITTEN_REAL_WORDS])
def test_more_real_words_are_left_alone(word: str) -> None:
    assert prepare(f"it {word} now").folded == f"it {word} now"


def test_no_key_word_is_a_misspelling_of_another() -> None:
    assert not set(KEY_WORDS) & set(CANONICAL)


def test_model_text_is_cut_at_max_model_chars() -> None:
    text = "a" * (MAX_MODEL_CHARS - 1) + " refund"
    assert "refund" not in prepare(text).tokens
    assert prepare("refund " + "b" * 5000).tokens[0] == "refund"
    assert len(prepare("c" * 5000).folded) == MAX_MODEL_CHARS


def test_prepare_empty_and_symbols_only() -> None:
    assert prepare("").tokens == []
    assert prepare("").folded == ""
    assert prepare("😡😡😡 ... ---").tokens == []


# --- analyze -----------------------------------------------------------------------------------


def test_analyze_words_and_bigrams_by_default() -> None:
    assert NGRAM_SIZES == ()
    assert analyze(prepare("Where is my order?")) == [
        "w:where",
        "w:is",
        "w:my",
        "w:order",
        "w:?",
        "b:where is",
        "b:is my",
        "b:my order",
        "b:order ?",
    ]


def test_analyze_keeps_repeats() -> None:
    assert analyze(prepare("late late")) == ["w:late", "w:late", "b:late late"]


def test_analyze_empty() -> None:
    assert analyze(prepare("")) == []


def test_analyze_char_ngrams_only_when_sizes_are_given() -> None:
    prepared = prepare("my box")
    without = analyze(prepared)
    assert all(f.startswith(("w:", "b:")) for f in without)
    assert analyze(prepared, (3,)) == [
        *without,
        " my",
        "my ",
        " bo",
        "box",
        "ox ",
    ]


def test_analyze_char_ngrams_several_sizes_skip_placeholders_and_single_letters() -> None:
    prepared = prepare("a ab #1001 @shop")
    assert prepared.tokens == ["a", "ab", "#", "xnum", "xhandle"]
    grams = [f for f in analyze(prepared, (2, 4)) if not f.startswith(("w:", "b:"))]
    assert grams == [" a", "ab", "b ", " ab "]


def test_analyze_char_ngram_longer_than_the_word_yields_nothing() -> None:
    grams = [f for f in analyze(prepare("ok"), (5,)) if not f.startswith(("w:", "b:"))]
    assert grams == []
