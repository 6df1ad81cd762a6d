"""A migrated SQLite database in a fresh file, for the store tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from router.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()
