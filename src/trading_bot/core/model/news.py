"""News articles as fetched and as scored."""

from __future__ import annotations

import hashlib
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, model_validator

from trading_bot.core.model._types import Frozen, Score, Ticker, Unit, UtcDatetime

MAX_CONTENT_CHARS = 100_000
"""Article bodies are truncated to this many characters before they enter the system."""


def normalise_url(url: str) -> str:
    """Return ``url`` lower-cased in scheme and host, without fragment or trailing slash."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def content_hash(url: str, title: str) -> str:
    """Return the deduplication key of an article: SHA-256 of its normalised URL and title."""
    key = f"{normalise_url(url)}\n{' '.join(title.split()).casefold()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class RawArticle(Frozen):
    """An article as a news source delivered it, before any analysis.

    ``available_at`` is when the system could first have read it (fetch time, or published time
    plus a latency in replays); strategies never see an article before that instant.
    """

    article_id: str = Field(min_length=64, max_length=64, description="content_hash(url, title)")
    source: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2_000)
    title: str = Field(min_length=1, max_length=1_000)
    content: str = Field(default="", max_length=MAX_CONTENT_CHARS)
    published_at: UtcDatetime
    available_at: UtcDatetime
    provider_tickers: tuple[Ticker, ...] = ()

    @classmethod
    def create(
        cls,
        *,
        source: str,
        url: str,
        title: str,
        content: str,
        published_at: UtcDatetime,
        available_at: UtcDatetime,
        provider_tickers: tuple[str, ...] = (),
    ) -> RawArticle:
        """Build an article, deriving its id and truncating an oversized body."""
        return cls(
            article_id=content_hash(url, title),
            source=source,
            url=url,
            title=title,
            content=content[:MAX_CONTENT_CHARS],
            published_at=published_at,
            available_at=available_at,
            provider_tickers=provider_tickers,
        )


class TickerSentiment(Frozen):
    """The sentiment an article carries about one ticker."""

    ticker: Ticker
    score: Score
    confidence: Unit


class ScoredArticle(Frozen):
    """An article with the tickers it is about and the sentiment a model gave it."""

    article: RawArticle
    score: Score
    confidence: Unit
    model_used: str = Field(min_length=1, max_length=100)
    tickers: tuple[TickerSentiment, ...] = ()
    reasoning: str = Field(default="", max_length=4_000)
    scored_at: UtcDatetime

    @model_validator(mode="after")
    def _unique_tickers(self) -> Self:
        names = [t.ticker for t in self.tickers]
        if len(names) != len(set(names)):
            raise ValueError("tickers must not repeat")
        return self
