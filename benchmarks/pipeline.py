"""Pipeline latency and throughput in the production topology: services as separate processes.

Run: ``.venv/bin/python -m benchmarks.pipeline [--runs R] [--rates 200,1000,2000] [--seconds S]``.

`trading-bot service NAME` runs the signal-generator, the trade-executor and the
sentiment-analyzer as three OS processes on the real Redis (a key prefix of its own) and
PostgreSQL (a database of its own, dropped afterwards), in paper mode on the wall clock. Bars
reach the signal-generator the way Alpaca sends them, over the stream protocol (a local server
in this process); orders go to a local Alpaca-speaking REST server in this process, which stamps
each order when it arrives. 100 tickers: every "minute" one bar for each, sent together as
Alpaca does, so the rate is set by how often a minute passes. Ten tickers swing (the strategies
trade them); the rest hover, as most of a universe does most of the time.

Measured, per offered rate:

- bar lag: from the moment a bar is sent on the stream to its ``BarClosed`` on ``market:bars``;
- bar -> order: from a bar's ``BarClosed`` (its close, published on ``market:bars``) to the
  arrival at the broker of the order its signal led to (the local server's timestamp);
- article -> score: from an ``ArticleFetched`` published on ``news:raw`` (5 per second) to its
  ``ArticleScored``, which the analyzer publishes once the score is stored;
- achieved bars/s: bars on ``market:bars`` during the step over its duration;
- CPU: each service process's CPU time (user + system, from ``/proc/PID/stat``) from the step's
  first bar to the moment it drained, as milliseconds per order for the trade-executor and per
  thousand bars for the signal-generator, and as a share of one core over the step's duration.

A rate is sustained when every bar was through within a second of the step's end and the
bar -> order p99 stayed within 50 ms. Each run reports p50 and p99; the table gives min and
median over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import gc
import math
import os
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import redis.asyncio

from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.storage import upgrade_database
from trading_bot.core.events import (
    ArticleFetched,
    ArticleScored,
    BarClosed,
    Message,
    SignalGenerated,
    Streams,
)
from trading_bot.core.model import Bar, RawArticle, client_order_id_for
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.alpaca_stream_server import LocalAlpacaStreamServer
from trading_bot.testing.bus import quick_redis_config
from trading_bot.testing.processes import ProcessGroup, clean_environment, free_port
from trading_bot.testing.storage import create_postgres_database, drop_postgres_database

ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
JWT_SECRET = "benchmark-secret-that-is-long-enough-0123456789"  # noqa: S105 -- a local run
TICKERS = tuple(f"B{i:03d}" for i in range(100))
SWINGERS = 10
PERIOD_BARS = 20
WARMUP_MINUTES = 30
NEWS_PER_SECOND = 5
TARGET_P99_MS = 50.0
CLOCK = WallClock()


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def _ms(values: Sequence[float], quantile: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


class Market:
    """One bar per ticker per minute: a few tickers swing (sine), the others hover."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self.minute = 0

    def next_minute(self) -> list[Bar]:
        """Return the bars of the next minute, one per ticker."""
        at = self._start + timedelta(minutes=self.minute)
        bars = [self._bar(index, ticker, at) for index, ticker in enumerate(TICKERS)]
        self.minute += 1
        return bars

    def _bar(self, index: int, ticker: str, at: datetime) -> Bar:
        if index < SWINGERS:
            step = 2 * math.pi / PERIOD_BARS
            phase = step * (self.minute + index * 7)
            close = 100 * (1 + 0.03 * math.sin(phase))
            previous = 100 * (1 + 0.03 * math.sin(phase - step))
            volume = 2_000.0 if math.cos(phase) > 0 else 600.0
        else:
            close = 100.0 * (1.0005 if self.minute % 2 else 0.9995)
            previous = 100.0 * (0.9995 if self.minute % 2 else 1.0005)
            volume = 1_000.0
        return Bar(
            ticker=ticker,
            timestamp=at,
            open=previous,
            high=max(previous, close),
            low=min(previous, close),
            close=close,
            volume=volume,
        )


