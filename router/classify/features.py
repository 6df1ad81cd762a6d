"""Text → feature strings, one definition for training and for serving.

Features: word unigrams and bigrams, character 2-5-grams inside words (robust to typos,
inflection and missing accents, and language-agnostic), and a few structural tokens (an
order or tracking number is present, a URL, a question mark). Handles, URLs, e-mails and
numbers are replaced by placeholders so the model learns "#NUM", not "#1001".
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

MAX_MODEL_CHARS = 1000  # longer texts are cut for the model (entities still see more)
NGRAM_SIZES = (2, 3, 4, 5)  # the default; a model records the sizes it was trained with
PLACEHOLDERS = frozenset({"xurl", "xemail", "xhandle", "xnum"})

URL = re.compile(r"https?://\S+|www\.\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HANDLE = re.compile(r"@\w+")
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|#|\?|!|€|\$|£")
REPEATS = re.compile(r"(.)\1{2,}")


# Accented Latin letters to their base letter, in one C-level translate (the slow part of an
# NFKD fold is the Python loop over characters; this table covers Latin-1 and Latin Extended-A).
_FOLD = {
    code: base
    for code in range(0xC0, 0x250)
    if (
        base := "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        ).casefold()
    )
    != chr(code).casefold()
    and base.isascii()
}
_FOLD_TABLE = str.maketrans({chr(k): v for k, v in _FOLD.items()})


def fold(text: str) -> str:
    """Lower case without accents ("Livré" → "livre"), so missing accents do not matter."""
    return text.casefold().translate(_FOLD_TABLE)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message once, for every consumer: the model, the cues, the language guess."""

    folded: str  # lower case, no accents, at most MAX_MODEL_CHARS
    tokens: list[str]  # the words the model sees, with placeholders

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self.tokens)


def prepare(text: str) -> Prepared:
    folded = fold(text[:MAX_MODEL_CHARS])
    normalized = URL.sub(" xurl ", folded)
    normalized = EMAIL.sub(" xemail ", normalized)
    normalized = HANDLE.sub(" xhandle ", normalized)
    normalized = NUMBER.sub(" xnum ", normalized)
    normalized = REPEATS.sub(r"\1\1", normalized)  # "sooooo" → "soo", "!!!!" → "!!"
    return Prepared(folded, WORD.findall(normalized))


def analyze(prepared: Prepared, sizes: tuple[int, ...] = NGRAM_SIZES) -> list[str]:
    """The text features of a message (with repeats: counts matter)."""
    tokens = prepared.tokens
    out = [f"w:{t}" for t in tokens]
    out += [f"b:{a} {b}" for a, b in itertools.pairwise(tokens)]
    for token in tokens:
        if len(token) < 2 or token in PLACEHOLDERS:
            continue
        padded = f" {token} "
        size = len(padded)
        for n in sizes:
            for i in range(size - n + 1):
                out.append(padded[i : i + n])
    return out
