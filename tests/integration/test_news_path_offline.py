"""The whole news path with no network: replay -> news-fetcher -> news:raw -> sentiment-analyzer
-> news:scored + storage, on the memory bus with SQLite and on the real Redis with PostgreSQL.

The bundled demo file pairs with the synthetic market of the default seed: every price shock is
preceded by an article about its ticker whose lexicon score has the sign of the jump.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import SimulatedClock, WallClock
from trading_bot.adapters.market_data.synthetic import SyntheticMarket, SyntheticMarketConfig
from trading_bot.adapters.news.replay import (
    SKIPPED_METRIC,
    ReplayNewsConfig,
    ReplayNewsSource,
    load_replay_file,
)
from trading_bot.adapters.sentiment.lexicon import LexiconAnalyzer
from trading_bot.adapters.sentiment.tickers import TickerExtractor
from trading_bot.adapters.storage import Database, SqlArticleRepository, upgrade_database
from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.events import ArticleFetched, ArticleScored, Streams
from trading_bot.core.model import ScoredArticle
from trading_bot.core.ports import EventBus
from trading_bot.services.news import NewsConfig, NewsFetcherService
from trading_bot.services.sentiment import SentimentAnalyzerService, SentimentConfig
from trading_bot.testing.bus import RecordingHandler, quick_memory_config, quick_redis_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.news_pipeline import OutageBus
from trading_bot.testing.storage import migrated_sqlite

START = datetime(2024, 1, 2, 14, 0, tzinfo=UTC)
POLL_SECONDS = 3_600.0


@pytest.fixture(scope="module")
def demo_file() -> Iterator[Path]:
    resource = resources.files("trading_bot.adapters.news") / "data" / "demo_news.jsonl"
    with resources.as_file(resource) as path:
        yield path


@pytest.fixture(scope="module")
def extractor() -> TickerExtractor:
    return TickerExtractor()


@dataclass
class Backend:
    """A bus and a migrated database for one run of the path."""

    bus: EventBus
    storage_url: str


@dataclass(frozen=True)
class Services:
    """Where the real Redis and PostgreSQL are for this test; None on the embedded backend."""

    redis_url: str | None = None
    redis_prefix: str = ""
    postgres_url: str | None = None


@pytest.fixture(
    params=[
        "memory-sqlite",
        pytest.param("redis-postgres", marks=[pytest.mark.redis, pytest.mark.postgres]),
    ]
)
def services(request: pytest.FixtureRequest) -> Services:
    # Resolved here, outside the event loop: the PostgreSQL fixtures run their own loop.
    if request.param == "memory-sqlite":
        return Services()
    return Services(
        redis_url=request.getfixturevalue("redis_url"),
        redis_prefix=request.getfixturevalue("redis_prefix"),
        postgres_url=request.getfixturevalue("postgres_url"),
    )


@pytest.fixture
async def backend(
    services: Services, tmp_path: Path, clock: SimulatedClock
) -> AsyncIterator[Backend]:
    bus: EventBus
    if services.redis_url is None or services.postgres_url is None:
        bus = MemoryBus(quick_memory_config(), clock=clock)
        url = await migrated_sqlite(tmp_path)
    else:
        url = services.postgres_url
        await upgrade_database(url)
        # The bus keeps real time for its reads and reclaims; the services run on the replay's.
        config = quick_redis_config(
            services.redis_url, services.redis_prefix, claim_idle_ms=30_000, dedupe_ttl_s=600
        )
        bus = RedisStreamsBus(config, clock=WallClock())
    yield Backend(bus, url)
    await bus.close()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


class NewsPath:
    """The two services and two downstream observers, wired to one bus and one database."""

    def __init__(self, backend: Backend, clock: SimulatedClock, extractor: TickerExtractor) -> None:
        self.clock = clock
        self.bus = OutageBus(backend.bus)
        self.database = Database(backend.storage_url)
        self.articles = SqlArticleRepository(self.database, clock)
        self.metrics = RecordingMetrics()
        self.raw = RecordingHandler()
        self.scored = RecordingHandler()
        self._extractor = extractor
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start_fetcher(self, replay: Path) -> ReplayNewsSource:
        source = ReplayNewsSource(
            ReplayNewsConfig(path=replay, poll_interval_seconds=POLL_SECONDS),
            self.clock,
            metrics=self.metrics,
        )
        fetcher = NewsFetcherService(
            NewsConfig(redispatch_interval_seconds=POLL_SECONDS),
            sources=[source],
            articles=self.articles,
            bus=self.bus,
            clock=self.clock,
            metrics=self.metrics,
        )
        self._tasks["fetcher"] = asyncio.create_task(fetcher.run())
        return source

    async def stop_fetcher(self) -> None:
        await _cancel(self._tasks.pop("fetcher"))

    def start_downstream(self) -> None:
        analyzer = SentimentAnalyzerService(
            SentimentConfig(batch_size=4, batch_delay_seconds=0.005),
            analyzer=LexiconAnalyzer(),
            tickers=self._extractor,
            articles=self.articles,
            bus=self.bus,
            clock=self.clock,
            metrics=self.metrics,
        )
        self._tasks["analyzer"] = asyncio.create_task(analyzer.run())
        bus = self.bus.inner
        self._tasks["raw"] = asyncio.create_task(bus.consume(Streams.NEWS_RAW, "audit", self.raw))
        self._tasks["scored"] = asyncio.create_task(
            bus.consume(Streams.NEWS_SCORED, "signals", self.scored)
        )

    async def replay_until(self, end: datetime) -> None:
        """Move the replay's clock to ``end`` an hour at a time, letting the services keep up."""
        while self.clock.now() < end:
            await self.clock.advance_to(min(end, self.clock.now() + timedelta(hours=1)))
            await asyncio.sleep(0.005)

    async def quiesce(self) -> None:
        """Wait until everything published so far is scored and the outbox is empty."""
        async with asyncio.timeout(30):
            while not (  # noqa: ASYNC110 -- the outbox lives in the database: polled
                self.raw.handled
                and len(self.scored.handled) == len(self.raw.handled)
                and not await self.articles.undispatched()
            ):
                await asyncio.sleep(0.01)

    async def wait_for_scored(self, count: int) -> list[ScoredArticle]:
        await self.scored.wait_for(count, timeout_s=30)
        await asyncio.sleep(0.1)  # a duplicate, if any, would arrive now
        return [m.scored for m in self.scored.handled if isinstance(m, ArticleScored)]

    async def close(self) -> None:
        for task in self._tasks.values():
            await _cancel(task)
        await self.database.dispose()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def path(
    backend: Backend, clock: SimulatedClock, extractor: TickerExtractor
) -> AsyncIterator[NewsPath]:
    news_path = NewsPath(backend, clock, extractor)
    yield news_path
    await news_path.close()


