"""Whole-path fixtures: the real service (HTTP + roles) on the memory bus or on real Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from router.app import Service
from router.settings import BusSettings, Settings
from tests.helpers import kafka_settings, unique_prefix

ServiceFactory = Callable[..., Awaitable[Service]]


def service_settings(backend: str, tmp_path: Path, bootstrap: str | None, **extra: Any) -> Settings:
    bus = BusSettings(backend="memory", max_attempts=3)
    if backend == "kafka":
        assert bootstrap is not None
        bus = BusSettings(
            backend="kafka",
            max_attempts=3,
            topic_prefix=unique_prefix(),
            kafka=kafka_settings(bootstrap),
        )
    webchat = {"session_secret": "e2e-secret", **extra.pop("webchat", {})}
    # Other channels are configured by the test (`channels={"sms": {...}}`); unconfigured ones
    # are disabled, as in production.
    channels = {"webchat": webchat, **extra.pop("channels", {})}
    return Settings(
        host="127.0.0.1",
        port=0,
        demo=True,
        bus=bus,
        database={"url": f"sqlite+aiosqlite:///{tmp_path}/wismo.db"},
        channels=channels,
        **extra,
    )


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_service(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ServiceFactory]:
    """Start services on `backend`; every one started is stopped at the end of the test."""
    started: list[Service] = []
    bootstrap = request.getfixturevalue("kafka_bootstrap") if backend == "kafka" else None

    async def make(**extra: Any) -> Service:
        service = Service(service_settings(backend, tmp_path, bootstrap, **extra))
        await service.start()
        started.append(service)
        return service

    yield make
    for service in reversed(started):
        await service.stop()
