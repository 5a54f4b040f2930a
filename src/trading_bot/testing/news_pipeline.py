"""Fakes and builders for the news path: scripted sources and analyzers, and wrappers that make
a real bus or article repository fail on demand (outages), plus throw-away article stores."""

from __future__ import annotations

import asyncio
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trading_bot.adapters.storage import Database, SqlArticleRepository
from trading_bot.core.errors import (
    BusUnavailableError,
    DataError,
    StorageUnavailableError,
    TemporaryError,
)
from trading_bot.core.events import Message
from trading_bot.core.model import (
    Page,
    RawArticle,
    ScoredArticle,
    SentimentObservation,
    SentimentScore,
)
from trading_bot.core.ports import ArticleRepository, Clock, DeadLetter, EventBus, Handler
from trading_bot.testing.storage import migrated_sqlite, sqlite_url

NEWS_T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
"""A Tuesday at 10:00 in New York, during the session."""


def news_article(
    title: str,
    *,
    minutes: float = 0.0,
    source: str = "test-wire",
    content: str = "",
    tickers: tuple[str, ...] = (),
    url: str | None = None,
) -> RawArticle:
    """Return an article published ``minutes`` after ``NEWS_T0`` and available at once."""
    at = NEWS_T0 + timedelta(minutes=minutes)
    slug = "-".join(title.lower().split())[:80]
    return RawArticle.create(
        source=source,
        url=url or f"https://news.example.com/{source}/{slug}",
        title=title,
        content=content,
        published_at=at,
        available_at=at,
        provider_tickers=tickers,
    )


