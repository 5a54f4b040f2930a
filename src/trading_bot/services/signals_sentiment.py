"""What the news has said about each ticker lately: the sentiment context strategies read.

Each scored mention becomes a ``SentimentObservation`` stamped with the article's
``available_at``; observations older than the window are dropped. Strategies themselves ignore
observations not yet available at the clock's time, so a replay cannot look ahead.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from trading_bot.core.model import ScoredArticle, SentimentContext, SentimentObservation


@dataclass(slots=True)
class _TickerNews:
    observations: list[SentimentObservation] = field(default_factory=list)
    article_ids: set[str] = field(default_factory=set)
    context: SentimentContext | None = None


class SentimentBook:
    """Per-ticker sentiment observations within a time window, newest last.

    ``context`` returns the same ``SentimentContext`` object until the observations change, so
    strategies that remember the last context they screened stay O(1) on quiet bars.
    """

    def __init__(self, window: timedelta, max_observations: int) -> None:
        if window <= timedelta(0):
            raise ValueError(f"the sentiment window must be positive, got {window}")
        if max_observations < 1:
            raise ValueError(f"keep at least one observation per ticker, got {max_observations}")
        self._window = window
        self._max = max_observations
        self._news: dict[str, _TickerNews] = {}

    def add(self, scored: ScoredArticle, tickers: Collection[str], now: datetime) -> list[str]:
        """Record the article's score for each of its tickers in ``tickers``; return those that
        gained an observation (an article seen before adds nothing)."""
        article = scored.article
        if article.available_at < now - self._window:
            return []
        changed = []
        for mention in scored.tickers:
            if mention.ticker not in tickers:
                continue
            news = self._news.setdefault(mention.ticker, _TickerNews())
            if article.article_id in news.article_ids:
                continue
            observation = SentimentObservation(
                article_id=article.article_id,
                score=mention.score,
                confidence=mention.confidence,
                available_at=article.available_at,
            )
            times = [o.available_at for o in news.observations]
            news.observations.insert(bisect.bisect_right(times, article.available_at), observation)
            news.article_ids.add(article.article_id)
            if len(news.observations) > self._max:
                dropped = news.observations.pop(0)
                news.article_ids.discard(dropped.article_id)
            news.context = None
            changed.append(mention.ticker)
        return changed

    def context(self, ticker: str, now: datetime) -> SentimentContext | None:
        """Return the ticker's observations still inside the window at ``now``, or None."""
        news = self._news.get(ticker)
        if news is None:
            return None
        earliest = now - self._window
        stale = bisect.bisect_left([o.available_at for o in news.observations], earliest)
        if stale:
            for dropped in news.observations[:stale]:
                news.article_ids.discard(dropped.article_id)
            del news.observations[:stale]
            news.context = None
        if not news.observations:
            return None
        if news.context is None:
            news.context = SentimentContext(ticker=ticker, observations=tuple(news.observations))
        return news.context


@dataclass(frozen=True, slots=True)
class NewsSummary:
    """The news a signal is based on: a confidence-weighted score and the newest article ids."""

    score: float | None
    article_ids: tuple[str, ...]


NO_NEWS: Final = NewsSummary(None, ())
"""The summary of a ticker with no news (most bars of most tickers)."""


def summarise(context: SentimentContext | None, now: datetime, max_articles: int) -> NewsSummary:
    """Return the confidence-weighted mean score of the observations available at ``now`` and
    the ids of the newest ``max_articles`` of them."""
    if context is None:
        return NO_NEWS
    available = [o for o in context.observations if o.available_at <= now]
    weight = math.fsum(o.confidence for o in available)
    score = math.fsum(o.score * o.confidence for o in available) / weight if weight > 0 else None
    newest = tuple(o.article_id for o in reversed(available[-max_articles:]))
    return NewsSummary(None if score is None else max(-1.0, min(1.0, score)), newest)
