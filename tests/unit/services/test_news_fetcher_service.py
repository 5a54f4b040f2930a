"""NewsFetcherService: polls, persisted dedupe, the outbox, and each source on its own schedule."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.events import ArticleFetched, Streams
from trading_bot.core.ports import NewsSource
from trading_bot.services.news import NewsConfig, NewsFetcherService, fetched_event_id
from trading_bot.testing.bus import RecordingHandler, quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.news_pipeline import (
    NEWS_T0,
    ArticleStore,
    OutageArticles,
    OutageBus,
    ScriptedNewsSource,
    copy_sqlite,
    migrated_sqlite_template,
    news_article,
)

FIRST = news_article("Acme beats estimates", minutes=-5)
SECOND = news_article("Globex misses estimates", minutes=-4)
THIRD = news_article("Initech holds annual meeting", minutes=-3)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(migrated_sqlite_template(tmp_path_factory.mktemp("news-fetcher")))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(NEWS_T0)


@pytest.fixture
async def store(
    template: Path, tmp_path: Path, clock: SimulatedClock
) -> AsyncIterator[ArticleStore]:
    store = ArticleStore(copy_sqlite(template, tmp_path), clock)
    yield store
    await store.dispose()


@pytest.fixture
async def bus(clock: SimulatedClock) -> AsyncIterator[OutageBus]:
    bus = OutageBus(MemoryBus(quick_memory_config(), clock=clock))
    yield bus
    await bus.close()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


def fetcher(
    sources: list[NewsSource],
    *,
    store: ArticleStore | OutageArticles,
    bus: OutageBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
    config: NewsConfig | None = None,
) -> NewsFetcherService:
    articles = store.articles if isinstance(store, ArticleStore) else store
    return NewsFetcherService(
        config or NewsConfig(),
        sources=sources,
        articles=articles,
        bus=bus,
        clock=clock,
        metrics=metrics,
        stopwatch=iter(range(1_000_000)).__next__,  # every fetch "takes" one second
    )


def published_titles(bus: OutageBus) -> list[str]:
    return [m.article.title for m in bus.published if isinstance(m, ArticleFetched)]


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 -- waits on work done in other tasks and threads
            await asyncio.sleep(0.002)


@contextlib.asynccontextmanager
async def running(service: NewsFetcherService) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(service.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_news_fetcher_when_a_source_returns_new_articles_stores_then_publishes_each_once(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND]])
    service = fetcher([source], store=store, bus=bus, clock=clock, metrics=metrics)

    report = await service.poll(source)

    assert (report.fetched, report.new, report.published, report.error) == (2, 2, 2, None)
    assert published_titles(bus) == [FIRST.title, SECOND.title]
    assert [m.event_id for m in bus.published] == [
        fetched_event_id(FIRST.article_id),
        fetched_event_id(SECOND.article_id),
    ]
    assert await store.articles.filter_unseen([FIRST.article_id, SECOND.article_id]) == []
    assert await store.articles.undispatched() == []
    assert metrics.count("articles_fetched", source="wire") == 2
    assert metrics.values("fetch_latency", source="wire") == [1.0]


async def test_news_fetcher_when_an_article_is_already_stored_drops_it(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    await store.articles.add_raw(FIRST)
    await store.articles.mark_dispatched([FIRST.article_id], at=NEWS_T0)
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND]])
    service = fetcher([source], store=store, bus=bus, clock=clock, metrics=metrics)

    report = await service.poll(source)

    assert report.new == 1
    assert published_titles(bus) == [SECOND.title]
    assert metrics.count("articles_duplicate", source="wire") == 1


async def test_news_fetcher_when_one_poll_repeats_an_article_publishes_it_once(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    source = ScriptedNewsSource("wire", script=[[FIRST, FIRST, SECOND]])
    service = fetcher([source], store=store, bus=bus, clock=clock, metrics=metrics)

    await service.poll(source)

    assert published_titles(bus) == [FIRST.title, SECOND.title]


async def test_news_fetcher_when_restarted_does_not_publish_an_article_twice(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    before = ScriptedNewsSource("wire", script=[[FIRST, SECOND]])
    await fetcher([before], store=store, bus=bus, clock=clock, metrics=metrics).poll(before)
    # A new process: the source forgot what it returned and returns it all again.
    after = ScriptedNewsSource("wire", script=[[FIRST, SECOND, THIRD]])
    restarted = fetcher([after], store=store, bus=bus, clock=clock, metrics=RecordingMetrics())

    async with running(restarted):
        await eventually(lambda: after.fetches == 1 and len(bus.published) == 3)
        await asyncio.sleep(0.05)

    assert published_titles(bus) == [FIRST.title, SECOND.title, THIRD.title]


async def test_news_fetcher_when_a_source_fails_counts_it_retries_next_round_and_others_go_on(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    broken = ScriptedNewsSource(
        "broken", poll_interval_seconds=60, script=[OSError("feed timed out"), [THIRD]]
    )
    healthy = ScriptedNewsSource("healthy", poll_interval_seconds=60, script=[[FIRST], [SECOND]])
    service = fetcher([broken, healthy], store=store, bus=bus, clock=clock, metrics=metrics)

    async with running(service):
        await eventually(lambda: broken.fetches == 1 and len(bus.published) == 1)
        await clock.advance(60)
        await eventually(lambda: len(bus.published) == 3)

    assert sorted(published_titles(bus)) == sorted([FIRST.title, SECOND.title, THIRD.title])
    assert metrics.count("fetch_errors", source="broken", error="OSError") == 1
    assert metrics.count("fetch_errors", source="healthy") == 0
    assert len(metrics.values("fetch_latency", source="broken")) == 2


async def test_news_fetcher_polls_each_source_on_its_own_interval_in_clock_time(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    fast = ScriptedNewsSource("fast", poll_interval_seconds=60, clock=clock)
    slow = ScriptedNewsSource("slow", poll_interval_seconds=150, clock=clock)
    service = fetcher([fast, slow], store=store, bus=bus, clock=clock, metrics=metrics)

    async with running(service):
        for elapsed in range(0, 310, 10):
            if elapsed:
                await clock.advance(10)
            expected = (elapsed // 60 + 1, elapsed // 150 + 1)
            await eventually(lambda: (fast.fetches, slow.fetches) == expected)  # noqa: B023 -- awaited at once

    def seconds(source: ScriptedNewsSource) -> list[float]:
        return [(t - NEWS_T0).total_seconds() for t in source.fetch_times if t is not None]

    assert seconds(fast) == [0, 60, 120, 180, 240, 300]
    assert seconds(slow) == [0, 150, 300]


async def test_news_fetcher_when_the_bus_is_down_keeps_the_articles_and_publishes_them_later(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND]])
    service = fetcher([source], store=store, bus=bus, clock=clock, metrics=metrics)
    bus.down = True

    during = await service.poll(source)
    bus.down = False
    published_later = await service.dispatch_pending()

    assert (during.new, during.published) == (2, 0)
    assert metrics.count("news_publish_errors") == 1
    assert published_later == 2
    assert published_titles(bus) == [FIRST.title, SECOND.title]
    assert await store.articles.undispatched() == []


async def test_news_fetcher_when_restarted_after_a_bus_outage_publishes_what_was_left_stored(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND]])
    bus.down = True
    await fetcher([source], store=store, bus=bus, clock=clock, metrics=metrics).poll(source)
    bus.down = False
    # The process dies here; the articles are stored, never published, and no source will
    # return them again.
    restarted = fetcher(
        [ScriptedNewsSource("wire")], store=store, bus=bus, clock=clock, metrics=metrics
    )

    async with running(restarted):
        await eventually(lambda: len(bus.published) == 2)

    assert published_titles(bus) == [FIRST.title, SECOND.title]


async def test_news_fetcher_when_bus_recovers_republishes_on_its_redispatch_schedule(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    source = ScriptedNewsSource("wire", poll_interval_seconds=3_600, script=[[FIRST]])
    service = fetcher(
        [source],
        store=store,
        bus=bus,
        clock=clock,
        metrics=metrics,
        config=NewsConfig(redispatch_interval_seconds=30),
    )
    bus.down = True

    async with running(service):
        await eventually(lambda: source.fetches == 1 and bus.refused >= 1)
        await asyncio.sleep(0.02)
        bus.down = False
        await clock.advance(30)
        await eventually(lambda: len(bus.published) == 1)

    assert published_titles(bus) == [FIRST.title]
    assert source.fetches == 1


async def test_news_fetcher_when_marking_fails_republishes_under_the_same_event_id_handled_once(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    articles = OutageArticles(store.articles)
    source = ScriptedNewsSource("wire", script=[[FIRST]])
    service = fetcher([source], store=articles, bus=bus, clock=clock, metrics=metrics)
    consumer = RecordingHandler()
    consuming = asyncio.create_task(bus.consume(Streams.NEWS_RAW, "downstream", consumer))

    articles.down = {"mark_dispatched"}
    await service.poll(source)
    articles.down = set()
    await service.dispatch_pending()
    assert isinstance(bus.inner, MemoryBus)
    await bus.inner.drain()
    consuming.cancel()

    assert len(bus.published) == 2
    assert bus.published[0].event_id == bus.published[1].event_id
    assert [m.event_id for m in consumer.handled] == [fetched_event_id(FIRST.article_id)]
    assert await store.articles.undispatched() == []


async def test_news_fetcher_when_storage_is_down_keeps_fetched_articles_and_stores_them_later(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    articles = OutageArticles(store.articles)
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND], []])
    service = fetcher([source], store=articles, bus=bus, clock=clock, metrics=metrics)

    articles.down = {"all"}
    during = await service.poll(source)
    waiting = service.backlog("wire")
    articles.down = set()
    after = await service.poll(source)

    assert (during.new, waiting) == (0, 2)
    assert metrics.count("news_storage_errors") >= 1
    assert (after.fetched, after.new, after.published) == (0, 2, 2)
    assert published_titles(bus) == [FIRST.title, SECOND.title]
    assert service.backlog("wire") == 0


async def test_news_fetcher_when_storage_refuses_an_article_drops_it_and_stores_the_rest(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    articles = OutageArticles(store.articles)
    articles.refused = {SECOND.article_id}
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND, THIRD]])
    service = fetcher([source], store=articles, bus=bus, clock=clock, metrics=metrics)

    report = await service.poll(source)

    assert report.new == 2
    assert published_titles(bus) == [FIRST.title, THIRD.title]
    assert metrics.count("articles_refused", source="wire") == 1
    assert service.backlog("wire") == 0


async def test_news_fetcher_when_the_backlog_overflows_drops_the_oldest_and_counts_them(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    articles = OutageArticles(store.articles)
    source = ScriptedNewsSource("wire", script=[[FIRST, SECOND, THIRD], []])
    service = fetcher(
        [source],
        store=articles,
        bus=bus,
        clock=clock,
        metrics=metrics,
        config=NewsConfig(max_backlog=2),
    )

    articles.down = {"all"}
    await service.poll(source)
    articles.down = set()
    await service.poll(source)

    assert published_titles(bus) == [SECOND.title, THIRD.title]
    assert metrics.count("articles_dropped", source="wire") == 1


async def test_news_fetcher_when_a_database_was_never_migrated_raises_for_the_operator(
    tmp_path: Path, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    empty = ArticleStore(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", clock)
    source = ScriptedNewsSource("wire", script=[[FIRST]])
    service = fetcher([source], store=empty, bus=bus, clock=clock, metrics=metrics)

    try:
        with pytest.raises(ConfigurationError, match="schema"):
            await service.poll(source)
    finally:
        await empty.dispose()


def test_news_fetcher_when_two_sources_share_a_name_refuses_to_start(
    store: ArticleStore, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    sources: list[NewsSource] = [ScriptedNewsSource("rss"), ScriptedNewsSource("rss")]

    with pytest.raises(ConfigurationError, match="distinct names"):
        fetcher(sources, store=store, bus=bus, clock=clock, metrics=metrics)
