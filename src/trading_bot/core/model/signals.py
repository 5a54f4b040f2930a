"""Opinions of single strategies and the weighted trade signal built from them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum

from pydantic import Field

from trading_bot.core.model._types import BarPrice, Frozen, Score, Ticker, Unit, UtcDatetime


class Direction(StrEnum):
    """Which way a signal points. NEUTRAL is an opinion that nothing should be done."""

    LONG = "LONG"
    SHORT = "SHORT"
    NEUTRAL = "NEUTRAL"

    @property
    def sign(self) -> int:
        """Return +1 for LONG, -1 for SHORT and 0 for NEUTRAL."""
        return {Direction.LONG: 1, Direction.SHORT: -1, Direction.NEUTRAL: 0}[self]


class StrategyOpinion(Frozen):
    """What one strategy thinks about one ticker at one moment."""

    strategy: str = Field(min_length=1, max_length=64)
    direction: Direction
    strength: Unit
    reason: str = Field(default="", max_length=500)


class StrategySource(Frozen):
    """A strategy's contribution to a trade signal, kept for credit attribution."""

    strategy: str = Field(min_length=1, max_length=64)
    direction: Direction
    strength: Unit
    weight: Unit


class TradeSignal(Frozen):
    """The ensemble's decision that a ticker should be bought or sold.

    The executor derives the client order id from ``signal_id``, which makes a redelivered signal
    harmless.
    """

    signal_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    ticker: Ticker
    direction: Direction
    strength: Unit
    price: BarPrice = Field(description="the last close the decision was based on")
    sources: tuple[StrategySource, ...] = Field(min_length=1)
    sentiment_score: Score | None = None
    article_ids: tuple[str, ...] = ()
    generated_at: UtcDatetime

    @property
    def credited_strategy(self) -> str | None:
        """Return the strategy a trade on this signal is credited to (``credited_strategy``)."""
        return credited_strategy(self.direction, self.sources)


def credited_strategy(direction: Direction, sources: Iterable[StrategySource]) -> str | None:
    """Return the strategy a trade on a signal is credited to: of the sources that pushed in
    the signal's ``direction``, the one with the largest weight x strength; None if none did."""
    pushing = [source for source in sources if source.direction is direction]
    if not pushing:
        return None
    return max(pushing, key=lambda source: source.weight * source.strength).strategy
