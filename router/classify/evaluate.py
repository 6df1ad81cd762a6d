"""Scoring: WISMO detection on labelled JSONL, entity extraction on gold JSONL.

Used by `wismo eval` and `wismo eval-extraction`; the numbers in docs/classifier.md come from
here. Rows whose `wismo` is null are skipped (ambiguous by the annotator's own account).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from router.classify.base import Classifier, Result
from router.events import Entities


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from exc
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise ValueError(f"{path}:{number}: expected an object with a text string")
                yield row


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, gold: bool, predicted: bool) -> None:
        if gold and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.tp + self.fp + self.fn + self.tn,
            "positives": self.tp + self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "confusion": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
        }


@dataclass
class Report:
    overall: Scores = field(default_factory=Scores)
    by_source: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    intents: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        total_s = sum(ordered) / 1000
        return {
            "overall": self.overall.as_dict(),
            "by_source": {k: v.as_dict() for k, v in sorted(self.by_source.items())},
            "skipped_null": self.skipped,
            "predicted_intents": dict(self.intents.most_common()),
            "latency_ms": {
                "p50": round(_percentile(ordered, 50), 4),
                "p99": round(_percentile(ordered, 99), 4),
                "max": round(ordered[-1], 4) if ordered else 0.0,
            },
            "messages_per_s": round(len(ordered) / total_s) if total_s else 0,
        }


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def evaluate(
    classifier: Classifier,
    paths: Iterable[Path],
    *,
    keep_errors: int = 0,
    split: str | None = None,
) -> Report:
    """WISMO precision/recall/F1 overall and per source file, with per-message latency."""
    report = Report()
    for path in paths:
        source = path.stem if split is None else f"{path.stem}[{split}]"
        for row in read_jsonl(path):
            if split is not None and row.get("split") != split:
                continue
            gold = row.get("wismo")
            if gold is None:
                report.skipped += 1
                continue
            started = time.perf_counter()
            result = classifier.classify(row["text"])
            report.latencies_ms.append((time.perf_counter() - started) * 1000)
            report.overall.add(bool(gold), result.wismo)
            report.by_source[source].add(bool(gold), result.wismo)
            report.intents[result.intent] += 1
            if bool(gold) != result.wismo and len(report.errors) < keep_errors:
                report.errors.append(
                    {
                        "source": source,
                        "gold": gold,
                        "intent": result.intent,
                        "confidence": round(result.confidence, 3),
                        "text": row["text"],
                    }
                )
    return report


# -- extraction ---------------------------------------------------------------------------

Extractor = Callable[[str], Entities]


def _norm(value: str) -> str:
    return re.sub(r"[\s#-]", "", value).upper()


@dataclass
class ExtractionReport:
    orders: Scores = field(default_factory=Scores)
    tracking: Scores = field(default_factory=Scores)
    other_taken: Counter[str] = field(default_factory=Counter)
    other_kinds: Counter[str] = field(default_factory=Counter)
    other_total: int = 0
    rows: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    mistakes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def pr(s: Scores) -> dict[str, Any]:
            return {
                "gold": s.tp + s.fn,
                "found": s.tp + s.fp,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
            }

        ordered = sorted(self.latencies_ms)
        return {
            "rows": self.rows,
            "order_numbers": pr(self.orders),
            "tracking_numbers": pr(self.tracking),
            "other_numbers": {
                "gold": self.other_total,
                "gold_by_kind": dict(self.other_kinds),
                "taken_as_order_or_tracking": sum(self.other_taken.values()),
                "taken_by_kind": dict(self.other_taken),
            },
            "latency_ms": {
                "p50": round(_percentile(ordered, 50), 4),
                "p99": round(_percentile(ordered, 99), 4),
            },
        }


MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE = re.compile(
    r"^\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{1,4})?$"
    rf"|^\d{{1,2}}(?:st|nd|rd|th)?\s*(?:of\s+)?{MONTH}(?:\s+\d{{2,4}})?$"
    rf"|^{MONTH}\s*\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{2,4}})?$",
    re.IGNORECASE,
)


def number_kind(value: str) -> str:
    """date, phone or other: gold files list numbers that are not orders without a kind."""
    if DATE.search(value.strip()):
        return "date"
    digits = re.sub(r"\D", "", value)
    candidates = [value, "+" + digits[2:]] if digits.startswith("00") else [value]
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, "US")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return "phone"
    return "other"


def _count(scores: Scores, gold: set[str], found: set[str]) -> None:
    scores.tp += len(gold & found)
    scores.fp += len(found - gold)
    scores.fn += len(gold - found)


def evaluate_extraction(
    extract: Extractor, path: Path, *, keep_mistakes: int = 0
) -> ExtractionReport:
    """Order and tracking numbers against gold; `other_numbers` (phones, dates, case ids)
    must never be taken as either."""
    report = ExtractionReport()
    for row in read_jsonl(path):
        report.rows += 1
        started = time.perf_counter()
        entities = extract(row["text"])
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        found_orders = {_norm(n) for n in entities.order_numbers}
        found_tracking = {_norm(t.number) for t in entities.tracking_numbers}
        gold_orders = {_norm(n) for n in row.get("order_numbers", [])}
        gold_tracking = {_norm(n) for n in row.get("tracking_numbers", [])}
        _count(report.orders, gold_orders, found_orders)
        _count(report.tracking, gold_tracking, found_tracking)
        for other in row.get("other_numbers", []):
            value = other["value"] if isinstance(other, dict) else str(other)
            kind = other.get("kind") if isinstance(other, dict) else None
            kind = kind or number_kind(value)
            report.other_total += 1
            report.other_kinds[kind] += 1
            if _norm(value) in found_orders | found_tracking:
                report.other_taken[kind] += 1
        wrong = (found_orders != gold_orders) or (found_tracking != gold_tracking)
        if wrong and len(report.mistakes) < keep_mistakes:
            report.mistakes.append(
                {
                    "text": row["text"],
                    "gold_orders": sorted(gold_orders),
                    "found_orders": sorted(found_orders),
                    "gold_tracking": sorted(gold_tracking),
                    "found_tracking": sorted(found_tracking),
                }
            )
    return report


CLI_ENTITIES = {"order_numbers", "tracking_numbers", "emails", "phones", "postcodes"}


def result_json(result: Result) -> dict[str, Any]:
    """The `wismo classify` output fields for one message."""
    return {
        "wismo": result.wismo,
        "intent": result.intent,
        "confidence": round(result.confidence, 4),
        "language": result.language,
        "entities": result.entities.model_dump(mode="json", include=CLI_ENTITIES),
    }


def latency_summary(latencies_ms: list[float]) -> str:
    if not latencies_ms:
        return "no messages"
    ordered = sorted(latencies_ms)
    return (
        f"p50 {_percentile(ordered, 50):.3f} ms, p99 {_percentile(ordered, 99):.3f} ms, "
        f"mean {statistics.fmean(ordered):.3f} ms"
    )
