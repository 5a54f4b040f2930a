"""Apply the Alembic migrations to a database given by URL (what `trading-bot db upgrade` calls).

The scripts are found inside the installed package (``trading_bot/_migrations``, put there when
the wheel is built) or, in a source checkout, in the repository's ``migrations/`` directory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from trading_bot.adapters.storage.database import (
    ensure_sqlite_directory,
    install_sqlite_transactions,
    parse_url,
    translated_errors,
)
from trading_bot.core.errors import ConfigurationError

_PACKAGE_DIR = Path(__file__).resolve().parents[2]


def migrations_directory(package_dir: Path = _PACKAGE_DIR) -> Path:
    """Return the directory holding ``env.py`` and ``versions/``.

    ``package_dir`` is the ``trading_bot`` package directory; the installed copy
    (``<package>/_migrations``) wins over the source checkout's ``<repo>/migrations``.
    """
    candidates = (package_dir / "_migrations", package_dir.parent.parent / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    searched = ", ".join(str(candidate) for candidate in candidates)
    raise ConfigurationError(f"the database migrations are missing; looked in {searched}")


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for ``url``, using ``connection`` when one is given."""
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    # The URL goes through attributes, not the ini options, whose interpolation would
    # mangle a percent-encoded password.
    config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (the latest by default)."""
    await _with_connection(url, lambda config: command.upgrade(config, revision))


async def downgrade_database(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``"base"`` removes every table)."""
    await _with_connection(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str) -> str | None:
    """Return the revision the database at ``url`` is at, or None if it was never migrated."""
    revisions: list[str | None] = []

    def read(connection: Connection) -> None:
        revisions.append(MigrationContext.configure(connection).get_current_revision())

    await _run_sync(url, read)
    return revisions[0]


async def _with_connection(url: str, action: Callable[[Config], None]) -> None:
    await _run_sync(url, lambda connection: action(alembic_config(url, connection)))


async def _run_sync(url: str, work: Callable[[Connection], None]) -> None:
    parsed = parse_url(url)
    ensure_sqlite_directory(parsed)
    # No pool and no foreign-key pragma: batch migrations on SQLite recreate tables, which
    # enforced foreign keys would refuse.
    engine = create_async_engine(parsed, poolclass=NullPool)
    if parsed.get_backend_name() == "sqlite":
        install_sqlite_transactions(engine)
    try:
        with translated_errors("migration"):
            async with engine.begin() as connection:
                await connection.run_sync(work)
    finally:
        await engine.dispose()
