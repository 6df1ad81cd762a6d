"""Scoring: WISMO precision/recall/F1 per file, entity extraction against gold, JSONL reading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from router.classify.base import Result
from router.classify.entities import EntityExtractor
from router.classify.evaluate import (
    Report,
    Scores,
    evaluate,
    evaluate_extraction,
    latency_summary,
    number_kind,
    read_jsonl,
    result_json,
)
from router.events import Entities, TrackingRef

UPS = "1ZXK3DEG0359083017"  # valid check digit (the demo shop's)


class KeywordClassifier:
    """WISMO when the text says "parcel"; records what it was asked."""

    name = "keyword"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(
        self, text: str, *, language_hint: str | None = None, expect_order: bool = False
    ) -> Result:
        self.seen.append(text)
        wismo = "parcel" in text
        return Result(
            intent="wismo.status" if wismo else "other",
            wismo=wismo,
            confidence=0.8766,
            language="en",
            entities=Entities(),
        )


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- Scores ------------------------------------------------------------------------------------


def test_empty_scores_are_zero_not_an_error() -> None:
    scores = Scores()
    assert (scores.precision, scores.recall, scores.f1) == (0.0, 0.0, 0.0)
    assert scores.as_dict() == {
        "n": 0,
        "positives": 0,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "confusion": {"tp": 0, "fp": 0, "fn": 0, "tn": 0},
    }


def test_scores_math() -> None:
    scores = Scores(tp=3, fp=1, fn=2, tn=4)
    assert scores.precision == 0.75
    assert scores.recall == 0.6
    assert scores.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert scores.as_dict() == {
        "n": 10,
        "positives": 5,
        "precision": 0.75,
        "recall": 0.6,
        "f1": 0.6667,
        "confusion": {"tp": 3, "fp": 1, "fn": 2, "tn": 4},
    }


@pytest.mark.parametrize(
    ("scores", "precision", "recall", "f1"),
    [
        (Scores(tn=5), 0.0, 0.0, 0.0),  # no positives anywhere
        (Scores(fp=2), 0.0, 0.0, 0.0),  # predicted only wrongly
        (Scores(fn=2), 0.0, 0.0, 0.0),  # predicted nothing
        (Scores(tp=2), 1.0, 1.0, 1.0),
        (Scores(tp=1, fp=1), 0.5, 1.0, 2 / 3),
        (Scores(tp=1, fn=3), 1.0, 0.25, 0.4),
    ],
)
def test_scores_zero_divisions_and_edges(
    scores: Scores, precision: float, recall: float, f1: float
) -> None:
    assert scores.precision == pytest.approx(precision)
    assert scores.recall == pytest.approx(recall)
    assert scores.f1 == pytest.approx(f1)


def test_add_fills_the_confusion_matrix() -> None:
    scores = Scores()
    for gold, predicted in [(True, True), (True, False), (False, True), (False, False)] * 2:
        scores.add(gold, predicted)
    scores.add(True, True)
    assert (scores.tp, scores.fp, scores.fn, scores.tn) == (3, 2, 2, 2)


# --- evaluate ----------------------------------------------------------------------------------


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {"text": "where is my parcel", "wismo": 1, "split": "test"},  # tp
            {"text": "my parcel never came", "wismo": True, "split": "train"},  # tp
            {"text": "still nothing", "wismo": 1, "split": "test"},  # fn
            {"text": "parcel tape for sale?", "wismo": 0, "split": "test"},  # fp
            {"text": "refund please", "wismo": 0, "split": "train"},  # tn
            {"text": "hello", "wismo": False},  # tn
            {"text": "parcel? maybe", "wismo": None, "split": "test"},  # skipped
            {"text": "no label at all", "split": "test"},  # skipped
        ],
    )


def test_evaluate_scores_and_skips_null(labelled: Path) -> None:
    classifier = KeywordClassifier()
    report = evaluate(classifier, [labelled])
    assert report.skipped == 2
    assert "parcel? maybe" not in classifier.seen
    assert "no label at all" not in classifier.seen
    assert len(classifier.seen) == 6
    data = report.as_dict()
    assert data["overall"] == {
        "n": 6,
        "positives": 3,
        "precision": 0.6667,
        "recall": 0.6667,
        "f1": 0.6667,
        "confusion": {"tp": 2, "fp": 1, "fn": 1, "tn": 2},
    }
    assert data["by_source"] == {"chat": data["overall"]}
    assert data["skipped_null"] == 2
    assert data["predicted_intents"] == {"wismo.status": 3, "other": 3}
    assert len(report.latencies_ms) == 6
    assert set(data["latency_ms"]) == {"p50", "p99", "max"}
    assert isinstance(data["messages_per_s"], int)
    assert report.errors == []  # keep_errors defaults to 0


def test_evaluate_per_source(labelled: Path, tmp_path: Path) -> None:
    other = write_jsonl(
        tmp_path / "email.jsonl",
        [{"text": "parcel late", "wismo": 1}, {"text": "invoice", "wismo": 1}],
    )
    report = evaluate(KeywordClassifier(), [labelled, other])
    data = report.as_dict()
    assert list(data["by_source"]) == ["chat", "email"]
    assert data["by_source"]["email"]["confusion"] == {"tp": 1, "fp": 0, "fn": 1, "tn": 0}
    assert data["by_source"]["chat"]["confusion"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 2}
    assert data["overall"]["confusion"] == {"tp": 3, "fp": 1, "fn": 2, "tn": 2}


def test_evaluate_split_filter(labelled: Path) -> None:
    classifier = KeywordClassifier()
    report = evaluate(classifier, [labelled], split="test")
    data = report.as_dict()
    assert list(data["by_source"]) == ["chat[test]"]
    assert data["overall"]["confusion"] == {"tp": 1, "fp": 1, "fn": 1, "tn": 0}
    assert report.skipped == 2  # the two unlabelled test rows
    assert classifier.seen == ["where is my parcel", "still nothing", "parcel tape for sale?"]
    assert evaluate(KeywordClassifier(), [labelled], split="nope").as_dict()["overall"]["n"] == 0


def test_keep_errors(labelled: Path) -> None:
    report = evaluate(KeywordClassifier(), [labelled], keep_errors=1)
    assert report.errors == [
        {
            "source": "chat",
            "gold": 1,
            "intent": "other",
            "confidence": 0.877,
            "text": "still nothing",
        }
    ]
    everything = evaluate(KeywordClassifier(), [labelled], keep_errors=10)
    assert [(e["text"], e["gold"]) for e in everything.errors] == [
        ("still nothing", 1),
        ("parcel tape for sale?", 0),
    ]


def test_empty_report() -> None:
    data = Report().as_dict()
    assert data["overall"]["n"] == 0
    assert data["by_source"] == {}
    assert data["latency_ms"] == {"p50": 0.0, "p99": 0.0, "max": 0.0}
    assert data["messages_per_s"] == 0


def test_latency_summary() -> None:
    assert latency_summary([]) == "no messages"
    assert latency_summary([1.0, 2.0, 3.0, 4.0]) == "p50 2.000 ms, p99 4.000 ms, mean 2.500 ms"


# --- read_jsonl --------------------------------------------------------------------------------


def test_read_jsonl_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "a"}\n\n   \n{"text": "b", "x": 1}\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [{"text": "a"}, {"text": "b", "x": 1}]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected an object with a text string"),
        ('{"text": 5}', "expected an object with a text string"),
        ('{"wismo": 1}', "expected an object with a text string"),
        ('"just a string"', "expected an object with a text string"),
    ],
)
def test_read_jsonl_names_the_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "fine"}\n\n' + bad + '\n{"text": "after"}\n', encoding="utf-8")
    rows = read_jsonl(path)
    assert next(rows) == {"text": "fine"}
    with pytest.raises(ValueError, match=f"^{path}:3: {message}"):
        next(rows)


# --- number_kind -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2024-03-05", "date"),
        ("12/03", "date"),
        ("12.03.2024", "date"),
        ("3rd March", "date"),
        ("March 3", "date"),
        ("+1 415 555 0134", "phone"),
        ("415-555-0134", "phone"),
        ("0044 20 7946 0958", "phone"),
        ("CASE-4471", "other"),
        ("98765", "other"),
    ],
)
def test_number_kind(value: str, kind: str) -> None:
    assert number_kind(value) == kind


@pytest.mark.parametrize("value", ["Ticket 5512", "Room 204", "CASE 77"])
def test_a_reference_with_a_word_is_not_a_date(value: str) -> None:
    assert number_kind(value) == "other"


# --- evaluate_extraction -----------------------------------------------------------------------

FOUND = {
    "a": Entities(order_numbers=["1001"], tracking_numbers=[TrackingRef(number=UPS)]),
    "b": Entities(order_numbers=["A2002", "4155550134"]),
    "c": Entities(),
    "d": Entities(order_numbers=["20240305"]),
}


def lookup(text: str) -> Entities:
    return FOUND[text]


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "gold.jsonl",
        [
            # Gold is normalized like the found values: "#", "-" and spaces do not count.
            {"text": "a", "order_numbers": ["#1001"], "tracking_numbers": [f"{UPS[:9]} {UPS[9:]}"]},
            {
                "text": "b",
                "order_numbers": ["a-2002"],
                "other_numbers": [{"value": "415-555-0134", "kind": "phone"}, "CASE-4471"],
            },
            {"text": "c", "tracking_numbers": ["9400 1114 2366 7127 6842 62"]},
            {"text": "d", "other_numbers": ["2024-03-05", {"value": "98765"}]},
        ],
    )


def test_evaluate_extraction_counts(gold: Path) -> None:
    report = evaluate_extraction(lookup, gold)
    assert report.rows == 4
    assert (report.orders.tp, report.orders.fp, report.orders.fn) == (2, 2, 0)
    assert (report.tracking.tp, report.tracking.fp, report.tracking.fn) == (1, 0, 1)
    data = report.as_dict()
    assert data["order_numbers"] == {"gold": 2, "found": 4, "precision": 0.5, "recall": 1.0}
    assert data["tracking_numbers"] == {"gold": 2, "found": 1, "precision": 1.0, "recall": 0.5}
    assert data["rows"] == 4
    assert set(data["latency_ms"]) == {"p50", "p99"}


def test_other_numbers_taken_are_counted_by_kind(gold: Path) -> None:
    data = evaluate_extraction(lookup, gold).as_dict()
    assert data["other_numbers"] == {
        "gold": 4,
        "gold_by_kind": {"phone": 1, "other": 2, "date": 1},
        "taken_as_order_or_tracking": 2,
        "taken_by_kind": {"phone": 1, "date": 1},
    }


def test_mistakes_are_kept_up_to_the_limit(gold: Path) -> None:
    assert evaluate_extraction(lookup, gold).mistakes == []
    report = evaluate_extraction(lookup, gold, keep_mistakes=2)
    assert report.mistakes == [
        {
            "text": "b",
            "gold_orders": ["A2002"],
            "found_orders": ["4155550134", "A2002"],
            "gold_tracking": [],
            "found_tracking": [],
        },
        {
            "text": "c",
            "gold_orders": [],
            "found_orders": [],
            "gold_tracking": ["9400111423667127684262"],
            "found_tracking": [],
        },
    ]
    assert len(evaluate_extraction(lookup, gold, keep_mistakes=10).mistakes) == 3


def test_evaluate_extraction_with_the_real_extractor(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {"text": "where is order 1001?", "order_numbers": ["1001"]},
            {"text": f"UPS says {UPS} is stuck", "tracking_numbers": [UPS]},
            {
                "text": "call me on +1 415 555 0134 about #1002",
                "order_numbers": ["1002"],
                "other_numbers": ["+1 415 555 0134"],
            },
        ],
    )
    data = evaluate_extraction(EntityExtractor().extract, path).as_dict()
    assert data["order_numbers"] == {"gold": 2, "found": 2, "precision": 1.0, "recall": 1.0}
    assert data["tracking_numbers"] == {"gold": 1, "found": 1, "precision": 1.0, "recall": 1.0}
    assert data["other_numbers"]["gold_by_kind"] == {"phone": 1}
    assert data["other_numbers"]["taken_as_order_or_tracking"] == 0


def test_result_json() -> None:
    result = Result(
        intent="wismo.tracking",
        wismo=True,
        confidence=0.912345,
        language="de",
        entities=Entities(order_numbers=["1001"], tracking_numbers=[TrackingRef(number=UPS)]),
    )
    assert result_json(result) == {
        "wismo": True,
        "intent": "wismo.tracking",
        "confidence": 0.9123,
        "language": "de",
        "entities": {
            "order_numbers": ["1001"],
            "tracking_numbers": [{"number": UPS, "carrier": None}],
            "emails": [],
            "phones": [],
            "postcodes": [],
        },
    }
