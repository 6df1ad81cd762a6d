"""router/classify/labels.py: the labelling row shared by export-decisions, eval and train."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from router.classify.labels import LabelRow, Predicted


def test_an_exported_row_is_not_labelled_yet() -> None:
    row = LabelRow(
        text="where's my hoodie",
        language="en",
        channel="webchat",
        decided_at=datetime(2026, 3, 4, 12, tzinfo=UTC),
        inbound_id="webchat:s1:1",
        predicted=Predicted(wismo=False, intent="other", confidence=0.55, rule="ask.clarify"),
    )
    assert row.wismo is None
    assert row.intent is None
    assert row.label() is None


@pytest.mark.parametrize(
    ("wismo", "intent", "label"),
    [
        (True, None, "wismo.status"),
        (False, None, "other"),
        (None, "wismo.delayed", "wismo.delayed"),
        (True, "wismo.not_received", "wismo.not_received"),
        (False, "refund", "refund"),
        (None, "refund", "refund"),
    ],
)
def test_the_label_is_the_intent_else_the_yes_or_no(
    wismo: bool | None, intent: str | None, label: str
) -> None:
    assert LabelRow(text="x", wismo=wismo, intent=intent).label() == label


def test_an_unknown_intent_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown intent 'order_status'"):
        LabelRow(text="x", intent="order_status")


@pytest.mark.parametrize(("wismo", "intent"), [(False, "wismo.eta"), (True, "refund")])
def test_an_intent_that_contradicts_the_yes_or_no_is_refused(wismo: bool, intent: str) -> None:
    with pytest.raises(ValidationError, match="contradicts"):
        LabelRow(text="x", wismo=wismo, intent=intent)


def test_a_json_line_round_trips_and_extra_fields_are_ignored() -> None:
    row = LabelRow.model_validate_json(
        '{"text": "late again", "wismo": 1, "intent": null, "note": "checked by Sam"}'
    )
    assert row == LabelRow(text="late again", wismo=True)
    assert LabelRow.model_validate_json(row.model_dump_json()) == row


def test_text_is_required() -> None:
    with pytest.raises(ValidationError):
        LabelRow.model_validate_json('{"wismo": true}')
