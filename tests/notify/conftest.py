"""In tests/notify, `db` is SQLite and the real PostgreSQL server: notices are claimed with
guarded updates, which must hold on both."""

from __future__ import annotations

import pytest

from router.store.db import Database


@pytest.fixture
def db(any_db: Database) -> Database:
    return any_db
