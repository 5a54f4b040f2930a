"""RSS and Atom feeds as a NewsSource: httpx fetches, feedparser parses the bytes we fetched."""

from __future__ import annotations

import random
from typing import Final
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trading_bot.adapters.news.dedupe import DEFAULT_REMEMBERED, SeenArticles
from trading_bot.adapters.news.entries import entry_to_article
from trading_bot.adapters.news.feeds import FeedPoller, PollSettings
from trading_bot.adapters.news.http import DEFAULT_USER_AGENT, Backoff, build_client
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import Clock, Metrics

YAHOO_FINANCE: Final = "https://finance.yahoo.com/news/rssindex"
# Reuters announced the retirement of its public RSS feeds; this one may answer 404 or nothing.
# It stays because the product plan lists it: a dead feed only backs off, the others go on.
REUTERS_BUSINESS: Final = "https://feeds.reuters.com/reuters/businessNews"
MARKETWATCH_TOP: Final = "https://feeds.marketwatch.com/marketwatch/topstories/"
# SEC refuses clients without a contact in the User-Agent; EdgarSource (edgar.py) declares one,
# keeps to SEC's rate limit and reads the company and CIK from each entry.
SEC_EDGAR_CURRENT_8K: Final = (
    "https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent&type=8-K&company=&dateb="
    "&owner=include&count=40&output=atom"
)
DEFAULT_FEEDS: Final = (YAHOO_FINANCE, REUTERS_BUSINESS, MARKETWATCH_TOP, SEC_EDGAR_CURRENT_8K)


class RssConfig(BaseModel):
    """Settings of the RSS/Atom source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feeds: tuple[str, ...] = Field(
        default=DEFAULT_FEEDS,
        description="Feed URLs, polled concurrently. Default: Yahoo Finance, Reuters business, "
        "MarketWatch top stories, SEC EDGAR current 8-K filings.",
    )
    poll_interval_seconds: float = Field(default=60.0, gt=0, description="Seconds between polls.")
    timeout_seconds: float = Field(
        default=10.0, gt=0, description="Longest one whole feed request may take (default 10 s)."
    )
    max_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        description="Largest body read from one feed (default 10 MiB); larger ones are refused.",
    )
    user_agent: str = Field(
        default=DEFAULT_USER_AGENT, min_length=1, description="User-Agent sent to every feed."
    )
    backoff_base_seconds: float = Field(
        default=60.0, gt=0, description="Wait after a feed's first failure; doubles per failure."
    )
    backoff_max_seconds: float = Field(
        default=1_800.0, gt=0, description="Longest wait between attempts on a failing feed."
    )
    max_remembered: int = Field(
        default=DEFAULT_REMEMBERED, ge=1, description="Article ids remembered to skip repeats."
    )

    @field_validator("feeds")
    @classmethod
    def _http_urls(cls, feeds: tuple[str, ...]) -> tuple[str, ...]:
        for feed in feeds:
            if urlsplit(feed).scheme not in {"http", "https"} or not urlsplit(feed).netloc:
                raise ValueError(f"feed {feed!r} is not an http(s) URL")
        return feeds


class RssSource:
    """Articles from RSS 2.0 and Atom feeds (implements ``core.ports.NewsSource``).

    Each poll fetches every feed that is not backing off, concurrently, with conditional GET.
    Articles carry ``source`` ``rss:<feed host>``, ``available_at`` the fetch time, and are
    returned once per source instance. A failing feed or entry is logged and counted here
    (``news_fetch_errors``, ``news_entries_skipped``), never raised. Call ``aclose`` when done.
    """

    name = "rss"

    def __init__(
        self,
        config: RssConfig,
        clock: Clock,
        *,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self.poll_interval_seconds = config.poll_interval_seconds
        self._client = build_client(
            user_agent=config.user_agent, timeout_seconds=config.timeout_seconds
        )
        self._poller = FeedPoller(
            source=self.name,
            client=self._client,
            clock=clock,
            settings=PollSettings(
                max_bytes=config.max_bytes,
                timeout_seconds=config.timeout_seconds,
                backoff=Backoff(config.backoff_base_seconds, config.backoff_max_seconds),
            ),
            metrics=metrics,
            rng=rng,
        )
        self._seen = SeenArticles(config.max_remembered)
        self._metrics = metrics

    @property
    def poller(self) -> FeedPoller:
        """Return the poller, whose per-feed state tells which feeds are backing off."""
        return self._poller

    async def fetch(self) -> list[RawArticle]:
        """Return new articles from every due feed; failing feeds are logged and skipped."""
        articles: list[RawArticle] = []
        for feed in await self._poller.poll_all(self._config.feeds):
            source = f"rss:{urlsplit(feed.url).hostname or feed.url}"
            for entry in feed.entries:
                article = entry_to_article(
                    entry, source=source, fetched_at=feed.fetched_at, metrics=self._metrics
                )
                if article is not None:
                    articles.append(article)
        articles.sort(key=lambda article: article.published_at)
        return self._seen.filter_new(articles)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()