@dataclass
class Observed:
    """What the benchmark sees on the bus, stamped in wall-clock seconds."""

    bars: dict[tuple[str, datetime], float] = field(default_factory=dict)
    bar_closes: dict[str, list[float]] = field(default_factory=dict)
    signals: dict[str, tuple[str, float]] = field(default_factory=dict)
    scored: dict[str, float] = field(default_factory=dict)

    async def on_message(self, message: Message) -> None:
        """Record a bar, a signal or a score."""
        if isinstance(message, BarClosed):
            at = _seconds(message.occurred_at)
            self.bars[(message.bar.ticker, message.bar.timestamp)] = at
            bisect.insort(self.bar_closes.setdefault(message.bar.ticker, []), at)
        elif isinstance(message, SignalGenerated):
            signal = message.signal
            self.signals[client_order_id_for(signal.signal_id)] = (
                signal.ticker,
                _seconds(signal.generated_at),
            )
        elif isinstance(message, ArticleScored):
            self.scored[message.scored.article.article_id] = _seconds(message.occurred_at)

    def trigger(self, ticker: str, generated_at: float) -> float | None:
        """Return when the bar that led to a signal at ``generated_at`` was published."""
        closes = self.bar_closes.get(ticker, [])
        position = bisect.bisect_right(closes, generated_at)
        return closes[position - 1] if position else None


@dataclass
class Stack:
    """The running processes and the local servers around them."""

    broker: LocalAlpacaServer
    stream: LocalAlpacaStreamServer
    bus: RedisStreamsBus
    observed: Observed
    pids: dict[str, int] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def stack(workdir: Path) -> AsyncIterator[Stack]:
    """Start the three services and the benchmark's own consumers; remove everything after."""
    database = await create_postgres_database(ADMIN_DSN, "tb_bench")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    observed = Observed()
    bus = RedisStreamsBus(quick_redis_config(REDIS_URL, prefix, block_ms=5), clock=CLOCK)
    try:
        await upgrade_database(database)
        with LocalAlpacaServer(cash=Decimal(10_000_000)) as broker:
            async with LocalAlpacaStreamServer() as stream, ProcessGroup(workdir) as group:
                env = _settings(database, prefix, broker, stream)
                names = ("sentiment-analyzer", "trade-executor", "signal-generator")
                for name in names:
                    port = free_port()
                    group.add(name, ["service", name], {**env, **_port(port)}, port=port)
                for name in names:
                    await group[name].start().healthy()
                await stream.wait_until_subscribed(set(TICKERS))
                streams = (Streams.MARKET_BARS, Streams.SIGNALS, Streams.NEWS_SCORED)
                consumers = [
                    asyncio.create_task(bus.consume(s, "benchmark", observed.on_message))
                    for s in streams
                ]
                try:
                    pids = {name: group[name].pid for name in names}
                    yield Stack(broker, stream, bus, observed, pids)
                finally:
                    await bus.close()
                    for task in consumers:
                        task.cancel()
                    await asyncio.gather(*consumers, return_exceptions=True)
    finally:
        await _delete_keys(prefix)
        await drop_postgres_database(ADMIN_DSN, database)


def _port(port: int) -> dict[str, str]:
    return {"TRADING_TELEMETRY__PORT": str(port), "TRADING_LOG__LEVEL": "WARNING"}


def _settings(
    database: str, prefix: str, broker: LocalAlpacaServer, stream: LocalAlpacaStreamServer
) -> dict[str, str]:
    universe = "[" + ",".join(f'"{t}"' for t in TICKERS) + "]"
    return clean_environment(
        TRADING_MODE="paper",
        TRADING_BUS__KIND="redis",
        TRADING_BUS__URL=REDIS_URL,
        TRADING_BUS__PREFIX=prefix,
        TRADING_STORAGE__URL=database,
        TRADING_API__JWT_SECRET=JWT_SECRET,
        TRADING_ALPACA__API_KEY=broker.api_key,
        TRADING_ALPACA__SECRET_KEY=broker.secret_key,
        TRADING_ALPACA__BASE_URL=broker.url,
        TRADING_ALPACA__STREAM_URL=stream.url,
        TRADING_SIGNALS__UNIVERSE=universe,
        TRADING_EXECUTION__UNIVERSE=universe,
        # Limits that let a hundred tickers trade around the clock: the subject is speed.
        TRADING_RISK__ENFORCE_MARKET_HOURS="false",
        TRADING_RISK__COOLDOWN_MINUTES="0",
        TRADING_RISK__MAX_POSITIONS="100",
        TRADING_RISK__MAX_POSITION_PCT="0.01",
        TRADING_RISK__FRACTION_PER_TRADE="0.005",
        TRADING_RISK__DAILY_LOSS_LIMIT_PCT="1",
        TRADING_RISK__BRACKET_ORDERS="false",
    )


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) process ``pid`` has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    try:
        return {name: cpu_seconds(pid) for name, pid in pids.items()}
    except OSError:  # not Linux, or a process gone: no CPU figures
        return {}


