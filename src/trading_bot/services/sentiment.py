"""The sentiment-analyzer service: scores each article of ``news:raw``, tags it with the tickers it
is about, stores it and publishes one ``ArticleScored`` per article on ``news:scored``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Final, Protocol

import structlog
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import ArticleFetched, ArticleScored, Message, Streams
from trading_bot.core.model import (
    RawArticle,
    ScoredArticle,
    SentimentScore,
    Ticker,
    TickerSentiment,
)
from trading_bot.core.ports import ArticleRepository, Clock, EventBus, Metrics, SentimentAnalyzer
from trading_bot.services.scoring_batcher import ScoringBatcher

log = structlog.stdlib.get_logger(__name__)

ARTICLES_SCORED: Final = "articles_scored"
"""Counter of articles scored, stored and published, labelled ``model``."""
ARTICLES_WITHOUT_TICKERS: Final = "articles_without_tickers"
"""Counter of scored articles no ticker was found for (stored and published all the same)."""
MESSAGES_REFUSED: Final = "sentiment_messages_refused"
"""Counter of ``news:raw`` messages that are not ``ArticleFetched`` (dead-lettered by the bus)."""
TICKER_ERRORS: Final = "ticker_extraction_errors"
"""Counter of articles the ticker extractor failed on (they keep the provider's tickers)."""

MAX_REASONING_CHARS: Final = 4_000
"""A model's reasoning is cut to what ``ScoredArticle`` stores."""

_EVENT_IDS: Final = uuid.UUID("8c2e4f0b-3a4d-4b8e-a1c7-6e9d2f5b7c31")
_TICKER: Final = TypeAdapter(Ticker)


def scored_event_id(article_id: str) -> uuid.UUID:
    """Return the ``event_id`` of an article's ``ArticleScored``: one per article, whichever
    instance scores it and however often it is redelivered, so consumers see it once."""
    return uuid.uuid5(_EVENT_IDS, f"ArticleScored:{article_id}")


class TickerExtraction(Protocol):
    """Finds the tickers a text is about (``adapters.sentiment.tickers.TickerExtractor``)."""

    def extract(self, title: str, body: str = "") -> list[str]:
        """Return the tickers ``title`` and ``body`` mention, most relevant first."""
        ...


class SentimentConfig(BaseModel):
    """Settings of the sentiment-analyzer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str = Field(
        default="sentiment-analyzer",
        min_length=1,
        max_length=200,
        description="consumer group on news:raw; instances in one group share the articles",
    )
    batch_size: int = Field(
        default=8,
        ge=1,
        le=256,
        description="most articles per analyzer call, and messages one instance handles at once",
    )
    batch_delay_seconds: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="longest an article waits for others to fill its batch; 0 takes what "
        "arrived together (a few ms help FinBERT batch a trickle; the lexicon needs none)",
    )
    max_tickers: int = Field(
        default=10, ge=0, le=100, description="most tickers an article is tagged with"
    )
    instance: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="consumer name of this instance (default: random, new at every start)",
    )


class SentimentAnalyzerService:
    """Consume ``news:raw``; score, tag, store and publish each article, once in effect.

    The instance runs ``batch_size`` consumers of the group, each handling one message at a
    time; a ``ScoringBatcher`` gathers the articles they hold into one analyzer call. A message
    is acknowledged only when its handler returns, after its article was stored (with its scores,
    ``add_scored``, idempotent) and its ``ArticleScored`` published; a failure leaves it pending
    for redelivery, and the bus dead-letters it after too many. Several instances in one group
    share the articles; the ``event_id`` of ``ArticleScored`` is derived from the article, so a
    redelivered article is published again under the same id and consumers drop the repeat.

    Tickers: the provider's, then those the model named, then those the extractor finds in the
    title and body; deduplicated, invalid symbols dropped, at most ``max_tickers``. Each gets the
    article's score and confidence. An article with no ticker is stored and published too.
    """

    name = "sentiment-analyzer"

    def __init__(
        self,
        config: SentimentConfig,
        *,
        analyzer: SentimentAnalyzer,
        tickers: TickerExtraction,
        articles: ArticleRepository,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
        stopwatch: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._config = config
        self._extractor = tickers
        self._articles = articles
        self._bus = bus
        self._clock = clock
        self._metrics = metrics
        self._instance = config.instance or f"sentiment-{uuid.uuid4().hex[:8]}"
        # Inference latency is measured on a monotonic timer: a simulated clock would say zero.
        self._batcher = ScoringBatcher(
            analyzer,
            max_size=config.batch_size,
            max_delay=config.batch_delay_seconds,
            metrics=metrics,
            stopwatch=stopwatch,
        )

    @property
    def instance(self) -> str:
        """Return this instance's name; its consumers are named ``<instance>-<n>``."""
        return self._instance

    async def run(self) -> None:
        """Consume ``news:raw`` in the configured group until cancelled or the bus closes."""
        try:
            async with asyncio.TaskGroup() as tasks:
                for index in range(self._config.batch_size):
                    tasks.create_task(
                        self._bus.consume(
                            Streams.NEWS_RAW,
                            self._config.group,
                            self.on_article_fetched,
                            consumer=f"{self._instance}-{index}",
                        ),
                        name=f"{self._instance}-{index}",
                    )
        finally:
            await self._batcher.aclose()

    async def on_article_fetched(self, message: Message) -> None:
        """Score, tag, store and publish the article of one ``news:raw`` message.

        Raise ``MalformedMessageError`` for any other message type (the bus keeps it in the
        dead letters), and whatever the analyzer, storage or bus raised (it is redelivered).
        """
        if not isinstance(message, ArticleFetched):
            self._metrics.increment(MESSAGES_REFUSED, type=type(message).__name__)
            raise MalformedMessageError(
                f"{Streams.NEWS_RAW} carries ArticleFetched, not {type(message).__name__}"
            )
        scored = self.tag(message.article, await self._batcher.score(message.article))
        await self._articles.add_scored(scored)
        await self._bus.publish(
            ArticleScored(
                event_id=scored_event_id(scored.article.article_id),
                occurred_at=self._clock.now(),
                scored=scored,
            )
        )
        self._metrics.increment(ARTICLES_SCORED, model=scored.model_used)
        if not scored.tickers:
            self._metrics.increment(ARTICLES_WITHOUT_TICKERS)

    def tag(self, article: RawArticle, score: SentimentScore) -> ScoredArticle:
        """Return ``article`` with ``score`` and a per-ticker score for each ticker it is about."""
        return ScoredArticle(
            article=article,
            score=score.score,
            confidence=score.confidence,
            model_used=score.model,
            tickers=tuple(
                TickerSentiment(ticker=ticker, score=score.score, confidence=score.confidence)
                for ticker in self.tickers_of(article, score)
            ),
            reasoning=score.reasoning[:MAX_REASONING_CHARS],
            scored_at=self._clock.now(),
        )

    def tickers_of(self, article: RawArticle, score: SentimentScore) -> tuple[str, ...]:
        """Return the tickers ``article`` is about: the provider's, the model's, the extracted."""
        found = [*article.provider_tickers, *score.tickers]
        try:
            found.extend(self._extractor.extract(article.title, article.content))
        except Exception as exc:  # a tagging fault must not lose the article; it keeps the rest
            self._metrics.increment(TICKER_ERRORS)
            log.warning("ticker_extraction_failed", article_id=article.article_id, error=repr(exc))
        valid = [symbol for symbol in dict.fromkeys(found) if _is_ticker(symbol)]
        return tuple(valid[: self._config.max_tickers])


def _is_ticker(symbol: str) -> bool:
    try:
        _TICKER.validate_python(symbol)
    except ValidationError:
        return False
    return True
