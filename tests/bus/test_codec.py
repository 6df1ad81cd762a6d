"""Events to records and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.bus import PermanentError, Record
from router.bus.codec import decode, decode_as, encode
from router.events import InboundMessage, OutboundMessage, Party

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def inbound() -> InboundMessage:
    return InboundMessage(
        event_id="webchat:s:1",
        trace_id="trace-1",
        occurred_at=NOW,
        channel="webchat",
        provider="webchat",
        provider_message_id="s:1",
        conversation_key="webchat:s",
        sender=Party(id="s"),
        text="where is my order",
        received_at=NOW,
    )


def as_record(key: str, value: bytes, headers: dict[str, str]) -> Record:
    return Record("wismo.inbound.v1", 0, 0, key, value, headers, NOW)


def test_encode_sets_key_and_headers() -> None:
    key, value, headers = encode(inbound())
    assert key == "webchat:s"
    assert headers == {
        "event-type": "inbound_message",
        "schema-version": "1",
        "event-id": "webchat:s:1",
        "trace-id": "trace-1",
        "content-type": "application/json",
    }
    assert decode(as_record(key, value, headers)) == inbound()


def test_decode_as_refuses_another_event_type() -> None:
    key, value, headers = encode(inbound())
    with pytest.raises(PermanentError, match="expected 'outbound_message'"):
        decode_as(OutboundMessage, as_record(key, value, headers))


def test_unknown_type_and_invalid_body_are_permanent_errors() -> None:
    with pytest.raises(PermanentError, match="unknown event type 'nope'"):
        decode(as_record("k", b"{}", {"event-type": "nope"}))
    with pytest.raises(PermanentError, match="invalid inbound_message"):
        decode(as_record("k", b'{"event_id": 1}', {"event-type": "inbound_message"}))
    with pytest.raises(PermanentError):
        decode(as_record("k", b"\xff not json", {"event-type": "inbound_message"}))


def test_a_newer_producer_field_is_ignored() -> None:
    key, value, headers = encode(inbound())
    newer = value.replace(b'"text":', b'"added_in_v1_1":"x","text":')
    assert decode_as(InboundMessage, as_record(key, newer, headers)) == inbound()
