"""`wismo classify`, `wismo eval`, `wismo eval-extraction` and `wismo train` from the CLI."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from router.classify.model import IntentModel
from router.cli import main

UPS = "1ZXK3DEG0359083017"  # valid check digit (the demo shop's)
ENTITY_KEYS = {"order_numbers", "tracking_numbers", "emails", "phones", "postcodes"}
OUTPUT_KEYS = {"wismo", "intent", "confidence", "language", "entities"}


def classify(
    lines: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
    assert main(["classify"]) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


# --- classify ----------------------------------------------------------------------------------


def test_classify_one_line_out_per_line_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = classify(
        [
            json.dumps({"id": 1, "text": "where is my order?", "channel": "sms"}),
            json.dumps({"id": 2, "text": "I forgot my password", "meta": {"a": [1, 2]}}),
            json.dumps({"text": "¿dónde está mi pedido? no ha llegado"}, ensure_ascii=False),
        ],
        capsys,
        monkeypatch,
    )
    assert len(rows) == 3
    first, second, third = rows
    assert set(first) == {"id", "text", "channel", *OUTPUT_KEYS}
    assert first["id"] == 1
    assert first["text"] == "where is my order?"
    assert first["channel"] == "sms"
    assert first["wismo"] is True
    assert first["intent"] == "wismo.status"
    assert 0.5 <= first["confidence"] <= 1.0
    assert first["language"] == "en"
    assert set(first["entities"]) == ENTITY_KEYS
    assert second["id"] == 2
    assert second["meta"] == {"a": [1, 2]}
    assert second["wismo"] is False
    assert second["intent"] == "account"
    assert third["text"] == "¿dónde está mi pedido? no ha llegado"
    assert third["language"] == "es"
    assert third["wismo"] is True


def test_classify_writes_the_entities(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = f"order 1001 not arrived, {UPS}, call 415-555-0134 or Jo@Example.com, SW1A 1AA"
    [row] = classify([json.dumps({"text": text})], capsys, monkeypatch)
    assert row["entities"] == {
        "order_numbers": ["1001"],
        "tracking_numbers": [{"number": UPS, "carrier": "UPS"}],
        "emails": ["jo@example.com"],
        "phones": ["+14155550134"],
        "postcodes": ["SW1A 1AA"],
    }
    assert row["wismo"] is True


def test_classify_bad_lines_get_an_error_and_do_not_stop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = classify(
        [
            "{not json",
            json.dumps({"text": "hello"}),
            "[1, 2]",
            json.dumps({"text": 5}),
            json.dumps({"no_text": "x"}),
            '"a string"',
            "",  # blank lines are skipped: no output line
            "   ",
            json.dumps({"text": "my parcel is late"}),
        ],
        capsys,
        monkeypatch,
    )
    assert len(rows) == 7
    assert set(rows[0]) == {"error"}
    assert rows[0]["error"].startswith("Expecting property name")
    assert rows[1]["text"] == "hello"
    assert rows[1]["intent"] == "greeting_thanks"
    for row in rows[2:6]:
        assert row == {"error": "expected an object with a `text` string"}
    assert rows[6]["text"] == "my parcel is late"
    assert rows[6]["wismo"] is True


def test_classify_empty_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert classify([], capsys, monkeypatch) == []


def test_classify_odd_texts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = ["", "😡😡😡", "<div><script>alert(1)</script></div>", "x" * 50_000, "\x00\x07"]
    rows = classify([json.dumps({"text": t}) for t in texts], capsys, monkeypatch)
    assert [r["text"] for r in rows] == texts
    assert all(OUTPUT_KEYS <= set(r) for r in rows)


def test_classify_survives_an_escaped_lone_surrogate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = classify(
        ['{"text": "where is my order \\ud800"}', json.dumps({"text": "hello"})],
        capsys,
        monkeypatch,
    )
    assert len(rows) == 2
    assert rows[1]["text"] == "hello"


def test_classify_with_another_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--model` is honoured: a hand-made model that calls everything a refund."""
    path = tmp_path / "refund.npz"
    IntentModel(
        vocabulary={"w:hello": 0},
        idf=np.array([1.0], dtype=np.float32),
        cue_vocabulary={},
        weights=np.zeros((1, 3), dtype=np.float32),
        intercept=np.array([0.0, 3.0, -3.0], dtype=np.float32),
        classes=("other", "refund"),
        temperature=1.0,
        wismo_temperature=1.0,
        metadata={"version": "refunds"},
    ).save(path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"text": "where is my order"})))
    assert main(["classify", "--model", str(path)]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["intent"] == "refund"
    assert row["wismo"] is False
    assert row["confidence"] == round(1 - 1 / (1 + np.exp(3.0)), 4)


# --- eval --------------------------------------------------------------------------------------


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "mine.jsonl",
        [
            {"text": "where is my order #4521", "wismo": 1, "split": "test"},
            {"text": "my parcel still hasn't arrived", "wismo": 1, "split": "train"},
            {"text": "how do I reset my password", "wismo": 0, "split": "test"},
            {"text": "I want to cancel my order", "wismo": 0, "split": "train"},
            {"text": "hmm", "wismo": None, "split": "test"},
        ],
    )


