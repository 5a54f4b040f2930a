"""`trading-bot db`: bring the database schema up to date."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from trading_bot.core.errors import TradingBotError
from trading_bot.entrypoints.cli_context import fail, settings_of
from trading_bot.entrypoints.logging import mask_text

db_app = typer.Typer(help="The database: migrations.")


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file; SQLite will not create it itself."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in {None, "", ":memory:"}:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Create the database or migrate it to the latest schema."""
    url = settings_of(ctx).storage.url
    try:
        # Imported here so every other command works without the storage extra's drivers loaded.
        from trading_bot.adapters.storage.migrate import upgrade_database  # noqa: PLC0415
    except ImportError as exc:
        fail(f"the storage migrations cannot be loaded: {exc}")
    ensure_sqlite_directory(url)
    try:
        asyncio.run(upgrade_database(url))
    except TradingBotError as exc:
        fail(f"{type(exc).__name__}: {exc}")
    Console().print(f"database {mask_text(url)} is up to date", highlight=False)
