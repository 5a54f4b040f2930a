"""Polling a set of RSS/Atom feeds concurrently, each with its own cache validators and backoff."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import feedparser
import httpx
import structlog

from trading_bot.adapters.news.entries import FeedEntry
from trading_bot.adapters.news.http import (
    Backoff,
    FeedState,
    FeedUnavailableError,
    MalformedFeedError,
    RateLimiter,
    get_feed,
)
from trading_bot.core.ports import Clock, Metrics

log = structlog.stdlib.get_logger(__name__)

FETCH_ERRORS_METRIC = "news_fetch_errors"
"""Counter of failed feed polls, labelled ``source`` and ``feed``."""


@dataclass(frozen=True, slots=True)
class PolledFeed:
    """The entries one feed delivered on this poll."""

    url: str
    entries: list[FeedEntry]
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class PollSettings:
    """How feeds are fetched: limits and the backoff after failures."""

    max_bytes: int
    timeout_seconds: float
    backoff: Backoff


class FeedPoller:
    """Fetch feeds concurrently; a failing feed is logged, counted and backed off, never fatal.

    A 304 yields no entries and is not a failure. A malformed body keeps whatever entries
    feedparser recovered; with none it counts as a failure. 429 waits at least Retry-After.
    """

    def __init__(
        self,
        *,
        source: str,
        client: httpx.AsyncClient,
        clock: Clock,
        settings: PollSettings,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._source = source
        self._client = client
        self._clock = clock
        self._settings = settings
        self._metrics = metrics
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)
        self._limiter = limiter
        self._states: dict[str, FeedState] = {}

    def state(self, url: str) -> FeedState:
        """Return what is remembered about ``url`` (validators, failures, next attempt)."""
        return self._states.setdefault(url, FeedState())

    async def poll_all(self, urls: Sequence[str]) -> list[PolledFeed]:
        """Poll every feed that is not backing off, concurrently; return those that delivered."""
        now = self._clock.now()
        due = [url for url in dict.fromkeys(urls) if self.state(url).is_due(now)]
        results = await asyncio.gather(*(self._poll(url) for url in due))
        return [result for result in results if result is not None]

    async def _poll(self, url: str) -> PolledFeed | None:
        state = self.state(url)
        try:
            if self._limiter is not None:
                await self._limiter.acquire()
            fetched_at = self._clock.now()
            body = await get_feed(
                self._client,
                url,
                state=state,
                max_bytes=self._settings.max_bytes,
                timeout_seconds=self._settings.timeout_seconds,
                now=fetched_at,
            )
            if body is None:
                state.record_success()
                return None
            # A 10 MB feed takes feedparser a good fraction of a second: not on the event loop.
            entries = await asyncio.to_thread(_parse, body.content, body.headers, url)
        except Exception as exc:
            # Expected faults are TradingBotError and httpx errors, but one feed's unexpected
            # fault must not stop the others either: it is logged and backed off the same way.
            self._record_failure(url, state, exc)
            return None
        state.record_success(body.headers)
        return PolledFeed(url=url, entries=entries, fetched_at=fetched_at)

    def _record_failure(self, url: str, state: FeedState, error: BaseException) -> None:
        delay = self._settings.backoff.delay(state.failures + 1, self._rng)
        if isinstance(error, FeedUnavailableError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        state.record_failure(self._clock.now(), delay)
        log.warning(
            "news_feed_failed",
            source=self._source,
            feed=url,
            error=f"{type(error).__name__}: {error}",
            consecutive_failures=state.failures,
            retry_in_seconds=round(delay, 1),
        )
        if self._metrics is not None:
            self._metrics.increment(FETCH_ERRORS_METRIC, source=self._source, feed=url)


def _parse(content: bytes, headers: httpx.Headers, url: str) -> list[FeedEntry]:
    # feedparser gets the bytes and headers we fetched, never the URL: it must not fetch itself.
    # The headers let it pick the charset; content-location resolves relative links.
    response_headers = {
        "content-type": headers.get("content-type", "application/xml"),
        "content-location": url,
    }
    parsed = feedparser.parse(content, response_headers=response_headers)
    entries: list[FeedEntry] = list(parsed.entries)
    if parsed.bozo:
        problem = parsed.get("bozo_exception")
        if not entries and not isinstance(problem, feedparser.CharacterEncodingOverride):
            raise MalformedFeedError(f"not a readable feed: {problem}")
        log.info("news_feed_malformed", feed=url, problem=str(problem), recovered=len(entries))
    return entries
