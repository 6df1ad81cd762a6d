"""channels/email/charsets.py: the declared charset first, never an exception."""

from __future__ import annotations

from channels.email.charsets import decode_bytes, known


def test_known() -> None:
    assert known("ISO-8859-1") == "cp1252"
    assert known('"utf-8"') == "utf-8"
    assert known("x-nonsense") is None
    assert known(None) is None
    assert known("") is None


def test_decode_bytes() -> None:
    assert decode_bytes("é".encode("latin-1"), "iso-8859-1") == "é"
    assert decode_bytes(b"\x93q\x94", "iso-8859-1") == "“q”"
    assert decode_bytes("ü".encode(), "x-unknown") == "ü"
    assert decode_bytes("ü".encode(), None) == "ü"
    assert decode_bytes("ñ".encode(), "us-ascii") == "ñ"  # mislabelled: UTF-8 tried next
    assert decode_bytes(b"\xff\xfe", "utf-8") == "\ufffd\ufffd"
    assert decode_bytes("日本".encode("shift_jis"), "shift_jis") == "日本"
