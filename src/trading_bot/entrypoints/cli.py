"""The `trading-bot` command: `up`, `config`, `db`, `version` and the sub-apps of later issues.

Settings are loaded before any command runs, so an invalid value stops every command with one
line on stderr naming the variable, and exit code 2.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from enum import StrEnum
from importlib.metadata import version as distribution_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.cli_api import api_app
from trading_bot.entrypoints.cli_backtest import backtest_app
from trading_bot.entrypoints.cli_config import config_app
from trading_bot.entrypoints.cli_config_table import config_table
from trading_bot.entrypoints.cli_context import EXIT_CONFIGURATION, fail, settings_of
from trading_bot.entrypoints.cli_data import data_app
from trading_bot.entrypoints.cli_db import db_app
from trading_bot.entrypoints.cli_user import user_app
from trading_bot.entrypoints.logging import mask_text
from trading_bot.entrypoints.service_names import SERVICE_NAMES
from trading_bot.entrypoints.settings import Settings, load_settings

if TYPE_CHECKING:
    from trading_bot.entrypoints.runtime import Started

app = typer.Typer(
    name="trading-bot",
    help="An automated stock-trading bot: news sentiment + technical strategies, risk-managed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)

# Sub-apps, one line each (service, backtest, data and user join here as they are written).
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(api_app, name="api")
config_app.command("table")(config_table)
app.add_typer(backtest_app, name="backtest")
app.add_typer(data_app, name="data")


@app.callback()
def root(
    ctx: typer.Context,
    env_file: Annotated[
        Path, typer.Option("--env-file", help="read settings from this file as well")
    ] = Path(".env"),
) -> None:
    """Load and check the settings for whichever command follows."""
    try:
        ctx.obj = load_settings(env_file)
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIGURATION)


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(f"trading-bot {distribution_version('trading-bot')}")


class RunMode(StrEnum):
    """What `trading-bot up` trades against."""

    DEMO = "demo"
    PAPER = "paper"
    LIVE = "live"


@app.command()
def up(
    ctx: typer.Context,
    mode: Annotated[
        RunMode | None,
        typer.Option(help="demo: simulated market, paper broker; paper/live: Alpaca"),
    ] = None,
    confirm_live: Annotated[
        bool,
        typer.Option(
            "--i-understand-this-trades-real-money",
            help="required with --mode live",
        ),
    ] = False,
) -> None:
    """Run the whole bot in this one process: the services, the API and the dashboard."""
    settings = settings_of(ctx)
    if mode is not None and mode.value != settings.mode.value:
        settings = _with_mode(ctx, mode)
    if settings.mode.value == RunMode.LIVE and not confirm_live:
        fail(
            "live mode trades real money: add --i-understand-this-trades-real-money",
            EXIT_CONFIGURATION,
        )
    _run(settings, SERVICE_NAMES)


@app.command()
def service(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=f"one of: {', '.join(SERVICE_NAMES)}")],
) -> None:
    """Run one service in this process, against Redis Streams and PostgreSQL."""
    settings = settings_of(ctx)
    if name not in SERVICE_NAMES:
        fail(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}", 2)
    if not settings.production:
        fail(
            "TRADING_BUS__KIND: services in separate processes talk through Redis Streams; "
            "set it to redis (or run them all in one process with `trading-bot up`)",
            EXIT_CONFIGURATION,
        )
    _run(settings, [name])


def _with_mode(ctx: typer.Context, mode: RunMode) -> Settings:
    os.environ["TRADING_MODE"] = mode.value
    try:
        return load_settings(ctx.find_root().params.get("env_file", Path(".env")))
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIGURATION)


def _run(settings: Settings, services: Sequence[str]) -> None:
    # Imported here so `config` and `version` start fast and need no web server installed.
    from trading_bot.entrypoints.node import ServiceFailedError  # noqa: PLC0415
    from trading_bot.entrypoints.runtime import run_node  # noqa: PLC0415

    try:
        asyncio.run(
            run_node(settings, services, on_ready=lambda started: _print_screen(settings, started))
        )
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIGURATION)
    except ServiceFailedError as exc:
        fail(str(exc))


def _print_screen(settings: Settings, started: Started) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    topology = "one process" if len(started.services) > 1 else "one service"
    table.add_row("mode", f"{settings.mode} ({topology})")
    if started.url is not None:
        table.add_row("dashboard", f"{started.url}/")
        table.add_row("health", f"{started.url}/health")
        table.add_row("metrics", f"{started.url}/metrics")
    table.add_row("bus", settings.bus.kind)
    table.add_row("storage", mask_text(settings.storage.url))
    table.add_row("data", str(settings.data_dir))
    table.add_row("services", ", ".join(started.services))
    console = Console()
    console.print(f"[bold]trading-bot {distribution_version('trading-bot')}[/bold] is running")
    console.print(table)
    if started.signup_link is not None:
        console.print("No account yet. Create the first one with this one-time link:")
        # Never folded: a link broken over two lines cannot be copied or clicked.
        console.print(f"  [bold]{started.signup_link}[/bold]", soft_wrap=True)
    elif started.awaiting_first_account:
        console.print(
            "No account yet. Use the sign-up link printed at the first start, or get a new one "
            "with `trading-bot user invite`."
        )
    console.print("Stop it with Ctrl+C.")


def main() -> None:
    """Run the command line (the `trading-bot` console script)."""
    app(prog_name="trading-bot")
