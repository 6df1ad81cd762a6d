"""UTCDateTime: aware datetimes in, aware UTC datetimes out (also on SQLite); naive refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import StatementError

from router.store.db import Database
from router.store.models import ProcessedEvent, UTCDateTime

PLUS_TWO = timezone(timedelta(hours=2))


def dialect(name: str) -> Dialect:
    return make_url(f"{name}://").get_dialect()()


async def _stored(db: Database, when: datetime) -> datetime:
    async with db.session() as session, session.begin():
        session.add(ProcessedEvent(consumer="c", event_id="e", processed_at=when))
    async with db.session() as session:
        row = await session.get(ProcessedEvent, ("c", "e"))
    assert row is not None
    return row.processed_at


async def test_aware_non_utc_in_aware_utc_out(db: Database) -> None:
    given = datetime(2026, 3, 4, 12, 30, 15, 123456, tzinfo=PLUS_TWO)
    got = await _stored(db, given)
    assert got == given
    assert got.tzinfo is UTC
    assert (got.year, got.month, got.day, got.hour, got.minute, got.second, got.microsecond) == (
        2026,
        3,
        4,
        10,
        30,
        15,
        123456,
    )


async def test_the_database_stores_the_utc_instant(db: Database) -> None:
    """SQLite: naive text of the UTC wall time. PostgreSQL: a timestamptz, whatever the
    session's time zone."""
    await _stored(db, datetime(2026, 3, 4, 12, 30, tzinfo=PLUS_TWO))
    async with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            raw = (await conn.execute(text("SELECT processed_at FROM processed_events"))).one()
            assert raw == ("2026-03-04 10:30:00.000000",)
            return
        await conn.execute(text("SET TIME ZONE 'America/Los_Angeles'"))
        raw = (
            await conn.execute(
                text(
                    "SELECT pg_typeof(processed_at)::text, processed_at::text,"
                    " (processed_at AT TIME ZONE 'UTC')::text FROM processed_events"
                )
            )
        ).one()
        assert tuple(raw) == (
            "timestamp with time zone",
            "2026-03-04 02:30:00-08",
            "2026-03-04 10:30:00",
        )
        read = (await conn.execute(select(ProcessedEvent.processed_at))).scalar_one()
    assert read == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    assert read.tzinfo is UTC


async def test_aware_bind_parameters_compare_in_utc(db: Database) -> None:
    await _stored(db, datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    same_instant = datetime(2026, 3, 4, 14, 0, tzinfo=PLUS_TWO)
    async with db.session() as session:
        found = (
            await session.execute(
                select(ProcessedEvent.event_id).where(ProcessedEvent.processed_at >= same_instant)
            )
        ).scalars()
        assert list(found) == ["e"]
        later = same_instant + timedelta(microseconds=1)
        none = (
            await session.execute(
                select(ProcessedEvent.event_id).where(ProcessedEvent.processed_at >= later)
            )
        ).scalars()
        assert list(none) == []


async def test_naive_datetime_is_rejected_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(StatementError) as caught:
        async with db.session() as session, session.begin():
            session.add(
                ProcessedEvent(consumer="c", event_id="e", processed_at=datetime(2026, 3, 4))
            )
    assert isinstance(caught.value.orig, ValueError)
    assert "naive datetime" in str(caught.value.orig)
    async with db.session() as session:
        assert await session.get(ProcessedEvent, ("c", "e")) is None


def test_bind_rejects_naive_on_every_dialect() -> None:
    column_type = UTCDateTime()
    for each in (dialect("sqlite"), dialect("postgresql")):
        with pytest.raises(ValueError, match="naive datetime"):
            column_type.process_bind_param(datetime(2026, 3, 4), each)


def test_bind_keeps_the_offset_only_where_the_database_stores_it() -> None:
    column_type = UTCDateTime()
    given = datetime(2026, 3, 4, 12, 0, tzinfo=PLUS_TWO)
    on_sqlite = column_type.process_bind_param(given, dialect("sqlite"))
    on_postgres = column_type.process_bind_param(given, dialect("postgresql"))
    assert on_sqlite == datetime(2026, 3, 4, 10, 0)
    assert on_sqlite is not None
    assert on_sqlite.tzinfo is None
    assert on_postgres == given
    assert on_postgres is not None
    assert on_postgres.tzinfo is UTC


def test_result_of_an_aware_value_is_converted_to_utc() -> None:
    column_type = UTCDateTime()
    got = column_type.process_result_value(
        datetime(2026, 3, 4, 12, 0, tzinfo=PLUS_TWO), dialect("postgresql")
    )
    assert got == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert got is not None
    assert got.tzinfo is UTC


def test_none_passes_through() -> None:
    column_type = UTCDateTime()
    assert column_type.process_bind_param(None, dialect("sqlite")) is None
    assert column_type.process_result_value(None, dialect("sqlite")) is None
