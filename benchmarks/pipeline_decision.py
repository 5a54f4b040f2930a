"""Bar to decision: how long a closed bar takes to become an order, through the services on Redis.

Run: ``.venv/bin/python -m benchmarks.pipeline_decision [--bars N] [--runs R] [--storage ...]``.

One process runs the signal-generator and the trade-executor on the Redis Streams bus, with
SQLite (a temp file) or PostgreSQL (a database of its own) and the paper broker. For each bar the
clock starts when ``BarClosed`` is published on ``market:bars``; two points are timed: the risk
decision stored (after the signal-generator evaluated the bar, stored and published the signal,
and the executor consumed it) and the order placed with the paper broker. The next bar is sent
once the executor has published the resulting ``PortfolioUpdated`` (one bar in flight: latency,
not throughput). A scripted strategy alternates LONG and SHORT, so every bar ends in an order:
an entry, then the exit of that entry. The cost of the real strategies per bar (microseconds) is
``benchmarks.decision``'s subject.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import redis.asyncio
import structlog

from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.bus.config import RedisBusConfig
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.events import BarClosed, Message, Streams
from trading_bot.core.indicators import IndicatorSpec
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import (
    Bar,
    Direction,
    OrderRequest,
    OrderResult,
    RiskDecision,
    SentimentContext,
    StrategyOpinion,
)
from trading_bot.core.ports import Broker, Clock, RiskDecisionRepository
from trading_bot.core.risk import RiskConfig
from trading_bot.services.execution import ExecutionConfig, TradeExecutorService
from trading_bot.services.signals import SignalsConfig
from trading_bot.testing.broker_faults import FaultyBroker
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import ScriptedParams
from trading_bot.testing.storage import (
    drop_postgres_database,
    migrated_postgres,
    migrated_sqlite,
)
from trading_bot.testing.trading_rigs import TEST_CALENDAR, Storage, build_signal_generator

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TICKER = "AAPL"
START = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
WARMUP_BARS = 10


class AlternatingStrategy:
    """Say LONG, then SHORT, then LONG...: every bar makes a signal, every signal an order."""

    name = "momentum"
    params = ScriptedParams()
    indicators: tuple[IndicatorSpec, ...] = ()

    def __init__(self) -> None:
        self._calls = 0

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        """Return the next opinion of the alternation."""
        self._calls += 1
        direction = Direction.LONG if self._calls % 2 else Direction.SHORT
        return StrategyOpinion(strategy=self.name, direction=direction, strength=1.0)


@dataclass(slots=True)
class Probe:
    """The moments the pipeline reaches for the bar in flight."""

    decided: asyncio.Event = field(default_factory=asyncio.Event)
    ordered: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    decided_at: float = 0.0
    ordered_at: float = 0.0

    def reset(self) -> None:
        """Get ready for the next bar."""
        self.decided.clear()
        self.ordered.clear()
        self.settled.clear()


class TimedDecisions:
    """A risk-decision repository that notes when each decision was stored."""

    def __init__(self, inner: RiskDecisionRepository, probe: Probe) -> None:
        self._inner = inner
        self._probe = probe

    async def add(self, decision: RiskDecision) -> None:
        """Store the decision, then stop the decision timer."""
        await self._inner.add(decision)
        self._probe.decided_at = time.perf_counter()
        self._probe.decided.set()

    async def counts_by_reason(self, *, since: datetime | None = None) -> dict[str, int]:
        """Delegate."""
        return await self._inner.counts_by_reason(since=since)

    async def for_signal(self, signal_id: uuid.UUID) -> list[RiskDecision]:
        """Delegate."""
        return await self._inner.for_signal(signal_id)


class TimedBroker(FaultyBroker):
    """The paper broker, noting when each order was placed."""

    def __init__(self, inner: Broker, probe: Probe) -> None:
        super().__init__(inner)
        self._probe = probe

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Place the order, then stop the order timer."""
        result = await super().submit_order(order)
        self._probe.ordered_at = time.perf_counter()
        self._probe.ordered.set()
        return result


@dataclass(frozen=True, slots=True)
class RunResult:
    """Latencies of one run, in milliseconds."""

    decision_ms: list[float]
    order_ms: list[float]


