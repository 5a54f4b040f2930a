"""The database handle: an async engine and session factory for SQLite or PostgreSQL.

Every repository goes through it: ``transaction()`` for work of several statements (committed
on success, rolled back on failure), ``fetch_one``/``fetch_all``/``execute`` for one Core
statement, the path of every row the executor reads or writes per order. Driver errors become
``core.errors`` at this boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import Executable, RowMapping, event, exc, text
from sqlalchemy.engine import URL, Connection, CursorResult, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from trading_bot.core.errors import ConfigurationError, DataError, StorageUnavailableError

Parameters = Mapping[str, Any]
"""Bound values of one statement, by parameter or column name (Any: of every column type)."""

_UNDEFINED_TABLE = "42P01"
_READ_ONLY = "trading_bot_read_only"
"""Execution option of a ``Database.lookup`` or ``Database.read`` connection on SQLite."""


def parse_url(url: str) -> URL:
    """Return ``url`` parsed; refuse drivers other than sqlite+aiosqlite and postgresql+asyncpg."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise ConfigurationError(f"storage URL {url!r} is not a database URL") from error
    if parsed.drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
        raise ConfigurationError(
            f"storage URL uses {parsed.drivername!r}; use sqlite+aiosqlite:///path/to/file.db "
            "or postgresql+asyncpg://user@host/dbname"
        )
    return parsed


