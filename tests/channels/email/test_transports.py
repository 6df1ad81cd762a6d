"""channels/email/transports.py: SMTP against a real server (aiosmtpd on 127.0.0.1), and the
Postmark and SendGrid APIs against local fakes that speak their formats."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from channels.email.compose import Composed, compose
from channels.email.settings import EmailSettings
from channels.email.transports import PostmarkTransport, SendGridTransport, SmtpTransport
from channels.email.unsubscribe import Links
from router.dispatch import SendFailed
from tests.channels.email.support import smtp_server
from tests.channels.email.test_compose import outbound
from tests.helpers import local_server

NOW = datetime(2026, 2, 12, 18, 0, tzinfo=UTC)
FAST = {"attempts": 3, "backoff_s": 0.01, "max_backoff_s": 0.02, "timeout_s": 2.0}


def composed(**changes: Any) -> Composed:
    return compose(
        outbound(**changes), from_address="support@shop.example", from_name="Demo Shop", now=NOW
    )


def settings(**fields: Any) -> EmailSettings:
    return EmailSettings.model_validate(
        {"from_address": "support@shop.example", "retry": FAST, **fields}
    )


# --- SMTP -------------------------------------------------------------------------------------


async def test_smtp_delivers_the_threaded_message() -> None:
    async with smtp_server() as sink:
        cfg = settings(smtp_host="127.0.0.1", smtp_port=sink.port)
        message = composed()
        provider_id = await SmtpTransport(cfg, cfg.retry).deliver(message)
    assert provider_id == message.message_id
    [received] = sink.received
    assert received.mail_from == "support@shop.example"
    assert received.rcpt_tos == ["alice@example.com"]
    mail = received.message
    assert mail["Message-ID"] == message.message_id
    assert mail["In-Reply-To"] == "<CAF=alice.1@mail.example.com>"
    assert mail["Subject"] == "Re: Where is my order?"
    plain = mail.get_body(("plain",))
    assert plain is not None
    assert "1ZXK3DEG0359083017" in plain.get_content()


async def test_smtp_4xx_is_retried() -> None:
    async with smtp_server() as sink:
        sink.script = ["451 4.3.0 Try again later"]
        cfg = settings(smtp_host="127.0.0.1", smtp_port=sink.port)
        await SmtpTransport(cfg, cfg.retry).deliver(composed())
    assert len(sink.received) == 1


async def test_smtp_5xx_is_final() -> None:
    async with smtp_server() as sink:
        sink.script = ["550 5.1.1 No such user", "250 OK"]
        cfg = settings(smtp_host="127.0.0.1", smtp_port=sink.port)
        with pytest.raises(SendFailed, match="smtp: 550"):
            await SmtpTransport(cfg, cfg.retry).deliver(composed())
    assert sink.received == []
    assert sink.script == ["250 OK"]  # not tried again


async def test_smtp_unreachable_is_retried_then_given_up() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=1.0)
    with pytest.raises(SendFailed, match=r"gave up after 3 attempts"):
        await SmtpTransport(cfg, cfg.retry).deliver(composed())


# --- Postmark ---------------------------------------------------------------------------------


class Fake:
    """A provider API fake: records requests, answers the scripted responses in order."""

    def __init__(self, *responses: Callable[[], web.Response]) -> None:
        self.responses = list(responses)
        self.requests: list[tuple[dict[str, str], Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), json.loads(await request.read())))
        index = min(len(self.requests), len(self.responses)) - 1
        return self.responses[index]()


def postmark_ok() -> web.Response:
    return web.json_response(
        {
            "To": "alice@example.com",
            "SubmittedAt": "2026-02-12T18:00:00.0000000Z",
            "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
            "ErrorCode": 0,
            "Message": "OK",
        }
    )


async def test_postmark_sends_the_documented_fields(session: aiohttp.ClientSession) -> None:
    fake = Fake(postmark_ok)
    async with local_server(web.post("/email", fake.handle)) as server:
        cfg = settings(
            postmark_server_token="server-token-1",
            postmark_api_base_url=str(server.make_url("")),
        )
        message = composed()
        provider_id = await PostmarkTransport(cfg, session).deliver(message)
    assert provider_id == "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"
    [(headers, body)] = fake.requests
    assert headers["X-Postmark-Server-Token"] == "server-token-1"
    assert headers["Accept"] == "application/json"
    assert body["From"] == "Demo Shop <support@shop.example>"
    assert body["To"] == "alice@example.com"
    assert body["Subject"] == "Re: Where is my order?"
    assert "1ZXK3DEG0359083017" in body["TextBody"]
    assert "<p>1ZXK3DEG0359083017</p>" in body["HtmlBody"]
    assert body["MessageStream"] == "outbound"
    assert body["Headers"] == [
        {"Name": "Message-ID", "Value": message.message_id},
        {"Name": "In-Reply-To", "Value": "<CAF=alice.1@mail.example.com>"},
        {"Name": "References", "Value": "<root@mail.example.com> <CAF=alice.1@mail.example.com>"},
        {"Name": "Auto-Submitted", "Value": "auto-replied"},
        {"Name": "X-Auto-Response-Suppress", "Value": "All"},
    ]
    assert "ReplyTo" not in body


async def test_postmark_422_is_final_with_its_error_code(session: aiohttp.ClientSession) -> None:
    def inactive() -> web.Response:
        return web.json_response(
            {
                "ErrorCode": 406,
                "Message": "You tried to send to a recipient that has been marked as inactive.",
            },
            status=422,
        )

    fake = Fake(inactive, postmark_ok)
    async with local_server(web.post("/email", fake.handle)) as server:
        cfg = settings(postmark_server_token="t", postmark_api_base_url=str(server.make_url("")))
        with pytest.raises(SendFailed, match="ErrorCode 406"):
            await PostmarkTransport(cfg, session).deliver(composed())
    assert len(fake.requests) == 1


async def test_postmark_5xx_and_429_are_retried(session: aiohttp.ClientSession) -> None:
    fake = Fake(
        lambda: web.json_response({"ErrorCode": 100, "Message": "Maintenance"}, status=500),
        lambda: web.json_response({}, status=429, headers={"Retry-After": "0"}),
        postmark_ok,
    )
    async with local_server(web.post("/email", fake.handle)) as server:
        cfg = settings(postmark_server_token="t", postmark_api_base_url=str(server.make_url("")))
        assert await PostmarkTransport(cfg, session).deliver(composed())
    assert len(fake.requests) == 3


async def test_postmark_long_retry_after_gives_up_at_once(session: aiohttp.ClientSession) -> None:
    fake = Fake(lambda: web.json_response({}, status=429, headers={"Retry-After": "3600"}))
    async with local_server(web.post("/email", fake.handle)) as server:
        cfg = settings(postmark_server_token="t", postmark_api_base_url=str(server.make_url("")))
        with pytest.raises(SendFailed, match="HTTP 429"):
            await PostmarkTransport(cfg, session).deliver(composed())
    assert len(fake.requests) == 1


async def test_postmark_200_with_an_error_code_is_final(session: aiohttp.ClientSession) -> None:
    fake = Fake(lambda: web.json_response({"ErrorCode": 300, "Message": "Invalid email request"}))
    async with local_server(web.post("/email", fake.handle)) as server:
        cfg = settings(postmark_server_token="t", postmark_api_base_url=str(server.make_url("")))
        with pytest.raises(SendFailed, match="ErrorCode 300"):
            await PostmarkTransport(cfg, session).deliver(composed())


# --- SendGrid ---------------------------------------------------------------------------------


async def test_sendgrid_sends_v3_mail_send(session: aiohttp.ClientSession) -> None:
    fake = Fake(lambda: web.Response(status=202, headers={"x-message-id": "sg-msg-1"}))
    async with local_server(web.post("/v3/mail/send", fake.handle)) as server:
        cfg = settings(sendgrid_api_key="SG.key", sendgrid_api_base_url=str(server.make_url("")))
        message = composed()
        assert await SendGridTransport(cfg, session).deliver(message) == "sg-msg-1"
    [(headers, body)] = fake.requests
    assert headers["Authorization"] == "Bearer SG.key"
    assert body["personalizations"] == [{"to": [{"email": "alice@example.com"}]}]
    assert body["from"] == {"email": "support@shop.example", "name": "Demo Shop"}
    assert body["subject"] == "Re: Where is my order?"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["headers"]["Message-ID"] == message.message_id
    assert body["headers"]["In-Reply-To"] == "<CAF=alice.1@mail.example.com>"


async def test_sendgrid_400_is_final(session: aiohttp.ClientSession) -> None:
    fake = Fake(
        lambda: web.json_response(
            {
                "errors": [
                    {
                        "message": "Does not contain a valid address.",
                        "field": "personalizations.0.to.0.email",
                    }
                ]
            },
            status=400,
        )
    )
    async with local_server(web.post("/v3/mail/send", fake.handle)) as server:
        cfg = settings(sendgrid_api_key="SG.key", sendgrid_api_base_url=str(server.make_url("")))
        with pytest.raises(SendFailed, match="valid address"):
            await SendGridTransport(cfg, session).deliver(composed())
    assert len(fake.requests) == 1


async def test_the_apis_pass_the_unsubscribe_headers_of_a_notice(
    session: aiohttp.ClientSession,
) -> None:
    links = Links("https://wismo.shop.example/unsubscribe/email?a=alice%40example.com&t=x")
    message = compose(
        outbound(inbound_id=None, event_id="notice:1"),
        from_address="support@shop.example",
        from_name="Demo Shop",
        now=NOW,
        unsubscribe=links,
    )
    postmark, sendgrid = Fake(postmark_ok), Fake(lambda: web.Response(status=202))
    async with (
        local_server(web.post("/email", postmark.handle)) as pm_server,
        local_server(web.post("/v3/mail/send", sendgrid.handle)) as sg_server,
    ):
        pm = settings(postmark_server_token="t", postmark_api_base_url=str(pm_server.make_url("")))
        sg = settings(sendgrid_api_key="SG.k", sendgrid_api_base_url=str(sg_server.make_url("")))
        await PostmarkTransport(pm, session).deliver(message)
        await SendGridTransport(sg, session).deliver(message)
    [(_, pm_body)] = postmark.requests
    [(_, sg_body)] = sendgrid.requests
    assert pm_body["Headers"][-2:] == [
        {"Name": "List-Unsubscribe", "Value": f"<{links.url}>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]
    assert sg_body["headers"]["List-Unsubscribe"] == f"<{links.url}>"
    assert sg_body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert links.url in pm_body["TextBody"]
    assert links.url in sg_body["content"][0]["value"]