class ScriptedNewsSource:
    """A ``NewsSource`` whose polls return, in turn, the scripted batches or raise the scripted
    errors; once the script is spent it returns nothing. ``fetch_times`` records each poll."""

    def __init__(
        self,
        name: str = "scripted",
        *,
        poll_interval_seconds: float = 60.0,
        script: Iterable[Sequence[RawArticle] | Exception] = (),
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.poll_interval_seconds = poll_interval_seconds
        self.fetch_times: list[datetime | None] = []
        self._script: deque[Sequence[RawArticle] | Exception] = deque(script)
        self._clock = clock

    def then(self, outcome: Sequence[RawArticle] | Exception) -> ScriptedNewsSource:
        """Append one poll's outcome to the script; return the source."""
        self._script.append(outcome)
        return self

    @property
    def fetches(self) -> int:
        """Return how many times the source was polled."""
        return len(self.fetch_times)

    async def fetch(self) -> list[RawArticle]:
        """Return the next scripted batch, or raise the next scripted error."""
        self.fetch_times.append(self._clock.now() if self._clock is not None else None)
        if not self._script:
            return []
        outcome = self._script.popleft()
        if isinstance(outcome, Exception):
            raise outcome
        return list(outcome)


def keyword_score(article: RawArticle, *, model: str = "scripted") -> SentimentScore:
    """Score a title by keyword: "beats" +0.8, "misses" -0.8, otherwise 0 (confidence 0.9)."""
    title = article.title.lower()
    value = 0.8 if "beats" in title else -0.8 if "misses" in title else 0.0
    return SentimentScore(score=value, confidence=0.9, model=model, reasoning=f"keyword {value}")


class ScriptedAnalyzer:
    """A ``SentimentAnalyzer`` scoring by ``score`` (``keyword_score`` by default) that records
    every call, and can be made to wait (``gate``), to be down (``down``: every call raises a
    ``TemporaryError``) or to choke on poison articles (a ``ValueError`` for any batch holding
    an article whose title contains one of ``poison``)."""

    def __init__(
        self,
        name: str = "scripted",
        *,
        score: Callable[[RawArticle], SentimentScore] | None = None,
        poison: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.batches: list[list[str]] = []
        """The titles of each call's articles, in call order."""
        self.called = asyncio.Event()
        """Set once ``analyze`` has been called."""
        self.down = False
        self.gate: asyncio.Event | None = None
        self.poison = set(poison)
        self._score = score or (lambda article: keyword_score(article, model=name))

    @property
    def scored_titles(self) -> list[str]:
        """Return every title analyzed, in order (repeats included)."""
        return [title for batch in self.batches for title in batch]

    async def analyze(self, articles: Sequence[RawArticle]) -> list[SentimentScore]:
        """Score ``articles`` after the gate opens; fail as configured."""
        self.batches.append([article.title for article in articles])
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise TemporaryError(f"{self.name} is unreachable")
        bad = [a.title for a in articles if any(word in a.title for word in self.poison)]
        if bad:
            raise ValueError(f"{self.name} cannot score {bad[0]!r}")
        return [self._score(article) for article in articles]


class OutageBus:
    """An ``EventBus`` that delegates to ``inner`` but refuses to publish while ``down``.

    ``published`` keeps every message ``inner`` accepted, repeats included (a consumer group
    would drop a repeated ``event_id``, so it cannot tell how often something was published).
    """

    def __init__(self, inner: EventBus) -> None:
        self.inner = inner
        self.down = False
        self.refused = 0
        self.published: list[Message] = []

    async def publish(self, message: Message, *, stream: str | None = None) -> str:
        """Publish through ``inner``, or raise ``BusUnavailableError`` while down."""
        self._check()
        message_id = await self.inner.publish(message, stream=stream)
        self.published.append(message)
        return message_id

    async def publish_many(
        self, messages: Sequence[Message], *, stream: str | None = None
    ) -> list[str]:
        """Publish through ``inner``, or raise ``BusUnavailableError`` while down."""
        self._check()
        ids = await self.inner.publish_many(messages, stream=stream)
        self.published.extend(messages)
        return ids

    async def consume(
        self, stream: str, group: str, handler: Handler, *, consumer: str | None = None
    ) -> None:
        """Consume through ``inner`` (outages affect publishing only)."""
        await self.inner.consume(stream, group, handler, consumer=consumer)

    async def dead_letters(self, stream: str, limit: int = 100) -> list[DeadLetter]:
        """Read ``inner``'s dead letters."""
        return await self.inner.dead_letters(stream, limit)

    async def ping(self) -> None:
        """Raise ``BusUnavailableError`` while down."""
        self._check()
        await self.inner.ping()

    async def close(self) -> None:
        """Close ``inner``."""
        await self.inner.close()

    def _check(self) -> None:
        if self.down:
            self.refused += 1
            raise BusUnavailableError("the bus is down (simulated outage)")


class OutageArticles:
    """An ``ArticleRepository`` that delegates to ``inner`` but raises
    ``StorageUnavailableError`` from the operations named in ``down`` (``"all"`` for every one),
    and refuses to store the articles whose id is in ``refused`` (``DataError``, as storage
    does for a value that does not fit)."""

    def __init__(self, inner: ArticleRepository) -> None:
        self.inner = inner
        self.down: set[str] = set()
        self.refused: set[str] = set()
        self.failures = 0
        """How many calls failed because of ``down``."""

    async def has(self, article_id: str) -> bool:
        """Delegate unless down."""
        self._check("has")
        return await self.inner.has(article_id)

    async def filter_unseen(self, article_ids: Sequence[str]) -> list[str]:
        """Delegate unless down."""
        self._check("filter_unseen")
        return await self.inner.filter_unseen(article_ids)

    async def add_raw(self, article: RawArticle) -> bool:
        """Delegate unless down."""
        self._check("add_raw")
        if article.article_id in self.refused:
            raise DataError(f"store article: {article.article_id} does not fit (simulated)")
        return await self.inner.add_raw(article)

    async def add_scored(self, scored: ScoredArticle) -> bool:
        """Delegate unless down."""
        self._check("add_scored")
        return await self.inner.add_scored(scored)

    async def query(
        self,
        *,
        ticker: str | None = None,
        source: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ScoredArticle]:
        """Delegate unless down."""
        self._check("query")
        return await self.inner.query(
            ticker=ticker,
            source=source,
            min_score=min_score,
            max_score=max_score,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )

    async def recent_for_ticker(
        self, ticker: str, *, since: datetime, until: datetime | None = None
    ) -> list[SentimentObservation]:
        """Delegate unless down."""
        self._check("recent_for_ticker")
        return await self.inner.recent_for_ticker(ticker, since=since, until=until)

    async def undispatched(self, *, limit: int = 100) -> list[RawArticle]:
        """Delegate unless down."""
        self._check("undispatched")
        return await self.inner.undispatched(limit=limit)

    async def mark_dispatched(self, article_ids: Sequence[str], *, at: datetime) -> None:
        """Delegate unless down."""
        self._check("mark_dispatched")
        await self.inner.mark_dispatched(article_ids, at=at)

    def _check(self, operation: str) -> None:
        if operation in self.down or "all" in self.down:
            self.failures += 1
            raise StorageUnavailableError(f"{operation}: the database is down (simulated outage)")


async def migrated_sqlite_template(directory: Path) -> Path:
    """Migrate a SQLite database file in ``directory`` once; return its path, for copies."""
    url = await migrated_sqlite(directory, "template.db")
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


def copy_sqlite(template: Path, directory: Path, name: str = "trading-bot.db") -> str:
    """Copy a migrated template into ``directory`` (much faster than migrating); return its URL."""
    target = directory / name
    shutil.copyfile(template, target)
    return sqlite_url(target)


class ArticleStore:
    """An opened database and its article repository, closed by ``dispose``."""

    def __init__(self, url: str, clock: Clock) -> None:
        self.database = Database(url)
        self.articles = SqlArticleRepository(self.database, clock)

    async def dispose(self) -> None:
        """Close the database's connections."""
        await self.database.dispose()