def ensure_sqlite_directory(url: URL) -> None:
    """Create the directory of a SQLite database file, so a fresh checkout can start at once."""
    database = url.database
    is_file = bool(database) and database != ":memory:" and not str(database).startswith("file:")
    if url.get_backend_name() == "sqlite" and database and is_file:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def install_sqlite_transactions(engine: AsyncEngine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions, and begin them IMMEDIATE.

    The sqlite3 module's legacy mode starts no transaction for SELECT or DDL; and a deferred
    transaction that reads and then writes fails at once with "database is locked" when another
    connection wrote in between. BEGIN IMMEDIATE takes the write lock up front, waiting up to
    ``busy_timeout`` for it instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _take_over_begin(dbapi_connection: Any, _record: object) -> None:
        # Any: the driver's connection object is untyped.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a read: a snapshot, no write lock
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _install_sqlite_pragmas(engine: AsyncEngine, *, busy_timeout_ms: int, in_memory: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: object) -> None:
        # Any: the driver's connection object is untyped.
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                # WAL lets readers proceed while one writer commits.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()


@contextmanager
def translated_errors(where: str) -> Iterator[None]:
    """Translate driver errors raised inside the block into ``core.errors``.

    | raised by the driver                                  | becomes                   |
    |-------------------------------------------------------|---------------------------|
    | integrity violation (FK, unique, NOT NULL, CHECK)     | ``DataError``             |
    | a value the column cannot hold (too long, too large)  | ``DataError``             |
    | missing table (the schema was never migrated)         | ``ConfigurationError``    |
    | lost or refused connection, timeout, locked database  | ``StorageUnavailableError`` |
    """
    try:
        yield
    except exc.IntegrityError as error:
        raise DataError(f"{where}: refused by the database: {error.orig}") from error
    except exc.DataError as error:
        raise DataError(f"{where}: a value does not fit its column: {error.orig}") from error
    except exc.StatementError as error:
        if isinstance(error.orig, ValueError | TypeError):
            raise DataError(f"{where}: {error.orig}") from error
        if _is_missing_table(error):
            raise ConfigurationError(
                f"{where}: the database schema is missing or out of date "
                "(run `trading-bot db upgrade`): "
                f"{error.orig}"
            ) from error
        if isinstance(error, exc.OperationalError | exc.InterfaceError) or (
            isinstance(error, exc.DBAPIError) and error.connection_invalidated
        ):
            raise StorageUnavailableError(f"{where}: database unavailable: {error.orig}") from error
        raise
    except (OSError, TimeoutError) as error:
        raise StorageUnavailableError(f"{where}: database unavailable: {error}") from error


def _is_missing_table(error: exc.StatementError) -> bool:
    orig = error.orig
    return getattr(orig, "sqlstate", None) == _UNDEFINED_TABLE or "no such table" in str(orig)


class Database:
    """An async engine and session factory built from a URL.

    On SQLite: WAL journal, foreign keys enforced, a busy timeout, transactions begun IMMEDIATE,
    and the file's directory created if missing. On PostgreSQL: a recycled pool.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout_seconds: float = 10.0,
        connect_timeout_seconds: float = 5.0,
        busy_timeout_ms: int = 5_000,
        echo: bool = False,
    ) -> None:
        parsed = parse_url(url)
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            ensure_sqlite_directory(parsed)
            self.engine = create_async_engine(
                parsed,
                echo=echo,
                connect_args={"timeout": busy_timeout_ms / 1000},
            )
            install_sqlite_transactions(self.engine)
            _install_sqlite_pragmas(
                self.engine,
                busy_timeout_ms=busy_timeout_ms,
                in_memory=parsed.database in {None, "", ":memory:"},
            )
        else:
            self.engine = create_async_engine(
                parsed,
                echo=echo,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_timeout=pool_timeout_seconds,
                # No pre-ping (a round trip before every transaction): a connection that died
                # with the server fails its operation once as StorageUnavailableError, which
                # callers already retry, and SQLAlchemy then replaces every pooled connection.
                pool_recycle=1_800,
                connect_args={"timeout": connect_timeout_seconds},
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # The same pool, each connection in autocommit while checked out: one statement is its
        # own transaction, without BEGIN and COMMIT round trips (PostgreSQL; SQLite keeps its
        # own transactions, see ``_statement``).
        self._autocommit_engine = (
            self.engine
            if self.dialect == "sqlite"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._connect_timeout = connect_timeout_seconds

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    async def fetch_one(
        self, where: str, statement: Executable, parameters: Parameters | None = None
    ) -> RowMapping | None:
        """Return the first row of one read statement, or None (see ``fetch_all``)."""
        async with self._statement(where, writes=False) as connection:
            return (await connection.execute(statement, parameters)).mappings().first()

    async def fetch_all(
        self, where: str, statement: Executable, parameters: Parameters | None = None
    ) -> Sequence[RowMapping]:
        """Return the rows of one read statement.

        Core all the way: no ORM session, no identity map, which halves the CPU a read costs.
        Each row maps column names to values. On PostgreSQL the statement runs in autocommit
        (one statement is its own snapshot); on SQLite in a deferred transaction, which takes
        no write lock.
        """
        async with self._statement(where, writes=False) as connection:
            return (await connection.execute(statement, parameters)).mappings().all()

    async def execute(
        self, where: str, statement: Executable, parameters: Parameters | None = None
    ) -> int:
        """Run one write statement and return how many rows it changed.

        Atomic on its own: in autocommit on PostgreSQL (no BEGIN and COMMIT round trips), in
        an IMMEDIATE transaction on SQLite.
        """
        async with self._statement(where, writes=True) as connection:
            result = await connection.execute(statement, parameters)
            return max(cast("CursorResult[Any]", result).rowcount, 0)

    async def execute_returning(
        self, where: str, statement: Executable, parameters: Parameters | None = None
    ) -> RowMapping | None:
        """Run one write statement with a RETURNING clause; return the first row it returned."""
        async with self._statement(where, writes=True) as connection:
            return (await connection.execute(statement, parameters)).mappings().first()

    @asynccontextmanager
    async def _statement(self, where: str, *, writes: bool) -> AsyncIterator[AsyncConnection]:
        """Yield a connection for one Core statement: in autocommit on PostgreSQL; on SQLite in
        an IMMEDIATE transaction for a write and a deferred one for a read."""
        if self.dialect != "sqlite":
            with translated_errors(where):
                async with self._autocommit_engine.connect() as connection:
                    yield connection
        elif writes:
            with translated_errors(where):
                async with self.engine.begin() as connection:
                    yield connection
        else:
            async with self._reading(where) as connection:
                yield connection

    @asynccontextmanager
    async def lookup(self, where: str = "storage") -> AsyncIterator[AsyncSession]:
        """Yield a session for a read of one statement (a row by key, one query).

        On PostgreSQL it runs in autocommit, without the BEGIN and COMMIT round trips (one
        statement is its own snapshot); on SQLite in a deferred transaction, which takes no write
        lock. Writing through it is a mistake: use ``transaction``.
        """
        if self.dialect == "sqlite":
            async with (
                self._reading(where) as connection,
                AsyncSession(bind=connection, expire_on_commit=False) as session,
            ):
                yield session
            return
        async with self._autocommit(where) as session:
            yield session

    @asynccontextmanager
    async def write(self, where: str = "storage") -> AsyncIterator[AsyncSession]:
        """Yield a session for a write of one statement (an INSERT, an UPDATE, an upsert).

        On PostgreSQL it runs in autocommit: one statement is its own transaction, atomic, and
        the BEGIN and COMMIT round trips are saved. On SQLite it is ``transaction``. Running
        more than one statement through it is a mistake: each would commit on its own.
        """
        if self.dialect == "sqlite":
            async with self.transaction(where) as session:
                yield session
            return
        async with self._autocommit(where) as session:
            yield session

    @asynccontextmanager
    async def read(self, where: str = "storage") -> AsyncIterator[AsyncSession]:
        """Yield a session for a read of several statements that must agree (a page and its
        total): one transaction, which on SQLite is deferred, so it takes no write lock."""
        async with (
            self._reading(where) as connection,
            AsyncSession(bind=connection, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def _autocommit(self, where: str) -> AsyncIterator[AsyncSession]:
        """Yield a session whose every statement commits on its own (PostgreSQL)."""
        with translated_errors(where):
            async with (
                self._autocommit_engine.connect() as connection,
                AsyncSession(bind=connection, expire_on_commit=False) as session,
            ):
                yield session

    @asynccontextmanager
    async def _reading(self, where: str) -> AsyncIterator[AsyncConnection]:
        """Yield a connection whose transactions SQLite begins deferred (no write lock)."""
        with translated_errors(where):
            async with self.engine.connect() as connection:
                if self.dialect == "sqlite":
                    await connection.execution_options(**{_READ_ONLY: True})
                yield connection

    @asynccontextmanager
    async def transaction(self, where: str = "storage") -> AsyncIterator[AsyncSession]:
        """Yield a session inside one transaction: committed on success, rolled back on error.

        ``where`` names the operation in translated error messages.
        """
        with translated_errors(where):
            async with self.sessions() as session, session.begin():
                yield session

    async def ping(self) -> None:
        """Run ``SELECT 1``; raise ``StorageUnavailableError`` when the database does not answer."""
        try:
            async with asyncio.timeout(self._connect_timeout + 1):
                with translated_errors("ping"):
                    async with self.engine.connect() as connection:
                        await connection.execute(text("SELECT 1"))
        except TimeoutError as error:
            raise StorageUnavailableError("ping: the database did not answer in time") from error
        except (ConfigurationError, DataError) as error:
            raise StorageUnavailableError(f"ping: {error}") from error

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.dispose()
