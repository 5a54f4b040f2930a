"""`trading-bot backtest`: run a backtest, check it for look-ahead, walk it forward."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from trading_bot.core.errors import ConfigurationError, DataError, TradingBotError
from trading_bot.entrypoints.cli_backtest_options import (
    DEFAULT_STRATEGIES,
    Bars,
    Benchmark,
    Capital,
    CommissionBps,
    End,
    Fill,
    FromStorage,
    Learning,
    News,
    NewsLatency,
    Out,
    Params,
    PerShare,
    Remainder,
    Risk,
    Seed,
    Sizing,
    Slippage,
    Start,
    Storage,
    Strategies,
    Tickers,
    Verbose,
    VolumeCap,
    Weights,
    config_from_options,
)
from trading_bot.entrypoints.cli_context import EXIT_CONFIGURATION, fail, settings_of
from trading_bot.entrypoints.event_loop import run_replay
from trading_bot.entrypoints.logging import configure_logging
from trading_bot.entrypoints.settings import LogSettings

if TYPE_CHECKING:
    from trading_bot.entrypoints.backtest import BacktestConfig, BacktestResult
    from trading_bot.entrypoints.backtest_walk_forward import FoldResult

# The backtest modules (numpy, pandas, the services) are imported by the commands that use
# them, so the rest of the command line starts without them.

_T = TypeVar("_T")

backtest_app = typer.Typer(help="Backtests: the live services replayed over history.")


@backtest_app.command("run")
def run(
    ctx: typer.Context,
    *,
    bars: Bars = None,
    from_storage: FromStorage = False,
    news: News = None,
    news_latency: NewsLatency = 60.0,
    tickers: Tickers = "",
    start: Start = None,
    end: End = None,
    capital: Capital = 100_000.0,
    strategies: Strategies = DEFAULT_STRATEGIES,
    weights: Weights = "",
    param: Params = None,
    fill: Fill = "next_open",
    slippage_bps: Slippage = 5.0,
    commission_bps: CommissionBps = 0.0,
    commission_per_share: PerShare = 0.0,
    volume_cap: VolumeCap = None,
    volume_remainder: Remainder = "cancel",
    sizing: Sizing = "fraction:0.02",
    risk: Risk = None,
    learning: Learning = False,
    benchmark: Benchmark = None,
    seed: Seed = 0,
    storage: Storage = "memory",
    out: Out = Path("backtest-results"),
    verbose: Verbose = False,
) -> None:
    """Run a backtest; write results.json, trades.csv and report.html into --out."""
    options = dict(locals())
    from trading_bot.entrypoints.backtest_report import render_report  # noqa: PLC0415 - loaded on use

    _quiet(verbose)
    config = _checked(lambda: config_from_options(**options))
    console = Console(stderr=True)
    result = _guarded(lambda: run_replay(_run_with_progress(config, ctx, console)))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_bytes(result.to_json())
    (out / "trades.csv").write_text(result.trade_log_csv(), encoding="utf-8")
    (out / "report.html").write_text(render_report(result), encoding="utf-8")
    _summary(result, Console())
    typer.echo(f"wrote {out / 'results.json'}, {out / 'trades.csv'} and {out / 'report.html'}")


@backtest_app.command("lookahead")
def lookahead(
    ctx: typer.Context,
    *,
    bars: Bars = None,
    from_storage: FromStorage = False,
    news: News = None,
    news_latency: NewsLatency = 60.0,
    tickers: Tickers = "",
    start: Start = None,
    end: End = None,
    capital: Capital = 100_000.0,
    strategies: Strategies = DEFAULT_STRATEGIES,
    weights: Weights = "",
    param: Params = None,
    fill: Fill = "next_open",
    slippage_bps: Slippage = 5.0,
    commission_bps: CommissionBps = 0.0,
    commission_per_share: PerShare = 0.0,
    volume_cap: VolumeCap = None,
    volume_remainder: Remainder = "cancel",
    sizing: Sizing = "fraction:0.02",
    risk: Risk = None,
    learning: Learning = False,
    benchmark: Benchmark = None,
    seed: Seed = 0,
    storage: Storage = "memory",
    cuts: Annotated[
        str, typer.Option("--cuts", help="where to cut, as shares of the bars: 0.25,0.5,0.75")
    ] = "0.25,0.5,0.75",
    verbose: Verbose = False,
) -> None:
    """Re-run the backtest with the data cut off at several moments; exit 1 if any signal
    before a cut changes (the strategies looked ahead)."""
    options = dict(locals())
    from trading_bot.entrypoints.backtest import load_inputs  # noqa: PLC0415 - loaded on use
    from trading_bot.entrypoints.backtest_lookahead import check_lookahead  # noqa: PLC0415 - loaded on use

    _quiet(verbose)
    config = _checked(lambda: config_from_options(**options))
    shares = _checked(lambda: [float(c) for c in cuts.split(",") if c.strip()])
    console = Console(stderr=True)

    async def check() -> Any:
        inputs = await load_inputs(config, settings=settings_of(ctx))
        return await check_lookahead(
            config, inputs, shares, on_run=lambda what: console.print(f"running on {what}")
        )

    report = _guarded(lambda: run_replay(check()))
    typer.echo(json.dumps(report.as_json(), indent=1, sort_keys=True))
    if not report.clean:
        typer.echo(
            f"look-ahead: {len(report.changes)} signal(s) before a cut changed when the data "
            "after it was removed",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"no look-ahead: {report.signals_compared} signals compared at {len(report.cuts)} cuts"
    )


@backtest_app.command("walk-forward")
def walk_forward_command(
    ctx: typer.Context,
    *,
    bars: Bars = None,
    from_storage: FromStorage = False,
    news: News = None,
    news_latency: NewsLatency = 60.0,
    tickers: Tickers = "",
    start: Start = None,
    end: End = None,
    capital: Capital = 100_000.0,
    strategy: Annotated[str, typer.Option("--strategy", help="strategies to run")] = "momentum",
    param: Params = None,
    param_grid: Annotated[
        list[str] | None,
        typer.Option("--param-grid", help="strategy.param=v1,v2,... (repeatable)"),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", min=1)] = 4,
    train_bars: Annotated[int, typer.Option("--train-bars", min=2)] = 2_000,
    test_bars: Annotated[int, typer.Option("--test-bars", min=2)] = 500,
    trials: Annotated[
        int | None, typer.Option("--trials", min=1, help="optuna trials instead of the grid")
    ] = None,
    objective: Annotated[
        str, typer.Option("--objective", help="sharpe | sortino | total_return")
    ] = "sharpe",
    workers: Annotated[int, typer.Option("--workers", min=1, help="parallel processes")] = 1,
    fill: Fill = "next_open",
    slippage_bps: Slippage = 5.0,
    commission_bps: CommissionBps = 0.0,
    commission_per_share: PerShare = 0.0,
    sizing: Sizing = "fraction:0.02",
    risk: Risk = None,
    seed: Seed = 0,
    out: Out = Path("walk-forward"),
    verbose: Verbose = False,
) -> None:
    """Choose parameters on rolling in-sample windows and score them out of sample."""
    from trading_bot.entrypoints.backtest import load_inputs  # noqa: PLC0415 - loaded on use
    from trading_bot.entrypoints.backtest_walk_forward import (  # noqa: PLC0415 - loaded on use
        parse_grid,
        walk_forward,
    )

    _quiet(verbose)
    if objective not in {"sharpe", "sortino", "total_return"}:
        fail(f"--objective {objective!r}: use sharpe, sortino or total_return", EXIT_CONFIGURATION)
    config = _checked(
        lambda: config_from_options(
            bars=bars,
            from_storage=from_storage,
            news=news,
            news_latency=news_latency,
            tickers=tickers,
            start=start,
            end=end,
            capital=capital,
            strategies=strategy,
            weights="",
            param=param,
            fill=fill,
            slippage_bps=slippage_bps,
            commission_bps=commission_bps,
            commission_per_share=commission_per_share,
            volume_cap=None,
            volume_remainder="cancel",
            sizing=sizing,
            risk=risk,
            learning=False,
            benchmark=None,
            seed=seed,
            storage="memory",
        )
    )
    grid = _checked(lambda: parse_grid(param_grid or []))
    if not grid:
        fail("--param-grid: give at least one strategy.param=v1,v2", EXIT_CONFIGURATION)
    inputs = _guarded(lambda: asyncio.run(load_inputs(config, settings=settings_of(ctx))))
    console = Console()
    table = Table(
        "fold",
        "train",
        "test",
        "params",
        f"in-sample {objective}",
        f"out-of-sample {objective}",
        "OOS return",
    )

    def shown(fold: FoldResult) -> None:
        console.print(f"fold {fold.fold} done")
        table.add_row(
            str(fold.fold),
            f"{fold.train_start[:16]} → {fold.train_end[:16]}",
            f"{fold.test_start[:16]} → {fold.test_end[:16]}",
            json.dumps(fold.params, sort_keys=True),
            _fmt(fold.in_sample),
            _fmt(fold.out_of_sample),
            _fmt(fold.out_of_sample_return, pct=True),
        )

    results = _guarded(
        lambda: walk_forward(
            config,
            inputs,
            grid,
            folds=folds,
            train_bars=train_bars,
            test_bars=test_bars,
            trials=trials,
            objective=objective,  # type: ignore[arg-type]  # checked above
            workers=workers,
            on_fold=shown,
        )
    )
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    document = {
        "objective": objective,
        "search": "grid" if trials is None else f"optuna:{trials}",
        "grid": grid,
        "folds": [fold.as_json() for fold in results],
    }
    target = out / "walk_forward.json"
    target.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(f"wrote {target}")


async def _run_with_progress(
    config: BacktestConfig, ctx: typer.Context, console: Console
) -> BacktestResult:
    from trading_bot.entrypoints.backtest import load_inputs, run_prepared  # noqa: PLC0415 - loaded on use

    inputs = await load_inputs(config, settings=settings_of(ctx))
    columns = (TextColumn("backtest"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("backtest", total=1.0)
        return await run_prepared(config, inputs, lambda done: bar.update(task, completed=done))


def _summary(result: BacktestResult, console: Console) -> None:
    m = result.metrics
    table = Table("metric", "value", title="backtest")
    rows = [
        ("period", f"{m.get('start')} → {m.get('end')}"),
        ("total return", _fmt(m.get("total_return"), pct=True)),
        ("annual return", _fmt(m.get("annual_return"), pct=True)),
        (
            f"buy and hold {result.benchmark.get('ticker')}",
            _fmt(result.benchmark.get("total_return"), pct=True),
        ),
        ("Sharpe / Sortino", f"{_fmt(m.get('sharpe'))} / {_fmt(m.get('sortino'))}"),
        ("max drawdown", _fmt(m.get("max_drawdown"), pct=True)),
        ("round trips / win rate", f"{m.get('trades')} / {_fmt(m.get('win_rate'), pct=True)}"),
        ("profit factor", _fmt(m.get("profit_factor"))),
        ("open positions", str(m.get("open_positions"))),
        ("final equity", str(m.get("final_equity"))),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    skipped = result.data.get("skipped_rows")
    if isinstance(skipped, dict) and skipped.get("total"):
        console.print(f"[yellow]{skipped['total']} bar rows were left out[/yellow]")
    dead = result.diagnostics.get("dead_letters")
    if dead:
        console.print(f"[red]messages the services could not handle: {dead}[/red]")


def _fmt(value: object, *, pct: bool = False) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "n/a"
    return f"{value:.2%}" if pct else f"{value:.3f}"


def _quiet(verbose: bool) -> None:
    configure_logging(LogSettings(level="INFO" if verbose else "ERROR"), service="backtest")


def _checked(build: Callable[[], _T]) -> _T:
    try:
        return build()
    except (ConfigurationError, ValueError) as exc:
        fail(str(exc), EXIT_CONFIGURATION)


def _guarded(work: Callable[[], _T]) -> _T:
    try:
        return work()
    except ConfigurationError as exc:
        fail(str(exc), EXIT_CONFIGURATION)
    except (DataError, TradingBotError, OSError) as exc:
        fail(f"{type(exc).__name__}: {exc}")
