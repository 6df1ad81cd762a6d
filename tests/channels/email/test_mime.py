"""channels/email/mime.py: raw MIME from real mailers → headers, text, attachment count."""

from __future__ import annotations

from channels.email.mime import read_headers, read_mime
from tests.channels.email import mails


def test_quoted_printable_iso_8859_1() -> None:
    body = read_mime(mails.QP_LATIN1)
    assert body.headers.get("Subject") == "¿Dónde está mi pedido?"
    assert body.headers.get("From") == "José Martínez <jose@example.es>"
    assert body.text == (
        "Hola, ¿dónde está mi pedido #1002? Pagué hace una semana y no ha llegado.\n"
    )
    assert body.attachments == 0
    assert body.content_type == "text/plain"


def test_base64_utf8() -> None:
    body = read_mime(mails.BASE64_UTF8)
    assert body.text == "Où est ma commande #1003 ? Merci €"
    assert body.headers.get("Subject") == "Où est ma commande ?"


def test_windows_1252_mislabelled_as_latin1_is_read_as_1252() -> None:
    body = read_mime(mails.CP1252_AS_LATIN1)
    assert body.text.strip() == "I paid €20 for “express” shipping \u2013 where is order 1002?"


def test_unknown_charset_falls_back_to_utf8() -> None:
    body = read_mime(mails.UNKNOWN_CHARSET)
    assert body.text.strip() == "Where is order 1001? Café"


def test_html_only_mail_becomes_text() -> None:
    body = read_mime(mails.HTML_ONLY)
    assert body.content_type == "text/html"
    assert body.text == (
        "Hello,\n\nWhere is my order #1001?\nMy email is alice@example.com\n\n"
        "- Blue mug\n- Tea & biscuits"
    )
    assert "alert" not in body.text
    assert "ignored title" not in body.text
    assert body.html.startswith("<html>")


def test_attachments_are_counted_and_never_read() -> None:
    body = read_mime(mails.WITH_ATTACHMENTS)
    assert body.attachments == 3  # jpeg, pdf and the forwarded message
    assert body.text.strip() == "Where is order #1001? Photo attached."
    assert "forwarded text" not in body.text
    assert body.content_type == "multipart/mixed"


def test_plain_part_preferred_to_html_in_alternative() -> None:
    body = read_mime(mails.OUTLOOK_REPLY_EN)
    assert body.text.startswith("It still has not arrived. Can you check again?")
    assert "<p>" not in body.text


def test_8bit_utf8_headers_and_garbage_never_raise() -> None:
    raw = (
        b"From: \xc3\xa9l\xc3\xa8ve <eleve@example.fr>\r\n"
        b"Subject: caf\xc3\xa9 \xff\r\n\r\nbody \xff\xfe"
    )
    body = read_mime(raw)
    assert body.headers.get("Subject") == "café \ufffd"
    assert body.headers.get("From") == "élève <eleve@example.fr>"
    assert body.text == "body \ufffd\ufffd"
    for junk in (b"", b"\x00\x01\x02", b"--\r\n--", b"Content-Type: multipart/mixed\r\n\r\nx"):
        read_mime(junk)


def test_broken_base64_degrades_instead_of_raising() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nV2hlcmUgaXM=!!!notbase64\r\n"
    )
    assert read_mime(raw).text.startswith("Where is")


def test_deep_nesting_is_bounded() -> None:
    head = b"From: a@example.com\r\n"
    body = b""
    for depth in range(60):
        body += f'Content-Type: multipart/mixed; boundary="b{depth}"\r\n\r\n--b{depth}\r\n'.encode()
    body += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    assert read_mime(head + body).text == ""


def test_header_block() -> None:
    headers = read_headers(
        "Received: by mx\r\nMessage-ID: <a@b>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
        "References: <x@y>\r\n <z@w>\r\n"
    )
    assert headers.get("Subject") == "café"
    assert headers.raw("message-id") == "<a@b>"
    assert headers.get("References") == "<x@y> <z@w>"
