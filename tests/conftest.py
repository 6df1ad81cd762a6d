"""Shared fixtures: the real Kafka broker and the real PostgreSQL server (one of each per test
session), the two buses, and databases on SQLite and on PostgreSQL.

The broker and the server are the ones `make test` starts (WISMO_TEST_KAFKA_BOOTSTRAP,
WISMO_TEST_POSTGRES_URL); when pytest runs on its own, the first test that needs one starts it
from deploy/kafka-local or deploy/postgres-local and stops it at the end. Every test that uses
PostgreSQL gets a database of its own, created for it and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from router.bus import EventBus, Record
from router.bus import topics as t
from router.bus.kafka import KafkaBus
from router.bus.memory import MemoryBus
from router.store.db import Database
from tests.helpers import FAST_RETRY, ROOT, kafka_settings, unique_prefix

T = TypeVar("T")


def _deploy_module(name: str, directory: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "deploy" / directory / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _kafka_local() -> ModuleType:
    return _deploy_module("kafka_local", "kafka-local")


def _pg_local() -> ModuleType:
    return _deploy_module("pg_local", "postgres-local")


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


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The test server's maintenance database (`postgresql+asyncpg://wismo@…/wismo`; the role
    may create databases). Tests do not write here: they get databases of their own below."""
    given = os.environ.get("WISMO_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    server = _pg_local().PostgresServer()
    url: str = server.start()
    try:
        yield url
    finally:
        server.stop()


def _database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


class PostgresDatabases:
    """Throwaway databases on the test server: CREATE DATABASE (from a template), DROP."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url

    @contextlib.asynccontextmanager
    async def _admin(self) -> AsyncIterator[AsyncConnection]:
        engine = create_async_engine(
            self.server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            async with engine.connect() as conn:
                yield conn
        finally:
            await engine.dispose()

    async def create(self, template: str | None = None) -> str:
        """A new database (empty, or a copy of `template`); returns its URL."""
        name = f"wismo_test_{uuid.uuid4().hex[:12]}"
        async with self._admin() as conn:
            version = int((await conn.execute(text("SHOW server_version_num"))).scalar_one())
            statement = f'CREATE DATABASE "{name}"'
            if template is not None:
                statement += f' TEMPLATE "{template}"'
                # A small template copies fastest file by file (the default is WAL from 15 on).
                statement += " STRATEGY FILE_COPY" if version >= 150000 else ""
            await conn.execute(text(statement))
        return _database_url(self.server_url, name)

    async def drop(self, url: str) -> None:
        """Drop it, ending any session a test left open (FORCE needs PostgreSQL 13+).

        FORCE may not end an autovacuum worker that has just started on the database (it
        belongs to no role we are a member of): the worker is done within moments, so try
        again for up to ten seconds."""
        name = make_url(url).database
        async with self._admin() as conn:
            version = int((await conn.execute(text("SHOW server_version_num"))).scalar_one())
            force = " WITH (FORCE)" if version >= 130000 else ""
            for attempt in range(100):
                try:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
                    return
                except DBAPIError as error:
                    if "process is being terminated" not in str(error.orig) or attempt == 99:
                        raise
                    await asyncio.sleep(0.1)

    @contextlib.asynccontextmanager
    async def scratch(self, template: str | None = None) -> AsyncIterator[str]:
        url = await self.create(template)
        try:
            yield url
        finally:
            await self.drop(url)


async def _make_template(server_url: str) -> str:
    """A database migrated to head once per session; each test's database is a copy of it."""
    databases = PostgresDatabases(server_url)
    url = await databases.create()
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.close()  # a template must have no sessions while it is copied
    name = make_url(url).database
    assert name is not None
    return name


def _on_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """A session fixture may be set up while a test's event loop runs: use a loop of its own."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """The name of the session's migrated template database (dropped at the end)."""
    name = _on_own_loop(_make_template(postgres_url))
    try:
        yield name
    finally:
        url = _database_url(postgres_url, name)
        _on_own_loop(PostgresDatabases(postgres_url).drop(url))


@contextlib.asynccontextmanager
async def _opened(url: str, *, migrate: bool = False) -> AsyncIterator[Database]:
    database = Database(url)
    try:
        if migrate:
            await database.migrate()
        yield database
    finally:
        await database.close()


@pytest.fixture
async def postgres_empty_url(postgres_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database of this test's own."""
    async with PostgresDatabases(postgres_url).scratch() as url:
        yield url


@pytest.fixture
async def postgres_db(postgres_url: str, postgres_template: str) -> AsyncIterator[Database]:
    """A migrated PostgreSQL database of this test's own (a copy of the session template)."""
    async with (
        PostgresDatabases(postgres_url).scratch(postgres_template) as url,
        _opened(url) as database,
    ):
        yield database


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/t.db"
        return
    server_url: str = request.getfixturevalue("postgres_url")
    async with PostgresDatabases(server_url).scratch() as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database of this test's own, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        async with _opened(f"sqlite+aiosqlite:///{tmp_path}/t.db", migrate=True) as database:
            yield database
        return
    server_url: str = request.getfixturevalue("postgres_url")
    template: str = request.getfixturevalue("postgres_template")
    async with (
        PostgresDatabases(server_url).scratch(template) as url,
        _opened(url) as database,
    ):
        yield database


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for the provider clients under test (they talk to local fakes)."""
    async with aiohttp.ClientSession() as client:
        yield client
