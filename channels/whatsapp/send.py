"""WhatsApp Cloud API request bodies and the 24-hour customer-service window.

Inside the window (the customer wrote within 24 h): free-form text, or an interactive message
with reply buttons when the reply offers quick replies (≤ 3, titles ≤ 20 characters, body ≤
1,024 characters; a longer body goes as plain text without buttons). Outside: the configured
approved template, or SendFailed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from channels.meta.text import shorten
from channels.whatsapp.settings import WhatsAppSettings
from router.dispatch import SendFailed

SERVICE_WINDOW = timedelta(hours=24)
TEXT_MAX_CHARS = 4096
MAX_BUTTONS = 3
BUTTON_TITLE_CHARS = 20
BUTTON_ID_CHARS = 256
INTERACTIVE_BODY_CHARS = 1024
NO_TEMPLATE = "outside the 24-hour window and no template configured"
# Template parameters may not hold newlines, tabs or more than four consecutive spaces.
_WHITESPACE = re.compile(r"\s+")


def inside_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at <= SERVICE_WINDOW


def _envelope(to: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}


def text_body(to: str, text: str, *, preview_url: bool) -> dict[str, Any]:
    return {**_envelope(to), "type": "text", "text": {"body": text, "preview_url": preview_url}}


def buttons_body(to: str, text: str, titles: list[str]) -> dict[str, Any]:
    """Reply buttons: a tap comes back as an interactive button_reply whose title we read."""
    buttons: dict[str, dict[str, Any]] = {}
    for title in titles:
        short = shorten(title, BUTTON_TITLE_CHARS)
        if short and short not in buttons and len(buttons) < MAX_BUTTONS:
            reply = {"id": title[:BUTTON_ID_CHARS], "title": short}
            buttons[short] = {"type": "reply", "reply": reply}
    return {
        **_envelope(to),
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": text},
            "action": {"buttons": list(buttons.values())},
        },
    }


def free_form(
    to: str, parts: list[str], quick_replies: list[str], *, preview_url: bool
) -> list[dict[str, Any]]:
    """One body per part; buttons ride on the last part when it is short enough."""
    bodies = [text_body(to, part, preview_url=preview_url) for part in parts]
    if quick_replies and parts and len(parts[-1]) <= INTERACTIVE_BODY_CHARS:
        bodies[-1] = buttons_body(to, parts[-1], quick_replies)
    return bodies


def template_parameter(text: str, max_chars: int) -> str:
    return shorten(_WHITESPACE.sub(" ", text).strip(), max_chars)


def template_body(to: str, text: str, settings: WhatsAppSettings) -> dict[str, Any]:
    """The approved template, its one body variable carrying the reply (see settings)."""
    if settings.template_name is None:
        raise SendFailed(NO_TEMPLATE)
    template: dict[str, Any] = {
        "name": settings.template_name,
        "language": {"code": settings.template_language},
    }
    parameter = template_parameter(text, settings.template_parameter_max_chars)
    if settings.template_text_parameter and parameter:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": parameter}]}
        ]
    return {**_envelope(to), "type": "template", "template": template}
