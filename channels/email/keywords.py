"""UNSUBSCRIBE / STOP and SUBSCRIBE / START by mail, in the languages we strip quotes in.

A mail is a keyword when its subject (reply prefixes aside) or the first non-empty line of
its body is the keyword alone (any case, accents and surrounding punctuation ignored): what a
mail client's mailto: unsubscribe sends (`subject=unsubscribe`, often an empty body), and what
a person types. "Stop sending me the wrong size" is a question, not a keyword. When subject
and body disagree, unsubscribing wins. Like SMS keywords they are not customer questions: they
never reach the bus (channel.py stores the choice).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from channels.email.compose import REPLY_PREFIX


class Keyword(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    SUBSCRIBE = "subscribe"


# Normalised: lower case, no accents, apostrophes and hyphens as spaces.
OPT_OUT = frozenset(
    {
        # en
        "unsubscribe", "unsubscribe me", "stop", "stop all", "stopall", "opt out", "optout",
        "remove me",
        # es
        "baja", "darme de baja", "dar de baja", "desuscribir", "desuscribirme",
        "cancelar suscripcion", "anular suscripcion",
        # fr
        "desabonner", "me desabonner", "se desabonner", "desabonnement", "desinscrire",
        "me desinscrire", "desinscription", "arret",
        # de
        "abmelden", "abbestellen", "austragen", "abmeldung", "stopp",
        # it
        "disiscrivi", "disiscrivimi", "cancellami", "annulla iscrizione", "disiscrizione",
        # nl
        "afmelden", "uitschrijven", "afmelding",
        # pt
        "descadastrar", "descadastre me", "descadastrar me", "cancelar inscricao", "parar",
    }
)  # fmt: skip
OPT_IN = frozenset(
    {
        "subscribe", "resubscribe", "start", "unstop", "opt in", "optin",  # en
        "alta", "darme de alta", "suscribir", "suscribirme",  # es
        "abonner", "m abonner", "s abonner", "reabonner", "me reabonner",  # fr
        "anmelden", "abonnieren",  # de
        "iscrivi", "iscrivimi",  # it
        "aanmelden", "abonneren",  # nl
        "cadastrar", "inscrever", "inscrever me",  # pt
    }
)  # fmt: skip
# Around the word: spaces and punctuation, but not ">" (a quoted "> stop" is not theirs).
EDGES = " \t.,;:!?¡¿\"'`*_()[]{}«»\u201c\u201d\u2018\u2019~-"
SEPARATORS = re.compile("[\\s'`\u2019-]+")
MAX_CHARS = 40  # longer than any keyword: a sentence is never normalised
MAX_SCANNED = 8192  # the first line is near the top; a 25 MB body is not split whole


def normalize(line: str) -> str:
    line = line.strip().strip(EDGES)
    if len(line) > MAX_CHARS:
        return ""
    decomposed = unicodedata.normalize("NFKD", line.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(SEPARATORS.sub(" ", bare).split())


def of_line(line: str) -> Keyword | None:
    word = normalize(line)
    if word in OPT_OUT:
        return Keyword.UNSUBSCRIBE
    if word in OPT_IN:
        return Keyword.SUBSCRIBE
    return None


def first_line(text: str) -> str:
    return next((line for line in text[:MAX_SCANNED].splitlines() if line.strip()), "")


def match(subject: str, body: str) -> Keyword | None:
    """The keyword this mail is, if it is one."""
    subject = REPLY_PREFIX.sub("", " ".join(subject.split()))
    found = {of_line(subject), of_line(first_line(body))} - {None}
    if Keyword.UNSUBSCRIBE in found:
        return Keyword.UNSUBSCRIBE
    return Keyword.SUBSCRIBE if found else None
