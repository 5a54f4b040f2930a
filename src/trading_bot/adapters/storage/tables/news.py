"""Tables of the news path: articles (the persisted dedupe) and their sentiment scores."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Double, ForeignKey, Index, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from trading_bot.adapters.storage.tables._base import Base
from trading_bot.adapters.storage.tables.trading import TICKER_LENGTH
from trading_bot.adapters.storage.types import JsonDocument, UtcDateTime

_TICKER_IS_NULL = text("ticker IS NULL")
_NOT_DISPATCHED = text("dispatched_at IS NULL")


class ArticleRow(Base):
    """A fetched article; its id is the content hash, so a stored id means "seen before"."""

    __tablename__ = "articles"
    __table_args__ = (
        Index(None, "published_at"),
        Index(None, "source", "published_at"),
        Index(
            "ix_articles_not_dispatched",
            "fetched_at",
            sqlite_where=_NOT_DISPATCHED,
            postgresql_where=_NOT_DISPATCHED,
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime)
    provider_tickers: Mapped[list[str]] = mapped_column(JsonDocument)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ArticleSentimentRow(Base):
    """A model's score of an article: ticker NULL for the article as a whole, else per ticker."""

    __tablename__ = "article_sentiments"
    __table_args__ = (
        UniqueConstraint("article_id", "ticker", "model_used"),
        # NULLs are distinct in a unique constraint on both databases; this index makes the
        # article-level score (ticker NULL) unique per model as well.
        Index(
            "uq_article_sentiments_article_level",
            "article_id",
            "model_used",
            unique=True,
            sqlite_where=_TICKER_IS_NULL,
            postgresql_where=_TICKER_IS_NULL,
        ),
        Index(None, "ticker", "scored_at"),
        Index(None, "scored_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    ticker: Mapped[str | None] = mapped_column(String(TICKER_LENGTH))
    score: Mapped[float] = mapped_column(Double)
    confidence: Mapped[float] = mapped_column(Double)
    model_used: Mapped[str] = mapped_column(String(100))
    reasoning: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime)
