"""The backtester: the live trading services replayed over history (``run_backtest``).

    config = BacktestConfig(bars=(Path("bars.parquet"),), news=Path("news.jsonl"))
    result = await run_backtest(config, progress=print)
    Path("results.json").write_bytes(result.to_json())

The signal-generator, the trade-executor and the learning engine are built by the same
``container.build_services`` as in live trading and driven bar by bar on a simulated clock
(``backtest_runner``), with the simulated broker (``adapters.brokers.simulated``) and in-memory
repositories (``backtest_storage``). Results come from ``core.metrics`` (``backtest_results``);
``backtest_report`` renders them as a self-contained HTML page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.ports import Metrics
from trading_bot.entrypoints.backtest_bar_files import load_bar_files, tape_from_bars
from trading_bot.entrypoints.backtest_bus import CountingMetrics
from trading_bot.entrypoints.backtest_config import BacktestConfig
from trading_bot.entrypoints.backtest_data import BarTape, from_micros
from trading_bot.entrypoints.backtest_news import (
    NewsTape,
    load_news_file,
    load_stored_news,
    news_window_start,
)
from trading_bot.entrypoints.backtest_records import SqlBackedRepositories, read_records
from trading_bot.entrypoints.backtest_results import (
    BacktestResult,
    attribution,
    curve_metrics,
    exposure_of,
    fills,
    iso,
    jsonable,
    money,
    monthly_returns,
    round_trips,
    sampled_curve,
    signal_rows,
    trade_metrics,
    weight_rows,
)
from trading_bot.entrypoints.backtest_runner import Simulation, simulate
from trading_bot.entrypoints.backtest_storage import BacktestRepositories
from trading_bot.entrypoints.event_loop import run_replay
from trading_bot.entrypoints.settings import Settings, load_settings
from trading_bot.services.signals import SignalsConfig

__all__ = [
    "BacktestConfig",
    "BacktestInputs",
    "BacktestResult",
    "load_inputs",
    "run_backtest",
    "run_backtest_request",
    "run_prepared",
]

Progress = Callable[[float], None]


class BacktestInputs:
    """The bars and news of a backtest, loaded and checked once (reused by look-ahead checks
    and walk-forward folds)."""

    def __init__(self, tape: BarTape, news: NewsTape) -> None:
        self.tape = tape
        self.news = news


async def load_inputs(
    config: BacktestConfig, *, settings: Settings | None = None, metrics: Metrics | None = None
) -> BacktestInputs:
    """Read and check the bars and news ``config`` names (files, or storage)."""
    counting = metrics or CountingMetrics()
    if not config.from_storage:
        tape = await asyncio.to_thread(
            load_bar_files,
            config.bars,
            interval_seconds=config.interval_seconds,
            tickers=config.tickers,
            start=config.start,
            end=config.end,
        )
        news = NewsTape()
        if config.news is not None:
            news = await load_news_file(
                config.news, latency_seconds=config.news_latency_seconds, metrics=counting
            )
        return BacktestInputs(tape, _news_for(news, tape))
    url = config.storage_url or (settings or load_settings()).storage.url
    return await _stored_inputs(config, url)


async def run_prepared(
    config: BacktestConfig, inputs: BacktestInputs, progress: Progress | None = None
) -> BacktestResult:
    """Run a backtest on inputs already loaded."""
    return await simulate(
        config,
        inputs.tape,
        inputs.news,
        lambda simulation: _results(simulation, inputs),
        progress=progress,
    )


async def run_backtest(
    config: BacktestConfig | Mapping[str, Any],
    progress: Progress | None = None,
    *,
    settings: Settings | None = None,
) -> BacktestResult:
    """Run one backtest and return its results.

    ``progress`` is called with the share of bars replayed, in [0, 1]. ``settings`` is only
    asked where ``from_storage`` reads when the config names no ``storage_url``.

    Raises:
        ConfigurationError: the config is invalid, or a file or database cannot be used.
        DataError: the data holds no bar to replay.
    """
    chosen = config if isinstance(config, BacktestConfig) else BacktestConfig.model_validate(config)
    inputs = await load_inputs(chosen, settings=settings)
    return await run_prepared(chosen, inputs, progress)


def run_backtest_request(
    request: Mapping[str, Any], progress: Progress | None = None
) -> BacktestResult:
    """Run a backtest asked for through the API (a ``BacktestRequest`` as JSON values), on
    the stored history, to the end; blocking, for a worker thread."""
    config = BacktestConfig(
        from_storage=True,
        tickers=tuple(request.get("tickers") or ()),
        start=request["start"],
        end=request["end"],
        capital=request.get("initial_capital", 100_000),
        strategies=tuple(request.get("strategies") or ("momentum",)),
        weights=dict(request.get("strategies") or {}),
        params=dict(request.get("parameters") or {}),
        fill=request.get("fill", "next_open"),
        slippage_bps=request.get("slippage_bps", 5),
        commission_bps=request.get("commission_bps", 0),
        commission_per_share=request.get("commission_per_share", 0),
        learning=bool(request.get("learning", False)),
    )
    return run_replay(run_backtest(config, progress))


async def _stored_inputs(config: BacktestConfig, url: str) -> BacktestInputs:
    if config.start is None or config.end is None:
        raise ConfigurationError("a backtest from storage needs start and end")
    database = Database(url)
    try:
        # Reading stamps nothing, so the repositories' clock is never asked.
        repos = SqlRepositories.create(database, SimulatedClock(config.start))
        tickers = config.tickers or tuple(await repos.market_data.tickers())
        bars = []
        for ticker in tickers:
            bars.extend(
                await repos.market_data.bars(
                    ticker, config.start, config.end, interval_seconds=config.interval_seconds
                )
            )
        tape = tape_from_bars(bars)
        window = SignalsConfig().sentiment_window_hours
        since = news_window_start(config.start, window)
        news = await load_stored_news(repos.articles, since=since, until=config.end)
    finally:
        await database.dispose()
    return BacktestInputs(tape, _news_for(news, tape))


def _news_for(news: NewsTape, tape: BarTape) -> NewsTape:
    """Return the articles that can matter: about a ticker of the data, available before the
    last bar closes."""
    if not len(tape) or not news.articles:
        return NewsTape((), news.skipped)
    last = from_micros(int(tape.closes_at.max()))
    return news.about(tape.tickers).available_by(last)


async def _results(simulation: Simulation, inputs: BacktestInputs) -> BacktestResult:
    config = simulation.config
    repos = simulation.ports.repos
    if not isinstance(repos, BacktestRepositories | SqlBackedRepositories):
        raise ConfigurationError("the backtest's repositories were replaced")
    records = await read_records(repos, config.strategies)
    trace = simulation.trace
    figures = curve_metrics(
        trace.times,
        trace.equity,
        trace.benchmark,
        capital=config.capital,
        interval_seconds=simulation.interval_seconds,
    )
    broker = simulation.broker
    positions = await broker.get_positions()
    counters = simulation.counters
    tape = inputs.tape
    metrics: dict[str, Any] = {
        "start": iso(from_micros(int(tape.opens_at[0]))),
        "end": iso(from_micros(int(tape.closes_at.max()))),
        "starting_capital": money(config.capital),
        "final_equity": money(broker.ledger.equity(broker.marks)),
        "commission_paid": money(broker.ledger.commission_paid),
        "signals": len(records.signals),
        "orders": len(records.trades),
        **figures.returns,
        **trade_metrics(records.outcomes, len(positions), exposure_of(trace.invested)),
    }
    return BacktestResult(
        config=jsonable(
            {
                "backtest": config.model_dump(mode="json"),
                "risk": config.risk_config().model_dump(mode="json"),
                "learning": config.learning_config().model_dump(mode="json"),
                "broker": config.broker_config().model_dump(mode="json"),
            }
        ),
        metrics=jsonable(metrics),
        benchmark={"ticker": simulation.benchmark, **figures.benchmark},
        trades=round_trips(records),
        open_positions=[
            {
                "ticker": p.ticker,
                "qty": money(p.qty),
                "entry_at": iso(p.opened_at),
                "entry_price": money(p.avg_entry_price),
                "last_price": money(p.market_price),
                "unrealized_pnl": money(p.unrealized_pnl),
            }
            for p in positions
        ],
        open_orders=[
            {
                "ticker": o.ticker,
                "side": o.side.value,
                "qty": money(o.qty),
                "filled_qty": money(o.filled_qty),
                "submitted_at": iso(o.submitted_at),
                "status": o.status.value,
            }
            for o in await broker.list_open_orders()
        ],
        fills=fills(records),
        signals=signal_rows(records),
        equity_curve=sampled_curve(trace.times, trace.equity, figures, most=config.curve_points),
        monthly_returns=monthly_returns(trace.times, trace.equity, config.capital),
        per_strategy=attribution(records.outcomes),
        weight_history=weight_rows(records),
        data=jsonable(
            {
                "tickers": list(simulation.tickers),
                "bars": simulation.bars,
                "interval_seconds": simulation.interval_seconds,
                "equity_points": len(trace),
                "skipped_rows": {
                    "total": tape.skipped.total,
                    "by_reason": tape.skipped.by_reason,
                    "examples": list(tape.skipped.examples),
                },
                "news": {
                    "articles": len(inputs.news.articles),
                    "released": simulation.news_released,
                    "skipped_lines": list(inputs.news.skipped),
                },
            }
        ),
        diagnostics=jsonable(
            {
                "signals_by_direction": counters.by_label("signals_generated", "direction"),
                "risk_rejections": counters.by_label("risk_rejections", "reason"),
                "strategy_failures": counters.by_label("strategy_failures", "strategy"),
                "bus_handler_failures": counters.by_label("bus_handler_failures", "stream"),
                "dead_letters": simulation.dead_letters,
            }
        ),
    )
