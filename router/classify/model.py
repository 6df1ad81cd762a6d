"""The trained intent model: a multinomial logistic regression over two blocks of features.

Block one is the text: TF-IDF over words and character n-grams, L2-normalized, so a long
message weighs no more than a short one. Block two is the hand-written cues (phrase rules,
cue groups, entities), binary and NOT normalized: a cue counts the same in a tweet as in a
long e-mail instead of drowning among hundreds of n-grams.

Stored as one compressed .npz (vocabulary of both blocks, idf, weights, intercepts, class
names, the calibration temperature and the training metadata). Serving needs numpy only.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class IntentModel:
    """Two heads on the same features: the intent (softmax over `classes`) and WISMO-or-not
    (a binary logistic regression, fitted for that decision alone). Column K of `weights`
    and entry K of `intercept` belong to the binary head."""

    vocabulary: dict[str, int]  # text features first, then cue features
    idf: FloatArray  # (text features,)
    cue_vocabulary: dict[str, int]  # cue feature → row in `weights`
    weights: FloatArray  # (features, classes + 1)
    intercept: FloatArray  # (classes + 1,)
    classes: tuple[str, ...]
    temperature: float  # intent head
    wismo_temperature: float  # binary head
    metadata: dict[str, Any]

    def logits(self, text_features: list[str], cues: tuple[str, ...] = ()) -> FloatArray:
        """Raw scores of both heads: (classes + 1,)."""
        scores = self.intercept.astype(np.float64)
        get = self.vocabulary.get
        counts = Counter(i for f in text_features if (i := get(f)) is not None)
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            values = (1.0 + np.log(tf)) * self.idf[index]  # sublinear tf, times idf
            values /= math.sqrt(float(values @ values))
            scores = scores + values @ self.weights[index]
        rows = [i for c in set(cues) if (i := self.cue_vocabulary.get(c)) is not None]
        if rows:
            scores = scores + self.weights[rows].sum(axis=0)
        result: FloatArray = scores.astype(np.float32)
        return result

    def predict(
        self, text_features: list[str], cues: tuple[str, ...] = ()
    ) -> tuple[FloatArray, float]:
        """(intent probabilities, probability that the message is WISMO), both calibrated."""
        scores = self.logits(text_features, cues).astype(np.float64)
        intent = scores[:-1] / self.temperature
        intent -= intent.max()
        exp = np.exp(intent)
        probabilities: FloatArray = (exp / exp.sum()).astype(np.float32)
        wismo = 1.0 / (1.0 + math.exp(-float(scores[-1]) / self.wismo_temperature))
        return probabilities, wismo

    def save(self, path: Path) -> None:
        terms = [""] * (len(self.vocabulary) + len(self.cue_vocabulary))
        for term, index in (*self.vocabulary.items(), *self.cue_vocabulary.items()):
            terms[index] = term
        np.savez_compressed(
            path,
            terms=np.array("\n".join(terms)),
            text_features=np.array(len(self.vocabulary)),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
            classes=np.array("\n".join(self.classes)),
            temperature=np.array(self.temperature),
            wismo_temperature=np.array(self.wismo_temperature),
            metadata=np.array(json.dumps(self.metadata, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with np.load(path, allow_pickle=False) as data:
            terms = str(data["terms"]).split("\n")
            split = int(data["text_features"])
            return cls(
                vocabulary={term: i for i, term in enumerate(terms[:split])},
                cue_vocabulary={term: split + i for i, term in enumerate(terms[split:])},
                idf=data["idf"].astype(np.float32),
                weights=data["weights"].astype(np.float32),
                intercept=data["intercept"].astype(np.float32),
                classes=tuple(str(data["classes"]).split("\n")),
                temperature=float(data["temperature"]),
                wismo_temperature=float(data["wismo_temperature"]),
                metadata=json.loads(str(data["metadata"])),
            )
