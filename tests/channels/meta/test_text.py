"""channels/meta/text.py: splitting long replies and shortening titles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from channels.meta.text import Limit, chars, shorten, split_text, utf8_bytes


def test_short_text_is_one_part() -> None:
    assert split_text("  Your parcel is on its way.  ", 2000) == ["Your parcel is on its way."]
    assert split_text("", 2000) == []
    assert split_text(" \n ", 2000) == []


def test_splits_after_a_line_in_the_second_half() -> None:
    text = "first line is here\nsecond line follows"
    assert split_text(text, 25) == ["first line is here", "second line follows"]


def test_splits_at_a_word_when_the_line_break_is_too_early() -> None:
    text = "ab\ncd efgh ijkl mnop qrst"
    assert split_text(text, 16) == ["ab\ncd efgh ijkl", "mnop qrst"]


def test_an_enormous_word_is_cut_anywhere() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_a_break_right_after_the_limit_is_used() -> None:
    assert split_text("aaaa bbbb", 4) == ["aaaa", "bbbb"]


def test_instagram_counts_bytes() -> None:
    text = "é" * 600  # 1,200 bytes, 600 characters
    parts = split_text(text, 1000, utf8_bytes)
    assert [utf8_bytes(p) for p in parts] == [1000, 200]
    assert "".join(parts) == text
    assert Limit(1000, utf8_bytes).split(text) == parts
    assert Limit(1000).split(text) == [text]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=8, max_value=60))
def test_parts_fit_and_keep_every_word(text: str, limit: int) -> None:
    for measure in (chars, utf8_bytes):
        parts = split_text(text, limit, measure)
        assert all(0 < measure(p) <= limit for p in parts)
        assert "".join("".join(parts).split()) == "".join(text.split())


def test_shorten() -> None:
    assert shorten("Track my parcel", 20) == "Track my parcel"
    assert shorten("Where is order #1001 now?", 20) == "Where is order #100…"
    assert len(shorten("x" * 50, 20)) == 20
    assert shorten("two\nlines", 20) == "two lines"
