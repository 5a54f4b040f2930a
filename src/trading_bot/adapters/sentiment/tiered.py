"""Two-tier sentiment: a fast analyzer answers, an LLM is asked about what it is unsure of.

The first tier (FinBERT or the lexicon) scores the whole batch; articles below the confidence
threshold go to the second tier (Ollama), and the more confident answer is kept. When the second
tier fails, the first answer stands and the failure is counted, so scoring never stops.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from trading_bot.core.errors import ConfigurationError, TemporaryError
from trading_bot.core.model import RawArticle, SentimentScore
from trading_bot.core.ports import Metrics, SentimentAnalyzer

log = structlog.stdlib.get_logger(__name__)

ANSWERS = "sentiment_answers"
"""Counter of scores returned, labelled ``tier`` ("primary" or "fallback") and ``model``."""
FALLBACK_FAILURES = "sentiment_fallback_failures"
"""Counter of second-tier attempts that failed, labelled ``error`` (exception class name)."""


@dataclass(frozen=True, slots=True)
class TieredConfig:
    """Settings of :class:`TieredAnalyzer`.

    - ``confidence_threshold``: first-tier answers below this are checked by the second tier
      (default 0.6).
    - ``fallback_concurrency``: second-tier requests in flight at once (default 2).
    """

    confidence_threshold: float = 0.6
    fallback_concurrency: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence_threshold <= 1.0:
            raise ConfigurationError(
                f"confidence_threshold must be in [0, 1], got {self.confidence_threshold}"
            )
        if self.fallback_concurrency < 1:
            raise ConfigurationError(
                f"fallback_concurrency must be >= 1, got {self.fallback_concurrency}"
            )


class TieredAnalyzer:
    """Combine a primary analyzer with a fallback consulted only for unconfident answers.

    Each returned score's ``model`` says which tier answered. Once the fallback reports itself
    unavailable (a TemporaryError), the rest of that batch is not sent to it, so a dead Ollama
    costs one timeout per batch, not one per article.
    """

    name = "tiered"

    def __init__(
        self,
        primary: SentimentAnalyzer,
        fallback: SentimentAnalyzer,
        config: TieredConfig | None = None,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._config = config or TieredConfig()
        self._metrics = metrics
        self._answers: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()

    @property
    def tier_counts(self) -> Mapping[str, int]:
        """Return how many answers each tier gave so far: {"primary": n, "fallback": m}."""
        return {"primary": self._answers["primary"], "fallback": self._answers["fallback"]}

    @property
    def fallback_failures(self) -> int:
        """Return how many second-tier attempts failed or were skipped so far."""
        return sum(self._failures.values())

    async def analyze(self, articles: Sequence[RawArticle]) -> list[SentimentScore]:
        """Score the batch with the primary, re-ask the fallback where it was unsure."""
        first = await self._primary.analyze(articles)
        if len(first) != len(articles):
            raise RuntimeError(
                f"{self._primary.name} returned {len(first)} scores for {len(articles)} articles"
            )
        threshold = self._config.confidence_threshold
        unsure = [i for i, score in enumerate(first) if score.confidence < threshold]
        slots = asyncio.Semaphore(self._config.fallback_concurrency)
        down = asyncio.Event()
        second = await asyncio.gather(
            *(self._ask_fallback(articles[i], slots, down) for i in unsure)
        )
        results = list(first)
        for i, answer in zip(unsure, second, strict=True):
            if answer is not None and answer.confidence > first[i].confidence:
                results[i] = answer
        for i, score in enumerate(results):
            tier = "primary" if score is first[i] else "fallback"
            self._answers[tier] += 1
            if self._metrics is not None:
                self._metrics.increment(ANSWERS, tier=tier, model=score.model)
        return results

    async def _ask_fallback(
        self, article: RawArticle, slots: asyncio.Semaphore, down: asyncio.Event
    ) -> SentimentScore | None:
        async with slots:
            if down.is_set():
                self._fail("skipped", article)
                return None
            try:
                (answer,) = await self._fallback.analyze([article])
            except TemporaryError as exc:
                down.set()
                self._fail(type(exc).__name__, article, exc)
                return None
            except Exception as exc:  # whatever breaks in the second tier, the first answer stands
                self._fail(type(exc).__name__, article, exc)
                return None
            return answer

    def _fail(self, error: str, article: RawArticle, exc: Exception | None = None) -> None:
        self._failures[error] += 1
        if self._metrics is not None:
            self._metrics.increment(FALLBACK_FAILURES, error=error)
        if exc is not None:
            log.warning(
                "sentiment fallback failed; first answer stands",
                analyzer=self._fallback.name,
                article_id=article.article_id,
                error=str(exc),
            )
