"""Events to records and back: JSON bodies, and the headers every record carries."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError

from router.bus.base import (
    H_CONTENT_TYPE,
    H_EVENT_ID,
    H_EVENT_TYPE,
    H_SCHEMA_VERSION,
    H_TRACE_ID,
    EventBus,
    PermanentError,
    Record,
)
from router.events import EVENT_TYPES, Event

E = TypeVar("E", bound=Event)


def headers_for(event: Event) -> dict[str, str]:
    return {
        H_EVENT_TYPE: event.EVENT_TYPE,
        H_SCHEMA_VERSION: str(event.schema_version),
        H_EVENT_ID: event.event_id,
        H_TRACE_ID: event.trace_id,
        H_CONTENT_TYPE: "application/json",
    }


def encode(event: Event) -> tuple[str, bytes, dict[str, str]]:
    return event.key(), event.model_dump_json().encode(), headers_for(event)


async def publish_event(bus: EventBus, topic: str, event: Event) -> None:
    key, value, headers = encode(event)
    await bus.publish(topic, key, value, headers)


def decode(record: Record) -> Event:
    """The event in a record, by its event-type header; PermanentError when unreadable."""
    name = record.headers.get(H_EVENT_TYPE, "")
    model = EVENT_TYPES.get(name)
    if model is None:
        raise PermanentError(f"unknown event type {name!r}")
    return _validate(model, record)


def decode_as(model: type[E], record: Record) -> E:
    name = record.headers.get(H_EVENT_TYPE)
    if name != model.EVENT_TYPE:
        raise PermanentError(f"expected {model.EVENT_TYPE!r}, got event type {name!r}")
    return _validate(model, record)


def _validate(model: type[E], record: Record) -> E:
    try:
        return model.model_validate_json(record.value)
    except ValidationError as exc:
        raise PermanentError(
            f"invalid {model.EVENT_TYPE}: {exc.error_count()} error(s): {exc.errors()[0]['msg']}"
        ) from exc
