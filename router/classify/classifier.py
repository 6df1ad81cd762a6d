"""The shipped classifier: entities + language + the trained intent model.

WISMO-or-not is decided by the model's binary head, fitted for that decision alone; the
intent is the most likely one on the decided side, so "late" vs "not received" uncertainty
never turns a clear WISMO message into "other". The confidence is the calibrated probability
of the WISMO decision; below the configured threshold the pipeline treats the result as
unsure and asks instead of guessing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from router.classify.base import Result
from router.classify.entities import EntityExtractor
from router.classify.features import NGRAM_SIZES, PLACEHOLDERS, Prepared, analyze, prepare
from router.classify.language import LanguageModel, detect_words
from router.classify.model import IntentModel
from router.classify.signals import signals
from router.events import Entities

MODEL_PATH = Path(str(resources.files("router.classify") / "model" / "intent.npz"))
MAX_TEXT_CHARS = 20_000  # entities and language look at this much; the model at less
# A message that is nothing but an order or tracking number ("#1001 alice@example.com") gives
# the model no words to weigh; in a shop's inbox it asks about that order.
BARE_REFERENCE_CONFIDENCE = 0.9
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    """Any string in, a safe one out: no control characters, no lone surrogates."""
    return CONTROL.sub(" ", text[:MAX_TEXT_CHARS])


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything derived from one message, including the model's two feature blocks."""

    prepared: Prepared
    entities: Entities
    text_features: list[str]
    cues: tuple[str, ...]


def read(
    text: str,
    extractor: EntityExtractor,
    *,
    expect_order: bool = False,
    sizes: tuple[int, ...] = NGRAM_SIZES,
) -> Reading:
    """`wismo train` calls this too, so training and serving see exactly the same features."""
    text = clean(text)
    entities = extractor.extract(text, expect_order=expect_order)
    prepared = prepare(text)
    cues = signals(
        prepared,
        has_order=bool(entities.order_numbers),
        has_tracking=bool(entities.tracking_numbers),
    )
    return Reading(prepared, entities, analyze(prepared, sizes), cues)


class ModelClassifier:
    def __init__(
        self,
        model: IntentModel,
        extractor: EntityExtractor | None = None,
        language: LanguageModel | None = None,
    ) -> None:
        self.model = model
        self.language = language
        self.extractor = extractor or EntityExtractor()
        self.name = f"intent-linear@{model.metadata.get('version', 'dev')}"
        wismo = [i for i, c in enumerate(model.classes) if c.startswith("wismo.")]
        self._wismo = np.array(wismo, dtype=np.int64)
        self._other = np.array(
            [i for i in range(len(model.classes)) if i not in set(wismo)], dtype=np.int64
        )
        self.wismo_threshold = float(model.metadata.get("wismo_threshold", 0.5))
        self._bare_reference_probs = np.array(
            [c == "wismo.status" for c in model.classes], dtype=np.float32
        )
        self.sizes = tuple(int(n) for n in model.metadata.get("ngram_sizes", NGRAM_SIZES))

    @classmethod
    def load(
        cls, path: Path = MODEL_PATH, extractor: EntityExtractor | None = None
    ) -> ModelClassifier:
        """The intent model at `path` and the language model beside it."""
        language_path = path.parent / "language.npz"
        language = LanguageModel.load(language_path) if language_path.is_file() else None
        return cls(_load(path), extractor, language)

    def classify(
        self, text: str, *, language_hint: str | None = None, expect_order: bool = False
    ) -> Result:
        reading = read(text, self.extractor, expect_order=expect_order, sizes=self.sizes)
        probs, p_wismo = self.model.predict(reading.text_features, reading.cues)
        if _bare_reference(text, reading.entities):
            p_wismo = max(p_wismo, BARE_REFERENCE_CONFIDENCE)
            probs = self._bare_reference_probs
        is_wismo = p_wismo >= self.wismo_threshold
        group = self._wismo if is_wismo else self._other
        intent = self.model.classes[int(group[int(np.argmax(probs[group]))])]
        confidence = p_wismo if is_wismo else 1.0 - p_wismo
        return Result(
            intent=intent,
            wismo=is_wismo,
            confidence=round(min(1.0, max(0.0, confidence)), 4),
            language=detect_words(reading.prepared.tokens, hint=language_hint, model=self.language),
            entities=reading.entities,
        )


def _bare_reference(text: str, entities: Entities) -> bool:
    references = [*entities.order_numbers, *(t.number for t in entities.tracking_numbers)]
    if not references:
        return False
    text = clean(text)
    for reference in references:  # "1ZXK3DEG…" would otherwise leave the words "zxk", "deg"
        text = re.sub(re.escape(reference), " ", text, flags=re.IGNORECASE)
    return not any(t.isalpha() and t not in PLACEHOLDERS for t in prepare(text).tokens)


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> IntentModel:
    return IntentModel.load(path)
