"""Hand-written cues: phrase rules in five languages, cue groups, entity and question flags."""

from __future__ import annotations

import pytest

from router.classify.features import prepare
from router.classify.signals import ANCHORS, PHRASES, signals


def cues(text: str, *, has_order: bool = False, has_tracking: bool = False) -> tuple[str, ...]:
    return signals(prepare(text), has_order=has_order, has_tracking=has_tracking)


def rules(text: str) -> set[str]:
    """The phrase rules that fire, as intents (without the +parcel/-parcel variants)."""
    return {c[2:] for c in cues(text) if c.startswith("r:") and not c.endswith("parcel")}


def test_every_phrase_rule_has_anchors() -> None:
    assert set(PHRASES) == set(ANCHORS)


# --- phrase rules, five languages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # English
        ("can I talk to a human please", "human_request"),
        ("the vase came smashed", "damaged_or_wrong_item"),
        ("you sent me the wrong colour", "damaged_or_wrong_item"),
        ("I'd like my money back", "refund"),
        ("please cancel it", "cancel"),
        ("how do I send it back", "return"),
        ("can I change my delivery address", "change_order"),
        ("my box never arrived", "wismo.not_received"),
        ("app says delivered but no box", "wismo.not_received"),
        ("it's running late", "wismo.delayed"),
        ("no tracking updates since friday", "wismo.delayed"),
        ("can I get the tracking link", "wismo.tracking"),
        ("when will it get here", "wismo.eta"),
        ("where's my stuff", "wismo.status"),
        ("has it shipped yet", "wismo.status"),
        ("is this available in blue", "product_question"),
        ("you charged me twice", "payment_billing"),
        ("I forgot my password", "account"),
        ("cheers mate", "greeting_thanks"),
        ("Hello!", "greeting_thanks"),
        # Spanish
        ("quiero hablar con una persona", "human_request"),
        ("la caja llegó dañada, está rota", "damaged_or_wrong_item"),
        ("necesito un reembolso", "refund"),
        ("quiero cancelar la compra", "cancel"),
        ("cómo puedo devolver esto", "return"),
        ("quiero cambiar la dirección", "change_order"),
        ("no he recibido nada", "wismo.not_received"),
        ("el envío está retrasado", "wismo.delayed"),
        ("me pasas el número de seguimiento", "wismo.tracking"),
        ("¿cuándo llega?", "wismo.eta"),
        ("¿dónde está mi paquete?", "wismo.status"),
        ("muchas gracias", "greeting_thanks"),
        # French
        ("je veux parler à un conseiller", "human_request"),
        ("le carton est arrivé endommagé", "damaged_or_wrong_item"),
        ("je demande le remboursement", "refund"),
        ("j'annule tout", "cancel"),
        ("comment retourner l'article", "return"),
        ("je dois changer d'adresse", "change_order"),
        ("je n'ai jamais reçu le colis", "wismo.not_received"),
        ("la livraison est en retard", "wismo.delayed"),
        ("le numéro de suivi ne marche pas", "wismo.tracking"),
        ("quand arrive le colis", "wismo.eta"),
        ("où est mon colis", "wismo.status"),
        ("merci beaucoup", "greeting_thanks"),
        # German
        ("ich will mit einem Mitarbeiter sprechen", "human_request"),
        ("die Lampe ist kaputt", "damaged_or_wrong_item"),
        ("ich möchte eine Rückerstattung", "refund"),
        ("bitte stornieren", "cancel"),
        ("wie kann ich das zurücksenden", "return"),
        ("bitte Adresse ändern", "change_order"),
        ("das Paket ist nicht angekommen", "wismo.not_received"),
        ("die Lieferung ist verspätet", "wismo.delayed"),
        ("die Sendungsnummer geht nicht", "wismo.tracking"),
        ("wann kommt das Paket", "wismo.eta"),
        ("wo bleibt mein Paket", "wismo.status"),
        ("danke schön", "greeting_thanks"),
        # Portuguese
        ("quero falar com um atendente", "human_request"),
        ("o copo veio quebrado", "damaged_or_wrong_item"),
        ("quero a devolução do valor", "refund"),
        ("quero devolver o tênis", "return"),
        ("preciso mudar o endereço", "change_order"),
        ("não recebi o pacote", "wismo.not_received"),
        ("a entrega está atrasada", "wismo.delayed"),
        ("o código de rastreio não funciona", "wismo.tracking"),
        ("quando chega?", "wismo.eta"),
        ("cadê a minha encomenda", "wismo.status"),
        ("muito obrigada", "greeting_thanks"),
    ],
)
def test_phrase_rules_fire(text: str, rule: str) -> None:
    assert rule in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "I love this jumper",
        "estoy esperando mi paquete desde el lunes",
        "chocolate cake",
        "",
        "hi there, about my order",  # a greeting only counts on its own
    ],
)
def test_no_phrase_rule_fires(text: str) -> None:
    assert rules(text) == set()


