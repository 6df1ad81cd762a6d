"""Alembic environment: runs on the connection router.store.db hands it (sync side of async)."""

from __future__ import annotations

from alembic import context

from router.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through router.store.db.migrate(), which passes a connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
