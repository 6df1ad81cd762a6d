"""`wismo train` on tiny folders: artifacts, metadata, held-out splits, reproducibility.

train() reads the project's own training folder (router/classify/training, ~8,000 rows); the
tests point it at a tiny folder written here: a few dozen rows per label.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import router.classify.train as train_module
from router.classify.base import INTENTS, WISMO_INTENTS
from router.classify.classifier import ModelClassifier
from router.classify.language import LanguageModel
from router.classify.model import IntentModel
from router.classify.train import (
    CAPS,
    NB_POWER,
    NB_SMOOTHING,
    OWN_WEIGHT,
    PUBLIC_WEIGHT,
    SEED,
    Example,
    augment,
    fit_wismo_head,
    nb_scale,
    own_examples,
    project_examples,
    public_examples,
    surface,
    train,
)

# --- tiny data ---------------------------------------------------------------------------------

BASES: dict[str, list[str]] = {
    "wismo.status": [
        "where is my order",
        "any news on my parcel",
        "has my package shipped yet",
        "what is the status of my delivery",
    ],
    "wismo.eta": [
        "when will my order arrive",
        "how long until my parcel gets here",
        "what day will my package be delivered",
        "when should I expect the delivery",
    ],
    "wismo.delayed": [
        "my order is late",
        "the parcel is stuck and not moving",
        "my delivery is delayed again",
        "still waiting for my package after a week",
    ],
    "wismo.not_received": [
        "my order never arrived",
        "tracking says delivered but no parcel",
        "I have not received my package",
        "the courier never came with my delivery",
    ],
    "wismo.tracking": [
        "can I have the tracking number",
        "my tracking link does not work",
        "send me the tracking code for my parcel",
        "the tracking page shows nothing",
    ],
    "refund": [
        "I want a refund",
        "when do I get my money back",
        "has my refund been processed",
        "please refund the jumper",
    ],
    "return": [
        "how do I return this",
        "I need a return label",
        "can I send the shoes back",
        "I want to return the coat",
    ],
    "cancel": [
        "please cancel my order",
        "I want to cancel the purchase",
        "cancel it before it ships",
        "how do I cancel",
    ],
    "change_order": [
        "can I change my delivery address",
        "I need to change the size",
        "update my shipping address please",
        "add a second mug to my basket",
    ],
    "damaged_or_wrong_item": [
        "the glass arrived broken",
        "you sent the wrong colour",
        "the box was crushed and the lamp is damaged",
        "a part is missing from the kit",
    ],
    "product_question": [
        "do you have this in blue",
        "is the sofa in stock",
        "what size should I get",
        "is this available in large",
    ],
    "payment_billing": [
        "I was charged twice",
        "my payment was declined",
        "can I get an invoice",
        "the promo code did not work",
    ],
    "account": [
        "I forgot my password",
        "I cannot log in",
        "please delete my account",
        "I am locked out of my account",
    ],
    "human_request": [
        "can I talk to a human",
        "I want a real person",
        "let me speak to an agent",
        "please call me back",
    ],
    "complaint_other": [
        "your service is terrible",
        "I waited on hold for an hour",
        "the driver was rude to me",
        "nobody answers my emails",
    ],
    "greeting_thanks": [
        "thank you so much",
        "hello",
        "thanks for the help",
        "cheers, all sorted",
    ],
    "other": [
        "what is the weather tomorrow",
        "tell me a joke",
        "do you like music",
        "what time is it in tokyo",
    ],
}
PREFIXES = ["", "hi, ", "hello team, ", "@ShopHelp "]
SPANISH = {
    "wismo.status": ["donde esta mi pedido", "donde esta mi paquete"],
    "refund": ["quiero un reembolso", "quiero el reembolso de mi pedido"],
}
FRENCH = {
    "wismo.status": ["ou est ma commande", "ou est mon colis"],
    "cancel": ["j'annule ma commande", "annuler la commande svp"],
}


def project_rows() -> list[dict[str, str]]:
    rows = [
        {"text": prefix + base, "intent": intent, "lang": "en"}
        for intent, bases in BASES.items()
        for base in bases
        for prefix in PREFIXES
    ]
    for lang, table in (("es", SPANISH), ("fr", FRENCH)):
        for intent, texts in table.items():
            rows += [
                {"text": prefix + text, "intent": intent, "lang": lang}
                for text in texts
                for prefix in ("", "hola ", "bonjour ")
            ]
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.write("\n")  # a blank line is skipped


BITEXT: list[dict[str, Any]] = [
    {"text": "where is my order", "intent": "track_order"},
    {"text": "track my purchase please", "intent": "track_order"},
    {"text": "I want to follow my order", "intent": "track_order"},
    {"text": "cancel my order", "intent": "cancel_order"},
    {"text": "I need to cancel an order", "intent": "cancel_order"},
    {"text": "help me cancel my purchase", "intent": "cancel_order"},
    {"text": "how to cancel order", "intent": "cancel_order"},
    {"text": "I want my money back", "intent": "get_refund"},
    {"text": "get a refund", "intent": "get_refund"},
    {"text": "refund me", "intent": "get_refund"},
    {"text": "sign me up for the newsletter", "intent": "newsletter_subscription"},
]
CLINC: list[dict[str, Any]] = [
    {"text": "what is the status of my order", "intent": "order_status", "split": "train"},
    {"text": "has my order shipped", "intent": "order_status", "split": "train"},
    {"text": "hello there", "intent": "greeting", "split": "train"},
    {"text": "thank you", "intent": "thank_you", "split": "train"},
    {"text": "will it rain today", "intent": "weather", "split": "train"},
    {"text": "play some music", "intent": "oos", "split": "oos_train"},
    # Held out for `wismo eval`: never trained on. Their word appears in no other row.
    {"text": "zanzibarqux order status", "intent": "order_status", "split": "test"},
    {"text": "zanzibarqux where is it", "intent": "order_status", "split": "test"},
    {"text": "zanzibarqux hello", "intent": "greeting", "split": "val"},
    {"text": "zanzibarqux rain", "intent": "weather", "split": "oos_test"},
    {"text": "zanzibarqux music", "intent": "oos", "split": "oos_val"},
    {"text": "zanzibarqux no split", "intent": "weather"},
]
HWU: list[dict[str, Any]] = [
    {"text": "where is my food delivery", "intent": "takeaway_query", "wismo": 1},
    {"text": "does the pizza place deliver", "intent": "takeaway_query", "wismo": 0},
    {"text": "set an alarm for seven", "intent": "alarm_set", "wismo": 0},
    {"text": "what is on my calendar", "intent": "calendar_query", "wismo": 0},
]
BANKING: list[dict[str, Any]] = [
    {"text": "I want a refund for this purchase", "intent": "request_refund", "wismo": 0},
    {"text": "my refund is not showing", "intent": "Refund_not_showing_up", "wismo": 0},
    {"text": "where is my new card", "intent": "card_arrival", "wismo": None},
    {"text": "my card was declined", "intent": "declined_card_payment", "wismo": 0},
]
# Rows each family contributes with the default caps: every usable row.
PUBLIC_COUNTS = {"banking77": 3, "bitext": 11, "clinc150": 6, "hwu64": 4}


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("public")
    write_jsonl(folder / "bitext" / "train.jsonl", BITEXT)
    write_jsonl(folder / "clinc150" / "all.jsonl", CLINC)
    write_jsonl(folder / "hwu64" / "hwu64.jsonl", HWU)
    write_jsonl(folder / "banking77" / "banking77.jsonl", BANKING)
    (folder / "README.md").write_text("not a dataset", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("training")
    rows = project_rows()
    write_jsonl(folder / "tiny.jsonl", rows[: len(rows) // 2])
    write_jsonl(folder / "tiny2.jsonl", rows[len(rows) // 2 :])
    (folder / "README.md").write_text("hand-written", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny_project(own: Path) -> Iterator[Path]:
    """train() reads `own` instead of router/classify/training."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module, "TRAINING", own)
        yield own


