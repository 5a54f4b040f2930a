"""News-path benchmark: latency from ``news:raw`` to ``news:scored`` through the sentiment-analyzer.

Run ``python -m benchmarks.news_latency`` (``--help`` for options) from the repository root. The
sentiment-analyzer runs in-process with the lexicon analyzer and the bundled ticker list, in both
topologies: the memory bus with a SQLite temp file, and the real Redis with a PostgreSQL database
of its own (dropped afterwards). Latency is measured from the ``publish`` of an ``ArticleFetched``
to the arrival of its ``ArticleScored`` at a downstream consumer, so it includes scoring, ticker
extraction, storing the article and its scores, and both bus hops. Two loads:

- one at a time: publish, wait for the score, publish the next (an idle pipeline);
- burst: a whole batch published at once (a busy feed after a restart).

Each run reports p50 and p99; the table gives min / median over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio

from trading_bot.adapters.bus.config import MemoryBusConfig, RedisBusConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.sentiment.lexicon import LexiconAnalyzer
from trading_bot.adapters.sentiment.tickers import TickerExtractor
from trading_bot.adapters.storage import Database, SqlArticleRepository
from trading_bot.core.events import ArticleFetched, ArticleScored, Message, Streams
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import EventBus
from trading_bot.services.news import fetched_event_id
from trading_bot.services.sentiment import SentimentAnalyzerService, SentimentConfig
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.storage import drop_postgres_database, migrated_postgres, migrated_sqlite

AT = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
COMPANIES = ("Apple", "Microsoft", "Nvidia", "Tesla", "Amazon", "Alphabet", "Meta", "Netflix")
HEADLINES = (
    "{name} shares surge after quarterly revenue beats estimates",
    "{name} slumps after analysts downgrade the stock on weak demand",
    "{name} to present at an industry conference next week",
    "{name} tumbles as regulators open an antitrust probe",
)
BODY = (
    "{name} said demand held up across regions while costs rose. Analysts at two brokerages "
    "revised their estimates, and investors weighed the outlook for the rest of the year. "
) * 3


def articles(count: int, run: str) -> list[RawArticle]:
    """Return ``count`` distinct ~700-character articles naming a company."""
    made = []
    for index in range(count):
        name = COMPANIES[index % len(COMPANIES)]
        title = HEADLINES[index % len(HEADLINES)].format(name=name)
        made.append(
            RawArticle.create(
                source="bench",
                url=f"https://news.example.com/bench/{run}/{index}",
                title=title,
                content=BODY.format(name=name),
                published_at=AT + timedelta(seconds=index),
                available_at=AT + timedelta(seconds=index),
            )
        )
    return made


def fetched(article: RawArticle) -> ArticleFetched:
    """Return the message the news-fetcher would publish for ``article``."""
    return ArticleFetched(
        event_id=fetched_event_id(article.article_id), occurred_at=AT, article=article
    )


@dataclass(frozen=True, slots=True)
class Topology:
    """How to open a bus and a migrated database for one run."""

    name: str
    redis_url: str | None = None


class Arrivals:
    """A ``news:scored`` consumer that stamps when each article's score arrived."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._changed = asyncio.Condition()

    async def __call__(self, message: Message) -> None:
        if isinstance(message, ArticleScored):
            async with self._changed:
                self.at.setdefault(message.scored.article.article_id, time.perf_counter())
                self._changed.notify_all()

    async def wait_for(self, article_ids: Sequence[str]) -> None:
        """Return once every one of ``article_ids`` has arrived (at most a minute)."""
        async with asyncio.timeout(60), self._changed:
            await self._changed.wait_for(lambda: all(a in self.at for a in article_ids))


@asynccontextmanager
async def pipeline(topology: Topology) -> AsyncIterator[tuple[EventBus, Arrivals]]:
    """Run the sentiment-analyzer and a downstream consumer on a fresh bus and database."""
    clock = WallClock()
    bus: EventBus
    with tempfile.TemporaryDirectory() as directory:
        if topology.redis_url is None:
            bus = MemoryBus(MemoryBusConfig(), clock=clock)
            url = await migrated_sqlite(Path(directory))
        else:
            prefix = f"bench-{uuid.uuid4().hex[:12]}:"
            bus = RedisStreamsBus(
                RedisBusConfig(url=topology.redis_url, prefix=prefix), clock=clock
            )
            url = await migrated_postgres(ADMIN_DSN, "tb_bench")
        database = Database(url)
        service = SentimentAnalyzerService(
            SentimentConfig(),
            analyzer=LexiconAnalyzer(),
            tickers=TickerExtractor(),
            articles=SqlArticleRepository(database, clock),
            bus=bus,
            clock=clock,
            metrics=RecordingMetrics(),
        )
        arrivals = Arrivals()
        tasks = [
            asyncio.create_task(service.run()),
            asyncio.create_task(bus.consume(Streams.NEWS_SCORED, "bench", arrivals)),
        ]
        try:
            yield bus, arrivals
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bus.close()
            await database.dispose()
            if topology.redis_url is not None:
                await drop_postgres_database(ADMIN_DSN, url)
                await _delete_keys(topology.redis_url, prefix)


