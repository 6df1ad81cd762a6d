"""Which supported language a message is in: naive Bayes over character n-grams.

Trained by `wismo train` on the project's own messages in each language (plus English public
data) and stored next to the intent model. Accents are kept here (ã, ß, ñ, è are the best
clues); case is not. A message with too little text keeps the channel's hint, or English.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl")
MODEL_PATH = Path(str(resources.files("router.classify") / "model" / "language.npz"))
SIZES = (1, 2, 3)
MIN_LETTERS = 8  # below this the hint (or English) wins
MIN_MARGIN = 2.0  # log-likelihood lead needed to overrule the hint

NOISE = re.compile(r"https?://\S+|@\w+|#\w+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\d+")
LETTERS = re.compile(r"[^\W\d_]+")


def grams(text: str) -> list[str]:
    """Character 1-3-grams of the words, lower case, accents kept, handles and links out."""
    out: list[str] = []
    for word in LETTERS.findall(NOISE.sub(" ", text.casefold())):
        padded = f" {word} "
        for n in SIZES:
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


@dataclass(frozen=True)
class LanguageModel:
    vocabulary: dict[str, int]
    log_probs: npt.NDArray[np.float32]  # (n-grams, languages)
    unseen: npt.NDArray[np.float32]  # (languages,)
    languages: tuple[str, ...]

    def scores(self, text: str) -> dict[str, float]:
        found = grams(text[:2000])
        index = [self.vocabulary.get(g, -1) for g in found]
        known = np.array([i for i in index if i >= 0], dtype=np.int64)
        unknown = len(index) - len(known)
        total = self.log_probs[known].sum(axis=0) + unknown * self.unseen
        return {lang: float(total[i]) for i, lang in enumerate(self.languages)}

    def save(self, path: Path) -> None:
        terms = [""] * len(self.vocabulary)
        for term, i in self.vocabulary.items():
            terms[i] = term
        np.savez_compressed(
            path,
            terms=np.array("\n".join(terms)),
            log_probs=self.log_probs.astype(np.float32),
            unseen=self.unseen.astype(np.float32),
            languages=np.array("\n".join(self.languages)),
        )

    @classmethod
    def load(cls, path: Path) -> LanguageModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                vocabulary={t: i for i, t in enumerate(str(data["terms"]).split("\n"))},
                log_probs=data["log_probs"].astype(np.float32),
                unseen=data["unseen"].astype(np.float32),
                languages=tuple(str(data["languages"]).split("\n")),
            )


def train_language(texts: Mapping[str, Iterable[str]], *, min_count: int = 2) -> LanguageModel:
    """Multinomial naive Bayes with add-one smoothing; `texts` maps language → messages."""
    languages = tuple(lang for lang in SUPPORTED if lang in texts)
    counts = {lang: Counter(g for t in texts[lang] for g in grams(t)) for lang in languages}
    total = Counter[str]()
    for c in counts.values():
        total.update(c)
    vocabulary = {g: i for i, g in enumerate(sorted(g for g, n in total.items() if n >= min_count))}
    log_probs = np.zeros((len(vocabulary), len(languages)), dtype=np.float32)
    unseen = np.zeros(len(languages), dtype=np.float32)
    for j, lang in enumerate(languages):
        size = sum(counts[lang].values()) + len(vocabulary) + 1
        for g, i in vocabulary.items():
            log_probs[i, j] = math.log((counts[lang][g] + 1) / size)
        unseen[j] = math.log(1 / size)
    return LanguageModel(vocabulary, log_probs, unseen, languages)


@functools.lru_cache(maxsize=2)
def _model(path: Path) -> LanguageModel | None:
    return LanguageModel.load(path) if path.is_file() else None


def detect(text: str, *, hint: str | None = None, model: LanguageModel | None = None) -> str:
    """The most likely supported language; the hint (BCP 47, e.g. fr-CA) when unclear."""
    primary = hint.split("-", 1)[0].split("_", 1)[0].lower() if hint else None
    fallback = primary if primary in SUPPORTED else "en"
    model = model or _model(MODEL_PATH)
    if model is None or sum(len(w) for w in LETTERS.findall(NOISE.sub(" ", text))) < MIN_LETTERS:
        return fallback
    scores = model.scores(text)
    best = max(scores, key=lambda lang: scores[lang])
    if best != fallback and scores[best] - scores.get(fallback, -math.inf) < MIN_MARGIN:
        return fallback
    return best