def test_eval_prints_the_table(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(labelled)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("model intent-linear@")
    assert lines[0].endswith("4 messages scored, 1 with wismo=null skipped")
    assert lines[1].split() == ["source", "n", "pos", "P", "R", "F1", "tp/fp/fn/tn"]
    assert lines[2].split() == ["mine", "4", "2", "1.000", "1.000", "1.000", "2/0/0/2"]
    assert lines[3].split() == ["ALL", "4", "2", "1.000", "1.000", "1.000", "2/0/0/2"]
    assert lines[4].startswith("latency per message")
    assert len(lines) == 5


def test_eval_errors_are_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(
        tmp_path / "wrong.jsonl",
        [
            {"text": "where is my order #4521", "wismo": 0},  # deliberately mislabelled
            {"text": "how do I reset my password", "wismo": 1},  # deliberately mislabelled
            {"text": "I want to cancel my order", "wismo": 0},
        ],
    )
    assert main(["eval", str(path), "--errors", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].split() == ["ALL", "3", "1", "0.000", "0.000", "0.000", "0/1/1/1"]
    errors = [line.split() for line in lines if line.startswith("  ")]
    assert [e[:2] for e in errors] == [["FP", "wismo.status"], ["FN", "account"]]
    assert errors[0][3] == "[wrong]"


def test_eval_missing_file_exits_2(
    labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.jsonl"
    assert main(["eval", str(labelled), str(missing)]) == 2
    captured = capsys.readouterr()
    assert f"no such file: {missing}" in captured.err
    assert captured.out == ""


def test_eval_json(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(labelled), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "overall",
        "by_source",
        "skipped_null",
        "predicted_intents",
        "latency_ms",
        "messages_per_s",
    }
    assert data["overall"]["confusion"] == {"tp": 2, "fp": 0, "fn": 0, "tn": 2}
    assert data["skipped_null"] == 1
    assert list(data["by_source"]) == ["mine"]
    intents = data["predicted_intents"]
    assert sum(intents.values()) == 4
    assert intents["account"] == intents["cancel"] == 1
    assert sum(n for i, n in intents.items() if i.startswith("wismo.")) == 2


def test_eval_split(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(labelled), "--split", "test", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["by_source"]) == ["mine[test]"]
    assert data["overall"]["n"] == 2
    assert data["overall"]["confusion"] == {"tp": 1, "fp": 0, "fn": 0, "tn": 1}
    assert data["skipped_null"] == 1
    assert main(["eval", str(labelled), "--split", "test"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[:2] == ["mine[test]", "2"]


def test_eval_bad_line_is_reported_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "hi", "wismo": 0}\n{oops\n', encoding="utf-8")
    assert main(["eval", str(path)]) == 2
    assert f"{path}:2: not JSON" in capsys.readouterr().err


# --- eval-extraction ---------------------------------------------------------------------------


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {"text": "where is order 1001?", "order_numbers": ["1001"]},
            {"text": f"UPS {UPS} has not moved", "tracking_numbers": [UPS]},
            {"text": "ring me on 415-555-0134", "other_numbers": ["415-555-0134"]},
            {"text": "#1002 and #1003 please", "order_numbers": ["1002"]},
        ],
    )


def test_eval_extraction_prints_precision_and_recall(
    gold: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval-extraction", str(gold), "--mistakes", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{gold}: 4 rows"
    assert lines[1] == ("  order numbers:    gold 2, found 3, precision 0.6667, recall 1.0000")
    assert lines[2] == ("  tracking numbers: gold 1, found 1, precision 1.0000, recall 1.0000")
    assert lines[3] == (
        "  other numbers (phones, dates, ids): 1 {'phone': 1}, taken as order/tracking: 0 {}"
    )
    assert lines[4].startswith("  latency: p50 ")
    assert lines[5] == (
        "  - orders ['1002'] -> ['1002', '1003'], tracking [] -> []: '#1002 and #1003 please'"
    )
    assert len(lines) == 6


def test_eval_extraction_json(gold: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-extraction", str(gold), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(gold)
    assert data["rows"] == 4
    assert data["order_numbers"] == {"gold": 2, "found": 3, "precision": 0.6667, "recall": 1.0}
    assert data["tracking_numbers"] == {"gold": 1, "found": 1, "precision": 1.0, "recall": 1.0}


# --- train -------------------------------------------------------------------------------------


def test_train_without_public_data_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-public"
    out = tmp_path / "model" / "intent.npz"
    assert main(["train", "--public", str(missing), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert f"public data folder not found: {missing}" in captured.err
    assert not out.exists()
    assert not out.parent.exists()


def test_unknown_command_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["classify-everything"])
    assert exit_info.value.code == 2
    assert "usage: wismo" in capsys.readouterr().err


def test_eval_needs_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval"])
    assert exit_info.value.code == 2