async def _delete_keys(prefix: str) -> None:
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@dataclass(frozen=True)
class StepResult:
    """One offered rate of one run."""

    offered: float
    achieved: float
    lag_p50: float
    lag_p99: float
    order_p50: float
    order_p99: float
    orders: int
    news_p50: float
    news_p99: float
    drained: bool
    executor_cpu_ms_per_order: float = math.nan
    executor_cpu_share: float = math.nan
    signals_cpu_ms_per_kbar: float = math.nan
    signals_cpu_share: float = math.nan

    @property
    def sustained(self) -> bool:
        """Return True when the step kept up and bar -> order stayed within the target."""
        return self.drained and not self.order_p99 > TARGET_P99_MS


async def push_minute(
    running: Stack, market: Market, pushed: dict[tuple[str, datetime], float]
) -> None:
    """Send the next minute's bars on the stream, after moving the broker's prices to them."""
    bars = market.next_minute()
    for bar in bars:
        running.broker.set_price(bar.ticker, Decimal(str(round(bar.close, 4))))
    sent = _seconds(CLOCK.now())
    for bar in bars:
        pushed[(bar.ticker, bar.timestamp)] = sent
    await running.stream.push_bars(bars)


async def publish_article(running: Stack, sent: dict[str, float]) -> None:
    """Publish one article on ``news:raw`` and remember when."""
    now = CLOCK.now()
    article = RawArticle.create(
        source="benchmark",
        url=f"https://news.example.com/bench/{uuid.uuid4().hex}",
        title="Microsoft (MSFT) shares surge after quarterly revenue beats estimates",
        content="Microsoft reported stronger than expected results and raised its outlook.",
        published_at=now,
        available_at=now,
    )
    sent[article.article_id] = _seconds(CLOCK.now())
    await running.bus.publish(ArticleFetched(occurred_at=now, article=article))


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Hold this process's cyclic garbage collector off while a step measures.

    This process is the instrument: it sends the bars, and its local Alpaca server stamps each
    order's arrival. A full collection of everything it observed took 60-90 ms here, long enough
    to hold up the stamps and the stream and to charge the pause to the services' p99.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def step(running: Stack, market: Market, rate: float, seconds: float) -> StepResult:
    """Offer ``rate`` bars per second for ``seconds``; wait for them; measure."""
    observed = running.observed
    pushed: dict[tuple[str, datetime], float] = {}
    articles: dict[str, float] = {}
    orders_before = {order["client_order_id"] for order in running.broker.orders}
    minutes = max(1, round(rate * seconds / len(TICKERS)))
    loop = asyncio.get_running_loop()
    cpu_before = _cpu(running.pids)
    began = loop.time()
    news_every = max(1, round(minutes / (NEWS_PER_SECOND * seconds)))
    with _no_collection():
        for index in range(minutes):
            await asyncio.sleep(max(0.0, began + index * len(TICKERS) / rate - loop.time()))
            await push_minute(running, market, pushed)
            if index % news_every == 0:
                await publish_article(running, articles)
        ended = loop.time()
        drained = await _drained(observed, pushed, articles, deadline=ended + 1.0)
    await _drained(observed, pushed, articles, deadline=loop.time() + 10.0)
    cpu_after = _cpu(running.pids)
    used = {name: cpu_after[name] - cpu_before[name] for name in cpu_after if name in cpu_before}
    result = _measure(
        running,
        rate,
        pushed=pushed,
        articles=articles,
        orders_before=orders_before,
        drained=drained,
        duration=ended - began,
    )
    return _with_cpu(result, used, bars=len(pushed), duration=ended - began)


def _with_cpu(
    result: StepResult, used: dict[str, float], *, bars: int, duration: float
) -> StepResult:
    executor, signals = used.get("trade-executor"), used.get("signal-generator")
    if executor is None or signals is None:
        return result
    return dataclasses.replace(
        result,
        executor_cpu_ms_per_order=1000 * executor / max(1, result.orders),
        executor_cpu_share=100 * executor / duration,
        signals_cpu_ms_per_kbar=1_000_000 * signals / max(1, bars),
        signals_cpu_share=100 * signals / duration,
    )


