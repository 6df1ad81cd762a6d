"""channels/email/unsubscribe.py: the link's token, the header value and its folding, the
footer lines, and storing the choice once."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtplib.email import flatten_message

from channels.email import unsubscribe
from channels.email.compose import compose
from channels.email.unsubscribe import Links, html_footer, links, text_footer, token, verify
from router.store import channel_state
from router.store.db import Database
from tests.channels.email.test_compose import NOW, outbound

SECRET = "unsubscribe-secret-0123456789"
BASE = "https://wismo.shop.example"


def test_the_token_is_hmac_sha256_of_the_lower_cased_address() -> None:
    digest = hmac.new(SECRET.encode(), b"alice@example.com", hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert token(SECRET, "alice@example.com") == expected
    assert token(SECRET, "Alice@Example.COM") == expected
    assert len(expected) == 43
    assert token("another-secret-0123456789", "alice@example.com") != expected
    assert token(SECRET, "bob@example.com") != expected


@pytest.mark.parametrize(
    ("address", "given", "ok"),
    [
        ("alice@example.com", None, True),
        ("ALICE@example.com", None, True),
        ("bob@example.com", None, False),  # Alice's token does not unsubscribe Bob
        ("alice@example.com", "", False),
        ("alice@example.com", "x" * 43, False),
        ("alice@example.com", "truncated", False),
        ("alice@example.com", "é\udcff\x00", False),  # never raises on odd input
    ],
)
def test_verify(address: str, given: str | None, ok: bool) -> None:
    value = token(SECRET, "alice@example.com") if given is None else given
    assert verify(SECRET, address, value) is ok


def test_links() -> None:
    found = links(BASE + "/", SECRET, "Alice+Shop@Example.com", "support@shop.example")
    assert found is not None
    url = urlsplit(found.url)
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "wismo.shop.example",
        "/unsubscribe/email",
    )
    query = parse_qs(url.query)
    assert query == {
        "a": ["alice+shop@example.com"],
        "t": [token(SECRET, "alice+shop@example.com")],
    }
    assert "%2B" in url.query  # a "+" survives the query string
    assert found.mailto == "mailto:support@shop.example?subject=unsubscribe"
    assert found.header() == f"<{found.url}>, <mailto:support@shop.example?subject=unsubscribe>"


def test_links_without_an_inbound_address_and_with_a_prefix() -> None:
    found = links(BASE + "/wismo", SECRET, "alice@example.com")
    assert found is not None
    assert found.url.startswith(BASE + "/wismo/unsubscribe/email?a=alice%40example.com&t=")
    assert found.mailto is None
    assert found.header() == f"<{found.url}>"


def test_a_non_ascii_inbound_address_is_percent_encoded() -> None:
    found = links(BASE, SECRET, "alice@example.com", "soporte@tienda.ejemplo.es")
    assert found is not None
    assert found.mailto == "mailto:soporte@tienda.ejemplo.es?subject=unsubscribe"
    accented = links(BASE, SECRET, "alice@example.com", "atención@tienda.example")
    assert accented is not None
    assert accented.mailto == "mailto:atenci%C3%B3n@tienda.example?subject=unsubscribe"


def test_no_links_when_the_header_line_would_be_too_long() -> None:
    assert links(BASE, SECRET, "!" * 300 + "@example.com") is None


def test_footers() -> None:
    url = "https://wismo.shop.example/unsubscribe/email?a=alice%40example.com&t=abc"
    assert text_footer("Hi Alice,\n\nOn its way.\n\n", url) == (
        f"Hi Alice,\n\nOn its way.\n\nDon't want these updates? Unsubscribe: {url}\n"
    )
    document = "<!doctype html><html><body><p>On its way.</p></BODY></html>"
    with_footer = html_footer(document, url)
    assert with_footer.startswith("<!doctype html><html><body><p>On its way.</p><p ")
    assert with_footer.endswith("</p>\n</BODY></html>")
    assert (
        'href="https://wismo.shop.example/unsubscribe/email?a=alice%40example.com&amp;t=abc"'
        in (with_footer)
    )
    assert "Don't want these updates? <a " in with_footer
    assert with_footer.count("Unsubscribe") == 1
    turkish = html_footer("<body><p>İİİ</p></body>", url)  # lower() would lengthen "İ"
    assert turkish.startswith("<body><p>İİİ</p><p ")
    assert turkish.endswith("</p>\n</body>")
    fragment = html_footer("<p>On its way.</p>", url)
    assert fragment.startswith("<p>On its way.</p>\n<p ")


def test_the_header_is_never_encoded_or_folded_inside_a_uri() -> None:
    """The stdlib would fold a long URL into RFC 2047 encoded words; mail clients need it
    verbatim, on SMTP (aiosmtplib's own flattening) as much as anywhere."""
    found = links(
        BASE, SECRET, "a.rather.long.address.for.folding@mail.example.com", "s@shop.example"
    )
    assert found is not None
    assert len(found.url) > 100
    composed = compose(
        outbound(inbound_id=None, event_id="notice:1"),
        from_address="support@shop.example",
        from_name="Demo Shop",
        now=NOW,
        unsubscribe=found,
    )
    smtp, default = flatten_message(composed.message), composed.message.as_bytes()
    for raw, linesep in ((smtp, "\r\n"), (default, "\n")):
        head = raw.split((linesep * 2).encode(), 1)[0].decode("ascii")
        assert f"List-Unsubscribe: <{found.url}>,{linesep} <mailto:s@shop.example" in head
        assert "=?utf-8?" not in head
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert parsed["List-Unsubscribe"] == found.header()
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_header_is_set_once() -> None:
    composed = compose(
        outbound(inbound_id=None, event_id="notice:1"),
        from_address="support@shop.example",
        from_name="Demo Shop",
        now=NOW,
        unsubscribe=Links("https://x.example/u"),
    )
    with pytest.raises(ValueError, match="at most 1 List-Unsubscribe"):
        composed.message["List-Unsubscribe"] = "<https://evil.example/>"


async def test_set_opted_out_is_idempotent(db: Database) -> None:
    assert await unsubscribe.set_opted_out(db, "alice@example.com", True, NOW)
    later = NOW + timedelta(days=1)
    assert not await unsubscribe.set_opted_out(db, "alice@example.com", True, later)
    state = await channel_state.contact(db, "email", "alice@example.com")
    assert state.opted_out
    assert state.opted_out_at is not None
    assert state.opted_out_at.replace(tzinfo=NOW.tzinfo) == NOW  # the first time is kept
    assert await unsubscribe.set_opted_out(db, "alice@example.com", False, later)
    assert not (await channel_state.contact(db, "email", "alice@example.com")).opted_out
    assert not await unsubscribe.set_opted_out(db, "bob@example.com", False, later)