TrainRun = tuple[Path, dict[str, Any]]


def run(public: Path, out_dir: Path, **options: Any) -> TrainRun:
    out = out_dir / "model" / "intent.npz"
    report = train(public, out=out, **options)
    return out, report


@pytest.fixture(scope="module")
def trained(public: Path, tiny_project: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainRun:
    return run(public, tmp_path_factory.mktemp("run1"), seed=7)


# --- loaders -----------------------------------------------------------------------------------


def test_tiny_project_has_every_label() -> None:
    assert {r["intent"] for r in project_rows()} == set(INTENTS)


def test_project_examples_read_every_jsonl_file(own: Path) -> None:
    examples = project_examples(own)
    assert len(examples) == len(project_rows())
    assert {e.source for e in examples} == {"project/tiny", "project/tiny2"}
    assert {e.weight for e in examples} == {3.0}
    assert {e.lang for e in examples} == {"en", "es", "fr"}


def test_project_examples_reject_an_unknown_intent(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "bad.jsonl", [{"text": "hi", "intent": "greeting", "lang": "en"}])
    with pytest.raises(ValueError, match=r"bad\.jsonl: unknown intent 'greeting'"):
        project_examples(tmp_path)


def test_public_examples_map_intents_and_hold_out_clinc_test(public: Path) -> None:
    examples = public_examples(public, random.Random(1))
    by_text = {e.text: (e.intent, e.source) for e in examples}
    assert not any("zanzibarqux" in e.text for e in examples)
    assert "where is my new card" not in by_text  # banking77 wismo=null
    assert by_text["where is my order"] == ("wismo.status", "bitext")
    assert by_text["cancel my order"] == ("cancel", "bitext")
    assert by_text["get a refund"] == ("refund", "bitext")
    assert by_text["sign me up for the newsletter"] == ("other", "bitext")
    assert by_text["what is the status of my order"] == ("wismo.status", "clinc150")
    assert by_text["hello there"] == ("greeting_thanks", "clinc150")
    assert by_text["thank you"] == ("greeting_thanks", "clinc150")
    assert by_text["will it rain today"] == ("other", "clinc150")
    assert by_text["play some music"] == ("other", "clinc150")
    assert by_text["where is my food delivery"] == ("wismo.status", "hwu64")
    assert by_text["does the pizza place deliver"] == ("product_question", "hwu64")
    assert by_text["set an alarm for seven"] == ("other", "hwu64")
    assert by_text["my refund is not showing"] == ("refund", "banking77")
    assert by_text["my card was declined"] == ("other", "banking77")
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.source] = counts.get(e.source, 0) + 1
    assert counts == PUBLIC_COUNTS


