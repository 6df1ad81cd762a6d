"""Real-format WhatsApp Cloud API webhook payloads (shapes from Meta's webhook reference and
captured notifications), built small so each test says what it varies."""

from __future__ import annotations

from typing import Any

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WA_ID = "16315551181"
T0 = 1772625600  # 2026-03-04 12:00:00 UTC


def text_message(
    wamid: str, body: str, *, wa_id: str = WA_ID, ts: int = T0, **extra: Any
) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(ts),
        "type": "text",
        "text": {"body": body},
        **extra,
    }


def status(wamid: str, state: str, *, ts: int = T0, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(ts),
        "recipient_id": WA_ID,
        **extra,
    }
    if state != "failed":
        found.setdefault(
            "conversation",
            {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
        )
        found.setdefault(
            "pricing", {"billable": True, "pricing_model": "CBP", "category": "service"}
        )
    return found


def value(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    *,
    contacts: list[dict[str, Any]] | None = None,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if messages is not None:
        found["contacts"] = (
            contacts
            if contacts is not None
            else [{"profile": {"name": "Alice Martin"}, "wa_id": WA_ID}]
        )
        found["messages"] = messages
    if statuses is not None:
        found["statuses"] = statuses
    return found


def notification(*values: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    """One entry per value, as Meta batches them."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": v, "field": field}]} for v in values],
    }
