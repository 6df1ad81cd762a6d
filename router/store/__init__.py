"""State: SQLAlchemy async models + Alembic; SQLite by default, PostgreSQL in production."""
