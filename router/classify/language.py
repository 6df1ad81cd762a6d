"""Which of our supported languages a message is in, from function words.

Short messages carry few clues, so the channel's hint (or English) wins unless the text
clearly says otherwise. A measured detector replaces this with the classifier (issue 3).
"""

from __future__ import annotations

import re

from router.classify.features import fold

SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "nl")

# Function words and common support words, accents folded; shared words count for each.
STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the my is where when it not and have has of to was you i your order package "
        "still been what this that with for are hasnt didnt havent wont cant im its please",
        "es": "el la mi es donde cuando no y de que pedido mis por para esta un una todavia "
        "llega llego recibido paquete envio hola gracias con del los las pero ya hace dias "
        "hoy ayer nada como porque",
        "fr": "le la mon ma est ou quand pas et de je commande mes pour un une colis toujours "
        "livraison recu bonjour merci avec les des mais jours depuis j'ai c'est n'est rien "
        "aujourd'hui",
        "de": "der die das mein meine ist wo wann nicht und ich bestellung paket noch ein eine "
        "habe hallo danke mit den sendung lieferung tagen seit heute bitte leider schon",
        "pt": "o a meu minha onde quando nao e de que pedido encomenda um uma esta ainda chegou "
        "recebi ola obrigado com dos das mas dias entrega hoje ja voces",
        "it": "il la mio mia dove quando non e di che ordine pacco un una sono ancora arrivato "
        "ciao grazie con del della ma giorni spedizione oggi gia",
        "nl": "de het mijn is waar wanneer niet en van ik bestelling pakket een nog al bezorgd "
        "hallo bedankt met maar dagen vandaag",
    }.items()
}

WORD = re.compile(r"[a-z']+")


def detect(text: str, *, hint: str | None = None) -> str:
    return detect_words(frozenset(WORD.findall(fold(text[:2000]))), hint=hint)


def detect_words(words: frozenset[str], *, hint: str | None = None) -> str:
    """The supported language with the most of its words present; short texts keep the hint
    (or English): two words of evidence are needed to overrule it."""
    scores = {lang: len(stop & words) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    primary = hint.split("-", 1)[0].split("_", 1)[0].lower() if hint else None  # BCP 47: fr-CA
    fallback = primary if primary in SUPPORTED else "en"
    if scores[best] >= 2 and scores[best] > scores.get(fallback, 0):
        return best
    return fallback
