"""A migrated SQLite database with the demo shop seeded at a fixed `now`."""

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
async def seeded(db: Database, now: datetime) -> Database:
    assert await demo.seed(db, now) == len(demo.ORDERS)
    return db