def test_no_cue_at_all_for_a_plain_message() -> None:
    assert cues("I love this jumper") == ()
    assert cues("") == ()


# --- the +parcel / -parcel split ---------------------------------------------------------------


def test_wismo_rule_without_anything_ordered_is_minus_parcel() -> None:
    assert cues("still waiting on hold") == (
        "r:wismo.delayed",
        "c:negation",
        "r:wismo.delayed-parcel",
    )


def test_wismo_rule_with_a_parcel_word_is_plus_parcel() -> None:
    found = cues("my order is still stuck")
    assert "r:wismo.delayed+parcel" in found
    assert "r:wismo.delayed-parcel" not in found
    assert found == (
        "r:wismo.delayed",
        "c:negation",
        "c:parcel",
        "r:wismo.delayed+parcel",
    )


@pytest.mark.parametrize(
    ("has_order", "has_tracking", "flags"),
    [
        (True, False, ("e:order_number",)),
        (False, True, ("e:tracking_number",)),
        (True, True, ("e:order_number", "e:tracking_number")),
    ],
)
def test_an_order_or_tracking_number_counts_as_a_parcel(
    has_order: bool, has_tracking: bool, flags: tuple[str, ...]
) -> None:
    found = cues("stuck", has_order=has_order, has_tracking=has_tracking)
    assert found == ("r:wismo.delayed", "r:wismo.delayed+parcel", *flags)


def test_entity_flags_without_any_rule() -> None:
    assert cues("hello there", has_order=True) == ("e:order_number",)
    assert cues("hello there", has_tracking=True) == ("e:tracking_number",)
    assert cues("hello there") == ()


def test_every_wismo_rule_gets_exactly_one_parcel_variant() -> None:
    found = cues("where is my parcel, it's late, when will it come, tracking?")
    wismo = [c for c in found if c.startswith("r:wismo.") and not c.endswith("parcel")]
    assert sorted(wismo) == [
        "r:wismo.delayed",
        "r:wismo.eta",
        "r:wismo.status",
        "r:wismo.tracking",
    ]
    variants = [c for c in found if c.startswith("r:") and c.endswith("parcel")]
    assert variants == [f"{c}+parcel" for c in wismo]


def test_other_rules_get_no_parcel_variant() -> None:
    found = cues("refund for my order please")
    assert found == ("r:refund", "c:parcel")


# --- cue groups, combinations, question --------------------------------------------------------


def test_full_signal_order_rules_cues_variants_combinations_flags() -> None:
    assert cues("my parcel has not arrived, due tuesday?", has_order=True) == (
        "r:wismo.not_received",
        "c:arrive",
        "c:negation",
        "c:parcel",
        "c:time",
        "r:wismo.not_received+parcel",
        "c:parcel+arrive+negation",
        "c:parcel+time",
        "c:arrive+negation",
        "e:order_number",
        "s:question",
    )


def test_misspelled_message_gets_the_same_cues_as_the_correct_one() -> None:
    assert cues("my pakage hasnt arived") == cues("my package hasn't arrived")
    assert cues("my package hasn\u2019t arrived") == cues("my package hasn't arrived")


def test_abbreviations_expand_before_the_rules() -> None:
    assert cues("not dlvd after 1 wk") == (
        "r:wismo.not_received",
        "c:arrive",
        "c:negation",
        "c:time",
        "r:wismo.not_received-parcel",
        "c:arrive+negation",
    )


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("where is it?", True),
        ("¿dónde está?", True),
        ("?", True),
        ("¿dónde está", False),
        ("where is it", False),
    ],
)
def test_question_flag(text: str, question: bool) -> None:
    assert ("s:question" in cues(text)) is question


def test_hard_negative_without_a_parcel() -> None:
    assert cues("my flight was delayed") == (
        "r:wismo.delayed",
        "c:hard_negative",
        "r:wismo.delayed-parcel",
        "c:hard_negative_only",
    )


@pytest.mark.parametrize(
    "text",
    [
        "my bank card has not come",
        "the verification code never arrived",
        "the train is late again",
        "broadband down since monday",
    ],
)
def test_hard_negative_only_cue(text: str) -> None:
    found = cues(text)
    assert "c:hard_negative" in found
    assert "c:hard_negative_only" in found
    assert "c:parcel" not in found


