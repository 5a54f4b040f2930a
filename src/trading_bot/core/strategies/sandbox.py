"""Sandboxed strategy calls: one strategy raising or returning nonsense cannot stop the others.

A failure is logged (strategy, ticker, error), counted in the ``strategy_failures`` metric
(labels ``strategy`` and ``kind``: ``exception`` or ``invalid_opinion``) and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Direction, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock, Metrics
from trading_bot.core.strategies.base import Strategy

logger = logging.getLogger(__name__)

FAILURE_METRIC = "strategy_failures"


def opinion_problem(opinion: object, strategy_name: str) -> str | None:
    """Return why ``opinion`` is unusable as ``strategy_name``'s opinion, or None if it is fine.

    Opinions are validated on construction, but a strategy may bypass that (``model_construct``)
    or compute a NaN; the ensemble must never see either.
    """
    if not isinstance(opinion, StrategyOpinion):
        return f"returned {type(opinion).__name__}, not a StrategyOpinion"
    if opinion.strategy != strategy_name:
        return f"returned an opinion signed {opinion.strategy!r}"
    if not isinstance(opinion.direction, Direction):
        return f"direction {opinion.direction!r} is not a Direction"
    strength = opinion.strength
    if not (isinstance(strength, float | int) and 0.0 <= strength <= 1.0):
        return f"strength {strength!r} is outside [0, 1]"
    return None


class StrategySandbox:
    """Evaluate several strategies, keeping the opinions of those that behaved."""

    __slots__ = ("_metrics", "_strategies")

    def __init__(self, strategies: Sequence[Strategy], metrics: Metrics | None = None) -> None:
        self._strategies = tuple(strategies)
        self._metrics = metrics

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        """Return the sandboxed strategies, in evaluation order."""
        return self._strategies

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> list[StrategyOpinion]:
        """Return the valid opinions of every strategy about ``ticker``, in strategy order."""
        opinions: list[StrategyOpinion] = []
        for strategy in self._strategies:
            try:
                opinion = strategy.evaluate(ticker, market, sentiment, clock)
            except Exception as exc:  # any fault of one strategy must not reach the others
                self._fail(strategy.name, ticker, "exception", repr(exc), exc)
                continue
            if opinion is None:
                continue
            problem = opinion_problem(opinion, strategy.name)
            if problem is not None:
                self._fail(strategy.name, ticker, "invalid_opinion", problem, None)
                continue
            opinions.append(opinion)
        return opinions

    def _fail(
        self, name: str, ticker: str, kind: str, error: str, exc: BaseException | None
    ) -> None:
        logger.warning(
            "strategy %s failed on %s and was skipped: %s",
            name,
            ticker,
            error,
            exc_info=exc,
            extra={"strategy": name, "ticker": ticker, "failure": kind},
        )
        if self._metrics is not None:
            self._metrics.increment(FAILURE_METRIC, strategy=name, kind=kind)
