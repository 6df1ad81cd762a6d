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
NGRAM_SIZES: tuple[int, ...] = ()  # character n-grams: measured, not worth it (docs/classifier.md)
PLACEHOLDERS = frozenset({"xurl", "xemail", "xhandle", "xnum"})

URL = re.compile(r"https?://\S+|www\.\S+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HANDLE = re.compile(r"@\w+")
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|#|\?|!|€|\$|£")
REPEATS = re.compile(r"(.)\1{2,}")
ANY_WORD = re.compile(r"[a-z']+")
POSSESSIVE = re.compile(r"\b([a-z]+)'s\b")
CONTRACTIONS = frozenset(
    "it that what where who how there here he she let when why everything nothing".split()
)


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
_FOLD_TABLE = str.maketrans(
    {
        **{chr(k): v for k, v in _FOLD.items()},
        # Phones type curly apostrophes: "hasn\u2019t" must read as "hasn't".
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
    }
)


def fold(text: str) -> str:
    """Lower case without accents ("Livré" → "livre"), so missing accents do not matter."""
    return text.casefold().translate(_FOLD_TABLE)


def _variants(word: str) -> set[str]:
    """Common one-slip misspellings inside a word: a letter dropped, doubled, or swapped with
    the next. The first two and the last letter stay put: slips there mostly make other real
    words ("estimate" from "estimated", "racking" from "tracking")."""
    found = set()
    for i in range(2, len(word) - 1):
        found.add(word[:i] + word[i + 1 :])
        found.add(word[:i] + word[i] + word[i:])
        found.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return {w for w in found if len(w) >= 4 and w != word}


# Words the cues and the model most rely on, and how customers misspell them. Only words of
# six letters or more get generated variants (shorter ones collide with real words: "were"
# for "where", "live" for "livré"); a few short misspellings are listed by hand.
KEY_WORDS = (
    "package packages parcel parcels delivery delivered deliver arrived arrive arriving "
    "received receive tracking shipped shipping shipment dispatched waiting missing "
    "yesterday tomorrow refund cancel return address courier expected estimated ordered "
    "paquete llegado recibido entregado commande livraison bestellung lieferung angekommen "
    "encomenda entregue"
).split()
NOT_MISSPELLINGS = frozenset(
    {"noting", "parce", "retun", "cancer", "recover", "adores", "estimate", "command"}
    | {"sipping", "tracing", "racking", "tacking", "hipped", "paquet", "recibio"}
)
APOSTROPHES = {
    w.replace("'", ""): w
    for w in "hasn't haven't hadn't didn't doesn't don't isn't wasn't won't can't couldn't "
    "wouldn't shouldn't aren't weren't i'm it's where's what's".split()
}
CANONICAL: dict[str, str] = {
    **{
        v: w
        for w in KEY_WORDS
        for v in _variants(w)
        if v not in KEY_WORDS and v not in NOT_MISSPELLINGS
    },
    "recieved": "received",
    "recieve": "receive",
    "dlvd": "delivered",
    "pkg": "package",
    "pakage": "package",
    "packge": "package",
    "parcle": "parcel",
    "trackin": "tracking",
    "traking": "tracking",
    "ordr": "order",
    "wher": "where",
    "whr": "where",
    "stil": "still",
    "yt": "yet",
    **APOSTROPHES,
}


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message once, for every consumer: the model, the cues, the language guess."""

    folded: str  # lower case, no accents, misspellings of key words corrected
    tokens: list[str]  # the words the model sees, with placeholders
    raw_words: frozenset[str]  # every [a-z'] run in `folded`, handles and links included

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self.tokens)


def _respell(match: re.Match[str]) -> str:
    word = match.group()
    return CANONICAL.get(word, word)


def _possessive(match: re.Match[str]) -> str:
    word = match.group(1)
    return match.group() if word in CONTRACTIONS else word


def prepare(text: str) -> Prepared:
    folded = fold(text[:MAX_MODEL_CHARS])
    if "'s" in folded:  # "my order's status" is about the order: drop the possessive
        folded = POSSESSIVE.sub(_possessive, folded)
    raw_words = frozenset(ANY_WORD.findall(folded))
    if not CANONICAL.keys().isdisjoint(raw_words):  # rare: skip the rewrite otherwise
        folded = ANY_WORD.sub(_respell, folded)
        raw_words = frozenset(ANY_WORD.findall(folded))
    normalized = URL.sub(" xurl ", folded)
    normalized = EMAIL.sub(" xemail ", normalized)
    normalized = HANDLE.sub(" xhandle ", normalized)
    normalized = NUMBER.sub(" xnum ", normalized)
    normalized = REPEATS.sub(r"\1\1", normalized)  # "sooooo" → "soo", "!!!!" → "!!"
    return Prepared(folded, WORD.findall(normalized), raw_words)


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
