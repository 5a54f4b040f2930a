"""The replay: the live signal-generator, trade-executor and learning engine, built by the
composition root, driven bar by bar on a simulated clock.

The services run as they do live (their ``run()`` consuming the memory bus) with three
backtest adapters: the ``SimulatedClock``, the ``SimulatedBroker`` and in-memory repositories
(or the SQL ones on a throwaway SQLite database, ``BacktestConfig.storage``). The replay merges
three time lines and handles each instant in this order:

1. bars closing: the clock moves to the close; the broker marks the close; the bar is handed
   to the executor's and the signal-generator's bar handlers (what their ``market:bars``
   consumers do with a ``BarClosed``, called directly: publishing a million bars would cost
   more than deciding on them); then the bus is drained, so every signal, order, fill and
   weight update a bar caused is settled before time moves on;
2. news becoming available: each scored article is published as ``ArticleScored`` (the live
   path from the sentiment-analyzer) and the bus drained;
3. bars opening: the broker fills waiting orders at the open (next_open) and the executor
   reconciles its open orders with the broker, as it does live.

A bar is therefore seen only once it has closed, and an article only once the clock has passed
its ``available_at``: nothing can look ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from trading_bot.adapters.brokers.simulated import SimulatedBroker
from trading_bot.adapters.bus.config import MemoryBusConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import upgrade_database
from trading_bot.core.errors import ConfigurationError, DataError
from trading_bot.core.events import Streams
from trading_bot.entrypoints.backtest_bus import CountingMetrics, WatchedBus, raise_if_failed
from trading_bot.entrypoints.backtest_config import BacktestConfig
from trading_bot.entrypoints.backtest_data import (
    BarTape,
    from_micros,
)
from trading_bot.entrypoints.backtest_news import NewsTape
from trading_bot.entrypoints.backtest_records import RecordingDecisions, SqlBackedRepositories
from trading_bot.entrypoints.backtest_replay import EquityTrace, Replay
from trading_bot.entrypoints.backtest_storage import BacktestRepositories
from trading_bot.entrypoints.container import Ports, build_ports, build_services
from trading_bot.entrypoints.service_names import (
    LEARNING_ENGINE,
    SIGNAL_GENERATOR,
    TRADE_EXECUTOR,
)
from trading_bot.entrypoints.settings import Mode, Settings, StorageSettings
from trading_bot.services.execution import ExecutionConfig, TradeExecutorService
from trading_bot.services.learning import LearningEngineService
from trading_bot.services.signals import SignalGeneratorService, SignalsConfig

BACKTEST_SERVICES = (SIGNAL_GENERATOR, TRADE_EXECUTOR, LEARNING_ENGINE)
"""The services a backtest runs; news arrives scored, so neither news service is needed."""

CONSUMERS = {SIGNAL_GENERATOR: 3, TRADE_EXECUTOR: 3, LEARNING_ENGINE: 2}
"""The streams each service's ``run()`` consumes (services/signals.py, execution.py,
learning.py): news, weights and bars; signals, bars and commands; trades and portfolio.
The replay starts once they all listen, and says so if this table drifts from the services."""

MEMORY_DATABASE = "sqlite+aiosqlite:///:memory:"

BUS_CONFIG = MemoryBusConfig(maxlen=1_000)
"""The memory bus of a backtest: every step is drained before the next, so a stream needs to
keep only what one step publishes; the default 100,000 entries per stream would hold every
message of a long run (gigabytes) for nothing."""


@dataclass(slots=True)
class Simulation:
    """Everything a finished replay leaves for the report (read before the ports close)."""

    config: BacktestConfig
    tickers: tuple[str, ...]
    benchmark: str
    interval_seconds: int
    trace: EquityTrace
    broker: SimulatedBroker
    ports: Ports
    counters: CountingMetrics
    bars: int
    news_released: int
    dead_letters: dict[str, int]


_R = TypeVar("_R")


async def simulate(
    config: BacktestConfig,
    tape: BarTape,
    news: NewsTape,
    report: Callable[[Simulation], Awaitable[_R]],
    *,
    progress: Callable[[float], None] | None = None,
) -> _R:
    """Replay ``tape`` and ``news`` through the services; return ``report`` of the run.

    ``report`` reads the run (its repositories, broker and equity trace) before the ports
    close, so it works over the in-memory and the SQL repositories alike.

    Raises:
        DataError: there is no bar to replay.
        ConfigurationError: the services could not be built or did not start.
    """
    if not len(tape):
        raise DataError("no bars to backtest: the data is empty, or nothing is in the range")
    tickers = tape.tickers
    benchmark = config.benchmark or tickers[0]
    if benchmark not in tickers:
        raise ConfigurationError(f"benchmark {benchmark} has no bars in the backtest data")
    start = from_micros(int(tape.opens_at[0]))
    if news.articles:
        start = min(start, news.articles[0].article.available_at)
    async with _throwaway_database(config) as url:
        clock = SimulatedClock(start)
        counters = CountingMetrics()
        bus = WatchedBus(MemoryBus(BUS_CONFIG, clock=clock, metrics=counters))
        settings = backtest_settings(config, tickers, url)
        ports = await build_ports(settings, services=(), metrics=counters, clock=clock, bus=bus)
        return await _run(
            config, tape, news, report, ports=ports, bus=bus, benchmark=benchmark, progress=progress
        )


async def _run(
    config: BacktestConfig,
    tape: BarTape,
    news: NewsTape,
    report: Callable[[Simulation], Awaitable[_R]],
    *,
    ports: Ports,
    bus: WatchedBus,
    benchmark: str,
    progress: Callable[[float], None] | None,
) -> _R:
    clock = ports.clock
    if not isinstance(clock, SimulatedClock) or not isinstance(ports.metrics, CountingMetrics):
        raise ConfigurationError("a backtest runs on a simulated clock and counting metrics")
    settings = ports.settings
    tickers = tape.tickers
    tasks: list[asyncio.Task[None]] = []
    try:
        await _prepare_storage(config, ports)
        broker = SimulatedBroker(config.broker_config(), clock)
        ports.broker = broker
        await ports.repos.strategies.seed(config.starting_weights())
        services = build_services(settings, ports, only=BACKTEST_SERVICES)
        signals = services[SIGNAL_GENERATOR]
        executor = services[TRADE_EXECUTOR]
        if not isinstance(signals, SignalGeneratorService) or not isinstance(
            executor, TradeExecutorService
        ):
            raise ConfigurationError("the composition root built unexpected trading services")
        if not isinstance(services[LEARNING_ENGINE], LearningEngineService):
            raise ConfigurationError("the composition root built no learning engine")
        tasks = [
            asyncio.create_task(service.run(), name=f"backtest:{name}")
            for name, service in services.items()
        ]
        await bus.wait_for_consumers(sum(CONSUMERS[name] for name in services), tasks)
        replay = Replay(
            clock=clock,
            bus=bus,
            broker=broker,
            signals=signals,
            executor=executor,
            tasks=tasks,
            benchmark=tape.names.index(benchmark),
            progress=progress,
        )
        trace, released = await replay.run(tape, news)
        raise_if_failed(tasks)
        return await report(
            Simulation(
                config=config,
                tickers=tickers,
                benchmark=benchmark,
                interval_seconds=_typical_interval(tape),
                trace=trace,
                broker=broker,
                ports=ports,
                counters=ports.metrics,
                bars=len(tape),
                news_released=released,
                dead_letters=await _dead_letters(bus),
            )
        )
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await bus.close()
        await ports.close()


def backtest_settings(config: BacktestConfig, tickers: tuple[str, ...], url: str) -> Settings:
    """Return the settings the services of ``config``'s backtest are built from, over the
    throwaway database ``url``.

    Built from the config alone (``model_construct`` reads no environment), so the
    ``TRADING_*`` variables of the shell never change a backtest.
    """
    return Settings.model_construct(
        mode=Mode.DEMO,
        storage=StorageSettings(url=url),
        signals=SignalsConfig(universe=tickers, threshold=config.threshold),
        strategies=config.strategies_config(),
        execution=ExecutionConfig(
            universe=tickers,
            # The replay reconciles after every fill itself. A timer would only wake the
            # executor every simulated hour, nights and weekends included: once in ten bars.
            reconcile_interval_seconds=None,
            concurrent_reads=False,  # every port answers from memory: tasks would only cost time
        ),
        risk=config.risk_config(),
        learning=config.learning_config(),
    )


@contextlib.asynccontextmanager
async def _throwaway_database(config: BacktestConfig) -> AsyncIterator[str]:
    """Yield the URL of the run's throwaway database: a migrated SQLite file in a temporary
    directory, or with in-memory repositories an in-memory one that is never even connected.

    An in-memory SQLite database cannot serve the services' SQL repositories: its one pooled
    connection refuses a transaction while another task's is open, and a shared-cache one
    answers overlapping writes with "database table is locked". A file has neither problem.
    """
    if config.storage == "memory":
        yield MEMORY_DATABASE
        return
    with tempfile.TemporaryDirectory(prefix="backtest-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'backtest.db'}"
        await upgrade_database(url)
        yield url


async def _prepare_storage(config: BacktestConfig, ports: Ports) -> None:
    """Give the services their repositories: in memory, or the SQL ones over a fresh schema."""
    sql = ports.repos
    if config.storage == "memory":
        ports.repos = BacktestRepositories.create(
            ports.clock, articles=sql.articles, market_data=sql.market_data
        )
        return
    ports.repos = SqlBackedRepositories(
        strategies=sql.strategies,
        signals=sql.signals,
        trades=sql.trades,
        positions=sql.positions,
        outcomes=sql.outcomes,
        snapshots=sql.snapshots,
        risk_decisions=RecordingDecisions(sql.risk_decisions),
        key_value=sql.key_value,
        articles=sql.articles,
        market_data=sql.market_data,
    )


async def _dead_letters(bus: WatchedBus) -> dict[str, int]:
    found = {}
    for stream in sorted(_STREAMS):
        letters = await bus.dead_letters(stream, limit=1_000_000)
        if letters:
            found[stream] = len(letters)
    return found


_STREAMS = frozenset(
    {
        Streams.MARKET_BARS,
        Streams.NEWS_SCORED,
        Streams.SIGNALS,
        Streams.TRADES,
        Streams.WEIGHTS,
        Streams.PORTFOLIO,
        Streams.COMMANDS,
    }
)


def _typical_interval(tape: BarTape) -> int:
    values, counts = np.unique(tape.interval, return_counts=True)
    return int(values[np.argmax(counts)])
