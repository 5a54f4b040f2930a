"""Sentiment as a model reports it and as strategies consume it."""

from __future__ import annotations

from pydantic import Field

from trading_bot.core.model._types import Frozen, Score, Ticker, Unit, UtcDatetime


class SentimentScore(Frozen):
    """One analyzer's verdict on one text."""

    score: Score
    confidence: Unit
    model: str = Field(min_length=1, max_length=100)
    reasoning: str = ""
    tickers: tuple[Ticker, ...] = Field(
        default=(), description="tickers the model itself named (LLM entity extraction), if any"
    )


class SentimentObservation(Frozen):
    """A scored mention of a ticker, stamped with when it became available."""

    article_id: str
    score: Score
    confidence: Unit
    available_at: UtcDatetime


class SentimentContext(Frozen):
    """What the news has said about a ticker recently, newest last."""

    ticker: Ticker
    observations: tuple[SentimentObservation, ...] = ()

    @property
    def latest(self) -> SentimentObservation | None:
        """Return the newest observation, if any."""
        return self.observations[-1] if self.observations else None