def published_raw(path: NewsPath) -> list[ArticleFetched]:
    return [m for m in path.bus.published if isinstance(m, ArticleFetched)]


async def test_offline_news_path_scores_every_demo_article_once_and_each_shock_with_its_sign(
    path: NewsPath, demo_file: Path
) -> None:
    demo = load_replay_file(demo_file).articles
    path.start_downstream()
    path.start_fetcher(demo_file)

    await path.replay_until(demo[-1].available_at + timedelta(hours=1))
    scored = await path.wait_for_scored(len(demo))

    assert sorted(s.article.article_id for s in scored) == sorted(a.article_id for a in demo)
    assert len(published_raw(path)) == len(demo)
    assert all(m.occurred_at >= m.article.available_at for m in published_raw(path))
    assert (await path.articles.query(limit=100)).total == len(demo)
    market = SyntheticMarket(SyntheticMarketConfig(), path.clock, NyseCalendar())
    shocks = market.shocks()
    for shock in shocks:
        (explains,) = [
            s
            for s in scored
            if shock.ticker in {t.ticker for t in s.tickers}
            and shock.at - timedelta(minutes=10) <= s.article.available_at < shock.at
        ]
        assert explains.score * shock.direction > 0.7, explains.article.title
        assert explains.confidence > 0.6
    assert sum(abs(s.score) > 0.3 for s in scored) == len(shocks)
    assert any(s.tickers == () for s in scored)
    assert path.metrics.count("articles_scored", model="lexicon-lm") == len(demo)


async def test_offline_news_path_when_a_replay_line_is_malformed_skips_it_and_the_rest_flows(
    path: NewsPath, tmp_path: Path
) -> None:
    def line(title: str, minutes: int) -> str:
        at = START + timedelta(minutes=minutes)
        return json.dumps(
            {
                "source": "wire",
                "url": f"https://news.example.com/{minutes}",
                "title": title,
                "published_at": at.isoformat(),
            }
        )

    replay = tmp_path / "news.jsonl"
    replay.write_text(
        "\n".join(
            [
                line("Apple (AAPL) shares surge after revenue beats estimates", 5),
                '{"source": "wire", "title": "no url, no time"',
                line("Tesla (TSLA) shares plunge after the company cuts its outlook", 10),
                line("Microsoft (MSFT) names a new head of investor relations", 15),
            ]
        ),
        encoding="utf-8",
    )
    path.start_downstream()
    source = path.start_fetcher(replay)

    await path.replay_until(START + timedelta(hours=2))
    scored = await path.wait_for_scored(3)

    assert [skipped.line_number for skipped in source.skipped] == [2]
    assert path.metrics.count(SKIPPED_METRIC, source="replay") == 1
    assert sorted(s.article.title[:5] for s in scored) == ["Apple", "Micro", "Tesla"]


async def test_offline_news_path_when_the_fetcher_restarts_publishes_no_article_twice(
    path: NewsPath, demo_file: Path
) -> None:
    demo = load_replay_file(demo_file).articles
    halfway = demo[len(demo) // 2].available_at
    path.start_downstream()
    path.start_fetcher(demo_file)
    await path.replay_until(halfway)
    await path.quiesce()
    published_before = len(published_raw(path))

    await path.stop_fetcher()
    # A new process: a new replay source releases everything available so far once more.
    path.start_fetcher(demo_file)
    await path.replay_until(demo[-1].available_at + timedelta(hours=1))
    scored = await path.wait_for_scored(len(demo))

    assert 0 < published_before < len(demo)
    raw_ids = [m.article.article_id for m in published_raw(path)]
    assert sorted(raw_ids) == sorted(a.article_id for a in demo)
    assert sorted(s.article.article_id for s in scored) == sorted(a.article_id for a in demo)


def test_demo_news_file_is_what_the_generator_writes(
    demo_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "generate_demo_news.py"
    spec = importlib.util.spec_from_file_location("generate_demo_news", script)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, generator)
    spec.loader.exec_module(generator)

    regenerated = generator.render(generator.demo_articles())

    assert regenerated == demo_file.read_text("utf-8")
    assert load_replay_file(demo_file).skipped == ()
