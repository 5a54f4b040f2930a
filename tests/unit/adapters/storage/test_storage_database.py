"""The Database handle: URL checks, SQLite settings, and errors translated at the boundary."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlKeyValueStore
from trading_bot.adapters.storage.database import parse_url
from trading_bot.adapters.storage.migrate import upgrade_database
from trading_bot.core.errors import ConfigurationError, StorageUnavailableError
from trading_bot.testing.storage import sqlite_url
from trading_bot.testing.storage_records import T0


@pytest.mark.parametrize(
    "url", ["sqlite:///file.db", "postgresql://user@host/db", "mysql+aiomysql://x/y", "nonsense"]
)
def test_parse_url_when_driver_is_not_async_sqlite_or_postgres_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_url(url)


async def test_database_on_sqlite_when_connected_uses_wal_and_enforces_foreign_keys(
    tmp_path: Path,
) -> None:
    database = Database(sqlite_url(tmp_path / "pragmas.db"))

    async with database.transaction() as session:
        journal = await session.scalar(text("PRAGMA journal_mode"))
        foreign_keys = await session.scalar(text("PRAGMA foreign_keys"))
    await database.dispose()

    assert (journal, foreign_keys) == ("wal", 1)


async def test_database_on_sqlite_when_directory_is_missing_creates_it(tmp_path: Path) -> None:
    Database(sqlite_url(tmp_path / "new" / "dir" / "bot.db"))

    assert (tmp_path / "new" / "dir").is_dir()


async def test_ping_when_sqlite_file_is_usable_succeeds(tmp_path: Path) -> None:
    async with Database(sqlite_url(tmp_path / "ping.db")) as database:
        await database.ping()


async def test_ping_when_postgres_refuses_connections_raises_storage_unavailable() -> None:
    database = Database(
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", connect_timeout_seconds=2
    )

    with pytest.raises(StorageUnavailableError):
        await database.ping()
    await database.dispose()


async def test_repository_when_postgres_is_down_raises_storage_unavailable() -> None:
    database = Database(
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", connect_timeout_seconds=2
    )

    with pytest.raises(StorageUnavailableError):
        await SqlKeyValueStore(database, SimulatedClock(T0)).get("control:paused")
    await database.dispose()


def test_database_repr_when_url_has_a_password_hides_it() -> None:
    database = Database("postgresql+asyncpg://bot:secret@db/trading")

    assert "secret" not in repr(database)


async def test_reads_on_sqlite_go_on_while_another_connection_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    # A dashboard read must not queue behind the executor's write.
    database = Database(sqlite_url(tmp_path / "locks.db"), busy_timeout_ms=200)
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)"))
        await session.execute(text("INSERT INTO kv VALUES ('paused', 'false')"))

    async with database.transaction() as writer:
        await writer.execute(text("UPDATE kv SET v = 'true'"))
        async with database.lookup() as reader:
            seen = await reader.scalar(text("SELECT v FROM kv"))
        async with database.read() as page_reader:  # several statements, one snapshot
            count = await page_reader.scalar(text("SELECT count(*) FROM kv"))
            page = await page_reader.scalar(text("SELECT v FROM kv"))
        with pytest.raises(StorageUnavailableError):
            async with database.transaction() as second_writer:  # waits 200 ms, then gives up
                await second_writer.scalar(text("SELECT v FROM kv"))
    await database.dispose()

    assert seen == "false"  # the committed value, not the writer's uncommitted one
    assert (count, page) == (1, "false")


async def test_postgres_after_its_connections_are_killed_fails_once_then_reconnects(
    postgres_url: str,
) -> None:
    await upgrade_database(postgres_url)
    database = Database(postgres_url)
    store = SqlKeyValueStore(database, SimulatedClock(T0))
    await store.set("control:paused", "true")
    async with database.lookup() as session:
        backend = await session.scalar(text("SELECT pg_backend_pid()"))
    killer = Database(postgres_url)
    async with killer.transaction() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    await killer.dispose()

    with pytest.raises(StorageUnavailableError):
        await store.get("control:paused")
    recovered = await store.get("control:paused")
    await database.dispose()

    assert recovered == "true"