async def _drained(
    observed: Observed,
    pushed: dict[tuple[str, datetime], float],
    articles: dict[str, float],
    *,
    deadline: float,
) -> bool:
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        if all(key in observed.bars for key in pushed) and all(
            key in observed.scored for key in articles
        ):
            return True
        await asyncio.sleep(0.02)
    return False


def _measure(
    running: Stack,
    rate: float,
    *,
    pushed: dict[tuple[str, datetime], float],
    articles: dict[str, float],
    orders_before: set[str],
    drained: bool,
    duration: float,
) -> StepResult:
    observed = running.observed
    lags = [observed.bars[key] - sent for key, sent in pushed.items() if key in observed.bars]
    latencies = []
    for order in running.broker.orders:
        known = observed.signals.get(order["client_order_id"])
        if order["client_order_id"] in orders_before or known is None:
            continue
        bar_at = observed.trigger(*known)
        if bar_at is not None:
            arrived = datetime.fromisoformat(order["created_at"].replace("Z", "+00:00"))
            latencies.append(_seconds(arrived) - bar_at)
    scores = [
        observed.scored[key] - sent for key, sent in articles.items() if key in observed.scored
    ]
    return StepResult(
        offered=rate,
        achieved=len(lags) / duration,
        lag_p50=_ms(lags, 0.50),
        lag_p99=_ms(lags, 0.99),
        order_p50=_ms(latencies, 0.50),
        order_p99=_ms(latencies, 0.99),
        orders=len(latencies),
        news_p50=_ms(scores, 0.50),
        news_p99=_ms(scores, 0.99),
        drained=drained,
    )


async def run_once(rates: Sequence[float], seconds: float) -> list[StepResult]:
    """Start the stack, warm the indicators up, then offer each rate in turn."""
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as workdir:
        async with stack(Path(workdir)) as running:
            market = Market(CLOCK.now().replace(second=0, microsecond=0) - timedelta(days=5))
            warmup: dict[tuple[str, datetime], float] = {}
            for _ in range(WARMUP_MINUTES):
                await push_minute(running, market, warmup)
                await asyncio.sleep(0.1)
            await _drained(
                running.observed, warmup, {}, deadline=asyncio.get_running_loop().time() + 30
            )
            return [await step(running, market, rate, seconds) for rate in rates]


def _summary(values: Sequence[float]) -> str:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return "n/a"
    return f"{min(finite):,.1f} / {statistics.median(finite):,.1f}"


def report(runs: Sequence[Sequence[StepResult]]) -> None:
    """Print min / median over the runs for each offered rate."""
    print(
        "| offered bars/s | achieved bars/s | bar lag p50 ms | bar lag p99 ms | bar->order p50 ms "
        "| bar->order p99 ms | orders | article->score p50 ms | article->score p99 ms "
        "| sustained | executor CPU ms/order | executor CPU % | signals CPU ms/1k bars "
        "| signals CPU % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for index, first in enumerate(runs[0]):
        steps = [run[index] for run in runs]
        sustained = sum(s.sustained for s in steps)
        print(
            f"| {first.offered:,.0f} | {_summary([s.achieved for s in steps])} "
            f"| {_summary([s.lag_p50 for s in steps])} | {_summary([s.lag_p99 for s in steps])} "
            f"| {_summary([s.order_p50 for s in steps])} "
            f"| {_summary([s.order_p99 for s in steps])} "
            f"| {statistics.median(s.orders for s in steps):.0f} "
            f"| {_summary([s.news_p50 for s in steps])} | {_summary([s.news_p99 for s in steps])} "
            f"| {sustained}/{len(steps)} "
            f"| {_summary([s.executor_cpu_ms_per_order for s in steps])} "
            f"| {_summary([s.executor_cpu_share for s in steps])} "
            f"| {_summary([s.signals_cpu_ms_per_kbar for s in steps])} "
            f"| {_summary([s.signals_cpu_share for s in steps])} |"
        )


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rates", default="100,200,500,1000,2000")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    runs = []
    for run in range(args.runs):
        print(f"run {run + 1} of {args.runs}...", flush=True)
        runs.append(asyncio.run(run_once(rates, args.seconds)))
    report(runs)


if __name__ == "__main__":
    main()