async def _delete_keys(redis_url: str, prefix: str) -> None:
    admin = redis.asyncio.Redis.from_url(redis_url)
    try:
        keys = [key async for key in admin.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await admin.delete(*keys)
    finally:
        await admin.aclose()


async def one_at_a_time(topology: Topology, count: int, run: str) -> list[float]:
    """Return each article's seconds from publish to score, published one after another."""
    batch = articles(count + 1, run)
    async with pipeline(topology) as (bus, arrivals):
        await bus.publish(fetched(batch[0]))  # warm up: groups created, connections open
        await arrivals.wait_for([batch[0].article_id])
        latencies = []
        for article in batch[1:]:
            sent = time.perf_counter()
            await bus.publish(fetched(article))
            await arrivals.wait_for([article.article_id])
            latencies.append(arrivals.at[article.article_id] - sent)
        return latencies


async def burst(topology: Topology, count: int, run: str) -> tuple[list[float], float]:
    """Return each article's seconds from publish to score, and articles per second, when
    ``count`` articles are published at once."""
    batch = articles(count + 1, run)
    async with pipeline(topology) as (bus, arrivals):
        await bus.publish(fetched(batch[0]))
        await arrivals.wait_for([batch[0].article_id])
        sent = time.perf_counter()
        await bus.publish_many([fetched(article) for article in batch[1:]])
        ids = [article.article_id for article in batch[1:]]
        await arrivals.wait_for(ids)
        latencies = [arrivals.at[article_id] - sent for article_id in ids]
        return latencies, count / (max(arrivals.at[i] for i in ids) - sent)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(
    topology: Topology, *, runs: int, single: int, bursts: int
) -> dict[str, list[float]]:
    """Run both loads ``runs`` times on one topology; return the figures per metric."""
    figures: dict[str, list[float]] = {}
    for index in range(runs):
        run = f"{topology.name}-{index}-{uuid.uuid4().hex[:6]}"
        quiet = await one_at_a_time(topology, single, run)
        busy, rate = await burst(topology, bursts, run)
        results = {
            "one at a time p50 (ms)": percentile(quiet, 0.50) * 1000,
            "one at a time p99 (ms)": percentile(quiet, 0.99) * 1000,
            f"burst of {bursts} p50 (ms)": percentile(busy, 0.50) * 1000,
            f"burst of {bursts} p99 (ms)": percentile(busy, 0.99) * 1000,
            "burst throughput (articles/s)": rate,
        }
        for metric, value in results.items():
            figures.setdefault(metric, []).append(value)
        print(
            f"  {topology.name} run {index + 1}/{runs}: "
            + ", ".join(f"{k} {v:,.1f}" for k, v in results.items()),
            flush=True,
        )
    return figures


def table(results: dict[str, dict[str, list[float]]]) -> str:
    """Return the results as a Markdown table of min / median per topology and metric."""
    lines = ["| topology | metric | min | median |", "|---|---|---:|---:|"]
    for topology, figures in results.items():
        for metric, values in figures.items():
            low, middle = min(values), statistics.median(values)
            lines.append(f"| {topology} | {metric} | {low:,.1f} | {middle:,.1f} |")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> str:
    """Benchmark the requested topologies; return the Markdown table."""
    topologies = [Topology("memory bus + SQLite")]
    if not args.skip_redis:
        topologies.append(Topology("Redis + PostgreSQL", redis_url=args.redis_url))
    results = {
        t.name: await measure(t, runs=args.runs, single=args.single, bursts=args.burst)
        for t in topologies
    }
    return table(results)


def main() -> None:
    """Parse the command line, run the benchmark and print the results table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.news_latency", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of every measurement")
    parser.add_argument("--single", type=int, default=200, help="articles sent one at a time")
    parser.add_argument("--burst", type=int, default=500, help="articles sent at once")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the Redis to use (keys under a fresh bench-… prefix, deleted afterwards)",
    )
    parser.add_argument("--skip-redis", action="store_true", help="measure the memory bus only")
    args = parser.parse_args()
    print(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
