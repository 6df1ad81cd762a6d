"""Hand-written cues, fed to the model as extra features (the model learns their weight).

Phrase rules per intent in five languages, plus cue groups whose co-occurrence carries the
meaning of most real WISMO complaints: a parcel word, an arrival verb, a negation, a stretch
of time ("order" + "not" + "arrived" + "9 days"). And hard-negative cues: flights, luggage,
cards, refunds, codes, broadband — where "delayed" or "not received" is not about an order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from router.classify.features import Prepared


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])(?:" + "|".join(phrases) + r")(?![a-z])")


PHRASES: dict[str, re.Pattern[str]] = {
    "human_request": _any(
        r"(?:speak|talk|chat) (?:to|with) (?:a |an )?(?:human|person|agent|someone|rep\w*)",
        r"real person",
        r"human agent",
        r"(?:call|phone) me",
        r"hablar con (?:una persona|un agente)",
        r"parler a (?:un conseiller|quelqu'un|un humain)",
        r"mit einem (?:menschen|mitarbeiter)",
        r"falar com (?:um atendente|alguem)",
    ),
    "damaged_or_wrong_item": _any(
        r"(?:arrived|came|was|is|are) (?:damaged|broken|smashed|crushed|open(?:ed)?)",
        r"wrong (?:item|size|colou?r|product|order|one)",
        r"missing (?:item|part|piece)s?",
        r"danad[oa]s?",
        r"roto",
        r"endommage\w*",
        r"casse",
        r"beschadigt",
        r"kaputt",
        r"defekt",
        r"quebrad[oa]",
        r"errado",
        r"equivocado",
    ),
    "refund": _any(
        r"refund\w*",
        r"money back",
        r"reembols\w*",
        r"rembours\w*",
        r"ruckerstattung",
        r"geld zuruck",
        r"erstattung",
        r"devolucao do (?:dinheiro|valor)",
    ),
    "cancel": _any(r"cancel\w*", r"cancelar", r"annul\w*", r"stornier\w*"),
    "return": _any(
        r"return (?:it|this|the|my|an?)",
        r"send (?:it|this|them) back",
        r"return label",
        r"devolver",
        r"devolucion",
        r"retourn\w*",
        r"rucksend\w*",
        r"zurucksenden",
        r"devolucao",
    ),
    "change_order": _any(
        r"change (?:my |the )?(?:delivery |shipping )?(?:address|order|size|slot)",
        r"update (?:my |the )?(?:delivery |shipping )?address",
        r"cambiar (?:la )?direccion",
        r"changer (?:l'|mon |d')?adresse",
        r"adresse (?:andern|aendern)",
        r"mudar o endereco",
    ),
    "wismo.not_received": _any(
        r"(?:never|not|still not|hasn'?t|has not|didn'?t|did not|haven'?t|have not|nt) "
        r"(?:been |yet )?(?:received|recieved|arrived|arrive|got|gotten|delivered|come|came|"
        r"shown up|turned up|showed up|here)",
        r"(?:says|shows|showing|marked|listed|states?) (?:as |it was |it's |it |its )?delivered",
        r"not (?:here|dlvd|delivered)",
        r"no (?:he|ha) (?:recibido|llegado)",
        r"nunca llego",
        r"sigue sin llegar",
        r"pas (?:encore )?(?:recu|arrive|livre)",
        r"jamais (?:recu|arrive)",
        r"nicht (?:angekommen|erhalten|geliefert|zugestellt)",
        r"nie angekommen",
        r"nao (?:recebi|chegou|foi entregue)",
        r"lost in (?:transit|the post|the mail)",
        r"(?:package|parcel|delivery) (?:was )?stolen",
        r"failed delivery",
        r"no one (?:came|knocked)",
        r"nobody (?:came|knocked)",
    ),
    "wismo.delayed": _any(
        r"(?:running |so |very |hours? |days? |weeks? )?late",
        r"delay(?:ed|s)?",
        r"stuck",
        r"not moving",
        r"hasn'?t moved",
        r"no (?:tracking )?updates?",
        r"still waiting",
        r"(?:taking|takes|took) (?:so|too|forever|ages)",
        r"retras\w*",
        r"demora\w*",
        r"en retard",
        r"retard\w*",
        r"verspat\w*",
        r"verzoger\w*",
        r"atras\w*",
        r"ainda nao",
        r"todavia no",
        r"toujours pas",
        r"immer noch nicht",
        r"noch nicht",
    ),
    "wismo.tracking": _any(
        r"tracking(?: number| info(?:rmation)?| link| code| page| id)?",
        r"(?:package|parcel|order|delivery|shipment|it) tracked",
        r"track (?:my|the|it|this)",
        r"numero de (?:seguimiento|suivi|rastreio)",
        r"sendungs(?:nummer|verfolgung)",
        r"codigo de rastreio",
        r"rastre\w*",
        r"suivi",
        r"seguimiento",
    ),
    "wismo.eta": _any(
        r"when (?:will|would|does|do|is|can|should|are) (?:i|it|my|the|they|we|you)",
        r"how long (?:will|does|until|till|for)",
        r"delivery date",
        r"eta",
        r"cuando (?:llega|llegara|recibire|me llega)",
        r"quand (?:vais-je|va|arrive|sera|est-ce)",
        r"wann (?:kommt|wird|bekomme|kommen)",
        r"quando (?:chega|vai chegar|recebo)",
    ),
    "wismo.status": _any(
        r"where(?: is|'s| are|s|'re|'d| did)? (?:my|the|our|it|they|this)",
        r"order status",
        r"status of (?:my|the) (?:order|package|parcel|shipment|delivery)",
        r"update on (?:my|the) (?:order|package|parcel|delivery)",
        r"(?:has|was) (?:it|my order) "
        r"(?:shipped|dispatched|sent)",
        r"(?:shipped|dispatched) yet",
        r"donde (?:esta|estan) (?:mi|mis|el)",
        r"estado de (?:mi )?pedido",
        r"ou (?:est|en est|sont) (?:ma|mon|mes)",
        r"wo (?:ist|bleibt|sind) (?:meine|mein)",
        r"onde (?:esta|estao) (?:o |a )?(?:meu|minha)",
        r"cade (?:o |a )?(?:meu|minha)",
    ),
    "product_question": _any(
        r"do you (?:have|sell|stock|deliver to|ship to)",
        r"in stock",
        r"what size",
        r"is (?:it|this) available",
        r"how much is (?:delivery|shipping)",
    ),
    "payment_billing": _any(
        r"charged (?:twice|me twice|double)",
        r"double charged",
        r"invoice",
        r"payment",
        r"billing",
        r"overcharg\w*",
        r"promo code",
        r"discount code",
    ),
    "account": _any(r"password", r"log ?in", r"sign ?in", r"my account", r"locked out"),
    "greeting_thanks": _any(
        r"thanks?(?: you)?",
        r"thank u",
        r"thx",
        r"cheers",
        r"gracias",
        r"merci",
        r"danke",
        r"obrigad[oa]",
        r"^(?:hi|hello|hey|hola|bonjour|hallo|ola|ciao)[!. ]*$",
    ),
}

# Substrings one of which must occur before a pattern is worth running (most never apply).
ANCHORS: dict[str, tuple[str, ...]] = {
    "human_request": (
        "speak",
        "talk",
        "chat",
        "human",
        "person",
        "agent",
        "call me",
        "phone me",
        "hablar",
        "parler",
        "mensch",
        "mitarbeiter",
        "falar",
    ),
    "damaged_or_wrong_item": (
        "damag",
        "broke",
        "smash",
        "crush",
        "open",
        "wrong",
        "missing",
        "danad",
        "roto",
        "endommag",
        "casse",
        "beschadig",
        "kaputt",
        "defekt",
        "quebrad",
        "errad",
        "equivocad",
    ),
    "refund": (
        "refund",
        "ruckerstattung",
        "money back",
        "reembols",
        "rembours",
        "erstattung",
        "geld zur",
        "devolucao",
    ),
    "cancel": ("cancel", "annul", "stornier"),
    "return": ("return", "back", "devol", "retourn", "rucksend", "zurucksend"),
    "change_order": ("change", "update", "cambiar", "changer", "andern", "aendern", "mudar"),
    "wismo.not_received": (
        "receiv",
        "reciev",
        "arriv",
        "got",
        "deliver",
        "come",
        "came",
        "shown",
        "turned",
        "showed",
        "here",
        "dlvd",
        "recibido",
        "llegado",
        "llego",
        "recu",
        "livre",
        "angekommen",
        "erhalten",
        "geliefert",
        "zugestellt",
        "recebi",
        "chegou",
        "entregue",
        "lost in",
        "stolen",
        "failed",
        "no one",
        "nobody",
    ),
    "wismo.delayed": (
        "late",
        "delay",
        "stuck",
        "moving",
        "moved",
        "update",
        "waiting",
        "taking",
        "takes",
        "took",
        "retras",
        "demora",
        "retard",
        "verspat",
        "verzoger",
        "atras",
        "ainda",
        "todavia",
        "toujours",
        "noch",
    ),
    "wismo.tracking": ("track", "seguimiento", "suivi", "sendungs", "rastre"),
    "wismo.eta": ("when", "how long", "delivery date", "eta", "cuando", "quand", "wann", "quando"),
    "wismo.status": (
        "where",
        "status",
        "update on",
        "shipped",
        "dispatched",
        "sent",
        "donde",
        "estado",
        "ou ",
        "wo ",
        "onde",
        "cade",
    ),
    "product_question": ("do you", "stock", "size", "available", "how much"),
    "payment_billing": ("charg", "overcharg", "invoice", "payment", "billing", "promo", "discount"),
    "account": ("password", "log", "sign", "account", "locked"),
    "greeting_thanks": (
        "thank",
        "thx",
        "cheers",
        "gracias",
        "merci",
        "danke",
        "obrigad",
        "hi",
        "hello",
        "hey",
        "hola",
        "bonjour",
        "hallo",
        "ola",
        "ciao",
    ),
}


def _triggers() -> dict[str, frozenset[str]]:
    """Word beginnings (3-4 letters) → the phrase rules worth running when a word starts so.

    A message word triggers a rule when its first three or four letters equal those of the
    first word of one of the rule's anchors; the rule's regex then decides."""
    table: dict[str, set[str]] = {}
    for intent, anchors in ANCHORS.items():
        for anchor in anchors:
            first = re.split(r"[^a-z']", anchor.strip())[0] or anchor.strip()
            table.setdefault(first[:4], set()).add(intent)
    return {key: frozenset(rules) for key, rules in table.items()}


@dataclass(frozen=True)
class Cue:
    """A group of words: exact words, word prefixes, or phrases (substrings)."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    def found(self, words: frozenset[str], folded: str) -> bool:
        if not self.words.isdisjoint(words):
            return True
        if self.prefixes and any(w.startswith(self.prefixes) for w in words):
            return True
        return any(p in folded for p in self.phrases)


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


