"""Alembic environment: runs migrations on SQLite (aiosqlite) or PostgreSQL (asyncpg).

Called two ways: by ``trading_bot.adapters.storage.migrate`` with an open connection in
``config.attributes["connection"]``, or by the ``alembic`` command line, which gets its URL from
``-x url=...`` or the ``TRADING_STORAGE__URL`` environment variable.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from trading_bot.adapters.storage.database import install_sqlite_transactions, parse_url
from trading_bot.adapters.storage.tables import metadata
from trading_bot.core.errors import ConfigurationError

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Any fixed number would do: it only has to be the same for every migrating process.
_MIGRATION_LOCK_ID = 0x7B_0D_B0_01


def _url() -> str:
    url = (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("TRADING_STORAGE__URL")
    )
    if not url:
        raise ConfigurationError("no database URL: pass `-x url=...` or set TRADING_STORAGE__URL")
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Services started together may all migrate at once; one at a time.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        context.run_migrations()


async def _run_from_command_line() -> None:
    parsed = parse_url(_url())
    engine = create_async_engine(parsed, poolclass=NullPool)
    if parsed.get_backend_name() == "sqlite":
        install_sqlite_transactions(engine)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    _run(shared)
else:
    asyncio.run(_run_from_command_line())
