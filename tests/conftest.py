"""Shared fixtures: the real Kafka broker (one per test session) and the two buses.

The broker is the one `make test` starts (WISMO_TEST_KAFKA_BOOTSTRAP); when pytest runs on its
own, the first test that needs Kafka starts one from deploy/kafka-local and stops it at the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest

from router.bus import EventBus, Record
from router.bus import topics as t
from router.bus.kafka import KafkaBus
from router.bus.memory import MemoryBus
from router.store.db import Database
from tests.helpers import FAST_RETRY, ROOT, kafka_settings, unique_prefix


def _kafka_local() -> ModuleType:
    path = ROOT / "deploy" / "kafka-local" / "kafka_local.py"
    spec = importlib.util.spec_from_file_location("kafka_local", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["kafka_local"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    given = os.environ.get("WISMO_TEST_KAFKA_BOOTSTRAP")
    if given:
        _in_thread(given)
        yield given
        return
    kafka_local = _kafka_local()
    kafka_local.fetch_jars()
    broker = kafka_local.KafkaBroker()
    bootstrap: str = broker.start()
    try:
        _in_thread(bootstrap)
        yield bootstrap
    finally:
        broker.stop()


def _in_thread(bootstrap: str) -> None:
    """The fixture may be set up while a test's event loop runs: warm up on a loop of its own."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _warm_up(bootstrap)).result()


async def _warm_up(bootstrap: str) -> None:
    """One consumer-group round trip, so the broker has created its offsets topic and group
    coordinator before the first test needs them (a fresh broker takes a few seconds)."""
    bus = KafkaBus(kafka_settings(bootstrap), topic_prefix=unique_prefix(), create_topics=[t.DLQ])
    got = asyncio.Event()

    async def handle(record: Record) -> None:
        got.set()

    await bus.start()
    consumer = bus.consumer([t.DLQ], "warm-up", handle)
    try:
        async with asyncio.timeout(120):
            await bus.wait_ready()
            await consumer.start()
            await bus.publish(t.DLQ, "warm-up", b"{}", {})
            await got.wait()
    finally:
        await consumer.stop()
        await bus.stop()


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    """The same contract, on the embedded bus and on a real broker."""
    made: EventBus
    if request.param == "memory":
        made = MemoryBus(partitions=3, retry=FAST_RETRY)
    else:
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        made = KafkaBus(
            kafka_settings(bootstrap),
            topic_prefix=unique_prefix(),
            retry=FAST_RETRY,
            create_topics=t.ALL,
        )
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database in a fresh file."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the provider clients under test (they talk to local fakes)."""
    async with aiohttp.ClientSession() as client:
        yield client
