"""Every storage contract test runs on SQLite and on the real PostgreSQL.

Each test module migrates one database per backend; tables are emptied after every test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.testing.storage import (
    clear_tables,
    drop_postgres_database,
    migrated_postgres,
    migrated_sqlite,
)
from trading_bot.testing.storage_records import T0


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)],
)
def migrated_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a database migrated to head, one per backend and test module."""
    if request.param == "sqlite":
        yield asyncio.run(migrated_sqlite(tmp_path_factory.mktemp("storage")))
        return
    admin_dsn: str = request.getfixturevalue("postgres_admin_dsn")
    url = asyncio.run(migrated_postgres(admin_dsn))
    yield url
    asyncio.run(drop_postgres_database(admin_dsn, url))


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    """The migrated database, emptied after the test."""
    db = Database(migrated_url)
    yield db
    await clear_tables(db)
    await db.dispose()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def repos(database: Database, clock: SimulatedClock) -> SqlRepositories:
    return SqlRepositories.create(database, clock)
