"""router/store/db.py: migrations (up and down) on a fresh database, model/migration drift,
ping. On SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, Table, inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from router.store.db import Database, alembic_config
from router.store.models import Base, ProcessedEvent
from tests.helpers import ROOT


def _head() -> str:
    """The newest migration, as Alembic sees the scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


HEAD = _head()

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True, "render_as_batch": True},
    )
    return list(compare_metadata(context, metadata))


async def _versions(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return [row[0] for row in rows]


async def test_migrate_creates_every_model_table(any_db_url: str) -> None:
    db = Database(any_db_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(_tables)
    finally:
        await db.close()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert set(Base.metadata.tables) == {
        "processed_events",
        "conversations",
        "messages",
        "decisions",
        "deliveries",
        "shop_orders",
        "shop_shipments",
        "shop_tracking_events",
        "inbound_receipts",
        "contacts",
        "thread_refs",
        "handoffs",
        "handoff_actions",
        "shop_actions",
        "shipment_states",
        "notices",
    }


async def test_migrate_twice_is_idempotent_and_keeps_data(any_db_url: str) -> None:
    db = Database(any_db_url)
    try:
        await db.migrate()
        async with db.session() as session, session.begin():
            session.add(ProcessedEvent(consumer="c", event_id="e", processed_at=NOW))
        await db.migrate()
        assert await _versions(db) == [HEAD]
        async with db.session() as session:
            rows = (await session.execute(select(ProcessedEvent))).scalars().all()
        assert [(r.consumer, r.event_id, r.processed_at) for r in rows] == [("c", "e", NOW)]
    finally:
        await db.close()


async def test_migrate_from_a_second_database_object_on_the_same_database(
    any_db_url: str,
) -> None:
    first = Database(any_db_url)
    await first.migrate()
    await first.close()
    second = Database(any_db_url)
    try:
        await second.migrate()
        assert await _versions(second) == [HEAD]
    finally:
        await second.close()


def _revisions() -> list[str]:
    """Every migration, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _alembic(db: Database, action: str, target: str) -> None:
    def run(connection: Connection) -> None:
        getattr(command, action)(alembic_config(connection), target)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def _current(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        if "alembic_version" not in await conn.run_sync(_tables):
            return []
    return await _versions(db)


async def _seed_at_first_revision(db: Database) -> None:
    """An order with a shipment, in the tables as the first migration made them."""
    now = NOW.replace(tzinfo=None) if db.dialect == "sqlite" else NOW
    async with db.engine.begin() as conn:
        order_id = (
            await conn.execute(
                text(
                    "INSERT INTO shop_orders (number, customer_name, email, placed_at, status,"
                    " fulfillment_status, total, currency, ship_city, ship_postcode,"
                    " ship_country, updated_at) VALUES ('1001', 'A', 'a@example.com', :now,"
                    " 'open', 'fulfilled', 1.5, 'USD', 'Oakland', '94607', 'US', :now)"
                    " RETURNING id"
                ),
                {"now": now},
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO shop_shipments (order_id, carrier, tracking_number, status,"
                " updated_at) VALUES (:order_id, 'UPS', '1Z1', 'in_transit', :now)"
            ),
            {"order_id": order_id, "now": now},
        )


async def test_every_migration_upgrades_and_downgrades_step_by_step(any_db_url: str) -> None:
    """Up one revision at a time with data in the tables, down to nothing, and up again to a
    schema that matches the models."""
    revisions = _revisions()
    assert revisions[-1] == HEAD
    db = Database(any_db_url)
    try:
        await _alembic(db, "upgrade", revisions[0])
        await _seed_at_first_revision(db)
        for revision in revisions[1:]:
            await _alembic(db, "upgrade", "+1")
            assert await _current(db) == [revision]
        async with db.engine.connect() as conn:
            # 0002 added a NOT NULL column to a table with a row: its server default filled it.
            row = (await conn.execute(text("SELECT action_required FROM shop_shipments"))).one()
        assert tuple(row) == (False,)
        for revision in reversed(revisions[:-1]):
            await _alembic(db, "downgrade", "-1")
            assert await _current(db) == [revision]
        await _alembic(db, "downgrade", "base")
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_tables) == {"alembic_version"}
        await db.migrate()
        assert await _current(db) == [HEAD]
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_diff, Base.metadata) == []
    finally:
        await db.close()


async def test_database_creates_the_parent_directory_of_a_sqlite_file(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/a/b/t.db")
    try:
        await db.migrate()
    finally:
        await db.close()
    assert (tmp_path / "a" / "b" / "t.db").is_file()


async def test_models_and_migrations_do_not_drift(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff, Base.metadata)
    assert diff == []


async def test_drift_check_detects_a_difference(db: Database) -> None:
    """The comparison above is not vacuous: an extra table and column are reported."""
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("extra_table", changed, Column("id", Integer, primary_key=True))
    Table(
        "deliveries",
        changed,
        Column("attempts", Integer, nullable=True),
        extend_existing=True,
    )
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff, changed)
    found = sorted(
        (d[0], d[1].name) if d[0] == "add_table" else (d[0], f"{d[2]}.{d[3].name}") for d in diff
    )
    assert found == [("add_column", "deliveries.attempts"), ("add_table", "extra_table")]


async def test_ping_true_on_a_migrated_database(db: Database) -> None:
    assert await db.ping() is True


async def test_ping_false_after_close(any_db_url: str) -> None:
    db = Database(any_db_url)
    await db.migrate()
    assert await db.ping() is True
    await db.close()
    try:
        assert await db.ping() is False
    finally:
        await db.close()


async def test_ping_false_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    # The "file" is a directory: SQLite cannot open it.
    (tmp_path / "dir.db").mkdir()
    before = set(threading.enumerate())
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/dir.db")
    try:
        assert await db.ping() is False
    finally:
        await db.close()
        # aiosqlite stops the worker thread of a failed connect asynchronously; let it finish
        # while this test's loop still runs (else it reports into a closed loop later).
        async with asyncio.timeout(10):
            while any(t.is_alive() for t in set(threading.enumerate()) - before):
                await asyncio.sleep(0.01)


async def test_ping_false_when_the_server_is_unreachable() -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused at once.
    db = Database("postgresql+asyncpg://wismo:wismo@127.0.0.1:1/wismo")
    try:
        assert await db.ping() is False
    finally:
        await db.close()


MIGRATE_WHEN_TOLD = """
import asyncio, sys
from router.store.db import Database

async def main(url: str) -> None:
    db = Database(url)
    try:
        assert await db.ping()
        print("ready", flush=True)
        sys.stdin.readline()
        await db.migrate()
    finally:
        await db.close()

asyncio.run(main(sys.argv[1]))
"""


async def _until_sessions_wait_for_a_lock(url: str, count: int) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    try:
        async with asyncio.timeout(30):
            while True:
                async with engine.connect() as conn:
                    if (await conn.execute(query)).scalar_one() >= count:
                        return
                await asyncio.sleep(0.01)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_processes_that_start_at_once_all_migrate(postgres_empty_url: str) -> None:
    """Several processes share one PostgreSQL database (the multi-process deployment) and each
    migrates at start. Started together on a fresh database, none may fail: one migrates, the
    others wait for it and then find nothing left to do.

    To make them collide every time, the test holds them at the race: an uncommitted
    `alembic_version` table of its own, rolled back once every process waits for a lock."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MIGRATE_WHEN_TOLD,
            postgres_empty_url,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await process.stdout.readline() == b"ready\n"
    engine = create_async_engine(postgres_empty_url, poolclass=NullPool)
    try:
        async with engine.connect() as holder:
            held = await holder.begin()
            await holder.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            for process in processes:
                assert process.stdin is not None
                process.stdin.write(b"go\n")
                await process.stdin.drain()
            await _until_sessions_wait_for_a_lock(postgres_empty_url, len(processes))
            await held.rollback()
    finally:
        await engine.dispose()
    outcomes = await asyncio.gather(*(p.communicate() for p in processes))
    failures = [err.decode()[-600:] for p, (_, err) in zip(processes, outcomes) if p.returncode]
    assert failures == []
    db = Database(postgres_empty_url)
    try:
        assert await _versions(db) == [HEAD]
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_diff, Base.metadata) == []
    finally:
        await db.close()
