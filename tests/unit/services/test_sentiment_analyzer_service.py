"""SentimentAnalyzerService: score, tag, store and publish each article of news:raw once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.sentiment.tickers import TickerExtractor
from trading_bot.adapters.sentiment.tiered import TieredAnalyzer, TieredConfig
from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import ArticleFetched, ArticleScored, Streams
from trading_bot.core.model import RawArticle, SentimentScore
from trading_bot.core.ports import SentimentAnalyzer
from trading_bot.services.news import fetched_event_id
from trading_bot.services.sentiment import (
    SentimentAnalyzerService,
    SentimentConfig,
    TickerExtraction,
    scored_event_id,
)
from trading_bot.testing.bus import (
    RecordingHandler,
    heartbeat,
    quick_memory_config,
    wait_for_dead_letters,
)
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.news_pipeline import (
    NEWS_T0,
    ArticleStore,
    OutageArticles,
    OutageBus,
    ScriptedAnalyzer,
    copy_sqlite,
    migrated_sqlite_template,
    news_article,
)

BEATS = news_article("Apple beats estimates as iPhone sales climb", tickers=("AAPL",))
MISSES = news_article("Tesla misses estimates on weak deliveries")
MACRO = news_article("Treasury yields little changed ahead of jobs report")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(migrated_sqlite_template(tmp_path_factory.mktemp("sentiment")))


@pytest.fixture(scope="module")
def extractor() -> TickerExtractor:
    return TickerExtractor()


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


class Build(Protocol):
    def __call__(
        self,
        analyzer: SentimentAnalyzer | None = None,
        *,
        config: SentimentConfig | None = None,
        articles: OutageArticles | None = None,
        tickers: TickerExtraction | None = None,
    ) -> SentimentAnalyzerService: ...


@pytest.fixture
def build(
    extractor: TickerExtractor,
    store: ArticleStore,
    bus: OutageBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
) -> Build:
    """Return a builder of services on this test's store, bus, clock and metrics."""

    def make(
        analyzer: SentimentAnalyzer | None = None,
        *,
        config: SentimentConfig | None = None,
        articles: OutageArticles | None = None,
        tickers: TickerExtraction | None = None,
    ) -> SentimentAnalyzerService:
        return SentimentAnalyzerService(
            config or SentimentConfig(),
            analyzer=analyzer or ScriptedAnalyzer(),
            tickers=tickers or extractor,
            articles=articles or store.articles,
            bus=bus,
            clock=clock,
            metrics=metrics,
            stopwatch=iter(range(1_000_000)).__next__,  # every analyzer call "takes" one second
        )

    return make


def fetched(article: RawArticle) -> ArticleFetched:
    return ArticleFetched(
        event_id=fetched_event_id(article.article_id), occurred_at=NEWS_T0, article=article
    )


def scored_messages(bus: OutageBus) -> list[ArticleScored]:
    return [m for m in bus.published if isinstance(m, ArticleScored)]


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 -- waits on work done in other tasks and threads
            await asyncio.sleep(0.002)


