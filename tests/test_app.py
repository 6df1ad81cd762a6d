"""The composition root: which roles run, which routes exist, readiness."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import aiohttp

from router.app import Service
from router.settings import BusSettings, Settings


def settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings.model_validate(
        {
            "host": "127.0.0.1",
            "port": 0,
            "database": {"url": f"sqlite+aiosqlite:///{tmp_path}/app.db"},
            **extra,
        }
    )


async def test_pipeline_only_process_has_no_channel_routes(tmp_path: Path) -> None:
    service = Service(settings(tmp_path, roles=["pipeline"]))
    await service.start()
    try:
        assert service.pipeline is not None
        assert service.dispatcher is None
        assert len(service.consumers) == 1
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{service.port}"
            async with http.get(f"{base}/") as resp:
                assert resp.status == 404
            async with http.get(f"{base}/readyz") as resp:
                assert resp.status == 200
                assert await resp.json() == {"bus": True, "database": True}
            async with http.get(f"{base}/healthz") as resp:
                assert await resp.json() == {"status": "ok"}
    finally:
        await service.stop()


async def test_ingest_only_process_serves_the_chat_but_consumes_nothing(tmp_path: Path) -> None:
    service = Service(settings(tmp_path, roles=["ingest"]))
    await service.start()
    try:
        assert service.consumers == []
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{service.port}/") as resp,
        ):
            assert resp.status == 200
            assert "Demo Shop" in await resp.text()
    finally:
        await service.stop()


async def test_consumer_groups_carry_the_topic_prefix(tmp_path: Path) -> None:
    service = Service(settings(tmp_path, bus=BusSettings(topic_prefix="staging.")))
    assert service.group("pipeline") == "staging.wismo-pipeline"
    assert service.group("dispatch") == "staging.wismo-dispatch"


async def test_demo_flag_seeds_the_shop(tmp_path: Path) -> None:
    service = Service(settings(tmp_path, demo=True, roles=["pipeline"]))
    await service.start()
    try:
        assert service.pipeline is not None
        order = await service.pipeline.facts.orders[0].by_number("1011", now=service.clock())
        assert order is not None
        assert {s.carrier for s in order.shipments} == {"UPS", "FedEx"}
    finally:
        await service.stop()


async def test_errors_are_short_json_and_unconfigured_channels_are_not_mounted(
    tmp_path: Path,
) -> None:
    """No route, wrong method, a body over 1 MB: JSON 4xx. A channel raising ChannelDisabled
    (no credentials) is left out, so its webhook path does not exist."""
    from aiohttp import web

    from channels.base import ChannelContext, ChannelDisabled
    from channels.registry import CHANNELS
    from router.dispatch import SendResult
    from router.events import OutboundMessage
    from router.reply.formats import Format

    def unconfigured(ctx: ChannelContext) -> Any:
        raise ChannelDisabled("no auth token")

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    class Buggy:
        name = "buggy"
        reply_format: Format = "chat"

        def __init__(self, ctx: ChannelContext) -> None:
            pass

        def routes(self) -> list[web.RouteDef]:
            return [web.post("/webhooks/buggy", boom)]

        async def send(self, message: OutboundMessage) -> SendResult:
            raise NotImplementedError

        async def close(self) -> None:
            pass

    service = Service(
        settings(tmp_path), channels={**CHANNELS, "sms": unconfigured, "buggy": Buggy}
    )
    await service.start()
    try:
        assert set(service.channels) == {"webchat", "buggy"}
        base = f"http://127.0.0.1:{service.port}"
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/webhooks/sms", data=b"x") as resp:
                assert (resp.status, await resp.json()) == (
                    404,
                    {"error": "not_found", "message": "Not Found"},
                )
            async with http.delete(f"{base}/healthz") as resp:
                assert resp.status == 405
                assert (await resp.json())["error"] == "method_not_allowed"
                assert "GET" in resp.headers["Allow"]
            big = io.BytesIO(b"x" * (1024 * 1024 + 1))
            async with http.post(f"{base}/webchat/messages", data=big) as resp:
                assert resp.status == 413
                assert (await resp.json())["error"] == "request_entity_too_large"
            async with http.post(f"{base}/webhooks/buggy", data=b"{}") as resp:
                assert (resp.status, await resp.json()) == (
                    500,
                    {"error": "internal", "message": "Internal error."},
                )
    finally:
        await service.stop()
