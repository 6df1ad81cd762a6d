"""channels/meta/messaging_send.py: Messenger/Instagram windows and Send API bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.meta.messaging_send import messaging_type, quick_replies, send_body
from router.dispatch import SendFailed

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
RESPONSE = {"messaging_type": "RESPONSE"}
HUMAN_AGENT = {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}


@pytest.mark.parametrize(
    ("hours_ago", "author", "expected"),
    [
        (0, "bot", RESPONSE),
        (23, "bot", RESPONSE),
        (24, "bot", RESPONSE),
        (23, "human", RESPONSE),
        (25, "human", HUMAN_AGENT),
        (3 * 24, "human", HUMAN_AGENT),
        (7 * 24, "human", HUMAN_AGENT),
        (-1, "bot", RESPONSE),  # a clock a little behind the store's
    ],
)
def test_inside_a_window(hours_ago: int, author: str, expected: dict[str, str]) -> None:
    last = NOW - timedelta(hours=hours_ago)
    assert messaging_type(last, NOW, "human" if author == "human" else "bot") == expected


@pytest.mark.parametrize(
    ("last", "author"),
    [
        (NOW - timedelta(hours=25), "bot"),
        (NOW - timedelta(days=7, seconds=1), "human"),
        (None, "human"),
        (None, "bot"),
    ],
)
def test_outside_every_window(last: datetime | None, author: str) -> None:
    with pytest.raises(SendFailed) as caught:
        messaging_type(last, NOW, "human" if author == "human" else "bot")
    assert str(caught.value).startswith("outside the messaging window")


def test_quick_replies() -> None:
    titles = ["#1001", "Where is my parcel right now?", "#1001", *[f"q{i}" for i in range(20)]]
    replies = quick_replies(titles)
    assert replies[:2] == [
        {"content_type": "text", "title": "#1001", "payload": "#1001"},
        {
            "content_type": "text",
            "title": "Where is my parcel…",
            "payload": "Where is my parcel right now?",
        },
    ]
    assert len(replies) == 13
    assert quick_replies([]) == []


def test_send_body() -> None:
    assert send_body("24", "hi", RESPONSE) == {
        "recipient": {"id": "24"},
        "messaging_type": "RESPONSE",
        "message": {"text": "hi"},
    }
    replies = quick_replies(["#1001"])
    assert send_body("24", "hi", HUMAN_AGENT, replies) == {
        "recipient": {"id": "24"},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "hi", "quick_replies": replies},
    }
