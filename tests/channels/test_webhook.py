"""channels/webhook.py: the shared inbound pieces every channel uses."""

from __future__ import annotations

import base64
import io

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from channels.webhook import (
    Rejected,
    basic_auth_ok,
    parse_json,
    public_url,
    read_body,
    same_secret,
    webhook,
)
from router.bus import BusUnavailable
from router.bus.memory import MemoryBus
from router.ingest import Ingest
from router.metrics import Metrics
from router.store.db import Database
from tests.helpers import local_server


def test_same_secret() -> None:
    assert same_secret("abc", "abc")
    assert same_secret(b"abc", "abc")
    assert not same_secret("abd", "abc")
    assert not same_secret(None, "abc")
    assert not same_secret("", "abc")
    assert not same_secret("é", "e")  # non-ASCII is compared as bytes, never raises
    assert not same_secret("abc\udcff", "abc")  # an undecodable header byte


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (basic("postmark", "s3cret"), True),
        (basic("postmark", "s3cret:x"), False),
        (basic("postmark", "wrong"), False),
        (basic("other", "s3cret"), False),
        ("Bearer s3cret", False),
        ("Basic !!!notbase64", False),
        ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), False),
        ("", False),
    ],
)
def test_basic_auth_ok(header: str, ok: bool) -> None:
    request = make_mocked_request("POST", "/", headers={"Authorization": header})
    assert basic_auth_ok(request, "postmark", "s3cret") is ok


def test_public_url() -> None:
    plain = make_mocked_request("POST", "/webhooks/sms?x=1", headers={"Host": "10.0.0.5:8080"})
    assert public_url(plain) == "http://10.0.0.5:8080/webhooks/sms?x=1"
    proxied = make_mocked_request(
        "POST",
        "/webhooks/sms?x=1",
        headers={
            "Host": "10.0.0.5:8080",
            "X-Forwarded-Proto": "https, http",
            "X-Forwarded-Host": "shop.example.com, internal",
        },
    )
    assert public_url(proxied) == "https://shop.example.com/webhooks/sms?x=1"
    assert (
        public_url(proxied, "https://hooks.example.com/")
        == "https://hooks.example.com/webhooks/sms?x=1"
    )


def test_parse_json() -> None:
    assert parse_json(b'{"a": "caf\\u00e9"}') == {"a": "café"}
    deep = b"[" * 100_000 + b"]" * 100_000
    for bad in (b"{", b"\xff\xfe", b"", deep):
        with pytest.raises(Rejected) as caught:
            parse_json(bad)
        assert (caught.value.status, caught.value.code) == (400, "bad_json")


async def test_the_wrapper(db: Database) -> None:
    metrics = Metrics()
    bus = MemoryBus()
    ingest = Ingest(bus, metrics, db)

    @webhook("sms", ingest)
    async def handle(request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        if body == b"refuse":
            raise Rejected(403, "bad_signature", "The signature does not match.")
        if body == b"busy":
            ingest.reject("sms", "bus_unavailable")
            raise BusUnavailable("down")
        return web.Response(text="ok")

    app_routes = [web.post("/hook", handle)]
    async with local_server(*app_routes) as server, aiohttp.ClientSession() as http:
        url = str(server.make_url("/hook"))
        async with http.post(url, data=b"fine") as resp:
            assert (resp.status, await resp.text()) == (200, "ok")
        async with http.post(url, data=b"refuse") as resp:
            assert (resp.status, await resp.json()) == (
                403,
                {"error": "bad_signature", "message": "The signature does not match."},
            )
        async with http.post(url, data=b"busy") as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"] == "5"
            assert (await resp.json())["error"] == "unavailable"
        async with http.post(url, data=io.BytesIO(b"x" * (1024**2 + 1))) as resp:
            assert (resp.status, (await resp.json())["error"]) == (413, "too_large")
    sample = metrics.registry.get_sample_value
    for reason in ("bad_signature", "bus_unavailable", "too_large"):
        assert sample("wismo_inbound_rejected_total", {"channel": "sms", "reason": reason}) == 1
