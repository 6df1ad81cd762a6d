"""The event contract: validation, immutability, forward compatibility, ids and keys."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from router.events import (
    EVENT_TYPES,
    MAX_TEXT_CHARS,
    Action,
    Classification,
    Decision,
    DeskAction,
    Entities,
    Escalation,
    Event,
    HandoffMessage,
    IdentityCheck,
    InboundMessage,
    OutboundMessage,
    Party,
    ShipmentStatus,
    TrackingRef,
    TrackingUpdate,
)

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def inbound(**changes: Any) -> InboundMessage:
    fields: dict[str, Any] = {
        "event_id": "webchat:m1",
        "occurred_at": NOW,
        "channel": "webchat",
        "provider": "webchat",
        "provider_message_id": "m1",
        "conversation_key": "webchat:s1",
        "sender": Party(id="s1"),
        "text": "where is my order #1001?",
        "received_at": NOW,
    }
    fields.update(changes)
    return InboundMessage(**fields)


def tracking_update(**changes: Any) -> TrackingUpdate:
    fields: dict[str, Any] = {
        "event_id": "t1",
        "occurred_at": NOW,
        "tracking_number": "1ZXK3DEG0359083017",
        "carrier": "UPS",
        "status": "in_transit",
        "source": "easypost",
    }
    fields.update(changes)
    return TrackingUpdate(**fields)


def decision(**changes: Any) -> Decision:
    fields: dict[str, Any] = {
        "event_id": Decision.make_id("webchat:m1"),
        "occurred_at": NOW,
        "inbound_id": "webchat:m1",
        "conversation_key": "webchat:s1",
        "channel": "webchat",
        "provider": "webchat",
        "intent": "wismo.status",
        "wismo": True,
        "confidence": 0.85,
        "language": "en",
        "action": "answer",
        "rule": "answer.status",
        "identity": IdentityCheck(verified=True, method="order_number+email"),
        "reply_text": "Order #1001: on its way.",
        "classifier": "rules@1",
    }
    fields.update(changes)
    return Decision(**fields)


# --- registry --------------------------------------------------------------------------------


def test_event_types_registry_names_every_published_event() -> None:
    assert EVENT_TYPES == {
        "inbound_message": InboundMessage,
        "classification": Classification,
        "decision": Decision,
        "outbound_message": OutboundMessage,
        "escalation": Escalation,
        "handoff_message": HandoffMessage,
        "desk_action": DeskAction,
        "tracking_update": TrackingUpdate,
    }
    for name, cls in EVENT_TYPES.items():
        assert cls.EVENT_TYPE == name
        assert cls.SCHEMA_VERSION == 1


def test_event_is_abstract_without_a_partition_key() -> None:
    class NoKey(Event):
        EVENT_TYPE: ClassVar[str] = "no_key"

    with pytest.raises(TypeError, match="abstract"):
        NoKey(event_id="x", occurred_at=NOW)  # type: ignore[abstract]


# --- ids and keys ----------------------------------------------------------------------------


def test_make_id_is_deterministic_per_source_message() -> None:
    assert InboundMessage.make_id("webchat", "m1") == "webchat:m1"
    assert Decision.make_id("webchat:m1") == "decision:webchat:m1"
    assert OutboundMessage.make_id("webchat:m1") == "reply:webchat:m1"
    assert Escalation.make_id("webchat:m1") == "escalation:webchat:m1"


def test_partition_keys() -> None:
    assert inbound().key() == "webchat:s1"
    assert decision().key() == "webchat:s1"
    assert tracking_update().key() == "1ZXK3DEG0359083017"
    outbound = OutboundMessage(
        event_id="reply:webchat:m1",
        occurred_at=NOW,
        conversation_key="webchat:s2",
        channel="webchat",
        provider="webchat",
        recipient=Party(id="s2"),
        text="hi",
    )
    assert outbound.key() == "webchat:s2"
    classification = Classification(
        event_id="c1",
        occurred_at=NOW,
        inbound_id="webchat:m1",
        conversation_key="webchat:s3",
        intent="wismo.status",
        wismo=True,
        confidence=0.85,
        unsure=False,
        classifier="rules@1",
    )
    assert classification.key() == "webchat:s3"
    escalation = Escalation(
        event_id="escalation:webchat:m1",
        occurred_at=NOW,
        inbound_id="webchat:m1",
        decision_id="decision:webchat:m1",
        conversation_key="webchat:s4",
        channel="webchat",
        provider="webchat",
        reason="intent refund",
        rule="escalate.non_wismo",
        intent="refund",
        language="en",
        customer_text="I want a refund",
    )
    assert escalation.key() == "webchat:s4"


# --- validation ------------------------------------------------------------------------------


def test_defaults() -> None:
    message = inbound()
    assert message.schema_version == 1
    assert message.trace_id == ""
    assert message.route == {}
    assert message.attachments == []
    assert message.language is None
    assert message.sender == Party(id="s1", name=None, email=None, phone=None)


def test_default_collections_are_not_shared() -> None:
    first, second = Entities(), Entities()
    assert first.order_numbers is not second.order_numbers
    assert inbound().route is not inbound().route


@pytest.mark.parametrize("name", ["webchat", "sms", "whatsapp.cloud", "a", "x" * 64, "e-mail_2"])
def test_name_accepts_lowercase_short_names(name: str) -> None:
    assert inbound(channel=name).channel == name


@pytest.mark.parametrize("name", ["", "WebChat", "1sms", "_sms", "web chat", "x" * 65, "sms!"])
def test_name_rejects_anything_else(name: str) -> None:
    with pytest.raises(ValidationError, match="channel"):
        inbound(channel=name)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        inbound(occurred_at=datetime(2026, 11, 18, 15, 0))
    with pytest.raises(ValidationError, match="received_at"):
        inbound(received_at=datetime(2026, 11, 18, 15, 0))


def test_text_length_limit() -> None:
    assert len(inbound(text="x" * MAX_TEXT_CHARS).text) == MAX_TEXT_CHARS
    with pytest.raises(ValidationError, match="text"):
        inbound(text="x" * (MAX_TEXT_CHARS + 1))


def test_string_length_limits() -> None:
    with pytest.raises(ValidationError, match="provider_message_id"):
        inbound(provider_message_id="")
    with pytest.raises(ValidationError, match="provider_message_id"):
        inbound(provider_message_id="m" * 257)
    with pytest.raises(ValidationError, match="conversation_key"):
        inbound(conversation_key="")
    with pytest.raises(ValidationError, match="event_id"):
        inbound(event_id="")
    with pytest.raises(ValidationError, match="event_id"):
        inbound(event_id="e" * 513)
    assert inbound(event_id="e" * 512).event_id == "e" * 512
    with pytest.raises(ValidationError, match="tracking_number"):
        tracking_update(tracking_number="")
    with pytest.raises(ValidationError, match="tracking_number"):
        tracking_update(tracking_number="1" * 65)


@pytest.mark.parametrize("confidence", [-0.01, 1.01])
def test_confidence_must_be_a_probability(confidence: float) -> None:
    with pytest.raises(ValidationError, match="confidence"):
        decision(confidence=confidence)


@pytest.mark.parametrize("confidence", [0.0, 1.0])
def test_confidence_bounds_are_inclusive(confidence: float) -> None:
    assert decision(confidence=confidence).confidence == confidence


def test_status_and_action_parse_from_their_wire_values() -> None:
    update = tracking_update(status="out_for_delivery", estimated_delivery="2026-11-20")
    assert update.status is ShipmentStatus.OUT_FOR_DELIVERY
    assert update.estimated_delivery == date(2026, 11, 20)
    assert decision(action="escalate").action is Action.ESCALATE
    with pytest.raises(ValidationError, match="status"):
        tracking_update(status="lost_in_space")
    with pytest.raises(ValidationError, match="action"):
        decision(action="shrug")


def test_events_are_frozen() -> None:
    message = inbound()
    with pytest.raises(ValidationError, match="frozen"):
        message.text = "changed"  # type: ignore[misc]
    assert message.text == "where is my order #1001?"


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    payload = inbound().model_dump(mode="json")
    payload["added_in_a_later_version"] = {"anything": 1}
    payload["sender"]["nickname"] = "al"
    parsed = InboundMessage.model_validate(payload)
    assert parsed == inbound()
    assert not hasattr(parsed, "added_in_a_later_version")


def test_json_round_trip_is_lossless() -> None:
    original = decision(
        entities=Entities(
            order_numbers=["1001"],
            tracking_numbers=[TrackingRef(number="1ZXK3DEG0359083017", carrier="UPS")],
            emails=["alice@example.com"],
            phones=["+14155550134"],
            postcodes=["94107"],
        ),
        notes=["late", "stale:1ZXK3DEG0359083017:5"],
        asked_for=["order_number"],
    )
    wire = original.model_dump_json()
    assert Decision.model_validate_json(wire) == original
    assert '"occurred_at":"2026-11-18T15:00:00Z"' in wire
    assert '"action":"answer"' in wire