def test_public_caps_per_intent_and_four_times_for_wismo(public: Path) -> None:
    caps = {"bitext": 1, "clinc150": 1, "hwu64": 1, "banking77": 1}
    examples = public_examples(public, random.Random(1), caps)
    bitext = [e.intent for e in examples if e.source == "bitext"]
    # track_order (WISMO, cap 4): all 3; cancel, refund, newsletter: 1 each.
    assert sorted(bitext) == ["cancel", "other", "refund", *["wismo.status"] * 3]
    clinc = [e.intent for e in examples if e.source == "clinc150"]
    assert sorted(clinc) == sorted(
        ["wismo.status", "wismo.status", "greeting_thanks", "greeting_thanks", "other", "other"]
    )


def test_public_examples_are_reproducible(public: Path) -> None:
    assert public_examples(public, random.Random(5)) == public_examples(public, random.Random(5))


def test_own_examples_take_labelled_rows_and_skip_the_rest(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "shop.jsonl",
        [
            {"text": "parcel?", "wismo": True, "intent": None, "language": "en"},
            {"text": "refund pls", "wismo": None, "intent": "refund"},
            {"text": "hi", "wismo": False},
            {"text": "not labelled yet", "wismo": None, "intent": None},
        ],
    )
    (tmp_path / "more.jsonl").write_text('\n{"text": "wo bleibt es", "wismo": 1}\n\n')
    examples = own_examples([tmp_path / "shop.jsonl", tmp_path / "more.jsonl"])
    assert [(e.text, e.intent, e.source) for e in examples] == [
        ("parcel?", "wismo.status", "own/shop"),
        ("refund pls", "refund", "own/shop"),
        ("hi", "other", "own/shop"),
        ("wo bleibt es", "wismo.status", "own/more"),
    ]
    assert {e.weight for e in examples} == {OWN_WEIGHT}
    assert [e.lang for e in examples] == ["en", "", "", ""]


