"""The classifier contract: a pure function of the text (and a language hint)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from router.events import Entities

WISMO_INTENTS = (
    "wismo.status",
    "wismo.eta",
    "wismo.delayed",
    "wismo.not_received",
    "wismo.tracking",
)
OTHER_INTENTS = (
    "refund",
    "return",
    "cancel",
    "change_order",
    "damaged_or_wrong_item",
    "product_question",
    "payment_billing",
    "account",
    "human_request",
    "complaint_other",
    "greeting_thanks",
    "other",
)
INTENTS = WISMO_INTENTS + OTHER_INTENTS


@dataclass(frozen=True, slots=True)
class Result:
    intent: str
    wismo: bool
    confidence: float
    language: str
    entities: Entities


class Classifier(Protocol):
    name: str

    def classify(
        self, text: str, *, language_hint: str | None = None, expect_order: bool = False
    ) -> Result:
        """`expect_order`: we just asked for an order number, so a bare number is one."""
