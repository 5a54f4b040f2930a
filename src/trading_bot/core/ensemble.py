"""The weighted ensemble: turn strategy opinions and strategy weights into one TradeSignal.

    combined = sum(sign(direction) x strength x weight) / sum(weight)

over the strategies that gave an opinion (NEUTRAL counts with sign 0, so it dilutes). A signal
is emitted only when |combined| >= threshold; its direction is the sign of ``combined`` and its
strength |combined|.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from trading_bot.core.indicators import nearly_equal
from trading_bot.core.model import Direction, StrategyOpinion, StrategySource, TradeSignal

DEFAULT_THRESHOLD = 0.3
"""Minimum |combined| for a signal (the product requirement's default)."""

_SIGN = {Direction.LONG: 1.0, Direction.SHORT: -1.0, Direction.NEUTRAL: 0.0}


def _check_unit(what: str, value: float) -> float:
    if not (isinstance(value, float | int) and math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{what} must be a number in [0, 1], got {value!r}")
    return float(value)


class Ensemble:
    """Combine opinions by weight.

    Args:
        threshold: minimum |combined| to emit a signal, in (0, 1]. A combined value equal to the
            threshold (within floating-point noise) is emitted.
        default_weight: weight of a strategy missing from ``weights``. None (the default) gives
            it the mean of the weights that are known, or 1 when none is known, so a strategy
            the learning engine has not weighed yet counts as an average one; 0 ignores
            unweighed strategies instead.
    """

    __slots__ = ("default_weight", "threshold")

    def __init__(
        self, threshold: float = DEFAULT_THRESHOLD, *, default_weight: float | None = None
    ) -> None:
        self.threshold = _check_unit("threshold", threshold)
        if self.threshold == 0.0:
            raise ValueError("threshold must be above 0, or every opinion would trade")
        self.default_weight = (
            None if default_weight is None else _check_unit("default_weight", default_weight)
        )

    def weights_for(self, names: Iterable[str], weights: Mapping[str, float]) -> dict[str, float]:
        """Return the weight each named strategy gets, applying the default to missing ones.

        Raises:
            ValueError: a weight is not a number in [0, 1]; the message names the strategy.
        """
        missing: float | None = None
        result: dict[str, float] = {}
        for name in names:
            if name in weights:
                result[name] = _check_unit(f"weight of strategy {name!r}", weights[name])
                continue
            if missing is None:
                missing = self._missing_weight(weights)
            result[name] = missing
        return result

    def _missing_weight(self, weights: Mapping[str, float]) -> float:
        if self.default_weight is not None:
            return self.default_weight
        known = [_check_unit(f"weight of strategy {n!r}", w) for n, w in weights.items()]
        return math.fsum(known) / len(known) if known else 1.0

    def combine(
        self,
        ticker: str,
        opinions: Sequence[StrategyOpinion],
        weights: Mapping[str, float],
        price: float,
        now: datetime,
        *,
        sentiment_score: float | None = None,
        article_ids: Sequence[str] = (),
        signal_id: uuid.UUID | None = None,
    ) -> TradeSignal | None:
        """Return the trade signal the opinions add up to, or None below the threshold.

        ``sources`` lists every strategy that gave an opinion, with its direction, strength and
        the weight it had (possibly 0), for credit attribution. ``signal_id`` defaults to a new
        random id.

        Raises:
            ValueError: a strategy gave two opinions, or a weight is not a number in [0, 1].
        """
        if not opinions:
            return None
        if len(opinions) > 1 and len({o.strategy for o in opinions}) != len(opinions):
            names = [opinion.strategy for opinion in opinions]
            raise ValueError(f"each strategy may give one opinion per ticker, got {names}")
        # Most opinions end below the threshold, so this sum allocates nothing; the weights
        # table and the sources are built only for a signal.
        missing: float | None = None
        combined = total_weight = 0.0
        for opinion in opinions:
            weight = weights.get(opinion.strategy)
            if weight is None:
                if missing is None:
                    missing = self._missing_weight(weights)
                weight = missing
            elif not (isinstance(weight, float | int) and 0.0 <= weight <= 1.0):
                raise ValueError(
                    f"weight of strategy {opinion.strategy!r} must be a number in [0, 1], "
                    f"got {weight!r}"
                )
            total_weight += weight
            combined += _SIGN[opinion.direction] * opinion.strength * weight
        if total_weight == 0.0:
            return None
        combined /= total_weight
        magnitude = abs(combined)
        if magnitude < self.threshold and not nearly_equal(magnitude, self.threshold):
            return None
        weight_of = self.weights_for([opinion.strategy for opinion in opinions], weights)
        sources = tuple(
            StrategySource(
                strategy=opinion.strategy,
                direction=opinion.direction,
                strength=opinion.strength,
                weight=weight_of[opinion.strategy],
            )
            for opinion in opinions
        )
        return TradeSignal(
            signal_id=signal_id or uuid.uuid4(),
            ticker=ticker,
            direction=Direction.LONG if combined > 0 else Direction.SHORT,
            strength=min(1.0, magnitude),
            price=price,
            sources=sources,
            sentiment_score=sentiment_score,
            article_ids=tuple(article_ids),
            generated_at=now,
        )
