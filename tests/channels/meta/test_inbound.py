"""channels/meta/inbound.py: the helpers every Meta webhook uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.meta.inbound import clean_text, envelope, from_unix, inbound, validate
from channels.meta.messaging_payload import MessagingPayload
from channels.webhook import Rejected
from router.events import Party

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_clean_text() -> None:
    assert clean_text("  hi\x00 there \n", 100) == "hi there"
    assert clean_text(None, 100) == ""
    assert clean_text("   ", 100) == ""


def test_from_unix() -> None:
    assert from_unix(1772625600) == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert from_unix(1772625600000, millis=True) == datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    for absurd in (None, 0, -5, 10**30, float("inf"), float("nan")):
        assert from_unix(absurd) is None


def test_envelope_ignores_other_objects_and_refuses_bad_shapes() -> None:
    assert envelope({"object": "page", "entry": []}, "instagram", "instagram") is None
    head = envelope({"object": "page", "entry": [1]}, "page", "messenger")
    assert head is not None
    assert head.object == "page"
    bad: object
    for bad in ([], "page", {"object": 1, "entry": []}, {"object": "page"}, None):
        with pytest.raises(Rejected) as caught:
            envelope(bad, "page", "messenger")
        assert (caught.value.status, caught.value.code) == (400, "bad_payload")


def test_ids_must_be_printable_and_short() -> None:
    def payload(sender: str) -> dict[str, object]:
        event = {"sender": {"id": sender}, "recipient": {"id": "1"}}
        return {"object": "page", "entry": [{"id": "1", "messaging": [event]}]}

    validate(MessagingPayload, payload("24"))
    for bad in ("", "a\nb", "x" * 129, "nul\x00", "lone \udc80 surrogate"):
        with pytest.raises(Rejected):
            validate(MessagingPayload, payload(bad))


def test_an_event_that_does_not_fit_is_a_400() -> None:
    with pytest.raises(Rejected) as caught:
        inbound(
            event_id="x:1",
            occurred_at=NOW,
            channel="messenger",
            provider="messenger_platform",
            provider_message_id="m" * 300,
            conversation_key="k",
            sender=Party(id="1"),
            text="hi",
            received_at=NOW,
        )
    assert caught.value.status == 400
