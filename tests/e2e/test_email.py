"""A customer writes an e-mail; the whole service answers it by e-mail. Memory bus and Kafka.

Inbound through Postmark's webhook (basic auth) and the raw MIME route; outbound over SMTP to a
real SMTP server (aiosmtpd on 127.0.0.1) and through a local fake of Postmark's send API.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web

from router.app import Service
from tests.channels.email import mails, payloads
from tests.channels.email.support import MIME_AUTH, POSTMARK_AUTH, basic, smtp_server
from tests.e2e.conftest import ServiceFactory
from tests.helpers import local_server

TRACKING = "1ZXK3DEG0359083017"
WAIT = 30.0
INBOUND = {
    "from_address": "support@shop.example",
    "postmark_inbound_user": POSTMARK_AUTH[0],
    "postmark_inbound_password": POSTMARK_AUTH[1],
    "mime_user": MIME_AUTH[0],
    "mime_password": MIME_AUTH[1],
}


async def post(service: Service, path: str, body: bytes, headers: dict[str, str]) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{service.port}{path}", data=body, headers=headers) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def until(condition: Any) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.05)


async def test_postmark_mail_is_answered_over_smtp(make_service: ServiceFactory) -> None:
    async with smtp_server() as sink:
        service = await make_service(
            channels={"email": {**INBOUND, "smtp_host": "127.0.0.1", "smtp_port": sink.port}}
        )
        body = json.dumps(payloads.postmark(message_id="<CAF=e2e.1@mail.example.com>")).encode()
        headers = {"Authorization": basic(*POSTMARK_AUTH), "Content-Type": "application/json"}
        assert await post(service, "/webhooks/email/postmark", body, headers) == {"accepted": 1}
        await until(lambda: sink.received)
    [reply] = sink.received
    mail = reply.message
    assert reply.rcpt_tos == ["alice@example.com"]
    assert reply.mail_from == "support@shop.example"
    assert mail["To"] == "alice@example.com"
    assert mail["From"] == "Demo Shop <support@shop.example>"
    assert mail["Subject"] == "Re: Where is my order?"
    assert mail["In-Reply-To"] == "<CAF=e2e.1@mail.example.com>"
    assert mail["References"] == "<CAF=e2e.1@mail.example.com>"
    assert mail["Auto-Submitted"] == "auto-replied"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert TRACKING in text.get_content()
    assert "#1001" in text.get_content()
    assert TRACKING in html.get_content()


async def test_raw_mime_mail_is_answered_through_postmarks_api(
    make_service: ServiceFactory,
) -> None:
    sent: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def postmark_email(request: web.Request) -> web.Response:
        sent.append((dict(request.headers), await request.json()))
        return web.json_response(
            {
                "To": "alice@example.com",
                "SubmittedAt": "2026-02-12T18:00:00Z",
                "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d",
                "ErrorCode": 0,
                "Message": "OK",
            }
        )

    async with local_server(web.post("/email", postmark_email)) as fake:
        service = await make_service(
            channels={
                "email": {
                    **INBOUND,
                    "postmark_server_token": "e2e-server-token",
                    "postmark_api_base_url": str(fake.make_url("")),
                }
            }
        )
        raw = mails.plain(message_id="<CAF=e2e.mime@mail.example.com>")
        headers = {"Authorization": basic(*MIME_AUTH), "Content-Type": "message/rfc822"}
        assert await post(service, "/webhooks/email/mime", raw, headers) == {"accepted": 1}
        await until(lambda: sent)
    [(request_headers, body)] = sent
    assert request_headers["X-Postmark-Server-Token"] == "e2e-server-token"
    assert body["To"] == "alice@example.com"
    assert body["From"] == "Demo Shop <support@shop.example>"
    assert body["Subject"] == "Re: Where is my order?"
    assert body["MessageStream"] == "outbound"
    assert TRACKING in body["TextBody"]
    assert TRACKING in body["HtmlBody"]
    thread = {h["Name"]: h["Value"] for h in body["Headers"]}
    assert thread["In-Reply-To"] == "<CAF=e2e.mime@mail.example.com>"
    assert thread["References"] == "<CAF=e2e.mime@mail.example.com>"
    assert thread["Auto-Submitted"] == "auto-replied"


async def test_an_auto_reply_is_never_answered(make_service: ServiceFactory) -> None:
    async with smtp_server() as sink:
        service = await make_service(
            channels={"email": {**INBOUND, "smtp_host": "127.0.0.1", "smtp_port": sink.port}}
        )
        headers = {"Authorization": basic(*MIME_AUTH), "Content-Type": "message/rfc822"}
        answer = await post(service, "/webhooks/email/mime", mails.OUT_OF_OFFICE, headers)
        assert answer == {"accepted": 0, "ignored": "auto_reply"}
        bounce = await post(service, "/webhooks/email/mime", mails.DSN_BOUNCE, headers)
        assert bounce == {"accepted": 0, "ignored": "bounce"}
        # A real question afterwards is answered, and it is the only mail we send.
        real = mails.plain(message_id="<CAF=e2e.after@mail.example.com>")
        assert await post(service, "/webhooks/email/mime", real, headers) == {"accepted": 1}
        await until(lambda: sink.received)
        await asyncio.sleep(0.5)
    assert len(sink.received) == 1
    assert sink.received[0].message["In-Reply-To"] == "<CAF=e2e.after@mail.example.com>"
    registry = service.metrics.registry
    for reason in ("auto_reply", "bounce"):
        labels = {"channel": "email", "reason": reason}
        assert registry.get_sample_value("wismo_inbound_ignored_total", labels) == 1.0
    assert registry.get_sample_value("wismo_inbound_messages_total", {"channel": "email"}) == 1.0
