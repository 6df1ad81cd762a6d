"""channels/email/compose.py: the reply as a threaded RFC 5322 message."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.email import threads
from channels.email.compose import compose, our_message_id, reply_subject
from channels.email.unsubscribe import Links
from router.dispatch import SendFailed
from router.events import OutboundMessage, Party

NOW = datetime(2026, 2, 12, 18, 0, tzinfo=UTC)


def outbound(**changes: Any) -> OutboundMessage:
    fields: dict[str, Any] = {
        "event_id": "reply:email:<CAF=alice.1@mail.example.com>",
        "inbound_id": "email:<CAF=alice.1@mail.example.com>",
        "occurred_at": NOW,
        "conversation_key": "email:abc:CAF=alice.1@mail.example.com",
        "channel": "email",
        "provider": "postmark",
        "recipient": Party(id="alice@example.com", name="Alice"),
        "route": {
            "to": "alice@example.com",
            "subject": "Where is my order?",
            "message_id": "<CAF=alice.1@mail.example.com>",
            "references": "<root@mail.example.com>",
        },
        "text": "Hi Alice,\n\nYour order #1001 is on its way: 1ZXK3DEG0359083017",
        "subject": "Your order #1001",
        "html": "<!doctype html><html><body><p>1ZXK3DEG0359083017</p></body></html>",
    }
    fields.update(changes)
    return OutboundMessage(**fields)


def test_headers_and_parts() -> None:
    composed = compose(
        outbound(), from_address="support@shop.example", from_name="Demo Shop", now=NOW
    )
    mail = composed.message
    digest = hashlib.sha256(b"reply:email:<CAF=alice.1@mail.example.com>").hexdigest()[:32]
    assert composed.message_id == f"<{digest}@shop.example>"
    assert mail["Message-ID"] == composed.message_id
    assert mail["From"] == "Demo Shop <support@shop.example>"
    assert mail["To"] == "alice@example.com"
    assert composed.to == "alice@example.com"
    assert mail["Subject"] == "Re: Where is my order?"
    assert mail["In-Reply-To"] == "<CAF=alice.1@mail.example.com>"
    assert mail["References"] == "<root@mail.example.com> <CAF=alice.1@mail.example.com>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["Date"] == "Thu, 12 Feb 2026 18:00:00 +0000"
    assert mail["Reply-To"] is None
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "1ZXK3DEG0359083017" in text.get_content()
    assert "<p>1ZXK3DEG0359083017</p>" in html.get_content()


def test_the_same_event_gets_the_same_message_id() -> None:
    first = compose(outbound(), from_address="support@shop.example", from_name="S", now=NOW)
    again = compose(outbound(), from_address="support@shop.example", from_name="S", now=NOW)
    other = compose(
        outbound(event_id="reply:x"), from_address="support@shop.example", from_name="S", now=NOW
    )
    assert first.message_id == again.message_id != other.message_id
    assert our_message_id("e", "a@b.example").endswith("@b.example>")


@pytest.mark.parametrize(
    ("original", "rendered", "expected"),
    [
        ("Where is my order?", "Your order", "Re: Where is my order?"),
        ("Re: Where is my order?", None, "Re: Where is my order?"),
        ("RE: Re:  AW: Bestellung", None, "Re: Bestellung"),
        ("Re[2]: x", None, "Re: x"),
        ("Fwd: x", None, "Re: Fwd: x"),
        ("", "Your order #1001", "Your order #1001"),
        (None, None, "Demo Shop"),
        ("line\r\nbreak", None, "Re: line break"),
        ("Re:", None, "Re: Re:"),
    ],
)
def test_reply_subject(original: str | None, rendered: str | None, expected: str) -> None:
    assert reply_subject(original, rendered, "Demo Shop") == expected


def test_without_a_parent_human_author_and_text_only() -> None:
    composed = compose(
        outbound(route={"to": "alice@example.com"}, html=None, author="human"),
        from_address="support@shop.example",
        from_name="Demo Shop",
        now=NOW,
    )
    mail = composed.message
    assert mail["Subject"] == "Your order #1001"
    assert mail["In-Reply-To"] is None
    assert mail["References"] is None
    assert mail["Auto-Submitted"] is None
    assert mail.get_content_type() == "text/plain"


def test_plus_address_reply_to() -> None:
    composed = compose(
        outbound(),
        from_address="support@shop.example",
        from_name="Demo",
        now=NOW,
        plus_reply_to=True,
    )
    token = threads.plus_token("email:abc:CAF=alice.1@mail.example.com")
    assert composed.plus_token == token
    assert composed.message["Reply-To"] == f"Demo <support+{token}@shop.example>"


def test_no_valid_recipient_is_final() -> None:
    bad = outbound(route={"to": "not an address"}, recipient=Party(id="nobody"))
    with pytest.raises(SendFailed):
        compose(bad, from_address="support@shop.example", from_name="S", now=NOW)


def test_header_injection_is_impossible() -> None:
    composed = compose(
        outbound(route={"to": "alice@example.com", "subject": "x\r\nBcc: evil@example.com"}),
        from_address="support@shop.example",
        from_name="Shop\r\nBcc: evil@example.com",
        now=NOW,
    )
    flat = composed.message.as_string()
    assert "\nBcc:" not in flat


# --- unsubscribe links: on proactive notices only ---------------------------------------------

LINKS = Links(
    "https://wismo.shop.example/unsubscribe/email?a=alice%40example.com&t=tok",
    "mailto:support@shop.example?subject=unsubscribe",
)


def notice(**changes: Any) -> OutboundMessage:
    return outbound(
        inbound_id=None, event_id="notice:42", route={"to": "alice@example.com"}, **changes
    )


def test_a_notice_carries_list_unsubscribe_and_a_footer() -> None:
    composed = compose(
        notice(), from_address="support@shop.example", from_name="Demo", now=NOW, unsubscribe=LINKS
    )
    mail = composed.message
    assert mail["List-Unsubscribe"] == (
        "<https://wismo.shop.example/unsubscribe/email?a=alice%40example.com&t=tok>, "
        "<mailto:support@shop.example?subject=unsubscribe>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated"  # RFC 3834: not a reply to anything
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().endswith(f"\n\nDon't want these updates? Unsubscribe: {LINKS.url}\n")
    assert "1ZXK3DEG0359083017" in text.get_content()
    assert (
        'href="https://wismo.shop.example/unsubscribe/email?a=alice%40example.com&amp;t=tok"'
        in (html.get_content())
    )
    assert html.get_content().rstrip().endswith("</p>\n</body></html>")


def test_a_text_only_notice_gets_the_footer_in_its_one_body() -> None:
    composed = compose(
        notice(html=None),
        from_address="support@shop.example",
        from_name="D",
        now=NOW,
        unsubscribe=LINKS,
    )
    assert composed.message.get_content_type() == "text/plain"
    assert LINKS.url in composed.message.get_content()


def test_an_answer_never_carries_them() -> None:
    composed = compose(
        outbound(),
        from_address="support@shop.example",
        from_name="Demo",
        now=NOW,
        unsubscribe=LINKS,
    )
    mail = composed.message
    assert mail["List-Unsubscribe"] is None
    assert mail["List-Unsubscribe-Post"] is None
    assert "Unsubscribe" not in mail.as_string()


def test_a_notice_without_links_has_neither_header_nor_footer() -> None:
    mail = compose(notice(), from_address="support@shop.example", from_name="D", now=NOW).message
    assert mail["List-Unsubscribe"] is None
    assert "Unsubscribe" not in mail.as_string()
