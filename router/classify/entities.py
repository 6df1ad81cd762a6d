"""Entities in a customer message: order numbers, tracking numbers, e-mails, phones, postcodes.

Tracking numbers are taken only when their carrier's check digit holds; phone numbers are
parsed by libphonenumber and reported in E.164; the spans they cover are never read again as
order numbers, so "+1 415 555 0134" is a phone and not order 4155550134.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers

from router.events import Entities, TrackingRef
from router.tracking.numbers import find_in_text

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")


def _typos(word: str) -> set[str]:
    """The word, each one-letter deletion and each swap of neighbours ("purhase", "roder")."""
    found = {word}
    for i in range(len(word)):
        found.add(word[:i] + word[i + 1 :])
        if i + 1 < len(word):
            found.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return {w for w in found if len(w) >= 4}


ORDER_WORDS = sorted(
    _typos("order")
    | _typos("purchase")
    | {"ord", "ordedr", "pedido", "commande", "bestellung", "encomenda", "ordine", "bestelling"}
    | {"compra", "achat", "auftrag"},
    key=len,
    reverse=True,
)
ORDER_NUMBER = r"(?P<n>[A-Z]{0,3}-?\d{3,20}(?:-\d{3,20})*)"

# Order numbers: Amazon-style "123-1234567-1234567" anywhere (first, so "order 123-…" is not
# cut short), "order 1001" / "order no. 1001" / "purchase: A-1001" (also mistyped, also glued
# to "the"/"my": "theorder 1001"), and "#1001".
AMAZON = re.compile(r"\b(?P<n>\d{3}-\d{7}-\d{7})\b")
BY_KEYWORD = re.compile(
    r"\b(?:the|my|your|this|our|is)?(?:" + "|".join(map(re.escape, ORDER_WORDS)) + r")"
    r"(?:\s*(?:number|num|nr|no|n[º°o]|#|id|nummer|numéro|número|numero))?\.?\s*[:#]?\s*"
    + ORDER_NUMBER
    + r"\b",
    re.IGNORECASE,
)
BY_HASH = re.compile(r"(?<![\w#])#\s?(?P<n>\d{3,20}(?:-\d{3,20})*)\b")
ORDER_PATTERNS: tuple[re.Pattern[str], ...] = (AMAZON, BY_KEYWORD, BY_HASH)

# "#580" among other hashtags ("#halloween #2017 #diy") is a hashtag, not an order.
HASHTAG_BEFORE = re.compile(r"#\w+\s*$")
HASHTAG_AFTER = re.compile(r"\s*#[^\W\d]")

# Only when we just asked for an order number: a bare "1001" is then the answer (not a price,
# a decimal, or part of a longer token).
BARE_ORDER = re.compile(
    r"(?<![\w#$€£¥.,-])(?P<n>[A-Z]{0,3}-?\d{3,10})(?![\w-]|[.,]\d)", re.IGNORECASE
)

# "#4821" after these words is somebody else's reference, not an order number.
NOT_AN_ORDER_WORDS = sorted(
    _typos("invoice")
    | _typos("receipt")
    | {"bill", "bil", "bll", "case", "ticket", "ref", "reference", "claim", "incident"}
    | {"confirmation", "room", "flight", "account", "acct", "customer", "member", "policy"}
    | {"membership", "booking", "reservation", "store", "branch", "table", "seat", "gate"}
    | {"platform", "route", "bus", "train", "line", "unit", "apt", "apartment", "suite", "box"}
    | {"tracking", "track", "awb", "waybill", "phone", "tel"}
    | {"mobile", "cell", "zip", "error", "code", "version", "model", "cartridge", "size"}
    | {"over", "under", "top", "rank", "ranked", "was", "am", "were", "number"},
    key=len,
    reverse=True,
)
NOT_AN_ORDER_BEFORE = re.compile(
    r"\b(?:" + "|".join(map(re.escape, NOT_AN_ORDER_WORDS)) + r")"
    r"\s*(?:no\.?|nr\.?|number|id)?\s*[:#]?\s*#?\s*$",
    re.IGNORECASE,
)

# Digits-only tracking numbers that are also valid phone numbers count as tracking numbers
# only when the text talks about tracking or names a carrier.
TRACKING_CONTEXT = re.compile(
    r"track|awb|waybill|parcel|package|shipment|shipping|courier|carrier|deliver|"
    r"\b(?:ups|usps|fedex|dhl|dpd|gls|tnt|ontrac|lasership|purolator|canpar|royal mail|"
    r"evri|hermes|yodel|correos|seur|colissimo|chronopost|la poste|postnl|ctt|correios)\b",
    re.IGNORECASE,
)

POSTCODES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", re.IGNORECASE),  # UK
    re.compile(  # Canada
        r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b", re.IGNORECASE
    ),
    re.compile(r"(?i:\b(?:zip|zip code|postcode|postal code|plz|cp)\b)\s*:?\s*(\d{5}(?:-\d{4})?)"),
)

DEFAULT_REGION = "US"

# "the last 4 digits of my phone are 0134", "number ending in 0134": a second factor.
LAST4 = re.compile(
    r"(?:\b(?:last|final)\s+(?:4|four)(?:\s+(?:digits|numbers))?"
    r"(?:\s+of\s+(?:my|the)\s+(?:phone|number|mobile|cell)(?:\s+number)?)?"
    r"\s*(?:is|are|:|=)?|\bending\s+(?:in|with))\s*(?P<n>\d{4})\b",
    re.IGNORECASE,
)

NOT_NUMBERS = re.compile(r"(?<![\w.+-])@\w+|https?://\S+|www\.\S+|" + EMAIL.pattern)

DIGIT = re.compile(r"\d")

# A phone number has at least 7 digits close together; most messages have none.
DENSE_DIGITS = re.compile(r"(?:\d[^\n\d]{0,3}){7}")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def _free(span: Span, taken: Sequence[Span]) -> bool:
    return not any(span.overlaps(t) for t in taken)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _find_orders(
    text: str,
    patterns: Sequence[re.Pattern[str]],
    taken: list[Span],
    orders: list[tuple[int, str]],
) -> None:
    for pattern in patterns:
        for m in pattern.finditer(text):
            span = Span(m.start("n"), m.end("n"))
            if not _free(span, taken) or _someone_elses(text, pattern, m):
                continue
            orders.append((span.start, m.group("n").upper()))
            taken.append(span)


def _phone_rather_than_tracking(number: str, text: str, region: str) -> bool:
    if not number.isdigit() or len(number) > 15 or TRACKING_CONTEXT.search(text):
        return False
    candidate = "+" + number[2:] if number.startswith("00") else number
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


def _someone_elses(text: str, pattern: re.Pattern[str], m: re.Match[str]) -> bool:
    """A number without an order keyword is no order after "ticket", "invoice", "flight"…,
    nor inside a run of hashtags."""
    if pattern is AMAZON or pattern is BY_KEYWORD:
        return False
    if NOT_AN_ORDER_BEFORE.search(text, max(0, m.start() - 40), m.start()):
        return True
    if pattern is BY_HASH:
        return bool(
            HASHTAG_BEFORE.search(text, max(0, m.start() - 40), m.start())
            or HASHTAG_AFTER.match(text, m.end())
        )
    return False


class EntityExtractor:
    """Entities with the shop's own order-number patterns added to the built-in ones.

    Each configured pattern is a regular expression with a named group `n` for the number,
    e.g. `\\bSO-(?P<n>\\d{6})\\b`; the text around it is the evidence, so no other context
    check applies to it.
    """

    def __init__(self, order_patterns: Sequence[str] = (), region: str = DEFAULT_REGION) -> None:
        extra = tuple(compile_order_pattern(p) for p in order_patterns)
        self.order_patterns = (*ORDER_PATTERNS, *extra)
        self.region = region

    def extract(self, text: str, *, expect_order: bool = False) -> Entities:
        """All entities in `text`, each list in order of first appearance, no duplicates.

        `expect_order`: the conversation just asked for an order number, so a bare number counts.
        """
        region = self.region
        taken: list[Span] = []

        emails = []
        numbers_text = text
        if "@" in text or "http" in text or "www." in text:
            for m in EMAIL.finditer(text):
                emails.append(m.group(0).casefold())
                taken.append(Span(m.start(), m.end()))
            # Handles ("@115821"), URLs and e-mails hold digits that are never numbers we
            # want; blanked out (same length: spans still point into `text`) for the scans.
            numbers_text = NOT_NUMBERS.sub(lambda m: " " * len(m.group()), text)
        if not DIGIT.search(numbers_text):  # every number we look for has a digit
            return Entities(emails=_unique(emails))

        # Numbers the text itself calls an order ("order 3707955617", "#1001") win over every
        # other reading: a 10-digit order number is also a valid US phone number.
        orders: list[tuple[int, str]] = []
        _find_orders(text, self.order_patterns, taken, orders)
        ordered = {n for _, n in orders}

        tracking = []
        for match in find_in_text(numbers_text):
            if match.number in ordered or _phone_rather_than_tracking(match.number, text, region):
                continue
            tracking.append(TrackingRef(number=match.number, carrier=match.carrier))
            for m in re.finditer(r"\s*".join(map(re.escape, match.number)), text, re.IGNORECASE):
                taken.append(Span(m.start(), m.end()))

        phones = []
        if DENSE_DIGITS.search(numbers_text):
            for pm in phonenumbers.PhoneNumberMatcher(
                numbers_text, region, leniency=phonenumbers.Leniency.VALID
            ):
                span = Span(pm.start, pm.end)
                if _free(span, taken):
                    phones.append(
                        phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164)
                    )
                    taken.append(span)

        postcodes = []
        for pattern in POSTCODES:
            for m in pattern.finditer(text):
                group = 1 if pattern.groups else 0
                span = Span(m.start(group), m.end(group))
                if _free(span, taken):
                    postcodes.append(m.group(group).upper())
                    taken.append(span)

        last4 = []
        for m in LAST4.finditer(text):
            span = Span(m.start("n"), m.end("n"))
            if _free(span, taken):
                last4.append(m.group("n"))
                taken.append(span)

        if expect_order:
            _find_orders(text, (BARE_ORDER,), taken, orders)

        return Entities(
            order_numbers=_unique(n for _, n in sorted(orders)),
            tracking_numbers=list({t.number: t for t in tracking}.values()),
            emails=_unique(emails),
            phones=_unique(phones),
            postcodes=_unique(postcodes),
            phone_last4=_unique(last4),
        )


def compile_order_pattern(pattern: str) -> re.Pattern[str]:
    compiled = re.compile(pattern, re.IGNORECASE)
    if "n" not in compiled.groupindex:
        raise ValueError(f"order pattern {pattern!r} needs a named group (?P<n>...)")
    return compiled


_DEFAULT = EntityExtractor()


def extract(text: str, *, region: str = DEFAULT_REGION, expect_order: bool = False) -> Entities:
    """`EntityExtractor().extract` with the built-in patterns."""
    extractor = _DEFAULT if region == DEFAULT_REGION else EntityExtractor(region=region)
    return extractor.extract(text, expect_order=expect_order)
