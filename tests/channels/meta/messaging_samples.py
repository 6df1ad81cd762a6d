"""Real-format Messenger / Instagram webhook events (shapes from Meta's webhook-events
reference and the fbsamples apps), built small so each test says what it varies."""

from __future__ import annotations

from typing import Any

PAGE_ID = "104532345678901"
PSID = "6543210987654321"
IG_ACCOUNT_ID = "17841405822304914"
IGSID = "908172635445566"
T0_MS = 1772625600000  # 2026-03-04 12:00:00 UTC


def event(
    kind: str, body: dict[str, Any], *, user: str = PSID, page: str = PAGE_ID, ts: int = T0_MS
) -> dict[str, Any]:
    """A messaging event from the customer (`user`) to us (`page`)."""
    return {"sender": {"id": user}, "recipient": {"id": page}, "timestamp": ts, kind: body}


def message(mid: str, text: str, **fields: Any) -> dict[str, Any]:
    return event("message", {"mid": mid, "text": text}, **fields)


def echo(mid: str, text: str, *, user: str = PSID, page: str = PAGE_ID) -> dict[str, Any]:
    """Our own send, reflected: sender is the page."""
    return {
        "sender": {"id": page},
        "recipient": {"id": user},
        "timestamp": T0_MS,
        "message": {"mid": mid, "text": text, "is_echo": True, "app_id": 1517776481860111},
    }


def entry(*events: dict[str, Any], page: str = PAGE_ID, time: int = T0_MS) -> dict[str, Any]:
    return {"id": page, "time": time, "messaging": list(events)}


def webhook(*entries: dict[str, Any], obj: str = "page") -> dict[str, Any]:
    return {"object": obj, "entry": list(entries)}