def test_own_examples_name_the_file_and_line_of_a_wrong_row(tmp_path: Path) -> None:
    rows: list[dict[str, Any]] = [{"text": "ok", "wismo": 1}, {"text": "x", "intent": "nope"}]
    write_jsonl(tmp_path / "shop.jsonl", rows)
    with pytest.raises(ValueError, match=r"^shop\.jsonl:2: .*unknown intent 'nope'"):
        own_examples([tmp_path / "shop.jsonl"])
    (tmp_path / "broken.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match=r"^broken\.jsonl:1: "):
        own_examples([tmp_path / "broken.jsonl"])


def test_augment_and_surface_are_seeded() -> None:
    example = Example("where is my parcel, it is late", "wismo.delayed", "project/en", 3.0)
    first = [augment(example, random.Random(s)) for s in range(20)]
    again = [augment(example, random.Random(s)) for s in range(20)]
    assert first == again
    assert all(a.intent == "wismo.delayed" for a in first)
    assert all(a.source == "project/en+aug" for a in first)
    assert all(a.weight == pytest.approx(2.1) for a in first)
    assert len({a.text for a in first}) > 1
    assert surface("Hello, World.", random.Random(3)) == surface("Hello, World.", random.Random(3))


def test_nb_scale_weighs_features_by_how_unevenly_they_split_the_classes() -> None:
    from scipy.sparse import csr_matrix

    # Columns: "parcel" (WISMO rows only), "the" (everywhere), "refund" (other rows only),
    # "late" (once on each side, but the WISMO row weighs 3). Values are TF-IDF-like:
    # only presence counts.
    matrix = csr_matrix(
        np.array(
            [
                [0.7, 0.2, 0.0, 0.5],
                [0.9, 0.4, 0.0, 0.0],
                [0.0, 0.3, 0.8, 0.6],
                [0.0, 0.1, 0.6, 0.0],
            ]
        )
    )
    positive = np.array([True, True, False, False])
    weights = np.array([3.0, 1.0, 1.0, 1.0])
    scale = nb_scale(matrix, positive, weights)
    pos = np.array([4.0, 4.0, 0.0, 3.0]) + NB_SMOOTHING
    neg = np.array([0.0, 2.0, 2.0, 1.0]) + NB_SMOOTHING
    ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
    assert scale == pytest.approx(np.abs(ratio) ** NB_POWER)
    # Class-specific words get the largest scale, the evenly spread word the smallest.
    assert scale[0] > scale[1]
    assert scale[2] > scale[1]
    assert np.all(scale >= 0)
    assert matrix[0, 0] == pytest.approx(0.7)  # the input is not changed


def test_the_wismo_head_scores_plain_features_as_the_scaled_fit_does() -> None:
    from scipy.sparse import csr_matrix, diags
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    dense = rng.random((40, 6)) * (rng.random((40, 6)) < 0.5)
    positive = dense[:, 0] + dense[:, 1] > dense[:, 2] + dense[:, 3]
    weights = np.where(positive, 3.0, 1.0)
    matrix = csr_matrix(dense)
    head = fit_wismo_head(matrix, positive, weights, 1.0, text_columns=4)
    scale = nb_scale(matrix, positive, weights)
    scale[4:] = 1.0  # the last two columns stand for cues: not scaled
    reference = LogisticRegression(C=1.0, max_iter=3000).fit(
        matrix @ diags(scale), positive, sample_weight=weights
    )
    scaled = reference.decision_function(matrix @ diags(scale))
    # Plain features in, the scaled fit's scores out: the scale lives in the weights.
    assert head.decision_function(matrix) == pytest.approx(scaled, rel=1e-6)
    plain = LogisticRegression(C=1.0, max_iter=3000).fit(matrix, positive, sample_weight=weights)
    assert not np.allclose(plain.decision_function(matrix), scaled)


# --- training ----------------------------------------------------------------------------------


def test_artifacts_are_written(trained: TrainRun) -> None:
    out, report = trained
    assert out.is_file()
    assert (out.parent / "language.npz").is_file()
    assert report["artifact_bytes"] == out.stat().st_size
    assert report["seconds"] >= 0


def test_metadata_records_the_settings(trained: TrainRun) -> None:
    out, report = trained
    metadata = IntentModel.load(out).metadata
    assert metadata["trained_at_seed"] == 7
    assert metadata["version"] == "s7"
    assert metadata["ngram_sizes"] == []
    assert metadata["caps"] == CAPS
    assert metadata["c"] == 4.0
    assert metadata["c_wismo"] == 1.0
    assert metadata["public_weight"] == PUBLIC_WEIGHT
    assert metadata["nb_power"] == NB_POWER
    assert set(metadata["holdout_wismo"]) == {"precision", "recall", "f1"}
    assert 0.3 <= metadata["temperature"] <= 4.0
    assert 0.3 <= metadata["wismo_temperature"] <= 4.0
    # The report is the metadata plus the run's time and size.
    assert {k: v for k, v in report.items() if k not in ("seconds", "artifact_bytes")} == metadata


def test_every_example_is_counted_and_clinc_test_rows_are_not_used(trained: TrainRun) -> None:
    out, _ = trained
    model = IntentModel.load(out)
    metadata = model.metadata
    own_rows = len(project_rows())
    half = own_rows // 2
    assert metadata["by_source"] == {
        **PUBLIC_COUNTS,
        "project/tiny": 3 * half,  # each row and two augmented copies
        "project/tiny2": 3 * (own_rows - half),
    }
    assert metadata["examples"] == sum(PUBLIC_COUNTS.values()) + 3 * own_rows
    assert sum(metadata["by_intent"].values()) == metadata["examples"]
    assert set(metadata["by_intent"]) == set(INTENTS)
    # The held-out word is in six CLINC rows (test/val/no split): not one made the vocabulary.
    assert not any("zanzibarqux" in term for term in model.vocabulary)


def test_the_model_has_every_intent_and_both_blocks(trained: TrainRun) -> None:
    out, _ = trained
    model = IntentModel.load(out)
    assert set(model.classes) == set(INTENTS)
    assert model.weights.shape == (
        len(model.vocabulary) + len(model.cue_vocabulary),
        len(INTENTS) + 1,
    )
    assert model.intercept.shape == (len(INTENTS) + 1,)
    assert model.idf.shape == (len(model.vocabulary),)
    assert all(t.startswith(("w:", "b:")) for t in model.vocabulary)
    assert all(t.startswith(("r:", "c:", "e:", "s:")) for t in model.cue_vocabulary)
    assert {"r:wismo.status+parcel", "c:parcel"} <= set(model.cue_vocabulary)
    assert model.metadata["features"] == len(model.vocabulary)
    assert model.metadata["cues"] == len(model.cue_vocabulary)


def test_the_language_model_knows_the_training_languages(trained: TrainRun) -> None:
    out, _ = trained
    language = LanguageModel.load(out.parent / "language.npz")
    assert language.languages == ("en", "es", "fr")
    assert {"pedido", "commande", "parcel"} <= set(language.vocabulary)


def test_the_trained_model_classifies(trained: TrainRun) -> None:
    out, _ = trained
    classifier = ModelClassifier.load(out)
    assert classifier.name == "intent-linear@s7"
    assert classifier.language is not None
    wismo = classifier.classify("hi, where is my order")
    assert wismo.wismo is True
    assert wismo.intent in WISMO_INTENTS
    other = classifier.classify("I forgot my password")
    assert other.wismo is False
    assert other.intent == "account"
    assert classifier.classify("donde esta mi pedido").language == "es"


def test_same_seed_same_weights(
    public: Path, tiny_project: Path, trained: TrainRun, tmp_path: Path
) -> None:
    first, _ = trained
    second, _ = run(public, tmp_path, seed=7)
    a, b = IntentModel.load(first), IntentModel.load(second)
    assert a.vocabulary == b.vocabulary
    assert a.cue_vocabulary == b.cue_vocabulary
    assert a.classes == b.classes
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.intercept, b.intercept)
    assert np.array_equal(a.idf, b.idf)
    assert a.temperature == b.temperature
    assert a.metadata == b.metadata
    la = LanguageModel.load(first.parent / "language.npz")
    lb = LanguageModel.load(second.parent / "language.npz")
    assert np.array_equal(la.log_probs, lb.log_probs)