def test_hard_negative_with_a_parcel_is_not_hard_negative_only() -> None:
    assert cues("the gift card in my order") == ("c:hard_negative", "c:parcel")


# --- trigger gating never drops a rule ---------------------------------------------------------

MESSAGES = [
    "where is my order #4521??",
    "Where\u2019s my parcel? It was supposed to come Monday",
    "my package hasnt arived yet and its been 9 days",
    "tracking says delivered but nothing at the door",
    "not dlvd after 1 wk",
    "still waiting on hold for 40 minutes",
    "my order is still stuck in Leeds",
    "when will my package arrive",
    "how long until it ships",
    "can I get a refund for the blue jumper",
    "I want my money back",
    "please cancel order 7781",
    "I'd like to return this, can you send a return label",
    "can I change my delivery address to 12 High St",
    "the mug arrived broken and the lid is missing",
    "you sent the wrong size",
    "do you have this in stock in size 10",
    "I was charged twice for one order",
    "I can't log in, password reset link never came",
    "can I speak to a real person please",
    "thanks, it arrived today!",
    "hi",
    "hello!!",
    "my flight was delayed 3 hours",
    "the train is running late again",
    "¿Dónde está mi pedido? Todavía no ha llegado",
    "no he recibido mi paquete y el seguimiento no se mueve",
    "quiero un reembolso, el producto llegó roto",
    "quiero cancelar mi pedido",
    "¿cuándo llega mi pedido?",
    "quiero devolver las zapatillas",
    "necesito cambiar la dirección de envío",
    "hablar con una persona por favor",
    "où est ma commande ? toujours pas reçue",
    "j'annule ma commande, merci",
    "J\u2019annule la commande",
    "mon colis n'est pas arrivé, il est en retard",
    "je voudrais un remboursement",
    "quand arrive mon colis ?",
    "je veux changer l'adresse de livraison",
    "le produit est endommagé, je veux le retourner",
    "parler à quelqu\u2019un svp",
    "wo ist meine Bestellung? Immer noch nicht angekommen",
    "Ich möchte eine Rückerstattung für die kaputte Lampe",
    "RÜCKERSTATTUNG BITTE",
    "Bitte stornieren Sie meine Bestellung",
    "wann kommt mein Paket? Die Sendungsnummer funktioniert nicht",
    "Mein Paket ist verspätet",
    "Adresse ändern bitte",
    "Danke, alles angekommen",
    "onde está o meu pedido? ainda não chegou",
    "cadê minha encomenda, não recebi nada",
    "quero a devolução do dinheiro",
    "quando chega meu pacote? código de rastreio não funciona",
    "o produto veio quebrado",
    "obrigado!",
    "the app keeps crashing when I open my account",
    "my bank card was declined, payment failed",
    "no updates on my parcel for a week, is it lost in transit?",
    "the courier said failed delivery but nobody knocked",
    "has it shipped yet? order status please",
    "what's the ETA on order 5512",
    "can you update my shipping address",
    "my invoice shows a promo code that didn't apply",
    "it says delivered, it\u02bcs not here",
    "sooooo late, still nothing!!!!",
    "refundddd now",
    "order#1001 stuck",
    "2day my pkg was stolen",
    "is it available? how much is shipping",
    "",
    "😡😡😡",
]


def test_the_messages_cover_every_phrase_rule() -> None:
    fired = set().union(*(rules(m) for m in MESSAGES))
    assert fired == set(PHRASES)


def test_trigger_gating_never_drops_a_rule() -> None:
    mismatches = {}
    for message in MESSAGES:
        prepared = prepare(message)
        gated = {c for c in signals(prepared) if c.startswith("r:") and not c.endswith("parcel")}
        every = {f"r:{i}" for i, pattern in PHRASES.items() if pattern.search(prepared.folded)}
        if gated != every:
            mismatches[message] = (sorted(gated), sorted(every))
    assert mismatches == {}


@pytest.mark.parametrize(
    "message",
    [
        "write to refunds@shop.example please",
        "see https://shop.example/tracking",
        "@RefundTeam hello",
    ],
)
def test_trigger_gating_inside_handles_urls_and_emails(message: str) -> None:
    prepared = prepare(message)
    gated = {c for c in signals(prepared) if c.startswith("r:") and not c.endswith("parcel")}
    every = {f"r:{i}" for i, pattern in PHRASES.items() if pattern.search(prepared.folded)}
    assert every  # the regex does match the folded text
    assert gated == every
