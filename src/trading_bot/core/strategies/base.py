"""The Strategy protocol every trading strategy implements, and the base of their parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from trading_bot.core.indicators import IndicatorSpec
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Frozen, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock


class StrategyParams(Frozen):
    """Base of each strategy's parameters: frozen, validated, unknown fields refused."""


class Strategy(Protocol):
    """One way of forming an opinion about a ticker.

    A strategy is built from its validated parameters, declares the indicators it reads (the
    market state maintains them from each ticker's first bar), and is asked on every closed bar.
    It returns None when it has no opinion: no data, not warmed up, or nothing happening.
    Calls are sandboxed (``strategies.sandbox``): raising or returning an invalid opinion is
    logged, counted and skipped.
    """

    @property
    def name(self) -> str:
        """The registry name, also used in opinions and for weights."""
        ...

    @property
    def params(self) -> StrategyParams:
        """The validated parameters the strategy was built with."""
        ...

    @property
    def indicators(self) -> tuple[IndicatorSpec, ...]:
        """The indicators the strategy reads from the market snapshot."""
        ...

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        """Return this strategy's opinion of ``ticker`` now, or None when it has none."""
        ...


def required_indicators(strategies: Iterable[Strategy]) -> tuple[IndicatorSpec, ...]:
    """Return every indicator the strategies declare, once each, in declaration order."""
    return tuple(dict.fromkeys(spec for strategy in strategies for spec in strategy.indicators))
