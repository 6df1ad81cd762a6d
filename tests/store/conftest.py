"""In tests/store, `db` is every database the service supports: each test runs on SQLite and on
the real PostgreSQL server (elsewhere in the suite `db` stays SQLite)."""

from __future__ import annotations

import pytest

from router.store.db import Database


@pytest.fixture
def db(any_db: Database) -> Database:
    return any_db
