"""tests/conftest.py's throwaway PostgreSQL databases: dropped even while a session of another
role is still on them (an autovacuum worker, in the wild), as soon as it has gone."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.conftest import PostgresDatabases

pytestmark = pytest.mark.postgres


async def test_drop_waits_out_a_session_it_may_not_end(postgres_url: str) -> None:
    superuser = create_async_engine(
        make_url(postgres_url).set(username="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    try:
        async with superuser.connect() as conn:
            query = text("SELECT 1 FROM pg_roles WHERE rolname = 'wismo_other'")
            if (await conn.execute(query)).scalar_one_or_none() is None:
                await conn.execute(text("CREATE ROLE wismo_other LOGIN"))
    except DBAPIError as error:  # a server of your own (WISMO_TEST_POSTGRES_URL), no trust
        pytest.skip(f"needs the server's superuser (trust, as the test command's): {error.orig}")
    finally:
        await superuser.dispose()
    databases = PostgresDatabases(postgres_url)
    url = await databases.create()
    other = create_async_engine(make_url(url).set(username="wismo_other"), poolclass=NullPool)
    held = await other.connect()
    await held.execute(text("SELECT 1"))
    dropping = asyncio.create_task(databases.drop(url))
    await asyncio.sleep(0.5)
    # FORCE may not end the other role's session: the drop is still trying, not failed.
    assert not dropping.done()
    await held.close()
    await other.dispose()
    await asyncio.wait_for(dropping, 10)
    admin = create_async_engine(postgres_url, poolclass=NullPool)
    async with admin.connect() as conn:
        name = make_url(url).database
        found = await conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        assert found.scalar_one_or_none() is None
    await admin.dispose()
