"""channels/text.py: what every channel does to customer text before it goes on the bus."""

from __future__ import annotations

import pytest

from channels.text import clean, clip, message_text


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  where is #1001?  ", "where is #1001?"),
        ("a\x00b\x07c\x7fd", "abcd"),
        ("line 1\nline 2\r\n\tend", "line 1\nline 2\r\n\tend"),
        ("caf\ud800é", "café"),
        ("", ""),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_clip_cuts_on_a_character_boundary() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "abc"
    assert clip("aé", 2) == "a"  # é is two bytes: never half of it
    assert clip("a😀b", 4) == "a"
    assert clip("a😀b", 5) == "a😀"


def test_message_text() -> None:
    assert message_text(None, 10) == ""
    assert message_text(" \x00 ", 10) == ""
    assert message_text("hello world", 6) == "hello"
    assert len(message_text("é" * 5000, 4096).encode()) == 4096
