"""Throw-away databases for storage tests: migrated SQLite files and PostgreSQL databases.

A test suite migrates one database per module (``migrated_sqlite`` / ``migrated_postgres``) and
empties it between tests with ``clear_tables``, which is far faster than migrating per test.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import delete, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.migrate import upgrade_database
from trading_bot.adapters.storage.tables import metadata


def sqlite_url(path: Path) -> str:
    """Return the aiosqlite URL of the database file at ``path``."""
    return f"sqlite+aiosqlite:///{path}"


async def migrated_sqlite(directory: Path, name: str = "trading-bot.db") -> str:
    """Create a SQLite database file in ``directory``, migrate it to head; return its URL."""
    url = sqlite_url(directory / name)
    await upgrade_database(url)
    return url


async def create_postgres_database(admin_dsn: str, prefix: str = "tb_test") -> str:
    """Create an empty PostgreSQL database of our own; return its SQLAlchemy URL.

    ``admin_dsn`` is a libpq DSN to a maintenance database (``postgresql://user@host/postgres``).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _administer(admin_dsn, f'CREATE DATABASE "{name}"')
    return _server(admin_dsn).set(database=name).render_as_string(hide_password=False)


async def migrated_postgres(admin_dsn: str, prefix: str = "tb_test") -> str:
    """Create a PostgreSQL database of our own and migrate it to head; return its URL."""
    url = await create_postgres_database(admin_dsn, prefix)
    await upgrade_database(url)
    return url


async def drop_postgres_database(admin_dsn: str, url: str) -> None:
    """Drop the database ``url`` names (one ``create_postgres_database`` made), even if in use."""
    name = make_url(url).database
    await _administer(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server(admin_dsn: str) -> URL:
    return make_url(admin_dsn).set(drivername="postgresql+asyncpg")


async def _administer(admin_dsn: str, statement: str) -> None:
    # CREATE and DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(
        _server(admin_dsn), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def clear_tables(database: Database) -> None:
    """Delete every row of every table, dependants first; the schema stays."""
    async with database.transaction("clear tables") as session:
        for table in reversed(metadata.sorted_tables):
            await session.execute(delete(table))
