"""News-driven: trade on strong, confident, recent sentiment about a ticker.

Only observations already available (``available_at <= clock.now()``) and no older than
``lookback_hours`` count. Each gets a staleness decay d = 1 up to ``fresh_hours`` old, then
0.5 ** ((age - fresh_hours) / half_life_hours). They are aggregated as

    score      = sum(c * d * s) / sum(c * d)     confidence- and freshness-weighted mean
    confidence = sum(d * c) / sum(d)             freshness-weighted mean confidence
    decay      = max(d)                          the freshest observation's decay

LONG when score > ``score_threshold`` (0.7) and confidence > ``confidence_threshold`` (0.6);
SHORT when score < -score_threshold with the same confidence. Strength = |score| x confidence x
decay. Both thresholds are strict: exactly 0.7 or exactly 0.6 gives no signal.
"""

from __future__ import annotations

import math
from datetime import timedelta

from pydantic import Field

from trading_bot.core.indicators import IndicatorSpec, nearly_equal
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Direction, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.base import StrategyParams
from trading_bot.core.strategies.registry import register_strategy

_SECONDS_PER_HOUR = 3600.0


class NewsDrivenParams(StrategyParams):
    """Parameters of the news-driven strategy."""

    score_threshold: float = Field(
        default=0.7, gt=0.0, lt=1.0, allow_inf_nan=False, description="|score| strictly above"
    )
    confidence_threshold: float = Field(
        default=0.6, ge=0.0, lt=1.0, allow_inf_nan=False, description="confidence strictly above"
    )
    lookback_hours: float = Field(
        default=24.0, gt=0.0, le=24.0 * 30, allow_inf_nan=False, description="older news is ignored"
    )
    fresh_hours: float = Field(
        default=4.0, ge=0.0, allow_inf_nan=False, description="news this recent does not decay"
    )
    half_life_hours: float = Field(
        default=4.0, gt=0.0, allow_inf_nan=False, description="half-life of staleness decay"
    )


def staleness_decay(age_hours: float, fresh_hours: float, half_life_hours: float) -> float:
    """Return the weight of news ``age_hours`` old: 1 while fresh, then halving per half-life."""
    if age_hours <= fresh_hours:
        return 1.0
    return float(0.5 ** ((age_hours - fresh_hours) / half_life_hours))


def _strictly_above(value: float, level: float) -> bool:
    return value > level and not nearly_equal(value, level)


@register_strategy("news_driven", NewsDrivenParams)
class NewsDrivenStrategy:
    """Sentiment-driven. Needs no indicators; None without a sentiment context or recent news."""

    __slots__ = ("_lookback", "_screened", "params")

    name = "news_driven"
    indicators: tuple[IndicatorSpec, ...] = ()

    def __init__(self, params: NewsDrivenParams | None = None) -> None:
        self.params = params or NewsDrivenParams()
        self._lookback = timedelta(hours=self.params.lookback_hours)
        self._screened: tuple[SentimentContext, bool] | None = None

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        """Return LONG or SHORT on strong, confident recent sentiment, else None.

        Raises:
            ValueError: the sentiment context is about another ticker.
        """
        if sentiment is None or not sentiment.observations:
            return None
        if sentiment.ticker != ticker:
            raise ValueError(f"sentiment context for {sentiment.ticker} given for {ticker}")
        if not self._may_fire(sentiment):
            return None
        params = self.params
        now = clock.now()
        earliest = now - self._lookback
        weighted_score = weight_total = decay_total = 0.0
        counted = 0
        newest_age = math.inf
        for observation in sentiment.observations:
            available_at = observation.available_at
            if available_at > now or available_at < earliest:
                continue
            age = (now - available_at).total_seconds() / _SECONDS_PER_HOUR
            decay = staleness_decay(age, params.fresh_hours, params.half_life_hours)
            weight = observation.confidence * decay
            weighted_score += weight * observation.score
            weight_total += weight
            decay_total += decay
            counted += 1
            newest_age = min(newest_age, age)
        if counted == 0 or weight_total == 0.0:
            return None
        score = weighted_score / weight_total
        confidence = weight_total / decay_total
        freshest = staleness_decay(newest_age, params.fresh_hours, params.half_life_hours)
        if not _strictly_above(confidence, params.confidence_threshold):
            return None
        if _strictly_above(score, params.score_threshold):
            direction = Direction.LONG
        elif _strictly_above(-score, params.score_threshold):
            direction = Direction.SHORT
        else:
            return None
        return StrategyOpinion(
            strategy=self.name,
            direction=direction,
            strength=min(1.0, abs(score) * confidence * freshest),
            reason=(
                f"{ticker} sentiment {score:+.2f} at confidence {confidence:.2f} from {counted} "
                f"observation(s), newest {newest_age:.1f} h old (decay {freshest:.2f})"
            ),
        )

    def _may_fire(self, sentiment: SentimentContext) -> bool:
        """Return False when no subset of the observations could reach both thresholds.

        The aggregates are weighted means, so neither can exceed the largest |score| or
        confidence. The answer is kept for the last context seen: a context is immutable and
        usually stays the same for many bars, which makes the common quiet case O(1).
        """
        screened = self._screened
        if screened is not None and screened[0] is sentiment:
            return screened[1]
        params = self.params
        may_fire = max(abs(o.score) for o in sentiment.observations) > params.score_threshold and (
            max(o.confidence for o in sentiment.observations) > params.confidence_threshold
        )
        self._screened = (sentiment, may_fire)
        return may_fire
