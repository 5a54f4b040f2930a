"""The migrations build exactly the mapped schema, and tear it down, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import (
    Database,
    SqlRepositories,
    current_revision,
    downgrade_database,
    upgrade_database,
)
from trading_bot.adapters.storage.tables import metadata
from trading_bot.core.errors import ConfigurationError
from trading_bot.testing.storage import sqlite_url
from trading_bot.testing.storage_records import T0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "fresh.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


async def _inspect(url: str, look: Callable[[Connection], Any]) -> Any:
    # Any: whatever the inspection returns.
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _constraint_names(connection: Connection) -> set[str]:
    inspector = inspect(connection)
    names: set[str] = set()
    for table in metadata.tables:
        names.add(str(inspector.get_pk_constraint(table)["name"]))
        names.update(str(fk["name"]) for fk in inspector.get_foreign_keys(table))
        names.update(str(uq["name"]) for uq in inspector.get_unique_constraints(table))
        names.update(str(ix["name"]) for ix in inspector.get_indexes(table))
    return names


def _mapped_constraint_names() -> set[str]:
    names: set[str] = set()
    for table in metadata.tables.values():
        named = (str(constraint.name) for constraint in table.constraints if constraint.name)
        # CHECK constraints are not reflected by every dialect.
        names.update(name for name in named if not name.startswith("ck_"))
        names.update(str(index.name) for index in table.indexes)
    return names


async def test_upgrade_when_database_is_empty_creates_exactly_the_mapped_schema(
    fresh_url: str,
) -> None:
    await upgrade_database(fresh_url)

    assert await _inspect(fresh_url, _table_names) == {*metadata.tables, "alembic_version"}
    assert await _inspect(fresh_url, _schema_differences) == []
    assert await current_revision(fresh_url) == "0001"


async def test_upgrade_when_database_is_empty_names_constraints_as_the_mapped_tables_do(
    fresh_url: str,
) -> None:
    await upgrade_database(fresh_url)

    found = await _inspect(fresh_url, _constraint_names)

    assert _mapped_constraint_names() <= found


async def test_downgrade_to_base_when_migrated_removes_every_table_and_upgrade_rebuilds(
    fresh_url: str,
) -> None:
    await upgrade_database(fresh_url)

    await downgrade_database(fresh_url, "base")
    tables_after_downgrade = await _inspect(fresh_url, _table_names)
    await upgrade_database(fresh_url)

    assert tables_after_downgrade <= {"alembic_version"}
    assert await current_revision(fresh_url) == "0001"
    assert await _inspect(fresh_url, _schema_differences) == []


async def test_upgrade_when_already_at_head_keeps_the_data(fresh_url: str) -> None:
    await upgrade_database(fresh_url)
    database = Database(fresh_url)
    repos = SqlRepositories.create(database, SimulatedClock(T0))
    await repos.key_value.set("control:paused", "true")

    await upgrade_database(fresh_url)

    assert await repos.key_value.get("control:paused") == "true"
    await database.dispose()


async def test_current_revision_when_never_migrated_is_none(fresh_url: str) -> None:
    assert await current_revision(fresh_url) is None


async def test_upgrade_when_sqlite_directory_is_missing_creates_it(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "data" / "nested" / "trading-bot.db")

    await upgrade_database(url)

    assert (tmp_path / "data" / "nested" / "trading-bot.db").is_file()


async def test_repository_when_schema_was_never_migrated_says_to_run_the_upgrade(
    fresh_url: str,
) -> None:
    database = Database(fresh_url)
    repos = SqlRepositories.create(database, SimulatedClock(T0))

    with pytest.raises(ConfigurationError, match="db upgrade"):
        await repos.key_value.get("control:paused")
    await database.dispose()
