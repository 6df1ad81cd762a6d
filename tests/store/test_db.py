"""router/store/db.py: migrations on a fresh SQLite file, model/migration drift, ping."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Integer, MetaData, Table, inspect, select, text

from router.store.db import Database
from router.store.models import Base, ProcessedEvent


def _head() -> str:
    """The newest migration, as Alembic sees the scripts."""
    from alembic.script import ScriptDirectory

    from router.store.db import alembic_config

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


async def test_migrate_creates_every_model_table(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
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
    }


async def test_migrate_twice_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
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


async def test_migrate_from_a_second_database_object_on_the_same_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    first = Database(url)
    await first.migrate()
    await first.close()
    second = Database(url)
    try:
        await second.migrate()
        assert await _versions(second) == [HEAD]
    finally:
        await second.close()


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


async def test_ping_false_after_close(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
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
