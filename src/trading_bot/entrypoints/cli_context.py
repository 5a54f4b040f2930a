"""Helpers every `trading-bot` sub-command shares: the loaded settings and how to fail."""

from __future__ import annotations

from typing import NoReturn

import typer

from trading_bot.entrypoints.settings import Settings

EXIT_CONFIGURATION = 2
"""Exit code when a setting is invalid or unsafe (as for a command-line usage error)."""
EXIT_FAILURE = 1
"""Exit code when a command could not do its job."""


def settings_of(ctx: typer.Context) -> Settings:
    """Return the settings the root command loaded (``ctx.obj``)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        raise TypeError("the root command loads the settings before any sub-command runs")
    return root.obj


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)
