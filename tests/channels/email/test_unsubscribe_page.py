"""channels/email/unsubscribe_page.py through the channel on a local server: GET shows a page
and changes nothing, POST unsubscribes (one-click or the page's button), once; a forged or
incomplete link changes nothing."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from channels.email.unsubscribe import token
from router.store import channel_state
from router.store.db import Database
from tests.channels.email.support import (
    INBOUND_CONFIG,
    NOW,
    UNSUBSCRIBE_CONFIG,
    UNSUBSCRIBE_SECRET,
    Harness,
    harness,
)

ALICE = "alice@example.com"
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


def link(address: str = ALICE, tok: str | None = None) -> str:
    return "/unsubscribe/email?" + urlencode(
        {"a": address, "t": token(UNSUBSCRIBE_SECRET, address) if tok is None else tok}
    )


async def call(
    h: Harness, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, str, str, dict[str, str]]:
    async with h.http.request(method, h.base + path, data=data, headers=headers) as response:
        return (
            response.status,
            response.content_type,
            await response.text(),
            dict(response.headers),
        )


async def test_get_shows_a_page_and_changes_nothing(db: Database) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        for _ in range(3):  # a link scanner, a preview, the person
            status, content_type, page, headers = await call(h, "GET", link())
            assert (status, content_type) == (200, "text/html")
        assert "<h1>Unsubscribe</h1>" in page
        assert '<form method="post">' in page  # posts to this very URL, token included
        assert "alice@example.com" in page
        assert "Demo Shop" in page
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"
        assert not await h.opted_out(ALICE)
        async with h.http.head(h.base + link()) as response:
            assert response.status == 200
        assert not await h.opted_out(ALICE)
        assert await channel_state.contact(db, "email", ALICE) == channel_state.ContactState()


async def test_one_click_post_opts_out_once(db: Database) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        status, content_type, body, _ = await call(
            h, "POST", link(), "List-Unsubscribe=One-Click", ONE_CLICK
        )
        assert (status, content_type, json.loads(body)) == (
            200,
            "application/json",
            {"unsubscribed": True},
        )
        assert await h.opted_out(ALICE)
        first = (await channel_state.contact(db, "email", ALICE)).opted_out_at
        # Again (the client retries, the person clicks twice): 200, nothing changes.
        assert (await call(h, "POST", link(), "List-Unsubscribe=One-Click", ONE_CLICK))[0] == 200
        assert (await channel_state.contact(db, "email", ALICE)).opted_out_at == first
        # Now the page says so, without a button.
        _, _, page, _ = await call(h, "GET", link())
        assert "You are unsubscribed" in page
        assert "<form" not in page
        assert "Write “subscribe” to support@shop.example" in page


async def test_one_click_as_multipart(db: Database) -> None:
    """RFC 8058 lets the client send the body as multipart/form-data too."""
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        form = {"List-Unsubscribe": "One-Click"}
        async with h.http.post(h.base + link(), data=_multipart(form)) as response:
            assert response.status == 200
            assert await response.json() == {"unsubscribed": True}
        assert await h.opted_out(ALICE)


def _multipart(fields: dict[str, str]) -> aiohttp.FormData:
    return aiohttp.FormData(fields, default_to_multipart=True)


async def test_the_page_button_opts_out_with_a_confirmation_page(db: Database) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        # What a browser submits for the page's form: an empty form body, same URL.
        status, content_type, page, _ = await call(h, "POST", link(), b"", ONE_CLICK)
        assert (status, content_type) == (200, "text/html")
        assert "You are unsubscribed" in page
        assert "Demo Shop will send no more e-mail to <strong>alice@example.com</strong>" in page
        assert await h.opted_out(ALICE)


async def test_the_address_is_case_insensitive(db: Database) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        path = link("Alice@Example.COM", token(UNSUBSCRIBE_SECRET, ALICE))
        assert (await call(h, "POST", path, "List-Unsubscribe=One-Click", ONE_CLICK))[0] == 200
        assert await h.opted_out(ALICE)


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        (link(tok="A" * 43), 403, "bad_token"),
        (link(tok=token("another-secret-0123456789", ALICE)), 403, "bad_token"),
        (link("bob@example.com", token(UNSUBSCRIBE_SECRET, ALICE)), 403, "bad_token"),
        ("/unsubscribe/email?a=alice%40example.com", 400, "missing_token"),
        ("/unsubscribe/email?t=abc", 400, "missing_token"),
        ("/unsubscribe/email", 400, "missing_token"),
        (link("not-an-address", "x"), 400, "bad_address"),
    ],
    ids=["forged", "other-secret", "other-address", "no-t", "no-a", "nothing", "bad-address"],
)
async def test_a_bad_link_changes_nothing(
    db: Database, path: str, status: int, reason: str
) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        for method in ("GET", "POST"):
            got, content_type, body, _ = await call(
                h, method, path, "List-Unsubscribe=One-Click", ONE_CLICK
            )
            assert (got, content_type) == (status, "application/json")
            assert json.loads(body)["error"] == reason
            assert token(UNSUBSCRIBE_SECRET, ALICE) not in body
        assert h.rejected(reason) == 2.0
        assert not await h.opted_out(ALICE)
        assert not await h.opted_out("bob@example.com")


async def test_post_bad_bodies(db: Database) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        status, _, body, _ = await call(
            h, "POST", link(), b'{"a": 1}', {"Content-Type": "application/json"}
        )
        assert (status, json.loads(body)["error"]) == (415, "unsupported_media_type")
        status, _, body, _ = await call(
            h, "POST", link(), io.BytesIO(b"x" * (1024 * 1024 + 1)), ONE_CLICK
        )
        assert (status, json.loads(body)["error"]) == (413, "too_large")
        assert not await h.opted_out(ALICE)


async def test_the_link_is_checked_before_the_body(db: Database) -> None:
    async with harness(db, UNSUBSCRIBE_CONFIG) as h:
        status, _, body, _ = await call(
            h, "POST", link(tok="forged"), b"{}", {"Content-Type": "application/json"}
        )
        assert (status, json.loads(body)["error"]) == (403, "bad_token")  # not 415


async def test_not_mounted_without_a_secret(db: Database) -> None:
    async with harness(db, INBOUND_CONFIG) as h:
        paths = {r.path for r in h.channel.routes() if isinstance(r, web.RouteDef)}
        assert "/unsubscribe/email" not in paths
        assert (await call(h, "GET", link()))[0] == 404


async def test_without_inbound_the_page_offers_no_address_to_write_to(db: Database) -> None:
    config = {
        "from_address": "support@shop.example",
        "smtp_host": "127.0.0.1",
        "unsubscribe_secret": UNSUBSCRIBE_SECRET,
        "public_base_url": "https://wismo.shop.example",
    }
    async with harness(db, config) as h:
        _, _, page, _ = await call(h, "POST", link(), b"", ONE_CLICK)
        assert "You are unsubscribed" in page
        assert "subscribe”" not in page
        state = await channel_state.contact(db, "email", ALICE)
        assert state.opted_out_at is not None
        assert state.opted_out_at.replace(tzinfo=NOW.tzinfo) == NOW