TRIGGERS = _triggers()

CUES: dict[str, Cue] = {
    "parcel": Cue(
        _w(
            "order orders pkg stuff items item purchase purchases pedido pedidos paquete paquetes "
            "envio envios colis commande commandes livraison paket pakete bestellung bestellungen "
            "lieferung sendung encomenda encomendas pacote pacotes entrega bestelling ordine pacco "
            "spedizione groceries food pizza takeaway shopping delivery deliveries shipment "
            "shipments parcel parcels"
        ),
        ("packag", "pakket"),
    ),
    "arrive": Cue(
        _w("came come sent shipped dispatched dlvd recu angekommen geliefert erhalten zugestellt"),
        (
            "arriv",
            "deliver",
            "receiv",
            "reciev",
            "lleg",
            "recib",
            "entreg",
            "livr",
            "cheg",
            "receb",
            "bezorg",
            "consegn",
        ),
        ("turn up", "turned up", "show up", "showed up", "shown up"),
    ),
    "negation": Cue(
        _w(
            "not no never still yet nothing nada nunca todavia pas jamais toujours nicht noch "
            "nao ainda niet nog non ancora nobody"
        ),
        ("kein",),
        ("n't", "nt "),
    ),
    "time": Cue(
        _w(
            "day days week weeks wk wks hour hours hrs mins month months yesterday today "
            "tomorrow tonight since monday tuesday wednesday thursday friday saturday sunday "
            "dia dias semana semanas jour jours semaine semaines tag tage tagen woche wochen "
            "hora horas heure heures stunde stunden due expected scheduled"
        ),
        (),
        ("supposed to",),
    ),
    "hard_negative": Cue(
        _w(
            "flight flights luggage baggage boarding train trains bus buses otp broadband "
            "internet wifi engineer technician signal outage ride taxi cab game mission baby "
            "speech email emails e-mail"
        ),
        (),
        (
            "bank card",
            "debit card",
            "credit card",
            "verification code",
            "sms code",
            "gift card",
            "giftcard",
            "driver was rude",
            "app keeps",
            "app crash",
            "bags were lost",
        ),
    ),
}


