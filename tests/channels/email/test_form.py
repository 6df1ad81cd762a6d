"""channels/email/form.py: form posts parsed from the raw bytes (read once)."""

from __future__ import annotations

import pytest

from channels.email.form import parse_form
from channels.webhook import Rejected

BOUNDARY = "xYzZY"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: bytes, close: bool = True) -> bytes:
    body = b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + BOUNDARY.encode() + b"--\r\n" if close else b"")


def field(name: str, value: bytes, extra: bytes = b"") -> bytes:
    return (
        b'Content-Disposition: form-data; name="'
        + name.encode()
        + b'"\r\n'
        + extra
        + b"\r\n"
        + value
    )


def test_multipart_fields_files_and_charsets() -> None:
    body = multipart(
        field("subject", "¿Dónde?".encode()),
        field("text", "café\r\nline two".encode("latin-1")),
        field("attachments", b"1"),
        b'Content-Disposition: form-data; name="attachment1"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\x00\x01",
        field("subject", b"second value ignored"),
    )
    form = parse_form(CONTENT_TYPE, body)
    assert form.text("subject") == "¿Dónde?"
    assert form.text("text", "iso-8859-1") == "café\r\nline two"
    assert form.files == 1
    assert "attachment1" not in form
    assert form.text("missing") is None


def test_truncated_multipart_is_a_400() -> None:
    body = multipart(field("text", b"hello"), close=False)[:-4]
    with pytest.raises(Rejected) as caught:
        parse_form(CONTENT_TYPE, body)
    assert (caught.value.status, caught.value.code) == (400, "bad_form")


def test_multipart_without_boundary_is_a_400() -> None:
    with pytest.raises(Rejected) as caught:
        parse_form("multipart/form-data", b"--x\r\nstuff")
    assert caught.value.status == 400


def test_urlencoded_keeps_bytes_exact() -> None:
    form = parse_form(
        "application/x-www-form-urlencoded; charset=utf-8",
        b"body-plain=Caf%C3%A9+%231001&empty=&sender=a%40b.example&x=%FF",
    )
    assert form.text("body-plain") == "Café #1001"
    assert form.text("empty") == ""
    assert form.text("sender") == "a@b.example"
    assert form.fields["x"] == b"\xff"


def test_too_many_fields() -> None:
    with pytest.raises(Rejected):
        parse_form("application/x-www-form-urlencoded", b"&".join([b"a=1"] * 3000))


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain", ""])
def test_other_content_types_are_415(content_type: str | None) -> None:
    with pytest.raises(Rejected) as caught:
        parse_form(content_type, b"{}")
    assert (caught.value.status, caught.value.code) == (415, "unsupported_media_type")
