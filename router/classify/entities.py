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

# Order numbers: Amazon-style "123-1234567-1234567" anywhere (first, so "order 123-…" is not
# cut short), "#1001", "order 1001", "order no. 1001", "order number: A-1001".
AMAZON = re.compile(r"\b(?P<n>\d{3}-\d{7}-\d{7})\b")
ORDER_PATTERNS: tuple[re.Pattern[str], ...] = (
    AMAZON,
    re.compile(r"(?<![\w#])#\s?(?P<n>[A-Z]{0,3}-?\d{3,10})\b", re.IGNORECASE),
    re.compile(
        r"\b(?:order|ord|pedido|commande|bestellung|encomenda|ordine|bestelling)"
        r"(?:\s*(?:number|num|nr|no|n[º°o]|#|id|nummer|numéro|número))?\.?\s*[:#]?\s*"
        r"(?P<n>[A-Z]{0,3}-?\d{3,10})\b",
        re.IGNORECASE,
    ),
)

# Only when we just asked for an order number: a bare "1001" is then the answer (not a price,
# a decimal, or part of a longer token).
BARE_ORDER = re.compile(
    r"(?<![\w#$€£¥.,-])(?P<n>[A-Z]{0,3}-?\d{3,10})(?![\w-]|[.,]\d)", re.IGNORECASE
)

# "#4821" after these words is somebody else's reference, not an order number.
NOT_AN_ORDER_BEFORE = re.compile(
    r"\b(?:case|ticket|ref|reference|invoice|claim|incident|confirmation|room|flight|"
    r"account|acct|customer)\s*(?:no\.?|nr\.?|number|id)?\s*[:#]?\s*#?\s*$",
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


def extract(text: str, *, region: str = DEFAULT_REGION, expect_order: bool = False) -> Entities:
    """All entities in `text`, each list in order of first appearance, without duplicates.

    `expect_order`: the conversation just asked for an order number, so a bare number counts.
    """
    taken: list[Span] = []

    emails = []
    for m in EMAIL.finditer(text):
        emails.append(m.group(0).casefold())
        taken.append(Span(m.start(), m.end()))

    tracking = []
    for match in find_in_text(text):
        tracking.append(TrackingRef(number=match.number, carrier=match.carrier))
        for m in re.finditer(r"\s*".join(map(re.escape, match.number)), text, re.IGNORECASE):
            taken.append(Span(m.start(), m.end()))

    phones = []
    for pm in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        span = Span(pm.start, pm.end)
        if not _free(span, taken):
            continue
        phones.append(phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164))
        taken.append(span)

    postcodes = []
    for pattern in POSTCODES:
        for m in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            span = Span(m.start(group), m.end(group))
            if _free(span, taken):
                postcodes.append(m.group(group).upper())
                taken.append(span)

    orders: list[tuple[int, str]] = []
    for pattern in (*ORDER_PATTERNS, BARE_ORDER) if expect_order else ORDER_PATTERNS:
        for m in pattern.finditer(text):
            span = Span(m.start("n"), m.end("n"))
            before = max(0, m.start() - 40)
            someone_elses = pattern is not AMAZON and NOT_AN_ORDER_BEFORE.search(
                text, before, m.start()
            )
            if _free(span, taken) and not someone_elses:
                orders.append((span.start, m.group("n").upper()))
                taken.append(span)

    return Entities(
        order_numbers=_unique(n for _, n in sorted(orders)),
        tracking_numbers=list({t.number: t for t in tracking}.values()),
        emails=_unique(emails),
        phones=_unique(phones),
        postcodes=_unique(postcodes),
    )