def bar(index: int) -> Bar:
    """Return the ``index``-th one-minute bar (closes differ a little, never near the stop)."""
    close = 100.0 + (index % 7) * 0.01
    return Bar(
        ticker=TICKER,
        timestamp=START + timedelta(minutes=index),
        open=100.0,
        high=max(100.0, close),
        low=min(100.0, close),
        close=close,
        volume=1_000,
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def database_url(kind: str, directory: Path) -> str:
    """Return a fresh migrated database of ``kind`` (sqlite or postgres)."""
    if kind == "sqlite":
        return await migrated_sqlite(directory)
    return await migrated_postgres(POSTGRES_ADMIN_DSN, "tb_bench")


async def run_once(bars: int, kind: str) -> RunResult:
    """Send ``WARMUP_BARS + bars`` bars through both services; return the measured latencies."""
    prefix = f"bench-{uuid.uuid4().hex[:12]}:"
    clock = WallClock()
    metrics = RecordingMetrics()
    bus = RedisStreamsBus(
        RedisBusConfig(url=REDIS_URL, prefix=prefix, client_name="bench-pipeline"), clock=clock
    )
    probe = Probe()
    with TemporaryDirectory() as directory:
        url = await database_url(kind, Path(directory))
        storage = Storage.open(url, clock)
        repositories = storage.repositories
        prices = LatestPrices()
        paper = await PaperBroker.restore(
            PaperBrokerConfig(), prices, clock, repositories.key_value
        )
        executor = TradeExecutorService(
            ExecutionConfig(universe=(TICKER,)),
            risk=RiskConfig(enforce_market_hours=False, cooldown_minutes=0),
            market_hours=TEST_CALENDAR,
            bus=bus,
            broker=TimedBroker(paper, probe),
            prices=prices,
            trades=repositories.trades,
            signals=repositories.signals,
            positions=repositories.positions,
            risk_decisions=TimedDecisions(repositories.risk_decisions, probe),
            state=repositories.key_value,
            clock=clock,
            metrics=metrics,
        )
        generator = await build_signal_generator(
            storage,
            [AlternatingStrategy()],
            bus=bus,
            clock=clock,
            metrics=metrics,
            config=SignalsConfig(universe=(TICKER,)),
            weights={"momentum": 1.0},
        )

        async def settled(message: Message) -> None:
            probe.settled.set()

        tasks = [
            asyncio.create_task(generator.run()),
            asyncio.create_task(executor.run()),
            asyncio.create_task(bus.consume(Streams.PORTFOLIO, "bench", settled)),
        ]
        result = RunResult([], [])
        try:
            for index in range(WARMUP_BARS + bars):
                probe.reset()
                sent = time.perf_counter()
                await bus.publish(BarClosed(occurred_at=clock.now(), bar=bar(index)))
                await asyncio.wait_for(probe.ordered.wait(), timeout=30)
                await asyncio.wait_for(probe.settled.wait(), timeout=30)
                if index >= WARMUP_BARS:
                    result.decision_ms.append((probe.decided_at - sent) * 1000)
                    result.order_ms.append((probe.ordered_at - sent) * 1000)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await bus.close()
            await storage.close()
            await forget(prefix)
            if kind == "postgres":
                await drop_postgres_database(POSTGRES_ADMIN_DSN, url)
    return result


async def forget(prefix: str) -> None:
    """Delete the run's Redis keys."""
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def summarise(label: str, runs: Sequence[Sequence[float]]) -> str:
    """Return min / median over the runs of each run's p50 and p99, in ms."""
    p50 = [percentile(run, 0.50) for run in runs]
    p99 = [percentile(run, 0.99) for run in runs]
    return (
        f"{label:>22}: p50 min {min(p50):6.2f} median {statistics.median(p50):6.2f} ms | "
        f"p99 min {min(p99):6.2f} median {statistics.median(p99):6.2f} ms"
    )


async def measure(bars: int, runs: int, kinds: Sequence[str]) -> None:
    """Run the benchmark for each storage kind and print the figures."""
    print(f"{bars} bars per run (+{WARMUP_BARS} warm-up), {runs} runs, one process, Redis bus")
    for kind in kinds:
        results = [await run_once(bars, kind) for _ in range(runs)]
        print(f"storage: {kind}")
        print(summarise("bar -> risk decision", [r.decision_ms for r in results]))
        print(summarise("bar -> order placed", [r.order_ms for r in results]))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--storage", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args(argv)
    # Log lines would be timed too; only what goes wrong is printed.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.basicConfig(level=logging.WARNING)
    kinds = ("sqlite", "postgres") if args.storage == "both" else (args.storage,)
    asyncio.run(measure(args.bars, args.runs, kinds))


if __name__ == "__main__":
    main()