def test_another_seed_other_weights(
    public: Path, tiny_project: Path, trained: TrainRun, tmp_path: Path
) -> None:
    first, _ = trained
    other, report = run(public, tmp_path, seed=8)
    assert report["trained_at_seed"] == 8
    assert not np.array_equal(IntentModel.load(first).weights, IntentModel.load(other).weights)


def test_a_shops_own_labels_teach_the_model_its_words(
    public: Path, tiny_project: Path, trained: TrainRun, tmp_path: Path
) -> None:
    """A word only this shop's customers use ("flumox", its parcel locker) is WISMO once the
    shop's people have labelled a few of its messages, and not before."""
    rows = [
        {"text": f"{lead} flumox {tail}", "wismo": True}
        for lead in ("my", "the", "any news on the", "still no")
        for tail in ("?", "pls", "today", "yet", "!!")
    ]
    write_jsonl(tmp_path / "labels" / "shop.jsonl", [*rows, {"text": "hi", "wismo": None}])
    out, report = run(public, tmp_path, seed=7, own=[tmp_path / "labels" / "shop.jsonl"])
    assert report["by_source"]["own/shop"] == len(rows)
    assert ModelClassifier.load(out).classify("flumox").wismo is True
    assert ModelClassifier.load(trained[0]).classify("flumox").wismo is False


def test_options_are_recorded_and_used(public: Path, tiny_project: Path, tmp_path: Path) -> None:
    caps = {"bitext": 1, "clinc150": 1, "hwu64": 1, "banking77": 1}
    out, _ = run(
        public, tmp_path, seed=3, sizes=(3, 4), caps=caps, c=2.0, c_wismo=0.5, public_weight=0.5
    )
    model = IntentModel.load(out)
    assert model.metadata["ngram_sizes"] == [3, 4]
    assert model.metadata["caps"] == caps
    assert model.metadata["c"] == 2.0
    assert model.metadata["c_wismo"] == 0.5
    assert model.metadata["public_weight"] == 0.5
    assert model.metadata["by_source"]["bitext"] == 6
    assert model.metadata["by_source"]["clinc150"] == 6
    # Character n-grams of the sizes asked for, and none of other sizes.
    grams = [t for t in model.vocabulary if not t.startswith(("w:", "b:"))]
    assert grams
    assert {len(t) for t in grams} == {3, 4}
    classifier = ModelClassifier.load(out)
    assert classifier.sizes == (3, 4)
    assert classifier.classify("where is my order").intent in INTENTS


def test_default_seed() -> None:
    assert SEED == 20261126
