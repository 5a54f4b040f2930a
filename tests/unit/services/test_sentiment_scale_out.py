"""Two sentiment-analyzer instances in one consumer group share the articles: each is scored,
stored and published exactly once overall, on the memory bus and on the real Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.sentiment.tickers import TickerExtractor
from trading_bot.core.events import ArticleFetched, ArticleScored
from trading_bot.core.ports import EventBus
from trading_bot.services.news import fetched_event_id
from trading_bot.services.sentiment import SentimentAnalyzerService, SentimentConfig
from trading_bot.testing.bus import quick_memory_config, quick_redis_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.news_pipeline import (
    NEWS_T0,
    ArticleStore,
    OutageBus,
    ScriptedAnalyzer,
    copy_sqlite,
    migrated_sqlite_template,
    news_article,
)

ARTICLES = [
    news_article(f"Company {n} {'beats' if n % 2 else 'misses'} estimates", minutes=n)
    for n in range(40)
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(migrated_sqlite_template(tmp_path_factory.mktemp("scale-out")))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        bus: EventBus = MemoryBus(quick_memory_config(), clock=WallClock())
    else:
        url: str = request.getfixturevalue("redis_url")
        prefix: str = request.getfixturevalue("redis_prefix")
        # One entry per read, so that the first consumer to wake does not take them all; no
        # reclaim while a handler is still running.
        config = quick_redis_config(
            url, prefix, batch_size=1, claim_idle_ms=30_000, dedupe_ttl_s=600
        )
        bus = RedisStreamsBus(config, clock=WallClock())
    yield bus
    await bus.close()


async def eventually(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 -- waits on work done in other tasks and threads
            await asyncio.sleep(0.005)


async def test_two_sentiment_analyzers_in_one_group_score_each_article_exactly_once_overall(
    bus: EventBus, template: Path, tmp_path: Path
) -> None:
    store = ArticleStore(copy_sqlite(template, tmp_path), WallClock())
    extractor = TickerExtractor()
    analyzers = [ScriptedAnalyzer("a"), ScriptedAnalyzer("b")]
    outputs = [OutageBus(bus), OutageBus(bus)]
    instances = [
        SentimentAnalyzerService(
            SentimentConfig(batch_size=4, batch_delay_seconds=0.01, instance=f"sentiment-{n}"),
            analyzer=analyzers[n],
            tickers=extractor,
            articles=store.articles,
            bus=outputs[n],
            clock=WallClock(),
            metrics=RecordingMetrics(),
        )
        for n in range(2)
    ]
    tasks = [asyncio.create_task(instance.run()) for instance in instances]
    try:
        await asyncio.sleep(0.1)  # both instances joined the group before anything is published
        await bus.publish_many(
            [
                ArticleFetched(
                    event_id=fetched_event_id(a.article_id), occurred_at=NEWS_T0, article=a
                )
                for a in ARTICLES
            ]
        )

        await eventually(lambda: sum(len(out.published) for out in outputs) >= len(ARTICLES))
        await asyncio.sleep(0.2)  # a duplicate, if any, would show up now
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    stored = await store.articles.query(limit=100)
    await store.dispose()

    scored_titles = analyzers[0].scored_titles + analyzers[1].scored_titles
    assert sorted(scored_titles) == sorted(a.title for a in ARTICLES)
    assert all(analyzer.scored_titles for analyzer in analyzers)
    published = [m for out in outputs for m in out.published if isinstance(m, ArticleScored)]
    assert sorted(m.scored.article.title for m in published) == sorted(a.title for a in ARTICLES)
    assert stored.total == len(ARTICLES)