def signals(
    prepared: Prepared, *, has_order: bool = False, has_tracking: bool = False
) -> tuple[str, ...]:
    """Extra feature tokens: which phrase rules fire, which cue groups occur, and their mix."""
    folded = prepared.folded
    words = prepared.raw_words  # handles, links and e-mails included: the regexes see them
    candidates: set[str] = set()
    for word in words:
        candidates.update(TRIGGERS.get(word[:3], ()), TRIGGERS.get(word[:4], ()))
        if "'" in word:  # French elision: "j'annule", "d'adresse"
            tail = word.rsplit("'", 1)[1]
            candidates.update(TRIGGERS.get(tail[:3], ()), TRIGGERS.get(tail[:4], ()))
    found = [f"r:{intent}" for intent in candidates if PHRASES[intent].search(folded)]
    found.sort()
    cues = {name for name, cue in CUES.items() if cue.found(words, folded)}
    found += [f"c:{name}" for name in sorted(cues)]
    # A WISMO phrase means little without something that was ordered or shipped: "still
    # waiting" on hold, "stuck" at 480p. Let the model weigh the two cases apart.
    anchor = "parcel" in cues or has_order or has_tracking
    found += [f"{r}{'+' if anchor else '-'}parcel" for r in found if r.startswith("r:wismo.")]
    if {"parcel", "arrive", "negation"} <= cues:
        found.append("c:parcel+arrive+negation")
    if {"parcel", "time"} <= cues:
        found.append("c:parcel+time")
    if {"arrive", "negation"} <= cues:
        found.append("c:arrive+negation")
    if "hard_negative" in cues and "parcel" not in cues:
        found.append("c:hard_negative_only")
    if has_order:
        found.append("e:order_number")
    if has_tracking:
        found.append("e:tracking_number")
    if "?" in folded:
        found.append("s:question")
    return tuple(found)
