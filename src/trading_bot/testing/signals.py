"""Builders of opinions and trade signals, and a scripted strategy, for decision-path tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.indicators import IndicatorSpec
from trading_bot.core.market_state import MarketSnapshot, MarketState
from trading_bot.core.model import (
    Bar,
    Direction,
    SentimentContext,
    StrategyOpinion,
    StrategySource,
    TradeSignal,
)
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.base import Strategy, StrategyParams

DEFAULT_NOW = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
"""A Tuesday at 10:00 in New York: the market is open."""


def make_opinion(
    strategy: str = "momentum",
    direction: Direction = Direction.LONG,
    strength: float = 0.5,
    reason: str = "",
) -> StrategyOpinion:
    """Return a valid opinion."""
    return StrategyOpinion(strategy=strategy, direction=direction, strength=strength, reason=reason)


def make_signal(
    ticker: str = "AAPL",
    direction: Direction = Direction.LONG,
    *,
    price: float = 100.0,
    strength: float = 0.6,
    sources: Sequence[StrategySource] | None = None,
    generated_at: datetime = DEFAULT_NOW,
) -> TradeSignal:
    """Return a valid trade signal; by default one momentum source agreeing with it."""
    return TradeSignal(
        ticker=ticker,
        direction=direction,
        strength=strength,
        price=price,
        sources=tuple(
            sources
            or (
                StrategySource(
                    strategy="momentum", direction=direction, strength=strength, weight=1.0
                ),
            )
        ),
        generated_at=generated_at,
    )


def evaluate_over(
    strategy: Strategy,
    bars: Sequence[Bar],
    *,
    sentiment: SentimentContext | None = None,
    clock: Clock | None = None,
) -> list[StrategyOpinion | None]:
    """Feed ``bars`` through a fresh market state and return the strategy's answer on each.

    The clock defaults to a simulated one reading the close of the last bar.
    """
    market = MarketState(strategy.indicators)
    clock = clock or SimulatedClock(bars[-1].closes_at if bars else DEFAULT_NOW)
    return [strategy.evaluate(bar.ticker, market.update(bar), sentiment, clock) for bar in bars]


class ScriptedParams(StrategyParams):
    """A scripted strategy has no parameters."""


class ScriptedStrategy:
    """A strategy that answers what it was told: a fixed opinion, None, or a raised error.

    ``opinion`` may be any object, so tests can hand the sandbox something invalid.
    """

    def __init__(
        self,
        name: str,
        *,
        opinion: object = None,
        error: Exception | None = None,
        indicators: tuple[IndicatorSpec, ...] = (),
    ) -> None:
        self.name = name
        self.params = ScriptedParams()
        self.indicators = indicators
        self._opinion = opinion
        self._error = error
        self.calls: list[str] = []

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        """Record the call, then raise the scripted error or return the scripted opinion."""
        self.calls.append(ticker)
        if self._error is not None:
            raise self._error
        return self._opinion  # type: ignore[return-value]  # deliberately unchecked for tests
