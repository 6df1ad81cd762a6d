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
    vocabulary: dict[str, int]  # text features first, then cue features
    idf: FloatArray  # (text features,)
    cue_vocabulary: dict[str, int]  # cue feature → row in `weights`
    weights: FloatArray  # (features, classes)
    intercept: FloatArray  # (classes,)
    classes: tuple[str, ...]
    temperature: float
    metadata: dict[str, Any]

    def probabilities(self, text_features: list[str], cues: tuple[str, ...] = ()) -> FloatArray:
        """Class probabilities for one message (calibrated)."""
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
        scores /= self.temperature
        scores -= scores.max()
        exp = np.exp(scores)
        result: FloatArray = (exp / exp.sum()).astype(np.float32)
        return result

    def save(self, path: Path) -> None:
        terms = [""] * (len(self.vocabulary) + len(self.cue_vocabulary))
        for term, index in (*self.vocabulary.items(), *self.cue_vocabulary.items()):
            terms[index] = term
        np.savez_compressed(
            path,
            terms=np.array("\n".join(terms)),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
            text_features=np.array(len(self.vocabulary)),
            classes=np.array("\n".join(self.classes)),
            temperature=np.array(self.temperature),
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
                metadata=json.loads(str(data["metadata"])),
            )
