"""channels/meta/handshake.py: the GET hub.challenge subscription check."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from channels.meta.handshake import handshake
from router.store.db import Database
from tests.channels.meta.harness import VERIFY_TOKEN, make_rig
from tests.helpers import local_server


def hub(
    mode: str | None = "subscribe", token: str | None = VERIFY_TOKEN, challenge: str | None = "1"
) -> dict[str, str]:
    given = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}
    return {k: v for k, v in given.items() if v is not None}


@pytest.mark.parametrize(
    ("query", "status", "reason"),
    [
        (hub(token="wrong"), 403, "unauthorized"),
        (hub(mode="unsubscribe"), 403, "unauthorized"),
        (hub(token=""), 403, "unauthorized"),
        (hub(token="vérify"), 403, "unauthorized"),
        (hub(token=VERIFY_TOKEN + "x"), 403, "unauthorized"),
        (hub(token=None), 400, "bad_request"),
        (hub(challenge=None), 400, "bad_request"),
        (hub(mode=None), 400, "bad_request"),
        ({}, 400, "bad_request"),
        (hub(challenge="<script>"), 400, "bad_request"),
    ],
)
async def test_refusals(
    db: Database,
    session: aiohttp.ClientSession,
    query: dict[str, str],
    status: int,
    reason: str,
) -> None:
    rig = await make_rig(db, session, {})
    handler = handshake("whatsapp", rig.ctx.ingest, VERIFY_TOKEN)
    async with (
        local_server(web.get("/hook", handler)) as server,
        session.get(server.make_url("/hook"), params=query) as response,
    ):
        assert response.status == status
        body = await response.json()
    assert body["error"] == reason
    assert VERIFY_TOKEN not in str(body)
    assert rig.rejected("whatsapp", reason) == 1


async def test_the_right_token_echoes_the_bare_challenge(
    db: Database, session: aiohttp.ClientSession
) -> None:
    rig = await make_rig(db, session, {})
    handler = handshake("messenger", rig.ctx.ingest, VERIFY_TOKEN)
    async with (
        local_server(web.get("/hook", handler)) as server,
        session.get(server.make_url("/hook"), params=hub(challenge="1158201444")) as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.text() == "1158201444"
