"""A backtest's news: scored articles in the order they became available.

From a JSONL file (the news replay's format and checks), each article is scored ahead of the run
by the sentiment-analyzer's own code (the lexicon analyzer and ticker tagging, built through the
composition root) and stamped available at ``available_at``, or its publication plus the
configured latency. From storage, the scored articles are read as they were stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.replay import load_replay_file
from trading_bot.core.model import RawArticle, ScoredArticle
from trading_bot.core.ports import ArticleRepository, Metrics
from trading_bot.entrypoints.container import build_ports, build_services
from trading_bot.entrypoints.service_names import SENTIMENT_ANALYZER
from trading_bot.entrypoints.settings import Settings, StorageSettings
from trading_bot.entrypoints.settings_adapters import AnalyzerSettings
from trading_bot.services.sentiment import SentimentAnalyzerService

SCORING_BATCH = 256
"""Articles handed to the analyzer at once."""
_PAGE = 500


@dataclass(frozen=True, slots=True)
class NewsTape:
    """Scored articles ordered by ``available_at`` (then id), and the lines left out."""

    articles: tuple[ScoredArticle, ...] = ()
    skipped: tuple[str, ...] = ()

    def available_by(self, cut: datetime) -> NewsTape:
        """Return the articles available at ``cut`` (what a replay stopped there has read)."""
        return NewsTape(
            tuple(a for a in self.articles if a.article.available_at <= cut), self.skipped
        )

    def about(self, tickers: Collection[str]) -> NewsTape:
        """Return the articles that mention at least one of ``tickers``."""
        wanted = set(tickers)
        kept = tuple(a for a in self.articles if any(t.ticker in wanted for t in a.tickers))
        return NewsTape(kept, self.skipped)


def ordered(articles: Sequence[ScoredArticle]) -> tuple[ScoredArticle, ...]:
    """Return ``articles`` by availability, then id; an article repeated is kept once."""
    unique = {a.article.article_id: a for a in reversed(articles)}
    return tuple(
        sorted(unique.values(), key=lambda a: (a.article.available_at, a.article.article_id))
    )


async def load_news_file(path: Path, *, latency_seconds: float, metrics: Metrics) -> NewsTape:
    """Read a JSONL news file and score every article with the lexicon, ahead of the run.

    Malformed lines are left out with their reason (``NewsTape.skipped``); a missing file
    raises ``ConfigurationError``.
    """
    replay = load_replay_file(path, latency_seconds=latency_seconds)
    skipped = tuple(f"{path}: line {s.line_number}: {s.reason}" for s in replay.skipped)
    if not replay.articles:
        return NewsTape((), skipped)
    scored = await score_articles(replay.articles, metrics=metrics)
    return NewsTape(ordered(scored), skipped)


async def score_articles(
    articles: Sequence[RawArticle],
    *,
    metrics: Metrics,
    settings: Settings | None = None,
) -> list[ScoredArticle]:
    """Score and tag ``articles`` as the sentiment-analyzer would, each at its availability.

    ``settings`` chooses the analyzer (the lexicon when not given); the articles are scored in
    ``available_at`` order on a simulated clock, so each is stamped scored when it arrived.
    """
    if not articles:
        return []
    chosen = sorted(articles, key=lambda a: (a.available_at, a.article_id))
    base = settings or Settings.model_construct(analyzer=AnalyzerSettings(kind="lexicon"))
    scoring = base.model_copy(
        update={"storage": StorageSettings(url="sqlite+aiosqlite:///:memory:")}
    )
    clock = SimulatedClock(chosen[0].available_at)
    ports = await build_ports(
        scoring,
        services=(SENTIMENT_ANALYZER,),
        metrics=metrics,
        clock=clock,
        bus=MemoryBus(clock=clock),
    )
    try:
        service = build_services(scoring, ports, only=(SENTIMENT_ANALYZER,))[SENTIMENT_ANALYZER]
        if not isinstance(service, SentimentAnalyzerService) or ports.analyzer is None:
            raise TypeError("the composition root built no sentiment-analyzer")
        scored: list[ScoredArticle] = []
        for first in range(0, len(chosen), SCORING_BATCH):
            batch = chosen[first : first + SCORING_BATCH]
            scores = await ports.analyzer.analyze(batch)
            for article, score in zip(batch, scores, strict=True):
                await clock.advance_to(max(clock.now(), article.available_at))
                scored.append(service.tag(article, score))
        return scored
    finally:
        await ports.close()


async def load_stored_news(
    articles: ArticleRepository, *, since: datetime, until: datetime | None
) -> NewsTape:
    """Return the scored articles published in [since, until) from storage."""
    found: list[ScoredArticle] = []
    offset = 0
    while True:
        page = await articles.query(since=since, until=until, limit=_PAGE, offset=offset)
        found.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    return NewsTape(ordered(found))


def news_window_start(first_bar: datetime, sentiment_window_hours: float) -> datetime:
    """Return the earliest publication that can still count at the first bar."""
    return first_bar - timedelta(hours=sentiment_window_hours)
