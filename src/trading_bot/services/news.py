"""The news-fetcher service: polls every news source on its own schedule, stores what is new and
publishes it on ``news:raw`` through an outbox (stored first, marked dispatched once published)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import structlog
from pydantic import BaseModel, ConfigDict, Field

from trading_bot.core.errors import ConfigurationError, DataError
from trading_bot.core.events import ArticleFetched
from trading_bot.core.model import RawArticle
from trading_bot.core.ports import ArticleRepository, Clock, EventBus, Metrics, NewsSource

log = structlog.stdlib.get_logger(__name__)

ARTICLES_FETCHED: Final = "articles_fetched"
"""Counter of articles stored for the first time, labelled ``source`` (the poller's name)."""
ARTICLES_DUPLICATE: Final = "articles_duplicate"
"""Counter of fetched articles dropped because their id was already stored, by ``source``."""
ARTICLES_REFUSED: Final = "articles_refused"
"""Counter of fetched articles storage refused as bad input (``DataError``), by ``source``."""
ARTICLES_DROPPED: Final = "articles_dropped"
"""Counter of fetched articles dropped because the backlog overflowed during an outage."""
ARTICLES_PUBLISHED: Final = "articles_published"
"""Counter of articles published on ``news:raw`` (a re-publication after a crash counts again)."""
FETCH_ERRORS: Final = "fetch_errors"
"""Counter of failed polls, labelled ``source`` and ``error`` (the exception class)."""
FETCH_LATENCY: Final = "fetch_latency"
"""Histogram of seconds one ``fetch`` took, failed ones included, labelled ``source``."""
STORAGE_ERRORS: Final = "news_storage_errors"
"""Counter of storage operations that failed (the articles are kept and retried)."""
PUBLISH_ERRORS: Final = "news_publish_errors"
"""Counter of publications the bus refused (the articles stay in the outbox and are retried)."""

_EVENT_IDS: Final = uuid.UUID("5d0f6a43-61c1-4f55-9b0e-2f4f3c6f1a7e")


def fetched_event_id(article_id: str) -> uuid.UUID:
    """Return the ``event_id`` of an article's ``ArticleFetched``: the same on every publication,
    so consumers drop a re-publication (after a crash between publishing and marking it)."""
    return uuid.uuid5(_EVENT_IDS, f"ArticleFetched:{article_id}")


class NewsConfig(BaseModel):
    """Settings of the news-fetcher. The sources bring their own poll intervals."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dispatch_batch_size: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="articles published per bus round trip and read per outbox page",
    )
    redispatch_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        description="seconds between retries of stored articles the bus did not accept",
    )
    min_poll_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="floor under every source's poll interval, so none can poll in a busy loop",
    )
    max_backlog: int = Field(
        default=10_000,
        ge=1,
        description="fetched articles held per source while storage is down; beyond it the "
        "oldest are dropped (logged and counted)",
    )


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll of one source did."""

    source: str
    fetched: int
    """Articles the source returned (0 when it failed)."""
    new: int
    """Articles stored for the first time."""
    published: int
    """Articles published on ``news:raw`` by the dispatch that followed (older ones included)."""
    error: str | None = None
    """Why the source failed, if it did."""


class NewsFetcherService:
    """Poll each source on its own schedule; store new articles; publish them on ``news:raw``.

    Every source has its own poller in one ``asyncio.TaskGroup``; a source that raises is logged,
    counted (``fetch_errors``) and polled again next round, and never stops the others. The
    article table is the dedupe that survives restarts: an id already stored is dropped. New
    articles are stored first (``add_raw``), then published from the outbox, the stored articles
    not yet marked dispatched, and marked dispatched once the bus accepted them. So:

    - a bus outage loses nothing: the articles wait in storage, and are published by the next
      poll, the periodic re-dispatch, or the next start;
    - a crash between publishing and marking re-publishes under the same ``event_id``
      (``fetched_event_id``), which consumers drop as already handled;
    - a storage outage loses nothing either: fetched articles wait in memory (up to
      ``max_backlog`` per source) and are stored by a later poll.
    """

    name = "news-fetcher"

    def __init__(
        self,
        config: NewsConfig,
        *,
        sources: Sequence[NewsSource],
        articles: ArticleRepository,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
        stopwatch: Callable[[], float] = time.perf_counter,
    ) -> None:
        names = [source.name for source in sources]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"news sources must have distinct names, got {names}")
        self._config = config
        self._sources = tuple(sources)
        self._articles = articles
        self._bus = bus
        self._clock = clock
        self._metrics = metrics
        # Durations of fetches are measured on a monotonic timer: on a simulated clock they
        # would always be zero.
        self._stopwatch = stopwatch
        self._backlogs: dict[str, OrderedDict[str, RawArticle]] = {
            name: OrderedDict() for name in names
        }
        self._dispatching = asyncio.Lock()

    @property
    def sources(self) -> tuple[NewsSource, ...]:
        """Return the sources this service polls."""
        return self._sources

    def backlog(self, source: str) -> int:
        """Return how many fetched articles of ``source`` wait to be stored."""
        return len(self._backlogs.get(source, ()))

    async def run(self) -> None:
        """Publish what an earlier run left in the outbox, then poll the sources until cancelled."""
        await self.dispatch_pending()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._redispatch_forever(), name="news-redispatch")
            for source in self._sources:
                tasks.create_task(self._poll_forever(source), name=f"news-poll-{source.name}")

    async def poll(self, source: NewsSource) -> PollReport:
        """Fetch ``source`` once, store what is new, and publish the outbox.

        Never raises for a failing source or an unreachable bus or database: each is logged and
        counted, and what was fetched is kept for the next round. ``ConfigurationError`` (a
        database never migrated) is raised: the operator must act.
        """
        if source.name not in self._backlogs:
            self._backlogs[source.name] = OrderedDict()
        fetched = await self._fetch(source)
        if isinstance(fetched, str):
            return PollReport(source.name, fetched=0, new=0, published=0, error=fetched)
        new = await self._store(source.name, fetched)
        published = await self.dispatch_pending()
        return PollReport(source.name, fetched=len(fetched), new=new, published=published)

    async def dispatch_pending(self) -> int:
        """Publish stored articles not yet marked dispatched, oldest fetched first; return how many.

        Stops at the first page the bus or the database refuses (logged and counted); those
        articles stay in the outbox for the next call.
        """
        async with self._dispatching:
            published = 0
            done: set[str] = set()
            while True:
                try:
                    pending = await self._articles.undispatched(
                        limit=self._config.dispatch_batch_size
                    )
                except ConfigurationError:
                    raise
                except Exception as exc:  # any storage failure: retried at the next dispatch
                    self._storage_failed("read outbox", exc)
                    return published
                fresh = [article for article in pending if article.article_id not in done]
                if not fresh:
                    return published
                # Articles fetched at one instant (one poll) go out in the order they appeared.
                fresh.sort(key=lambda article: (article.available_at, article.published_at))
                if not await self._publish(fresh):
                    return published
                done.update(article.article_id for article in fresh)
                published += len(fresh)
                if len(pending) < self._config.dispatch_batch_size:
                    return published

    async def _poll_forever(self, source: NewsSource) -> None:
        interval = timedelta(
            seconds=max(source.poll_interval_seconds, self._config.min_poll_interval_seconds)
        )
        while True:
            started = self._clock.now()
            await self.poll(source)
            await self._clock.sleep_until(started + interval)

    async def _redispatch_forever(self) -> None:
        while True:
            await self._clock.sleep(self._config.redispatch_interval_seconds)
            await self.dispatch_pending()

    async def _fetch(self, source: NewsSource) -> list[RawArticle] | str:
        """Return the articles ``source`` delivered, or why it failed."""
        started = self._stopwatch()
        try:
            articles = await source.fetch()
        except Exception as exc:  # a failing source is the expected case this service absorbs
            error = f"{type(exc).__name__}: {exc}"
            self._metrics.increment(FETCH_ERRORS, source=source.name, error=type(exc).__name__)
            log.warning("news_fetch_failed", source=source.name, error=error)
            return error
        finally:
            self._metrics.observe(FETCH_LATENCY, self._stopwatch() - started, source=source.name)
        return articles

    async def _store(self, source: str, fetched: Sequence[RawArticle]) -> int:
        """Store the articles of ``source`` not stored before; return how many were new.

        Articles wait in the source's backlog until storage has either stored them, found them
        stored already, or refused them as bad input.
        """
        backlog = self._backlogs[source]
        for article in fetched:
            backlog.setdefault(article.article_id, article)
        self._trim(source, backlog)
        if not backlog:
            return 0
        try:
            unseen = set(await self._articles.filter_unseen(list(backlog)))
        except ConfigurationError:
            raise
        except Exception as exc:  # any storage failure: the backlog is retried next round
            self._storage_failed("filter unseen articles", exc)
            return 0
        new = 0
        for article_id, article in list(backlog.items()):
            if article_id not in unseen:
                del backlog[article_id]
                self._metrics.increment(ARTICLES_DUPLICATE, source=source)
                continue
            try:
                stored = await self._articles.add_raw(article)
            except DataError as exc:
                del backlog[article_id]
                self._metrics.increment(ARTICLES_REFUSED, source=source)
                log.warning(
                    "news_article_refused", source=source, article_id=article_id, error=str(exc)
                )
                continue
            except ConfigurationError:
                raise
            except Exception as exc:  # any storage failure: the rest waits for the next round
                self._storage_failed("store article", exc)
                break
            del backlog[article_id]
            if stored:
                new += 1
                self._metrics.increment(ARTICLES_FETCHED, source=source)
            else:
                self._metrics.increment(ARTICLES_DUPLICATE, source=source)
        if new:
            log.info("news_articles_stored", source=source, new=new, waiting=len(backlog))
        return new

    def _trim(self, source: str, backlog: OrderedDict[str, RawArticle]) -> None:
        overflow = len(backlog) - self._config.max_backlog
        if overflow <= 0:
            return
        for _ in range(overflow):
            backlog.popitem(last=False)
        self._metrics.increment(ARTICLES_DROPPED, overflow, source=source)
        log.error(
            "news_backlog_overflow",
            source=source,
            dropped=overflow,
            max_backlog=self._config.max_backlog,
        )

    async def _publish(self, articles: Sequence[RawArticle]) -> bool:
        """Publish ``articles`` and mark them dispatched; return False if either step failed."""
        now = self._clock.now()
        messages = [
            ArticleFetched(
                event_id=fetched_event_id(article.article_id), occurred_at=now, article=article
            )
            for article in articles
        ]
        try:
            await self._bus.publish_many(messages)
        except Exception as exc:  # any bus failure: the articles stay in the outbox
            self._metrics.increment(PUBLISH_ERRORS, error=type(exc).__name__)
            log.warning(
                "news_publish_failed",
                articles=len(articles),
                error=f"{type(exc).__name__}: {exc}",
            )
            return False
        self._metrics.increment(ARTICLES_PUBLISHED, len(articles))
        try:
            await self._articles.mark_dispatched([a.article_id for a in articles], at=now)
        except ConfigurationError:
            raise
        except Exception as exc:  # published but not marked: re-published later, deduplicated
            self._storage_failed("mark articles dispatched", exc)
            return False
        return True

    def _storage_failed(self, operation: str, error: Exception) -> None:
        self._metrics.increment(STORAGE_ERRORS, operation=operation, error=type(error).__name__)
        log.warning(
            "news_storage_failed", operation=operation, error=f"{type(error).__name__}: {error}"
        )
