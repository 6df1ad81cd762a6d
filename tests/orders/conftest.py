"""The demo shop seeded at a fixed `now`, on SQLite and on the real PostgreSQL server: every
order query the service runs is proven on both."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from router.orders import demo
from router.store.db import Database


@pytest.fixture
def now() -> datetime:
    """A Wednesday noon with no public holiday in the two weeks before it (US, GB, DE, CA)."""
    return datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def seeded(any_db: Database, now: datetime) -> Database:
    assert await demo.seed(any_db, now) == len(demo.ORDERS)
    return any_db
