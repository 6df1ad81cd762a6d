"""Sending on Messenger and Instagram: the messaging window, and the Send API request bodies.

Window (Meta's messaging policy): within 24 h of the customer's last message anything may be
sent (`messaging_type: RESPONSE`); a reply written by a human may follow up to 7 days later
with the HUMAN_AGENT tag; anything else is refused before it reaches Meta.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from channels.meta.text import shorten
from router.dispatch import SendFailed

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
MAX_QUICK_REPLIES = 13
QUICK_REPLY_TITLE_CHARS = 20
QUICK_REPLY_PAYLOAD_CHARS = 1000
OUTSIDE_WINDOW = "outside the messaging window"


def messaging_type(
    last_inbound_at: datetime | None, now: datetime, author: Literal["bot", "human"]
) -> dict[str, str]:
    """The `messaging_type` (and `tag`) that lets this message through, or SendFailed."""
    if last_inbound_at is None:
        raise SendFailed(f"{OUTSIDE_WINDOW} (the customer has not written to us)")
    age = now - last_inbound_at
    if age <= STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if author == "human" and age <= HUMAN_AGENT_WINDOW:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    raise SendFailed(OUTSIDE_WINDOW)


def quick_replies(titles: list[str]) -> list[dict[str, str]]:
    """Text quick replies: a tap sends the title back as the customer's message."""
    chosen: dict[str, str] = {}
    for title in titles:
        short = shorten(title, QUICK_REPLY_TITLE_CHARS)
        if short and short not in chosen:
            chosen[short] = title[:QUICK_REPLY_PAYLOAD_CHARS]
    return [
        {"content_type": "text", "title": short, "payload": payload}
        for short, payload in list(chosen.items())[:MAX_QUICK_REPLIES]
    ]


def send_body(
    recipient: str,
    text: str,
    window: dict[str, str],
    replies: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One Send API request: `POST /{version}/me/messages`."""
    message: dict[str, Any] = {"text": text}
    if replies:
        message["quick_replies"] = replies
    return {"recipient": {"id": recipient}, **window, "message": message}
