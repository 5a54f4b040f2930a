"""`trading-bot data`: history into the database, for backtests from storage.

trading-bot data download --tickers AAPL,MSFT --start 2024-01-01 --end 2024-03-01
trading-bot backtest run --from-storage --start 2024-01-01 --end 2024-03-01 --out results
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from trading_bot.core.errors import ConfigurationError, TradingBotError
from trading_bot.entrypoints.cli_backtest_options import parse_time
from trading_bot.entrypoints.cli_context import EXIT_CONFIGURATION, fail, settings_of
from trading_bot.entrypoints.logging import configure_logging
from trading_bot.entrypoints.settings import LogSettings, Settings

if TYPE_CHECKING:
    from trading_bot.entrypoints.backtest_history import (
        ImportReport,
        StoredHistory,
    )
    from trading_bot.entrypoints.backtest_history import Progress as ProgressReport

# The history module (alpaca-py, pandas) is imported by the commands, so the rest of the
# command line starts without it.

data_app = typer.Typer(help="History: import bar and news files, download from Alpaca.")


@data_app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help=".csv/.parquet bars, .jsonl news")],
    *,
    news_latency: Annotated[
        float, typer.Option("--news-latency", help="seconds from publication to availability")
    ] = 60.0,
) -> None:
    """Store bar and news files in the database (bars and articles already there are kept)."""
    from trading_bot.entrypoints.backtest_history import import_files  # noqa: PLC0415 - loaded on use

    settings = settings_of(ctx)
    _quiet()
    report = _run(
        settings,
        lambda history, bar: import_files(
            files, history, settings, news_latency_seconds=news_latency, progress=bar
        ),
    )
    _print(report)


@data_app.command("download")
def download_command(
    ctx: typer.Context,
    *,
    tickers: Annotated[str, typer.Option("--tickers", help="comma-separated symbols")],
    start: Annotated[str, typer.Option("--start", help="ISO date or time (inclusive)")],
    end: Annotated[str, typer.Option("--end", help="ISO date or time (exclusive)")],
    minutes: Annotated[int, typer.Option("--minutes", min=1, help="bar length")] = 1,
    bars: Annotated[bool, typer.Option("--bars/--no-bars", help="the bars")] = True,
    news: Annotated[bool, typer.Option("--news/--no-news", help="the news")] = True,
) -> None:
    """Download Alpaca's historical bars and news; a second run resumes where one stopped."""
    from trading_bot.entrypoints.backtest_history import DownloadRequest, download  # noqa: PLC0415 - loaded on use

    settings = settings_of(ctx)
    _quiet()
    try:
        first, last = parse_time(start), parse_time(end)
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIGURATION)
    symbols = tuple(t.strip().upper() for t in tickers.split(",") if t.strip())
    if first is None or last is None or not symbols:
        fail("--tickers, --start and --end are required", EXIT_CONFIGURATION)
    request = DownloadRequest(symbols, first, last, timeframe_minutes=minutes, bars=bars, news=news)
    report = _run(settings, lambda history, bar: download(request, history, settings, progress=bar))
    _print(report)


def _run(
    settings: Settings,
    work: Callable[[StoredHistory, ProgressReport], Awaitable[ImportReport]],
) -> ImportReport:
    from trading_bot.entrypoints.backtest_history import open_history  # noqa: PLC0415 - loaded on use

    async def go() -> ImportReport:
        history, database = await open_history(settings)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
        )
        try:
            with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("starting", total=1.0)

                def moved(what: str, done: float) -> None:
                    bar.update(task, description=what, completed=done)

                return await work(history, moved)
        finally:
            await database.dispose()

    try:
        return asyncio.run(go())
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIGURATION)
    except (TradingBotError, OSError) as exc:
        fail(f"{type(exc).__name__}: {exc} (run the command again to resume)")


def _print(report: ImportReport) -> None:
    console = Console()
    console.print(
        f"bars: {report.bars_new} new of {report.bars_read} read; "
        f"articles: {report.articles_new} new of {report.articles_read} read"
        + (
            f"; {report.windows_skipped} windows already downloaded"
            if report.windows_skipped
            else ""
        )
    )
    for line in report.skipped[:20]:
        console.print(f"[yellow]left out: {line}[/yellow]", highlight=False)


def _quiet() -> None:
    configure_logging(LogSettings(level="WARNING"), service="data")