@contextlib.asynccontextmanager
async def running(service: SentimentAnalyzerService) -> AsyncIterator[None]:
    task = asyncio.create_task(service.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_sentiment_analyzer_when_an_article_arrives_stores_and_publishes_it_scored(
    build: Build, store: ArticleStore, bus: OutageBus, metrics: RecordingMetrics
) -> None:
    service = build(ScriptedAnalyzer("keywords"))

    await service.on_article_fetched(fetched(BEATS))

    (message,) = scored_messages(bus)
    assert message.event_id == scored_event_id(BEATS.article_id)
    assert message.scored.article == BEATS
    assert (message.scored.score, message.scored.model_used) == (0.8, "keywords")
    assert [(t.ticker, t.score, t.confidence) for t in message.scored.tickers] == [
        ("AAPL", 0.8, 0.9)
    ]
    page = await store.articles.query(ticker="AAPL")
    assert page.items == [message.scored]
    assert metrics.count("articles_scored", model="keywords") == 1
    assert metrics.values("inference_latency", analyzer="keywords") == [1.0]


async def test_sentiment_analyzer_merges_provider_model_and_extracted_tickers_without_repeats(
    build: Build, bus: OutageBus
) -> None:
    article = news_article(
        "Apple and Microsoft rally as $NVDA beats estimates",
        content="Shares of Tesla also rose.",
        tickers=("MSFT",),
    )

    def named(article: RawArticle) -> SentimentScore:
        return SentimentScore(
            score=0.6, confidence=0.7, model="llm", tickers=("AMZN", "MSFT", "NVDA")
        )

    service = build(ScriptedAnalyzer("llm", score=named))

    await service.on_article_fetched(fetched(article))

    (message,) = scored_messages(bus)
    assert [t.ticker for t in message.scored.tickers] == ["MSFT", "AMZN", "NVDA", "AAPL", "TSLA"]
    assert {(t.score, t.confidence) for t in message.scored.tickers} == {(0.6, 0.7)}


async def test_sentiment_analyzer_keeps_at_most_max_tickers_most_relevant_first(
    build: Build,
) -> None:
    article = news_article("$AAPL $MSFT $NVDA $TSLA $AMZN all beat estimates")
    service = build(config=SentimentConfig(max_tickers=2))

    scored = service.tag(article, SentimentScore(score=0.5, confidence=0.5, model="m"))

    assert [t.ticker for t in scored.tickers] == ["AAPL", "MSFT"]


async def test_sentiment_analyzer_when_no_ticker_is_found_stores_and_publishes_it_untagged(
    build: Build, store: ArticleStore, bus: OutageBus, metrics: RecordingMetrics
) -> None:
    service = build()

    await service.on_article_fetched(fetched(MACRO))

    (message,) = scored_messages(bus)
    assert message.scored.tickers == ()
    assert (await store.articles.query()).items == [message.scored]
    assert metrics.count("articles_without_tickers") == 1


async def test_sentiment_analyzer_when_the_model_names_an_invalid_symbol_drops_only_that_one(
    build: Build,
) -> None:
    class SloppyExtractor:
        def extract(self, title: str, body: str = "") -> list[str]:
            return ["aapl", "TOO-LONG-SYMBOL", "MSFT"]

    service = build(tickers=SloppyExtractor())

    scored = service.tag(MACRO, SentimentScore(score=0.0, confidence=0.2, model="m"))

    assert [t.ticker for t in scored.tickers] == ["MSFT"]


async def test_sentiment_analyzer_when_the_extractor_fails_keeps_the_provider_tickers(
    build: Build, bus: OutageBus, metrics: RecordingMetrics
) -> None:
    class BrokenExtractor:
        def extract(self, title: str, body: str = "") -> list[str]:
            raise RecursionError("pathological text")

    service = build(tickers=BrokenExtractor())

    await service.on_article_fetched(fetched(BEATS))

    (message,) = scored_messages(bus)
    assert [t.ticker for t in message.scored.tickers] == ["AAPL"]
    assert metrics.count("ticker_extraction_errors") == 1


async def test_sentiment_analyzer_when_a_message_is_not_an_article_refuses_it_for_the_dead_letters(
    build: Build, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    analyzer = ScriptedAnalyzer()
    service = build(analyzer, config=SentimentConfig(batch_size=1, batch_delay_seconds=0))
    await bus.publish_many([fetched(BEATS)], stream=Streams.NEWS_RAW)
    await bus.publish(heartbeat("stray"), stream=Streams.NEWS_RAW)
    await bus.publish(fetched(MISSES))

    async with running(service):
        await eventually(lambda: len(scored_messages(bus)) == 2)
        for _ in range(3):  # quick_memory_config: three deliveries, 150 ms apart
            await clock.advance(0.2)
            await asyncio.sleep(0.01)
        (letter,) = await wait_for_dead_letters(bus, Streams.NEWS_RAW, 1)

    with pytest.raises(MalformedMessageError, match="HeartbeatSent"):
        await service.on_article_fetched(heartbeat("stray"))
    assert "MalformedMessageError" in letter.error
    assert b"HeartbeatSent" in letter.payload
    assert [m.scored.article.title for m in scored_messages(bus)] == [BEATS.title, MISSES.title]
    assert metrics.count("sentiment_messages_refused", type="HeartbeatSent") >= 1


async def test_sentiment_analyzer_when_an_article_is_redelivered_stores_once_and_reuses_the_id(
    build: Build, store: ArticleStore, bus: OutageBus
) -> None:
    service = build()
    downstream = RecordingHandler()
    consuming = asyncio.create_task(bus.consume(Streams.NEWS_SCORED, "signals", downstream))

    await service.on_article_fetched(fetched(BEATS))
    await service.on_article_fetched(fetched(BEATS))
    assert isinstance(bus.inner, MemoryBus)
    await bus.inner.drain()
    consuming.cancel()

    first, again = scored_messages(bus)
    assert first.event_id == again.event_id
    assert downstream.event_ids == [scored_event_id(BEATS.article_id)]
    assert (await store.articles.query()).total == 1


async def test_sentiment_analyzer_when_storage_is_down_publishes_nothing_and_retries_later(
    build: Build, store: ArticleStore, bus: OutageBus, clock: SimulatedClock
) -> None:
    articles = OutageArticles(store.articles)
    articles.down = {"add_scored"}
    service = build(articles=articles)
    await bus.publish(fetched(BEATS))

    async with running(service):
        await eventually(lambda: articles.failures >= 1)
        published_while_down = len(scored_messages(bus))
        articles.down = set()
        await clock.advance(0.2)
        await eventually(lambda: len(scored_messages(bus)) == 1)

    assert published_while_down == 0
    assert (await store.articles.query()).total == 1


async def test_sentiment_analyzer_when_publishing_fails_redelivery_publishes_it_once_stored(
    build: Build,
    store: ArticleStore,
    bus: OutageBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
) -> None:
    service = build()
    await bus.publish(fetched(BEATS))
    bus.down = True

    async with running(service):
        await eventually(lambda: bus.refused == 1)
        bus.down = False
        await clock.advance(0.2)
        await eventually(lambda: len(scored_messages(bus)) == 1)

    assert (await store.articles.query()).total == 1
    assert metrics.count("articles_scored") == 1


async def test_sentiment_analyzer_when_the_model_is_down_scores_everything_once_it_is_back(
    build: Build, bus: OutageBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    analyzer = ScriptedAnalyzer()
    analyzer.down = True
    service = build(analyzer)
    await bus.publish_many([fetched(BEATS), fetched(MISSES), fetched(MACRO)])

    async with running(service):
        await eventually(lambda: len(analyzer.scored_titles) >= 3)
        analyzer.down = False
        await clock.advance(0.2)
        await eventually(lambda: len(scored_messages(bus)) == 3)

    assert metrics.count("inference_errors", error="TemporaryError") >= 1
    assert {m.scored.article.title for m in scored_messages(bus)} == {
        BEATS.title,
        MISSES.title,
        MACRO.title,
    }


async def test_sentiment_analyzer_with_a_tiered_analyzer_reports_the_share_the_first_tier_answered(
    build: Build, bus: OutageBus, metrics: RecordingMetrics
) -> None:
    def unsure_about_misses(article: RawArticle) -> SentimentScore:
        confidence = 0.3 if "misses" in article.title else 0.9
        return SentimentScore(score=0.1, confidence=confidence, model="finbert")

    def confident(article: RawArticle) -> SentimentScore:
        return SentimentScore(score=-0.7, confidence=0.95, model="ollama", tickers=("TSLA",))

    tiered = TieredAnalyzer(
        ScriptedAnalyzer("finbert", score=unsure_about_misses),
        ScriptedAnalyzer("ollama", score=confident),
        TieredConfig(confidence_threshold=0.6),
    )
    service = build(tiered, config=SentimentConfig(batch_size=4, batch_delay_seconds=1.0))
    four = [BEATS, MISSES, MACRO, news_article("Amazon opens new offices")]
    await bus.publish_many([fetched(article) for article in four])

    async with running(service):
        await eventually(lambda: len(scored_messages(bus)) == 4)

    by_title = {m.scored.article.title: m.scored for m in scored_messages(bus)}
    assert by_title[MISSES.title].model_used == "ollama"
    assert by_title[MISSES.title].score == -0.7
    assert [t.ticker for t in by_title[MISSES.title].tickers] == ["TSLA"]
    assert by_title[BEATS.title].model_used == "finbert"
    assert metrics.values("finbert_vs_ollama_ratio") == [0.75]
    assert metrics.values("inference_batch_size") == [4]


async def test_sentiment_analyzer_consumers_get_distinct_names_under_the_instance_name(
    build: Build,
) -> None:
    named = build(config=SentimentConfig(instance="sentiment-a"))
    unnamed = [build().instance for _ in range(2)]

    assert named.instance == "sentiment-a"
    assert unnamed[0] != unnamed[1]
    assert all(name.startswith("sentiment-") for name in unnamed)
