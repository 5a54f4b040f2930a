"""Articles and their sentiment: ``core.ports.ArticleRepository`` on SQLAlchemy.

A stored article id means "seen before": this table is the dedupe that survives restarts.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, select, update
from sqlalchemy.orm import aliased

from trading_bot.adapters.storage._sql import (
    Insert,
    affected,
    build,
    check_page,
    chunks,
    insert_for,
)
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import ArticleRow, ArticleSentimentRow
from trading_bot.core.model import (
    Page,
    RawArticle,
    ScoredArticle,
    SentimentObservation,
    TickerSentiment,
)
from trading_bot.core.ports import Clock

_Level = aliased(ArticleSentimentRow, name="article_level")
"""The article-level score (ticker NULL): one per article and model."""

_Mention = aliased(ArticleSentimentRow, name="mention")
"""A per-ticker score."""


class SqlArticleRepository:
    """Articles, keyed by content hash, and the scores models gave them."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def has(self, article_id: str) -> bool:
        """Return True when ``article_id`` is stored."""
        async with self._db.lookup("look up article") as session:
            return await session.get(ArticleRow, article_id) is not None

    async def filter_unseen(self, article_ids: Sequence[str]) -> list[str]:
        """Return the ids not stored yet, in the given order, each once."""
        unique = list(dict.fromkeys(article_ids))
        seen: set[str] = set()
        async with self._db.read("filter unseen articles") as session:
            for batch in chunks(unique):
                found = await session.scalars(select(ArticleRow.id).where(ArticleRow.id.in_(batch)))
                seen.update(found)
        return [article_id for article_id in unique if article_id not in seen]

    async def add_raw(self, article: RawArticle) -> bool:
        """Store ``article``; return False when its id was already stored (nothing changes)."""
        async with self._db.transaction("store article") as session:
            return affected(await session.execute(self._insert_article(article))) == 1

    async def add_scored(self, scored: ScoredArticle) -> bool:
        """Store the article if new and its scores by ``scored.model_used``.

        Returns False when every score was already stored (they are kept as they were).
        """
        rows = [
            _sentiment(scored, ticker=None, score=scored.score, confidence=scored.confidence),
            *(
                _sentiment(scored, ticker=t.ticker, score=t.score, confidence=t.confidence)
                for t in scored.tickers
            ),
        ]
        statement = insert_for(self._db.dialect, ArticleSentimentRow).values(rows)
        async with self._db.transaction("store scored article") as session:
            await session.execute(self._insert_article(scored.article))
            return affected(await session.execute(statement.on_conflict_do_nothing())) > 0

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
        """Return one page of scored articles, newest published first, and the total.

        An article scored by two models appears once per model.
        """
        check_page(limit, offset)
        conditions: list[ColumnElement[bool]] = [_Level.ticker.is_(None)]
        if ticker is not None:
            conditions.append(
                exists().where(
                    _Mention.article_id == _Level.article_id,
                    _Mention.model_used == _Level.model_used,
                    _Mention.ticker == ticker,
                )
            )
        if source is not None:
            conditions.append(ArticleRow.source == source)
        if min_score is not None:
            conditions.append(_Level.score >= min_score)
        if max_score is not None:
            conditions.append(_Level.score <= max_score)
        if since is not None:
            conditions.append(ArticleRow.published_at >= since)
        if until is not None:
            conditions.append(ArticleRow.published_at < until)
        joined = select(_Level, ArticleRow).join(ArticleRow, ArticleRow.id == _Level.article_id)
        async with self._db.read("query articles") as session:
            total = await session.scalar(
                select(func.count())
                .select_from(_Level)
                .join(ArticleRow, ArticleRow.id == _Level.article_id)
                .where(*conditions)
            )
            found = (
                await session.execute(
                    joined.where(*conditions)
                    .order_by(ArticleRow.published_at.desc(), ArticleRow.id, _Level.model_used)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            mentions: dict[tuple[str, str], list[TickerSentiment]] = defaultdict(list)
            ids = sorted({article.id for _, article in found})
            for batch in chunks(ids):
                rows = await session.scalars(
                    select(ArticleSentimentRow)
                    .where(
                        ArticleSentimentRow.article_id.in_(batch),
                        ArticleSentimentRow.ticker.is_not(None),
                    )
                    .order_by(ArticleSentimentRow.ticker)
                )
                for row in rows:
                    mentions[(row.article_id, row.model_used)].append(
                        build(
                            TickerSentiment,
                            ticker=row.ticker,
                            score=row.score,
                            confidence=row.confidence,
                        )
                    )
        items = [
            build(
                ScoredArticle,
                article=raw_article(article),
                score=level.score,
                confidence=level.confidence,
                model_used=level.model_used,
                tickers=tuple(mentions[(level.article_id, level.model_used)]),
                reasoning=level.reasoning,
                scored_at=level.scored_at,
            )
            for level, article in found
        ]
        return Page(items, total or 0)

    async def recent_for_ticker(
        self, ticker: str, *, since: datetime, until: datetime | None = None
    ) -> list[SentimentObservation]:
        """Return the scored mentions of ``ticker`` whose article became available in
        [since, until), oldest first."""
        window = [ArticleRow.available_at >= since]
        if until is not None:
            window.append(ArticleRow.available_at < until)
        statement = (
            select(ArticleSentimentRow, ArticleRow.available_at)
            .join(ArticleRow, ArticleRow.id == ArticleSentimentRow.article_id)
            .where(ArticleSentimentRow.ticker == ticker, and_(*window))
            .order_by(ArticleRow.available_at, ArticleRow.id)
        )
        async with self._db.lookup("read ticker sentiment") as session:
            return [
                build(
                    SentimentObservation,
                    article_id=row.article_id,
                    score=row.score,
                    confidence=row.confidence,
                    available_at=available_at,
                )
                for row, available_at in await session.execute(statement)
            ]

    async def undispatched(self, *, limit: int = 100) -> list[RawArticle]:
        """Return stored articles not yet marked dispatched, oldest fetched first."""
        check_page(limit, 0)
        async with self._db.lookup("list undispatched articles") as session:
            rows = await session.scalars(
                select(ArticleRow)
                .where(ArticleRow.dispatched_at.is_(None))
                .order_by(ArticleRow.fetched_at, ArticleRow.id)
                .limit(limit)
            )
            return [raw_article(row) for row in rows]

    async def mark_dispatched(self, article_ids: Sequence[str], *, at: datetime) -> None:
        """Record that these articles reached the bus at ``at``; unknown ids are ignored."""
        async with self._db.transaction("mark articles dispatched") as session:
            for batch in chunks(list(dict.fromkeys(article_ids))):
                await session.execute(
                    update(ArticleRow).where(ArticleRow.id.in_(batch)).values(dispatched_at=at)
                )

    def _insert_article(self, article: RawArticle) -> Insert:
        return (
            insert_for(self._db.dialect, ArticleRow)
            .values(
                id=article.article_id,
                source=article.source,
                url=article.url,
                title=article.title,
                content=article.content,
                published_at=article.published_at,
                available_at=article.available_at,
                provider_tickers=list(article.provider_tickers),
                fetched_at=self._clock.now(),
                dispatched_at=None,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )


def _sentiment(
    scored: ScoredArticle, *, ticker: str | None, score: float, confidence: float
) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "article_id": scored.article.article_id,
        "ticker": ticker,
        "score": score,
        "confidence": confidence,
        "model_used": scored.model_used,
        "reasoning": scored.reasoning,
        "scored_at": scored.scored_at,
    }


def raw_article(row: ArticleRow) -> RawArticle:
    """Return the stored article ``row`` as it was fetched."""
    return build(
        RawArticle,
        article_id=row.id,
        source=row.source,
        url=row.url,
        title=row.title,
        content=row.content,
        published_at=row.published_at,
        available_at=row.available_at,
        provider_tickers=tuple(row.provider_tickers),
    )
