"""The first classifier: phrase rules in five languages, plus the entities it found.

Honest by construction: it reports the rule family that matched and a confidence that reflects
how strong the evidence was (a matched phrase, a bare keyword, an order number with nothing
else); when nothing matches it says `other` with low confidence rather than guessing WISMO.
A measured classifier replaces it (issue 3) behind the same `Classifier` protocol.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from router.classify.base import Result
from router.classify.entities import extract
from router.classify.language import detect


def _fold(text: str) -> str:
    """Lower-case without accents, so "livré" matches "livre" and "não" matches "nao"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class Rule:
    intent: str
    pattern: re.Pattern[str]
    confidence: float


def _rule(intent: str, confidence: float, *phrases: str) -> Rule:
    body = "|".join(phrases)
    return Rule(intent, re.compile(rf"(?<![a-z])(?:{body})(?![a-z])"), confidence)


# Order matters: the first rule that matches wins, so specific complaints come before the
# generic "where is my order".
RULES: tuple[Rule, ...] = (
    _rule(
        "human_request",
        0.9,
        r"(?:speak|talk|chat) (?:to|with) (?:a |an )?(?:human|person|agent|someone|representative)",
        r"real person",
        r"human agent",
        r"hablar con (?:una persona|un agente)",
        r"parler a (?:un conseiller|quelqu'un|un humain)",
        r"mit einem menschen",
    ),
    _rule(
        "damaged_or_wrong_item",
        0.85,
        r"(?:arrived|came|was|is) (?:damaged|broken|smashed)",
        r"wrong (?:item|size|color|colour|product|order)",
        r"missing (?:item|part)s?",
        r"danad[oa]",
        r"endommage",
        r"beschadigt",
        r"kaputt",
    ),
    _rule(
        "refund",
        0.85,
        r"refund",
        r"money back",
        r"reembolso",
        r"rembourse\w*",
        r"ruckerstattung",
        r"geld zuruck",
        r"reembolso",
    ),
    _rule("cancel", 0.85, r"cancel\w*", r"cancelar", r"annuler", r"stornier\w*"),
    _rule(
        "return",
        0.8,
        r"return (?:it|this|the|my)",
        r"send (?:it|this) back",
        r"devolver",
        r"devolucion",
        r"retourner",
        r"rucksendung",
        r"zurucksenden",
    ),
    _rule(
        "change_order",
        0.8,
        r"change (?:my |the )?(?:address|shipping address|order|size)",
        r"update (?:my |the )?(?:address|shipping address)",
        r"cambiar (?:la )?direccion",
        r"changer (?:l'|mon )?adresse",
        r"adresse andern",
    ),
    _rule(
        "wismo.not_received",
        0.9,
        r"(?:never|not|still not|hasn'?t|has not|didn'?t|did not|haven'?t|have not) (?:been )?"
        r"(?:received|arrived|got|gotten|delivered|come|shown up|turned up)",
        r"(?:says|shows|marked|listed) (?:as )?delivered",
        r"not (?:here|dlvd|delivered)",
        r"no (?:he|ha) (?:recibido|llegado)",
        r"nunca llego",
        r"pas (?:encore )?(?:recu|arrive)",
        r"nicht (?:angekommen|erhalten|geliefert)",
        r"nao (?:recebi|chegou)",
    ),
    _rule(
        "wismo.delayed",
        0.85,
        r"(?:running |so |very )?late",
        r"delay(?:ed)?",
        r"stuck",
        r"not moving",
        r"hasn'?t moved",
        r"no (?:tracking )?update",
        r"still waiting",
        r"taking (?:so|too) long",
        r"retras\w*",
        r"en retard",
        r"verspat\w*",
        r"atrasad\w*",
    ),
    _rule(
        "wismo.tracking",
        0.85,
        r"tracking(?: number| info(?:rmation)?| link| code)?",
        r"track (?:my|the|it)",
        r"numero de seguimiento",
        r"numero de suivi",
        r"sendungsnummer",
        r"codigo de rastreio",
        r"rastreio",
    ),
    _rule(
        "wismo.eta",
        0.85,
        r"when (?:will|would|does|do|is|can) (?:i|it|my|the|they)",
        r"how long (?:will|does|until)",
        r"delivery date",
        r"\beta\b",
        r"cuando (?:llega|llegara|recibire)",
        r"quand (?:vais-je|va|arrive|sera)",
        r"wann (?:kommt|wird|bekomme)",
        r"quando (?:chega|vai chegar|recebo)",
    ),
    _rule(
        "wismo.status",
        0.85,
        r"where(?: is|'s| are) (?:my|the|our)",
        r"order status",
        r"status of (?:my|the) (?:order|package|parcel|shipment|delivery)",
        r"update on (?:my|the) (?:order|package|parcel|delivery)",
        r"donde (?:esta|estan) mi",
        r"estado de mi pedido",
        r"ou (?:est|en est) (?:ma|mon)",
        r"wo (?:ist|bleibt) (?:meine|mein)",
        r"onde (?:esta|estao) (?:o )?meu",
        r"cade (?:o )?meu",
    ),
    _rule(
        "product_question",
        0.7,
        r"do you (?:have|sell|stock)",
        r"in stock",
        r"what size",
        r"is (?:it|this) available",
    ),
    _rule(
        "payment_billing",
        0.75,
        r"charged twice",
        r"double charged",
        r"invoice",
        r"payment (?:failed|declined|issue)",
        r"billing",
    ),
    _rule("account", 0.75, r"password", r"log ?in", r"sign ?in", r"my account"),
    _rule("complaint_other", 0.6, r"terrible", r"worst", r"disgusting", r"unacceptable"),
    _rule(
        "greeting_thanks",
        0.8,
        r"thanks?(?: you)?",
        r"thank u",
        r"thx",
        r"cheers",
        r"gracias",
        r"merci",
        r"danke",
        r"obrigad[oa]",
        r"^(?:hi|hello|hey|hola|bonjour|hallo|ola)[!. ]*$",
    ),
)

# A bare mention of an order/parcel with a tracking or order number is still probably WISMO.
PARCEL_WORDS = re.compile(
    r"(?<![a-z])(?:order|package|parcel|shipment|delivery|pedido|paquete|colis|commande|"
    r"paket|bestellung|encomenda)(?![a-z])"
)


class RuleClassifier:
    name = "rules@1"

    def classify(
        self, text: str, *, language_hint: str | None = None, expect_order: bool = False
    ) -> Result:
        entities = extract(text, expect_order=expect_order)
        folded = _fold(text)
        language = detect(text, hint=language_hint)
        has_order = bool(entities.order_numbers or entities.tracking_numbers)
        for rule in RULES:
            if rule.intent == "greeting_thanks" and has_order:
                continue  # "Thanks! Order #1001, alice@…" is a question, not small talk
            if rule.pattern.search(folded):
                return Result(
                    intent=rule.intent,
                    wismo=rule.intent.startswith("wismo."),
                    confidence=rule.confidence,
                    language=language,
                    entities=entities,
                )
        if entities.tracking_numbers or (entities.order_numbers and PARCEL_WORDS.search(folded)):
            return Result("wismo.status", True, 0.6, language, entities)
        if entities.order_numbers:
            return Result("wismo.status", True, 0.45, language, entities)
        return Result("other", False, 0.3, language, entities)
