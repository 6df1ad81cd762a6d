"""Which of our supported languages a message is in, from function words.

Short messages carry few clues, so the channel's hint (or English) wins unless the text
clearly says otherwise. A measured detector replaces this with the classifier (issue 3).
"""

from __future__ import annotations

import re

SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the my is where when it not and have has of to was you i order your".split()),
    "es": frozenset("el la mi es donde cuando no y de que pedido mis por para esta un una".split()),
    "fr": frozenset(
        "le la mon ma est ou quand pas et de je commande mes pour un une colis".split()
    ),
    "de": frozenset(
        "der die das mein meine ist wo wann nicht und ich bestellung paket noch".split()
    ),
    "pt": frozenset("o a meu minha onde quando nao e de que pedido encomenda um uma esta".split()),
    "it": frozenset("il la mio mia dove quando non e di che ordine pacco un una sono".split()),
    "nl": frozenset("de het mijn is waar wanneer niet en van ik bestelling pakket een nog".split()),
}

WORD = re.compile(r"[a-zà-ÿ']+")
ACCENTS = str.maketrans("áàâãäçéèêëíìîïóòôõöúùûüñ", "aaaaaceeeeiiiiooooouuuun")


def detect(text: str, *, hint: str | None = None) -> str:
    words = [w.translate(ACCENTS) for w in WORD.findall(text.casefold())]
    scores = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    primary = hint.split("-", 1)[0].split("_", 1)[0].lower() if hint else None  # BCP 47: fr-CA
    fallback = primary if primary in SUPPORTED else "en"
    if scores[best] >= 2 and scores[best] > scores.get(fallback, 0):
        return best
    return fallback
