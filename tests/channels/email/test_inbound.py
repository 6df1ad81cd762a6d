"""channels/email/inbound.py: one Mail → the InboundMessage (or why it gets no answer)."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.email.headers import Headers
from channels.email.inbound import Accepted, Ignored, Subscription, customer_text, to_inbound
from channels.email.model import Mail
from channels.email.raw import parse_raw
from router.store.db import Database
from tests.channels.email import mails

NOW = datetime(2026, 2, 12, 18, 0, tzinfo=UTC)
LANGS = ("en", "es", "fr", "de")
OWN = "support@shop.example"


async def inbound(
    db: Database, mail: Mail, max_bytes: int = 4096
) -> Accepted | Ignored | Subscription:
    return await to_inbound(
        mail, db=db, now=NOW, own_address=OWN, languages=LANGS, max_bytes=max_bytes
    )


async def accepted(db: Database, mail: Mail, max_bytes: int = 4096) -> Accepted:
    result = await inbound(db, mail, max_bytes)
    assert isinstance(result, Accepted), result
    return result


async def test_a_fresh_mail(db: Database) -> None:
    result = await accepted(db, parse_raw(mails.plain(), frozenset()))
    message = result.message
    assert message.event_id == "email:<CAF=alice.1@mail.example.com>"
    assert message.provider_message_id == "<CAF=alice.1@mail.example.com>"
    assert message.channel == "email"
    assert message.provider == "mime"
    assert (
        message.text
        == "Where is my order?\n\nWhere is my order #1001? My email is alice@example.com"
    )
    assert message.sender.id == "alice@example.com"
    assert message.sender.name == "Alice Example"
    assert message.sender.email is None  # nobody vouched for it
    assert message.conversation_key.startswith("email:")
    assert message.conversation_key.endswith(":CAF=alice.1@mail.example.com")
    assert message.route == {
        "to": "alice@example.com",
        "subject": "Where is my order?",
        "message_id": "<CAF=alice.1@mail.example.com>",
        "references": "",
        "provider": "mime",
    }
    assert message.occurred_at == NOW
    assert message.received_at == NOW


async def test_verified_sender_only_when_the_answer_goes_back_to_from(db: Database) -> None:
    ar = "Authentication-Results: mx.shop.example; dkim=pass header.d=example.com\n"
    trusted = frozenset({"mx.shop.example"})
    result = await accepted(db, parse_raw(mails.plain(extra=ar), trusted))
    assert result.message.sender.email == "alice@example.com"
    other = mails.plain(extra=ar + "Reply-To: someone@else.example\n", message_id="<r2@x>")
    result = await accepted(db, parse_raw(other, trusted))
    assert result.message.sender.email is None
    assert result.message.route["to"] == "someone@else.example"


async def test_a_reply_to_header_of_our_own_is_ignored(db: Database) -> None:
    raw = mails.plain(extra="Reply-To: Shop <support+x@shop.example>\n")
    result = await accepted(db, parse_raw(raw, frozenset()))
    assert result.message.route["to"] == "alice@example.com"


async def test_a_reply_keeps_only_the_new_words_and_not_the_subject(db: Database) -> None:
    result = await accepted(db, parse_raw(mails.GMAIL_REPLY_ES, frozenset()))
    assert result.message.text == "Hola, ¿y cuándo llega?"
    assert result.message.route["references"] == "<ours.es@shop.example>"
    assert result.message.route["subject"] == "Re: Tu pedido #1002"
    result = await accepted(db, parse_raw(mails.OUTLOOK_REPLY_EN, frozenset()))
    assert result.message.text.startswith("It still has not arrived. Can you check again?")
    assert "on its way" not in result.message.text
    assert result.message.route["references"] == (
        "<CAF=alice.1@mail.example.com> <ours.1@shop.example>"
    )


async def test_provider_stripped_text_is_preferred_when_present(db: Database) -> None:
    base = parse_raw(mails.plain(body="new words\n\n> old words"), frozenset())
    given = Mail(**{**base.__dict__, "stripped_text": "provider's reply"})
    assert (await accepted(db, given)).message.text.endswith("provider's reply")
    blank = Mail(**{**base.__dict__, "stripped_text": "  "})
    assert (await accepted(db, blank)).message.text.endswith("new words")


async def test_signature_and_attachments(db: Database) -> None:
    result = await accepted(db, parse_raw(mails.SIGNATURE, frozenset()))
    assert "Head of Things" not in result.message.text
    result = await accepted(db, parse_raw(mails.WITH_ATTACHMENTS, frozenset()))
    assert result.message.route["attachments"] == "3"
    assert result.message.attachments == []


async def test_long_mail_is_cut_on_a_character_boundary(db: Database) -> None:
    body = "Where is order 1001? " + "é" * 5000
    result = await accepted(db, parse_raw(mails.plain(body=body), frozenset()), max_bytes=301)
    assert len(result.message.text.encode()) <= 301
    assert result.message.text.endswith("é")


async def test_never_answered(db: Database) -> None:
    assert await inbound(db, parse_raw(mails.DSN_BOUNCE, frozenset())) == Ignored("bounce")
    assert await inbound(db, parse_raw(mails.OUT_OF_OFFICE, frozenset())) == Ignored("auto_reply")
    own = parse_raw(mails.plain(sender="Shop <support@shop.example>"), frozenset())
    assert await inbound(db, own) == Ignored("own_address")
    empty = parse_raw(mails.plain(subject="", body=""), frozenset())
    assert await inbound(db, empty) == Ignored("empty")


async def test_no_message_id_falls_back_to_a_stable_digest(db: Database) -> None:
    headers = Headers.of([("From", "alice@example.com"), ("Subject", "order 1001?")])
    mail = Mail(provider="mailgun", headers=headers, text="where is it")
    first = await accepted(db, mail)
    second = await accepted(db, mail)
    assert first.message.event_id == second.message.event_id
    assert first.message.event_id.endswith("@mailgun.invalid>")
    with_id = Mail(provider="postmark", headers=headers, text="x", provider_id="73e6d360-66eb")
    assert (await accepted(db, with_id)).message_id == "<73e6d360-66eb@postmark.invalid>"


async def test_language_hint(db: Database) -> None:
    mail = parse_raw(mails.plain(extra="Content-Language: es-ES\n"), frozenset())
    assert (await accepted(db, mail)).message.language == "es-es"
    bad = parse_raw(
        mails.plain(extra="Content-Language: <script>\n", message_id="<l2@x>"), frozenset()
    )
    assert (await accepted(db, bad)).message.language is None


def test_customer_text_subject_rules() -> None:
    fresh = parse_raw(mails.plain(subject="Order #1001 missing", body="Any news?"), frozenset())
    assert customer_text(fresh, LANGS, 4096) == "Order #1001 missing\n\nAny news?"
    same = parse_raw(mails.plain(subject="where is it", body="Where is it? #1001"), frozenset())
    assert customer_text(same, LANGS, 4096) == "Where is it? #1001"
    subject_only = parse_raw(mails.plain(subject="Where is #1001?", body=""), frozenset())
    assert customer_text(subject_only, LANGS, 4096) == "Where is #1001?"


async def test_unsubscribe_and_subscribe_are_subscriptions(db: Database) -> None:
    ar = "Authentication-Results: mx.shop.example; dmarc=pass header.from=example.com\n"
    trusted = frozenset({"mx.shop.example"})
    stop = await inbound(db, parse_raw(mails.plain(subject="Unsubscribe", body=""), frozenset()))
    assert stop == Subscription(
        "alice@example.com", True, False, "email:<CAF=alice.1@mail.example.com>"
    )
    assert (stop.allowed, stop.reason) == (True, "unsubscribe")
    start = await inbound(db, parse_raw(mails.plain(body="START"), frozenset()))
    assert isinstance(start, Subscription)
    assert (start.opt_out, start.allowed, start.reason) == (False, False, "subscribe_unverified")
    vouched = await inbound(db, parse_raw(mails.plain(body="START", extra=ar), trusted))
    assert isinstance(vouched, Subscription)
    assert (vouched.allowed, vouched.reason) == (True, "subscribe")
    # Answered elsewhere (Reply-To): the provider vouches for From, not for where it goes.
    elsewhere = mails.plain(body="START", extra=ar + "Reply-To: other@example.net\n")
    other = await inbound(db, parse_raw(elsewhere, trusted))
    assert isinstance(other, Subscription)
    assert (other.address, other.allowed) == ("alice@example.com", False)


async def test_our_own_mail_saying_stop_is_never_a_keyword(db: Database) -> None:
    ours = mails.plain(sender="support@shop.example", subject="stop")
    assert await inbound(db, parse_raw(ours, frozenset())) == Ignored("own_address")
