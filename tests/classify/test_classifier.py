"""The shipped classifier: any input in, a valid Result out; clear messages classified right."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pydantic
import pytest

from router.classify import load_classifier
from router.classify.base import INTENTS, WISMO_INTENTS, Result
from router.classify.classifier import MAX_TEXT_CHARS, MODEL_PATH, ModelClassifier, clean
from router.classify.evaluate import result_json
from router.classify.language import SUPPORTED
from router.classify.model import IntentModel
from router.events import Entities
from router.settings import ClassifierSettings

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def classifier() -> ModelClassifier:
    return ModelClassifier.load()


def assert_valid(result: Result) -> None:
    assert isinstance(result, Result)
    assert result.intent in INTENTS
    assert isinstance(result.wismo, bool)
    assert result.intent.startswith("wismo.") is result.wismo
    assert 0.5 <= result.confidence <= 1.0
    assert round(result.confidence, 4) == result.confidence
    assert result.language in SUPPORTED
    assert isinstance(result.entities, Entities)
    # What `wismo classify` writes must encode: no lone surrogate may leak into the output.
    json.dumps(result_json(result), ensure_ascii=False).encode("utf-8")


def test_the_shipped_model_loads_with_its_language_model(classifier: ModelClassifier) -> None:
    assert classifier.language is not None
    assert set(classifier.model.classes) == set(INTENTS)
    assert classifier.name == f"intent-linear@{classifier.model.metadata['version']}"
    assert classifier.wismo_threshold == 0.5
    assert classifier.sizes == ()


# --- bad input ---------------------------------------------------------------------------------

_rng = random.Random(20261127)
RANDOM_BYTES = bytes(_rng.randrange(256) for _ in range(4000)).decode("latin-1")

BAD_INPUTS = {
    "empty": "",
    "spaces": "   ",
    "whitespace": "\n\t\r\n  \u00a0\u2003",
    "100 KB": "where is my order " * 5_800,
    "100 KB one word": "a" * 100_000,
    "100 KB digits": "1 " * 50_000,
    "random bytes as latin-1": RANDOM_BYTES,
    "lone surrogate": "\ud800",
    "surrogates inside text": "where \udfff is my order \ud800 #1001",
    "control characters": "\x00\x01\x02\x07\x08\x0b\x0c\x1b\x7f where is it\x00",
    "emoji only": "😡😡😡",
    "mixed scripts": "我的订单在哪里 где мой заказ where is my order مرحبا",
    "html": "<div><script>alert(1)</script></div>",
    "html with text": "<p>where is <b>my order</b> #1001?</p>",
    "5,000 lines": "\n".join(f"line {i}: still waiting" for i in range(5000)),
    "bidi and zero width": "\u202e\u200b\ufeff\u2066",
    "only punctuation": "?!?!?!... ### $$$",
    "only numbers": "1001 2002 3003",
    "json-looking": '{"text": "where is my order"}',
    "very long word": "x" * 30_000 + " refund",
}


@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_yields_a_valid_result(classifier: ModelClassifier, text: str) -> None:
    assert_valid(classifier.classify(text))
    assert_valid(classifier.classify(text, expect_order=True))
    assert_valid(classifier.classify(text, language_hint="fr-CA"))


@pytest.mark.parametrize("hint", ["", "zz", "fr-CA", "pt_BR", "EN", "-", "x" * 300, "\ud800"])
def test_any_language_hint_is_accepted(classifier: ModelClassifier, hint: str) -> None:
    assert_valid(classifier.classify("hello", language_hint=hint))


def test_empty_message_is_not_wismo(classifier: ModelClassifier) -> None:
    result = classifier.classify("")
    assert result.wismo is False
    assert result.language == "en"
    assert result.entities == Entities()


def test_clean_removes_control_characters_and_surrogates_only() -> None:
    assert clean("a\x00b\x1fc\x7fd\ud800e\udfff") == "a b c d e "
    assert clean("tab\tnew\nline\rreturn é 😡") == "tab\tnew\nline\rreturn é 😡"
    assert len(clean("z" * (MAX_TEXT_CHARS + 50))) == MAX_TEXT_CHARS


def test_entities_see_further_than_the_model_but_not_forever(
    classifier: ModelClassifier,
) -> None:
    padding = "blah " * 2000  # 10,000 characters, past what the model reads
    assert classifier.classify(padding + "order 7781").entities.order_numbers == ["7781"]
    far = "blah " * (MAX_TEXT_CHARS // 5) + "order 7781"
    assert classifier.classify(far).entities.order_numbers == []


def test_classify_is_deterministic(classifier: ModelClassifier) -> None:
    text = "my parcel is late, order 1001"
    assert classifier.classify(text) == classifier.classify(text)


def test_expect_order_reads_a_bare_number(classifier: ModelClassifier) -> None:
    assert classifier.classify("1001").entities.order_numbers == []
    assert classifier.classify("1001", expect_order=True).entities.order_numbers == ["1001"]


def _always(intent: str, p_wismo: float) -> ModelClassifier:
    """A model with no features: every message gets `intent`, and P(WISMO) = `p_wismo`."""
    classes = tuple(sorted(INTENTS))
    intercept = np.array([5.0 if c == intent else 0.0 for c in classes] + [0.0], np.float32)
    intercept[-1] = np.log(p_wismo / (1 - p_wismo))
    model = IntentModel(
        vocabulary={},
        idf=np.zeros(0, np.float32),
        cue_vocabulary={},
        weights=np.zeros((0, len(classes) + 1), np.float32),
        intercept=intercept,
        classes=classes,
        temperature=1.0,
        wismo_temperature=1.0,
        metadata={},
    )
    return ModelClassifier(model)


@pytest.mark.parametrize(
    "text", ["#1001 alice@example.com", "#1001", "1001 +1 415 555 0132", "1ZXK3DEG0359083017"]
)
def test_a_bare_order_or_tracking_number_asks_about_that_order(text: str) -> None:
    result = _always("payment_billing", 0.2).classify(text, expect_order=True)
    assert (result.wismo, result.intent, result.confidence) == (True, "wismo.status", 0.9)


@pytest.mark.parametrize(
    "text", ["ok #1001", "invoice #1001", "alice@example.com", "10-4", "👍", ""]
)
def test_words_or_no_reference_leave_the_reading_to_the_model(text: str) -> None:
    result = _always("payment_billing", 0.2).classify(text, expect_order=True)
    assert (result.wismo, result.intent) == (False, "payment_billing")


def test_short_message_follows_the_hint(classifier: ModelClassifier) -> None:
    assert classifier.classify("ok", language_hint="fr-CA").language == "fr"
    assert classifier.classify("ok").language == "en"


# --- clear messages ----------------------------------------------------------------------------

WISMO = [
    "not dlvd after 1 wk",
    "tracking says delivered??",
    "still nothing and it's been 9 days",
    "my oder hasnt arived yet",
    "where is my order #4521",
    "when will my package arrive?",
    "my parcel has been stuck in the depot since Monday",
    "the courier never came, where is my delivery",
    "has my order shipped yet?",
    "can you send me the tracking number for order 5512",
    "where\u2019s my parcel, it was due yesterday",
    "ordered 2 weeks ago and still nothing",
    "I still haven't received my order",
    "tracking hasn't moved in 5 days",
]

NOT_WISMO = [
    "where is my refund? returned the item 2 weeks ago",
    "my flight was delayed 3 hours",
    "how do I reset my password",
    "thanks it arrived",
    "I want to cancel my order",
    "can I speak to a human",
    "I was charged twice",
    "the jumper arrived with a hole in it",
    "hi there",
    "my train is running late again",
    "can I return these shoes",
    "do you ship to Canada?",
    "I haven't received the password reset email",
]


@pytest.mark.parametrize("text", WISMO)
def test_clear_wismo_messages(classifier: ModelClassifier, text: str) -> None:
    result = classifier.classify(text)
    assert result.wismo is True, result
    assert result.intent in WISMO_INTENTS
    assert result.language == "en"


@pytest.mark.parametrize("text", NOT_WISMO)
def test_clear_other_messages(classifier: ModelClassifier, text: str) -> None:
    result = classifier.classify(text)
    assert result.wismo is False, result
    assert result.intent not in WISMO_INTENTS


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("where is my refund? returned the item 2 weeks ago", "refund"),
        ("how do I reset my password", "account"),
        ("I want to cancel my order", "cancel"),
        ("can I speak to a human", "human_request"),
        ("I was charged twice", "payment_billing"),
        ("thanks it arrived", "greeting_thanks"),
        ("can I return these shoes", "return"),
        ("I need to change my address", "change_order"),
        ("when will my package arrive?", "wismo.eta"),
        ("tracking says delivered??", "wismo.not_received"),
    ],
)
def test_clear_intents(classifier: ModelClassifier, text: str, intent: str) -> None:
    assert classifier.classify(text).intent == intent


def read_multilingual() -> list[dict[str, object]]:
    with (DATA / "multilingual.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_multilingual_file_is_as_expected() -> None:
    rows = read_multilingual()
    assert len(rows) == 40
    assert {str(r["lang"]) for r in rows} == {"es", "fr", "de", "pt"}


@pytest.mark.parametrize(
    "row", read_multilingual(), ids=lambda row: f"{row['lang']}-{row['wismo']}"
)
def test_multilingual_messages(classifier: ModelClassifier, row: dict[str, object]) -> None:
    result = classifier.classify(str(row["text"]))
    assert result.wismo is bool(row["wismo"]), result
    assert result.language == row["lang"], result


def test_the_entities_come_with_the_result(classifier: ModelClassifier) -> None:
    result = classifier.classify(
        "order 1001 hasn't arrived, UPS 1ZXK3DEG0359083017, call me on 415-555-0134 "
        "or jo@example.com"
    )
    assert result.wismo is True
    assert result.entities.order_numbers == ["1001"]
    assert [t.number for t in result.entities.tracking_numbers] == ["1ZXK3DEG0359083017"]
    assert result.entities.tracking_numbers[0].carrier == "UPS"
    assert result.entities.phones == ["+14155550134"]
    assert result.entities.emails == ["jo@example.com"]


# --- the shop's own order numbers --------------------------------------------------------------


def test_load_classifier_with_a_shop_order_pattern() -> None:
    settings = ClassifierSettings(order_patterns=[r"\bSO-(?P<n>\d{6})\b"])
    shop = load_classifier(settings)
    result = shop.classify("where is SO-123456 please")
    assert result.entities.order_numbers == ["123456"]
    assert ModelClassifier.load().classify("where is SO-123456 please").entities.order_numbers == []


def test_load_classifier_defaults_to_the_shipped_model() -> None:
    assert load_classifier(ClassifierSettings()).model is ModelClassifier.load(MODEL_PATH).model


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bSO-(\d{6})\b",  # no named group n
        r"\bSO-(?P<number>\d{6})\b",  # wrong group name
        r"\bSO-(?P<n>\d{6}\b",  # not a regex
        r"[",
    ],
)
def test_settings_reject_bad_order_patterns(pattern: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="order pattern"):
        ClassifierSettings(order_patterns=[pattern])


# --- the decision, on a model built by hand ---------------------------------------------------


def hand_model(binary: float, threshold: float | None = None) -> IntentModel:
    """`w:where` pushes the intent head to refund but the binary head to `binary`."""
    classes = ("other", "refund", "wismo.eta", "wismo.status")
    metadata: dict[str, object] = {"version": "hand"}
    if threshold is not None:
        metadata["wismo_threshold"] = threshold
    return IntentModel(
        vocabulary={"w:where": 0},
        idf=np.array([1.0], dtype=np.float32),
        cue_vocabulary={},
        weights=np.array([[0.0, 5.0, 1.0, 2.0, binary]], dtype=np.float32),
        intercept=np.zeros(5, dtype=np.float32),
        classes=classes,
        temperature=1.0,
        wismo_temperature=1.0,
        metadata=metadata,
    )


def test_intent_is_the_best_one_on_the_decided_side() -> None:
    wismo = ModelClassifier(hand_model(binary=2.0)).classify("where")
    assert wismo.wismo is True
    assert wismo.intent == "wismo.status"  # not "refund", the most likely intent overall
    assert wismo.confidence == round(1 / (1 + np.exp(-2.0)), 4)
    other = ModelClassifier(hand_model(binary=-2.0)).classify("where")
    assert other.wismo is False
    assert other.intent == "refund"
    assert other.confidence == round(1 - 1 / (1 + np.exp(2.0)), 4)


def test_threshold_comes_from_the_metadata() -> None:
    model = hand_model(binary=1.0, threshold=0.9)  # p = 0.731
    classifier = ModelClassifier(model)
    assert classifier.name == "intent-linear@hand"
    result = classifier.classify("where")
    assert result.wismo is False
    assert result.confidence == round(1 - 1 / (1 + np.exp(-1.0)), 4)


def test_load_classifier_from_a_configured_model_path(tmp_path: Path) -> None:
    path = tmp_path / "custom.npz"
    hand_model(binary=3.0).save(path)
    classifier = load_classifier(ClassifierSettings(model_path=str(path)))
    assert classifier.name == "intent-linear@hand"
    assert classifier.language is None  # no language.npz beside it: the shipped one is used
    result = classifier.classify("where")
    assert result.intent == "wismo.status"
    assert result.wismo is True
