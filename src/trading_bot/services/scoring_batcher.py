"""Gather articles handled concurrently into batches for one analyzer call each.

Used by the sentiment-analyzer: each bus message is handled (and acknowledged) on its own, while
the analyzer, which is much faster per article in a batch, sees many articles at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, runtime_checkable

import structlog

from trading_bot.core.errors import TemporaryError
from trading_bot.core.model import RawArticle, SentimentScore
from trading_bot.core.ports import Metrics, SentimentAnalyzer

log = structlog.stdlib.get_logger(__name__)

INFERENCE_LATENCY: Final = "inference_latency"
"""Histogram of seconds one analyzer call took, labelled ``analyzer``."""
INFERENCE_BATCH_SIZE: Final = "inference_batch_size"
"""Histogram of articles per analyzer call, labelled ``analyzer``."""
INFERENCE_ERRORS: Final = "inference_errors"
"""Counter of analyzer calls that raised, labelled ``analyzer`` and ``error``."""
TIER_RATIO: Final = "finbert_vs_ollama_ratio"
"""Histogram, one observation per batch of a tiered analyzer: the fraction of the batch the
first tier (FinBERT) answered; the second tier (Ollama) answered the rest."""


_GATHER_TURNS: Final = 3
"""Event-loop turns the worker yields before taking a batch, delay or not."""


@runtime_checkable
class CountsTiers(Protocol):
    """An analyzer that reports how many answers each of its tiers gave (the tiered analyzer)."""

    @property
    def tier_counts(self) -> Mapping[str, int]:
        """Return the answers given so far by tier: ``{"primary": n, "fallback": m}``."""
        ...


@dataclass(slots=True)
class _Request:
    article: RawArticle
    arrived: float
    answer: asyncio.Future[SentimentScore] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ScoringBatcher:
    """Score articles in batches of up to ``max_size``, waiting at most ``max_delay`` seconds.

    ``score`` queues one article and waits for its score. A worker (started on demand, gone when
    the queue is empty) first yields a few event-loop turns, so that handlers woken by the same
    delivery join the batch, then waits until the batch is full or its oldest article has waited
    ``max_delay`` seconds, and calls the analyzer; articles that arrive while the analyzer is busy
    form the next batch, so batches grow with the load at no cost to an idle pipeline. The delay
    is event-loop time, not the injected clock: it trades latency for throughput and must not
    stall on a simulated clock.

    A batch that fails is retried article by article, so one poison article fails only its
    own request; a ``TemporaryError`` (the model is unreachable) fails the whole batch at once.
    """

    def __init__(
        self,
        analyzer: SentimentAnalyzer,
        *,
        max_size: int,
        max_delay: float,
        metrics: Metrics,
        stopwatch: Callable[[], float] = time.perf_counter,
    ) -> None:
        if max_size < 1 or max_delay < 0:
            raise ValueError("max_size must be at least 1 and max_delay not negative")
        self._analyzer = analyzer
        self._max_size = max_size
        self._max_delay = max_delay
        self._metrics = metrics
        self._stopwatch = stopwatch
        self._queue: deque[_Request] = deque()
        self._full = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    async def score(self, article: RawArticle) -> SentimentScore:
        """Return ``article``'s score from the next batch; raise what the analyzer raised."""
        loop = asyncio.get_running_loop()
        request = _Request(article, loop.time())
        self._queue.append(request)
        if len(self._queue) >= self._max_size:
            self._full.set()
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._work(), name="sentiment-batcher")
        try:
            return await request.answer
        except asyncio.CancelledError:
            if request in self._queue:
                self._queue.remove(request)
            raise

    async def aclose(self) -> None:
        """Stop the worker; queued requests are cancelled (their messages stay unacknowledged)."""
        worker, self._worker = self._worker, None
        if worker is not None and not worker.done():
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        while self._queue:
            self._queue.popleft().answer.cancel()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            for _ in range(_GATHER_TURNS):
                if len(self._queue) >= self._max_size:
                    break
                # Handlers woken by the same delivery reach the queue within a few turns.
                await asyncio.sleep(0)
            wait = self._queue[0].arrived + self._max_delay - loop.time() if self._queue else 0
            if len(self._queue) < self._max_size and wait > 0:
                self._full.clear()
                try:
                    async with asyncio.timeout(wait):
                        await self._full.wait()
                except TimeoutError:
                    pass
            batch = [self._queue.popleft() for _ in range(min(self._max_size, len(self._queue)))]
            if len(self._queue) < self._max_size:
                self._full.clear()
            live = [request for request in batch if not request.answer.done()]
            try:
                await self._answer(live)
            except asyncio.CancelledError:
                for request in live:
                    request.answer.cancel()
                raise
            except Exception as exc:  # a fault here must not leave handlers waiting forever
                for request in live:
                    _settle(request, exc)

    async def _answer(self, batch: list[_Request]) -> None:
        if not batch:
            return
        outcome = await self._attempt([request.article for request in batch])
        if isinstance(outcome, list):
            for request, score in zip(batch, outcome, strict=True):
                _settle(request, score)
            return
        if isinstance(outcome, TemporaryError) or len(batch) == 1:
            for request in batch:
                _settle(request, outcome)
            return
        # Isolate the article that broke the batch: score one at a time, each failing alone.
        for request in batch:
            single = await self._attempt([request.article])
            _settle(request, single[0] if isinstance(single, list) else single)

    async def _attempt(self, articles: Sequence[RawArticle]) -> list[SentimentScore] | Exception:
        """Return the analyzer's scores for ``articles``, or the error it raised (reported)."""
        name = self._analyzer.name
        before = _tiers(self._analyzer)
        started = self._stopwatch()
        try:
            scores = await self._analyzer.analyze(articles)
            if len(scores) != len(articles):
                raise RuntimeError(
                    f"analyzer {name} returned {len(scores)} scores for {len(articles)} articles"
                )
        except Exception as exc:  # reported here, handed to the waiting handlers to raise
            self._metrics.increment(INFERENCE_ERRORS, analyzer=name, error=type(exc).__name__)
            log.warning(
                "sentiment_analyzer_failed",
                analyzer=name,
                articles=len(articles),
                error=f"{type(exc).__name__}: {exc}",
            )
            return exc
        finally:
            self._metrics.observe(INFERENCE_LATENCY, self._stopwatch() - started, analyzer=name)
        self._metrics.observe(INFERENCE_BATCH_SIZE, len(articles), analyzer=name)
        after = _tiers(self._analyzer)
        if before is not None and after is not None:
            primary = after.get("primary", 0) - before.get("primary", 0)
            fallback = after.get("fallback", 0) - before.get("fallback", 0)
            if primary + fallback > 0:
                self._metrics.observe(TIER_RATIO, primary / (primary + fallback), analyzer=name)
        return scores


def _tiers(analyzer: SentimentAnalyzer) -> dict[str, int] | None:
    return dict(analyzer.tier_counts) if isinstance(analyzer, CountsTiers) else None


def _settle(request: _Request, outcome: SentimentScore | BaseException) -> None:
    if request.answer.done():
        return  # its handler was cancelled meanwhile
    if isinstance(outcome, BaseException):
        request.answer.set_exception(outcome)
    else:
        request.answer.set_result(outcome)
