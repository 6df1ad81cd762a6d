"""Which supported language a message is in: naive Bayes over words.

Trained by `wismo train` on the project's own messages in each language (plus English public
data) and stored next to the intent model. Words, not characters: a tweet has twenty of them
against a hundred character n-grams, and the function words decide the language anyway. A
message with fewer than two known words keeps the channel's hint, or English.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from router.classify.features import PLACEHOLDERS, prepare

SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl")
MODEL_PATH = Path(str(resources.files("router.classify") / "model" / "language.npz"))
MIN_KNOWN_WORDS = 2  # fewer than this and the hint (or English) wins
MIN_MARGIN = 2.0  # log-likelihood lead needed to overrule the hint


def grams(words: Iterable[str]) -> list[str]:
    """The words that carry language (placeholders and one-letter tokens do not)."""
    return [w for w in words if len(w) > 1 and w not in PLACEHOLDERS]


@dataclass(frozen=True)
class LanguageModel:
    vocabulary: dict[str, int]
    log_probs: npt.NDArray[np.float32]  # (n-grams, languages)
    languages: tuple[str, ...]

    def scores(self, words: Iterable[str]) -> tuple[dict[str, float], int]:
        """Log-likelihood per language over the known words, and how many were known."""
        get = self.vocabulary.get
        known = [i for w in grams(words) if (i := get(w)) is not None]
        total = self.log_probs[known].sum(axis=0)
        return {lang: float(total[i]) for i, lang in enumerate(self.languages)}, len(known)

    def save(self, path: Path) -> None:
        terms = [""] * len(self.vocabulary)
        for term, i in self.vocabulary.items():
            terms[i] = term
        np.savez_compressed(
            path,
            terms=np.array("\n".join(terms)),
            log_probs=self.log_probs.astype(np.float32),
            languages=np.array("\n".join(self.languages)),
        )

    @classmethod
    def load(cls, path: Path) -> LanguageModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                vocabulary={t: i for i, t in enumerate(str(data["terms"]).split("\n"))},
                log_probs=data["log_probs"].astype(np.float32),
                languages=tuple(str(data["languages"]).split("\n")),
            )


def train_language(texts: Mapping[str, Iterable[str]], *, min_count: int = 1) -> LanguageModel:
    """Multinomial naive Bayes with add-one smoothing; `texts` maps language → messages."""
    languages = tuple(lang for lang in SUPPORTED if lang in texts)
    counts = {
        lang: Counter(g for t in texts[lang] for g in grams(prepare(t).tokens))
        for lang in languages
    }
    total = Counter[str]()
    for c in counts.values():
        total.update(c)
    vocabulary = {g: i for i, g in enumerate(sorted(g for g, n in total.items() if n >= min_count))}
    log_probs = np.zeros((len(vocabulary), len(languages)), dtype=np.float32)
    for j, lang in enumerate(languages):
        size = sum(counts[lang].values()) + len(vocabulary) + 1
        for g, i in vocabulary.items():
            log_probs[i, j] = math.log((counts[lang][g] + 1) / size)
    return LanguageModel(vocabulary, log_probs, languages)


@functools.lru_cache(maxsize=2)
def _model(path: Path) -> LanguageModel | None:
    return LanguageModel.load(path) if path.is_file() else None


def detect(text: str, *, hint: str | None = None, model: LanguageModel | None = None) -> str:
    return detect_words(prepare(text).tokens, hint=hint, model=model)


def detect_words(
    words: Iterable[str], *, hint: str | None = None, model: LanguageModel | None = None
) -> str:
    """The most likely supported language; the hint (BCP 47, e.g. fr-CA) when unclear."""
    primary = hint.split("-", 1)[0].split("_", 1)[0].lower() if hint else None
    fallback = primary if primary in SUPPORTED else "en"
    model = model or _model(MODEL_PATH)
    if model is None:
        return fallback
    scores, known = model.scores(words)
    if known < MIN_KNOWN_WORDS:
        return fallback
    best = max(scores, key=lambda lang: scores[lang])
    if best != fallback and scores[best] - scores.get(fallback, -math.inf) < MIN_MARGIN:
        return fallback
    return best
