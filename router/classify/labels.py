"""A shop's own messages, labelled by its people: the way to a model fitted to its traffic.

`wismo export-decisions` writes them from the store, `wismo eval` scores a model on them and
`wismo train --own` learns from them: one JSONL format for all three. A row carries `text`,
the person's `wismo` and/or `intent` (null until filled in), and, for the labeller to see,
what the service decided.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.classify.base import INTENTS


class Predicted(BaseModel):
    """What the service decided when the message came in."""

    wismo: bool
    intent: str
    confidence: float = Field(ge=0.0, le=1.0)
    rule: str


class LabelRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str
    wismo: bool | None = None
    intent: str | None = None
    language: str | None = None
    channel: str | None = None
    decided_at: datetime | None = None
    inbound_id: str | None = None
    predicted: Predicted | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LabelRow:
        if self.intent is not None and self.intent not in INTENTS:
            raise ValueError(f"unknown intent {self.intent!r}")
        if (
            self.intent is not None
            and self.wismo is not None
            and self.intent.startswith("wismo.") != self.wismo
        ):
            raise ValueError(f"intent {self.intent!r} contradicts wismo={self.wismo}")
        return self

    def label(self) -> str | None:
        """The intent to train on: the person's intent, else `wismo.status` / `other` from a
        yes/no label (the binary WISMO head needs no more), else None: not labelled yet."""
        if self.intent is not None:
            return self.intent
        if self.wismo is None:
            return None
        return "wismo.status" if self.wismo else "other"
