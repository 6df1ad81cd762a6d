"""channels/email/channel.py through a local aiohttp server: every route's auth, parsing into
one published event, duplicates, 503, loops never answered, and a reply threading back."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest
import structlog
from aiohttp import web

from channels.base import ChannelContext, ChannelDisabled
from channels.email import EmailChannel, threads
from channels.email.compose import our_message_id
from channels.email.unsubscribe import token
from router.bus.memory import MemoryBus
from router.events import OutboundMessage, Party
from router.ingest import Ingest
from router.live import ConversationFeed
from router.metrics import Metrics
from router.settings import Settings
from router.store.db import Database
from tests.channels.email import mails, payloads
from tests.channels.email.support import (
    INBOUND_CONFIG,
    MAILGUN_KEY,
    MIME_AUTH,
    MIME_BEARER,
    NOW,
    POSTMARK_AUTH,
    SENDGRID_AUTH,
    SENDGRID_TOKEN,
    UNSUBSCRIBE_CONFIG,
    UNSUBSCRIBE_SECRET,
    Harness,
    basic,
    harness,
    smtp_server,
)
from tests.channels.email.test_transports import FAST, Fake, postmark_ok
from tests.helpers import local_server

PM = {"Authorization": basic(*POSTMARK_AUTH), "Content-Type": "application/json"}
RFC822 = {"Authorization": basic(*MIME_AUTH), "Content-Type": "message/rfc822"}
SG_PATH = f"/webhooks/email/sendgrid/{SENDGRID_TOKEN}"
SG_AUTH = {"Authorization": basic(*SENDGRID_AUTH)}
TIMESTAMP = "1770920772"  # the Mailgun vector's, 60 s before NOW


async def post_postmark(
    h: Harness, payload: dict[str, Any] | bytes, **headers: str
) -> tuple[int, Any]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await h.post("/webhooks/email/postmark", data, {**PM, **headers})


async def test_disabled_without_any_configuration(
    db: Database, session: aiohttp.ClientSession
) -> None:
    ctx = ChannelContext(
        settings=Settings(),
        config={"from_address": "support@shop.example"},
        ingest=Ingest(MemoryBus(), Metrics(), db),
        db=db,
        feed=ConversationFeed(),
        clock=lambda: NOW,
        http=session,
    )
    with pytest.raises(ChannelDisabled, match="no inbound provider"):
        EmailChannel(ctx)


async def test_only_configured_routes_are_mounted(db: Database) -> None:
    config = {"postmark_inbound_user": "u", "postmark_inbound_password": "p"}
    async with harness(db, config) as h:
        paths = {r.path for r in h.channel.routes() if isinstance(r, web.RouteDef)}
        assert paths == {"/webhooks/email/postmark"}
        async with h.http.post(h.base + "/webhooks/email/mime", data=b"x", headers=RFC822) as r:
            assert r.status == 404
        assert h.channel.transport is None


# --- Postmark ---------------------------------------------------------------------------------


async def test_postmark_mail_is_published(db: Database) -> None:
    async with harness(db) as h:
        status, body = await post_postmark(h, payloads.postmark())
        assert (status, body) == (200, {"accepted": 1})
        [message] = h.bus.inbound
    assert message.event_id == "email:<CAF=alice.pm.1@mail.example.com>"
    assert message.provider == "postmark"
    assert message.text == (
        "Where is my order?\n\nWhere is my order #1001? My email is alice@example.com"
    )
    assert message.sender.id == "alice@example.com"
    assert message.sender.email is None
    assert message.route["to"] == "alice@example.com"
    assert message.route["message_id"] == "<CAF=alice.pm.1@mail.example.com>"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic("postmark", "wrong"),
        basic("other", POSTMARK_AUTH[1]),
        "Bearer pm-inbound-secret",
    ],
    ids=["missing", "wrong-password", "wrong-user", "bearer"],
)
async def test_postmark_auth(db: Database, authorization: str | None) -> None:
    async with harness(db) as h:
        headers = {"Content-Type": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        status, body = await h.post(
            "/webhooks/email/postmark", json.dumps(payloads.postmark()).encode(), headers
        )
        assert status == 401
        assert body["error"] == "unauthorized"
        assert POSTMARK_AUTH[1] not in json.dumps(body)
        assert h.rejected("unauthorized") == 1.0
        assert h.bus.inbound == []


async def test_postmark_bad_input(db: Database) -> None:
    async with harness(db) as h:
        assert (await post_postmark(h, b"{not json"))[0] == 400
        assert (await post_postmark(h, b'{"From": 1}'))[0] == 400
        status, body = await post_postmark(h, payloads.postmark(), **{"Content-Type": "text/plain"})
        assert (status, body["error"]) == (415, "unsupported_media_type")
        status, body = await post_postmark(
            h, payloads.postmark(sender="not-an-address", FromFull=None)
        )
        assert (status, body["error"]) == (400, "bad_mail")
        assert h.rejected("bad_json") == 1.0
        assert h.bus.inbound == []


async def test_duplicate_delivery_is_published_once(db: Database) -> None:
    async with harness(db) as h:
        assert await post_postmark(h, payloads.postmark()) == (200, {"accepted": 1})
        assert await post_postmark(h, payloads.postmark()) == (200, {"accepted": 0})
        assert len(h.bus.inbound) == 1
        duplicates = h.metrics.registry.get_sample_value(
            "wismo_inbound_duplicates_total", {"channel": "email"}
        )
        assert duplicates == 1.0


async def test_bus_down_is_503_and_the_retry_gets_through(db: Database) -> None:
    async with harness(db) as h:
        await h.bus.stop()
        async with h.http.post(
            h.base + "/webhooks/email/postmark",
            data=json.dumps(payloads.postmark()).encode(),
            headers=PM,
        ) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "5"
        await h.bus.start()
        assert await post_postmark(h, payloads.postmark()) == (200, {"accepted": 1})


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([{"Name": "Auto-Submitted", "Value": "auto-replied"}], "auto_reply"),
        ([{"Name": "Precedence", "Value": "bulk"}], "bulk"),
        ([{"Name": "List-Id", "Value": "<news.example.com>"}], "bulk"),
        ([{"Name": "X-Autoreply", "Value": "yes"}], "auto_reply"),
    ],
)
async def test_auto_replies_are_acknowledged_never_published(
    db: Database, headers: list[dict[str, str]], reason: str
) -> None:
    async with harness(db) as h:
        status, body = await post_postmark(h, payloads.postmark(headers=headers))
        assert (status, body) == (200, {"accepted": 0, "ignored": reason})
        assert h.bus.inbound == []
        assert h.ignored(reason) == 1.0
        assert h.rejected(reason) == 0.0


async def test_mailer_daemon_via_postmark(db: Database) -> None:
    async with harness(db) as h:
        payload = payloads.postmark(sender="MAILER-DAEMON@mx.example.com", FromFull=None)
        assert (await post_postmark(h, payload))[1] == {"accepted": 0, "ignored": "bounce"}


# --- raw MIME ---------------------------------------------------------------------------------


async def test_mime_basic_and_bearer(db: Database) -> None:
    async with harness(db) as h:
        assert await h.post("/webhooks/email/mime", mails.plain(), RFC822) == (200, {"accepted": 1})
        bearer = {"Authorization": f"Bearer {MIME_BEARER}", "Content-Type": "message/rfc822"}
        assert await h.post("/webhooks/email/mime", mails.QP_LATIN1, bearer) == (
            200,
            {"accepted": 1},
        )
        assert [m.provider for m in h.bus.inbound] == ["mime", "mime"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", basic(MIME_AUTH[0], "wrong"), f"Basic {MIME_BEARER}"],
    ids=["missing", "wrong-bearer", "wrong-basic", "bearer-as-basic"],
)
async def test_mime_auth(db: Database, authorization: str | None) -> None:
    async with harness(db) as h:
        headers = {"Content-Type": "message/rfc822"}
        if authorization:
            headers["Authorization"] = authorization
        status, body = await h.post("/webhooks/email/mime", mails.plain(), headers)
        assert (status, body["error"]) == (401, "unauthorized")
        assert h.rejected("unauthorized") == 1.0


async def test_mime_bad_input(db: Database) -> None:
    async with harness(db) as h:
        json_type = {**RFC822, "Content-Type": "application/json"}
        assert (await h.post("/webhooks/email/mime", mails.plain(), json_type))[0] == 415
        assert (await h.post("/webhooks/email/mime", b"  \r\n", RFC822))[0] == 400
        no_from = b"Subject: hi\r\n\r\nwhere is my order"
        assert await h.post("/webhooks/email/mime", no_from, RFC822) == (
            400,
            {"error": "bad_mail", "message": "The mail has no valid From address."},
        )
        assert h.bus.inbound == []


async def test_mime_bounce_and_out_of_office(db: Database) -> None:
    async with harness(db) as h:
        assert (await h.post("/webhooks/email/mime", mails.DSN_BOUNCE, RFC822))[1][
            "ignored"
        ] == "bounce"
        assert (await h.post("/webhooks/email/mime", mails.OUT_OF_OFFICE, RFC822))[1][
            "ignored"
        ] == "auto_reply"
        assert h.bus.inbound == []


async def test_large_mail_with_attachment_is_accepted_over_the_default_limit(db: Database) -> None:
    attachment = "QUJD" * (400 * 1024)  # ~1.6 MB of base64
    raw = mails.plain(
        extra='Content-Type: multipart/mixed; boundary="B"\n',
        body=(
            "--B\r\nContent-Type: text/plain\r\n\r\nWhere is order 1001?\r\n--B\r\n"
            'Content-Type: image/png\r\nContent-Disposition: attachment; filename="a.png"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--B--"
        ),
    )
    async with harness(db, {**INBOUND_CONFIG, "max_body_bytes": 2 * 1024 * 1024}) as h:
        assert await h.post("/webhooks/email/mime", io.BytesIO(raw), RFC822) == (
            200,
            {"accepted": 1},
        )
        assert h.bus.inbound[0].route["attachments"] == "1"
        too_big = io.BytesIO(raw + b"x" * (1024 * 1024))
        status, body = await h.post("/webhooks/email/mime", too_big, RFC822)
        assert (status, body["error"]) == (413, "too_large")
        assert h.rejected("too_large") == 1.0


# --- SendGrid ---------------------------------------------------------------------------------


async def test_sendgrid_parse(db: Database) -> None:
    async with harness(db) as h:
        assert await h.post(SG_PATH, payloads.sendgrid(files=2), SG_AUTH) == (200, {"accepted": 1})
        [message] = h.bus.inbound
    assert message.provider == "sendgrid"
    assert message.sender.email == "alice@example.com"  # SPF pass + DKIM pass for example.com
    assert message.route["attachments"] == "2"
    assert message.text.endswith("Where is my order #1001? My email is alice@example.com")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/webhooks/email/sendgrid/wrong-token-0123456789", SG_AUTH),
        ("/webhooks/email/sendgrid", SG_AUTH),
        (SG_PATH, {}),
        (SG_PATH, {"Authorization": basic(SENDGRID_AUTH[0], "nope")}),
    ],
    ids=["wrong-token", "no-token", "no-basic", "wrong-basic"],
)
async def test_sendgrid_auth(db: Database, path: str, headers: dict[str, str]) -> None:
    async with harness(db) as h:
        status, body = await h.post(path, payloads.sendgrid(), headers)
        assert (status, body["error"]) == (401, "unauthorized")
        assert SENDGRID_TOKEN not in json.dumps(body)
        assert h.rejected("unauthorized") == 1.0


async def test_sendgrid_token_only(db: Database) -> None:
    config = {"sendgrid_parse_token": SENDGRID_TOKEN}
    async with harness(db, config) as h:
        assert (await h.post(SG_PATH, payloads.sendgrid()))[0] == 200
        assert (await h.post("/webhooks/email/sendgrid", payloads.sendgrid()))[0] == 401


async def test_sendgrid_json_is_415(db: Database) -> None:
    async with harness(db) as h:
        headers = {**SG_AUTH, "Content-Type": "application/json"}
        status, body = await h.post(SG_PATH, b'{"from": "a@b.example"}', headers)
        assert (status, body["error"]) == (415, "unsupported_media_type")


# --- Mailgun ----------------------------------------------------------------------------------


async def test_mailgun_route(db: Database) -> None:
    async with harness(db) as h:
        form = payloads.mailgun(MAILGUN_KEY, TIMESTAMP, "tok-1")
        assert await h.post("/webhooks/email/mailgun", form) == (200, {"accepted": 1})
        [message] = h.bus.inbound
        assert message.provider == "mailgun"
        assert message.event_id == "email:<CAF=alice.mg.1@mail.example.com>"
        # The same request again (a replay): refused, and counted.
        status, body = await h.post("/webhooks/email/mailgun", form)
        assert (status, body["error"]) == (403, "replayed")
        assert h.rejected("replayed") == 1.0


async def test_mailgun_mime_route(db: Database) -> None:
    async with harness(db) as h:
        form = {
            "recipient": "support@shop.example",
            "sender": "ben.carter@example.com",
            "timestamp": TIMESTAMP,
            "token": "tok-mime",
            "signature": payloads.mailgun_signature(MAILGUN_KEY, TIMESTAMP, "tok-mime"),
        }
        data = aiohttp.FormData(form, default_to_multipart=True)
        data.add_field("body-mime", mails.GMAIL_REPLY_ES.decode(), content_type="text/plain")
        assert await h.post("/webhooks/email/mailgun/mime", data) == (200, {"accepted": 1})
        assert h.bus.inbound[0].text == "Hola, ¿y cuándo llega?"


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"signature": "0" * 64}, 403, "bad_signature"),
        ({"token": "tampered"}, 403, "bad_signature"),
        ({"signature": ""}, 401, "unauthorized"),
        ({"timestamp": "1770919000"}, 403, "bad_signature"),
    ],
)
async def test_mailgun_signature(
    db: Database, change: dict[str, str], status: int, reason: str
) -> None:
    async with harness(db) as h:
        form = {**payloads.mailgun(MAILGUN_KEY, TIMESTAMP, "tok-1"), **change}
        got, body = await h.post("/webhooks/email/mailgun", form)
        assert (got, body["error"]) == (status, reason)
        assert h.rejected(reason) == 1.0
        assert h.bus.inbound == []


async def test_mailgun_stale_timestamp(db: Database) -> None:
    async with harness(db) as h:
        stale = payloads.mailgun(MAILGUN_KEY, "1770919000", "tok-old")  # 1832 s old
        status, body = await h.post("/webhooks/email/mailgun", stale)
        assert (status, body["error"]) == (403, "stale_timestamp")


async def test_mailgun_retry_after_503_is_not_a_replay(db: Database) -> None:
    async with harness(db) as h:
        form = payloads.mailgun(MAILGUN_KEY, TIMESTAMP, "tok-retry")
        await h.bus.stop()
        assert (await h.post("/webhooks/email/mailgun", form))[0] == 503
        await h.bus.start()
        assert await h.post("/webhooks/email/mailgun", form) == (200, {"accepted": 1})


# --- threading, end to end through send ---------------------------------------------------------


async def test_a_reply_to_our_reply_lands_in_the_same_conversation(db: Database) -> None:
    async with smtp_server() as sink:
        config = {**INBOUND_CONFIG, "smtp_host": "127.0.0.1", "smtp_port": sink.port}
        async with harness(db, config) as h:
            assert (await h.post("/webhooks/email/mime", mails.plain(), RFC822))[0] == 200
            [first] = h.bus.inbound
            reply = OutboundMessage(
                event_id=OutboundMessage.make_id(first.event_id),
                inbound_id=first.event_id,
                occurred_at=NOW,
                conversation_key=first.conversation_key,
                channel="email",
                provider=first.provider,
                recipient=first.sender,
                route=first.route,
                text="Your order #1001 is on its way: 1ZXK3DEG0359083017",
                subject="Your order #1001",
                html="<p>Your order #1001 is on its way: 1ZXK3DEG0359083017</p>",
            )
            result = await h.channel.send(reply)
            ours = our_message_id(reply.event_id, "support@shop.example")
            assert result.provider_message_id == ours
            [sent] = sink.received
            assert sent.message["In-Reply-To"] == "<CAF=alice.1@mail.example.com>"
            assert sent.message["References"] == "<CAF=alice.1@mail.example.com>"
            # Alice answers our reply from her mail client.
            answer = mails.plain(
                subject="Re: Where is my order?",
                body="Thanks! And when will it arrive?",
                message_id="<CAF=alice.2@mail.example.com>",
                extra=f"In-Reply-To: {ours}\nReferences: <CAF=alice.1@mail.example.com> {ours}\n",
            )
            assert (await h.post("/webhooks/email/mime", answer, RFC822))[0] == 200
            second = h.bus.inbound[1]
            assert second.conversation_key == first.conversation_key
            assert second.text == "Thanks! And when will it arrive?"
            # Someone else quoting the same ids does not join Alice's conversation.
            mallory = mails.plain(
                sender="mallory@evil.example",
                message_id="<m@evil.example>",
                extra=f"In-Reply-To: {ours}\n",
            )
            assert (await h.post("/webhooks/email/mime", mallory, RFC822))[0] == 200
            assert h.bus.inbound[2].conversation_key != first.conversation_key


async def test_send_without_a_transport_is_final(db: Database) -> None:
    from router.dispatch import SendFailed

    async with harness(db) as h:
        reply = OutboundMessage(
            event_id="reply:x",
            occurred_at=NOW,
            conversation_key="email:x",
            channel="email",
            provider="postmark",
            recipient=Party(id="alice@example.com"),
            route={"to": "alice@example.com"},
            text="hi",
        )
        with pytest.raises(SendFailed, match="no outbound transport"):
            await h.channel.send(reply)


async def test_plus_token_threads_a_reply_without_headers(db: Database) -> None:
    async with smtp_server() as sink:
        config = {
            **INBOUND_CONFIG,
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "plus_address_reply_to": True,
        }
        async with harness(db, config) as h:
            await h.post("/webhooks/email/mime", mails.plain(), RFC822)
            [first] = h.bus.inbound
            reply = OutboundMessage(
                event_id="reply:" + first.event_id,
                inbound_id=first.event_id,
                occurred_at=NOW,
                conversation_key=first.conversation_key,
                channel="email",
                provider="mime",
                recipient=first.sender,
                route=first.route,
                text="On its way.",
            )
            await h.channel.send(reply)
            token = threads.plus_token(first.conversation_key)
            assert (
                sink.received[0].message["Reply-To"] == f"Demo Shop <support+{token}@shop.example>"
            )
            # A client that drops In-Reply-To/References but keeps the address.
            again = mails.plain(
                to=f"support+{token}@shop.example",
                subject="new subject",
                body="any news?",
                message_id="<fresh@mail.example.com>",
            )
            await h.post("/webhooks/email/mime", again, RFC822)
            assert h.bus.inbound[1].conversation_key == first.conversation_key


# --- unsubscribe: links on notices, for every transport; opt-outs honoured --------------------


@dataclass(frozen=True)
class Sent:
    """One mail as the transport handed it over: headers, text body, HTML body."""

    headers: dict[str, str]
    text: str
    html: str | None


@contextlib.asynccontextmanager
async def outbox(
    transport: str, base: dict[str, Any] = UNSUBSCRIBE_CONFIG
) -> AsyncIterator[tuple[dict[str, Any], list[Sent]]]:
    """A config that sends through `transport` (a real SMTP server on 127.0.0.1, or a fake of
    Postmark's / SendGrid's API) and the list of what it received."""
    config = {**base, "retry": FAST}
    sent: list[Sent] = []
    if transport == "smtp":
        async with smtp_server() as sink:
            yield {**config, "smtp_host": "127.0.0.1", "smtp_port": sink.port}, sent
        for received in sink.received:
            mail = received.message
            text, html = mail.get_body(("plain",)), mail.get_body(("html",))
            assert text is not None
            sent.append(
                Sent(
                    {k: str(v) for k, v in mail.items()},
                    text.get_content(),
                    html.get_content() if html is not None else None,
                )
            )
        return
    if transport == "postmark":
        fake = Fake(postmark_ok)
        async with local_server(web.post("/email", fake.handle)) as server:
            url = str(server.make_url(""))
            yield {**config, "postmark_server_token": "t", "postmark_api_base_url": url}, sent
        for _, body in fake.requests:
            headers = {h["Name"]: h["Value"] for h in body["Headers"]}
            sent.append(Sent(headers, body["TextBody"], body.get("HtmlBody")))
        return
    fake = Fake(lambda: web.Response(status=202, headers={"x-message-id": "sg-1"}))
    async with local_server(web.post("/v3/mail/send", fake.handle)) as server:
        url = str(server.make_url(""))
        yield {**config, "sendgrid_api_key": "SG.key", "sendgrid_api_base_url": url}, sent
    for _, body in fake.requests:
        content = {c["type"]: c["value"] for c in body["content"]}
        sent.append(Sent(body["headers"], content["text/plain"], content.get("text/html")))


def notice(event_id: str = "notice:7", **changes: Any) -> OutboundMessage:
    """What router/notify/engine.py publishes: no inbound message, a `notice:` id."""
    fields: dict[str, Any] = {
        "event_id": event_id,
        "occurred_at": NOW,
        "conversation_key": "email:alice@example.com",
        "channel": "email",
        "provider": "email",
        "recipient": Party(id="alice@example.com", name="Alice", email="alice@example.com"),
        "text": "Your parcel 1ZXK3DEG0359083017 is out for delivery today.",
        "subject": "Your order #1001 is out for delivery",
        "html": "<html><body><p>Your parcel is out for delivery today.</p></body></html>",
    }
    return OutboundMessage(**{**fields, **changes})


def answer(event_id: str = "reply:email:<q@mail.example.com>") -> OutboundMessage:
    return notice(
        event_id, inbound_id="email:<q@mail.example.com>", route={"to": "alice@example.com"}
    )


TRANSPORTS = ["smtp", "postmark", "sendgrid"]
ALICE_URL = "https://wismo.shop.example/unsubscribe/email?" + urlencode(
    {"a": "alice@example.com", "t": token(UNSUBSCRIBE_SECRET, "alice@example.com")}
)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_notice_carries_unsubscribe_headers_an_answer_does_not(
    db: Database, transport: str
) -> None:
    async with outbox(transport) as (config, sent), harness(db, config) as h:
        assert h.channel.transport is not None
        assert h.channel.transport.name == transport
        await h.channel.send(notice())
        await h.channel.send(answer())
    [sent_notice, sent_answer] = sent
    assert sent_notice.headers["List-Unsubscribe"] == (
        f"<{ALICE_URL}>, <mailto:support@shop.example?subject=unsubscribe>"
    )
    assert sent_notice.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent_notice.headers["Auto-Submitted"] == "auto-generated"
    assert sent_notice.text.rstrip().endswith(f"Don't want these updates? Unsubscribe: {ALICE_URL}")
    assert sent_notice.html is not None
    assert f'href="{ALICE_URL.replace("&", "&amp;")}"' in sent_notice.html
    assert "List-Unsubscribe" not in sent_answer.headers
    assert "List-Unsubscribe-Post" not in sent_answer.headers
    assert sent_answer.headers["Auto-Submitted"] == "auto-replied"
    assert "Unsubscribe" not in sent_answer.text
    assert "Unsubscribe" not in (sent_answer.html or "")


async def test_without_the_settings_a_notice_goes_out_without_links_and_the_log_says_why(
    db: Database,
) -> None:
    async with outbox("smtp", INBOUND_CONFIG) as (config, sent), harness(db, config) as h:
        with structlog.testing.capture_logs() as logs:
            await h.channel.send(notice())
    [mail] = sent
    assert "List-Unsubscribe" not in mail.headers
    assert "Unsubscribe" not in mail.text
    [why] = [e for e in logs if e["event"] == "email_notice_without_unsubscribe"]
    assert why["unset"] == ["unsubscribe_secret", "public_base_url"]
    assert why["log_level"] == "warning"


async def test_without_inbound_there_is_no_mailto(db: Database) -> None:
    base = {
        "from_address": "support@shop.example",
        "unsubscribe_secret": UNSUBSCRIBE_SECRET,
        "public_base_url": "https://wismo.shop.example",
    }
    async with outbox("smtp", base) as (config, sent), harness(db, config) as h:
        await h.channel.send(notice())
    assert sent[0].headers["List-Unsubscribe"] == f"<{ALICE_URL}>"


async def test_the_links_one_click_stops_every_later_mail(db: Database) -> None:
    """End to end: the header's URL, POSTed as a mail client does, opts Alice out; then
    notices and answers alike are suppressed (as SMS after STOP), nothing reaches SMTP."""
    async with outbox("smtp") as (config, sent), harness(db, config) as h:
        await h.channel.send(notice())
        url = urlsplit(ALICE_URL)
        async with h.http.post(
            h.base + f"{url.path}?{url.query}",
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as response:
            assert response.status == 200
        assert await h.opted_out("alice@example.com")
        later = await h.channel.send(notice("notice:8"))
        reply = await h.channel.send(answer())
        capitals = await h.channel.send(
            notice("notice:9", recipient=Party(id="x"), route={"to": "ALICE@Example.com"})
        )
    assert later.status == reply.status == capitals.status == "suppressed"
    assert len(sent) == 1


# --- UNSUBSCRIBE / SUBSCRIBE by mail ------------------------------------------------------------

VERIFIED = "Authentication-Results: mx.shop.example; dmarc=pass header.from=example.com\n"


async def post_mime(h: Harness, raw: bytes) -> tuple[int, Any]:
    return await h.post("/webhooks/email/mime", raw, RFC822)


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("unsubscribe", ""),  # what a mail client's mailto: link sends
        ("Re: Your order #1001 is out for delivery", "STOP\n\nSent from my iPhone"),
        ("Darme de baja", "Gracias"),
    ],
    ids=["mailto", "stop-reply", "spanish"],
)
async def test_an_unsubscribe_mail_opts_out_and_publishes_nothing(
    db: Database, subject: str, body: str
) -> None:
    async with harness(db) as h:
        raw = mails.plain(subject=subject, body=body)
        assert await post_mime(h, raw) == (200, {"accepted": 0, "ignored": "unsubscribe"})
        assert h.bus.inbound == []
        assert h.ignored("unsubscribe") == 1.0
        assert await h.opted_out("alice@example.com")
        # The provider retries: acknowledged the same way, still nothing published.
        assert await post_mime(h, raw) == (200, {"accepted": 0, "ignored": "unsubscribe"})
        assert h.bus.inbound == []


async def test_unsubscribe_through_postmark(db: Database) -> None:
    async with harness(db) as h:
        payload = payloads.postmark(subject="Unsubscribe", text="", sender="Alice@Example.com")
        status, body = await post_postmark(h, payload)
        assert (status, body) == (200, {"accepted": 0, "ignored": "unsubscribe"})
        assert await h.opted_out("alice@example.com")
        assert h.bus.inbound == []


async def test_subscribe_opts_back_in_from_a_vouched_for_sender_only(db: Database) -> None:
    async with harness(db) as h:
        await post_mime(h, mails.plain(subject="unsubscribe", body="", message_id="<u1@x>"))
        assert await h.opted_out("alice@example.com")
        # Anyone can write From: alice: an unverified START does not undo her unsubscribe.
        forged = mails.plain(subject="start", body="", message_id="<s1@x>")
        assert await post_mime(h, forged) == (
            200,
            {"accepted": 0, "ignored": "subscribe_unverified"},
        )
        assert await h.opted_out("alice@example.com")
        # Her provider vouches for her (DMARC pass from our trusted MTA): opted back in.
        hers = mails.plain(subject="Subscribe", body="", message_id="<s2@x>", extra=VERIFIED)
        assert await post_mime(h, hers) == (200, {"accepted": 0, "ignored": "subscribe"})
        assert not await h.opted_out("alice@example.com")
        assert h.ignored("subscribe") == 1.0
        assert h.ignored("subscribe_unverified") == 1.0
        # A late retry of the first UNSUBSCRIBE does not opt her out again.
        await post_mime(h, mails.plain(subject="unsubscribe", body="", message_id="<u1@x>"))
        assert not await h.opted_out("alice@example.com")
        assert h.bus.inbound == []


async def test_after_subscribe_answers_are_sent_again(db: Database) -> None:
    async with outbox("smtp") as (config, sent), harness(db, config) as h:
        await post_mime(h, mails.plain(subject="stop", body="", message_id="<u1@x>"))
        assert (await h.channel.send(answer())).status == "suppressed"
        await post_mime(h, mails.plain(subject="start", message_id="<s@x>", extra=VERIFIED))
        assert (await h.channel.send(answer())).status == "sent"
    assert len(sent) == 1


async def test_a_question_that_starts_with_stop_is_a_question(db: Database) -> None:
    async with harness(db) as h:
        raw = mails.plain(body="Stop sending me the wrong size! Where is order 1001?")
        assert await post_mime(h, raw) == (200, {"accepted": 1})
        assert not await h.opted_out("alice@example.com")


async def test_automatic_mail_unsubscribes_but_never_subscribes(db: Database) -> None:
    auto = "Auto-Submitted: auto-generated\n"
    async with harness(db) as h:
        start = mails.plain(subject="subscribe", message_id="<a1@x>", extra=auto + VERIFIED)
        assert (await post_mime(h, start))[1] == {"accepted": 0, "ignored": "auto_reply"}
        stop = mails.plain(subject="unsubscribe", body="", message_id="<a2@x>", extra=auto)
        assert (await post_mime(h, stop))[1] == {"accepted": 0, "ignored": "unsubscribe"}
        assert await h.opted_out("alice@example.com")
        listed = mails.plain(
            sender="news@list.example", subject="stop", extra="List-Id: <news.list.example>\n"
        )
        assert (await post_mime(h, listed))[1] == {"accepted": 0, "ignored": "bulk"}
        assert not await h.opted_out("news@list.example")
