"""Mean reversion: buy an oversold RSI, sell an overbought one.

LONG when Wilder's RSI is below ``oversold`` (30), SHORT when above ``overbought`` (70). It fires
on the bar the RSI enters the zone and again on each bar it goes deeper, not while it merely
stays there: a reading that does not get more extreme adds no information, and repeating it would
keep re-entering after every exit.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from trading_bot.core.indicators import RSI, IndicatorKind, IndicatorSpec, nearly_equal
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Direction, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.base import StrategyParams
from trading_bot.core.strategies.registry import register_strategy


class MeanReversionParams(StrategyParams):
    """Parameters of the mean-reversion strategy."""

    period: int = Field(default=14, ge=2, le=1_000, description="RSI period (Wilder)")
    oversold: float = Field(
        default=30.0, gt=0.0, lt=100.0, allow_inf_nan=False, description="LONG strictly below"
    )
    overbought: float = Field(
        default=70.0, gt=0.0, lt=100.0, allow_inf_nan=False, description="SHORT strictly above"
    )

    @model_validator(mode="after")
    def _zones_do_not_overlap(self) -> Self:
        if self.oversold >= self.overbought:
            raise ValueError(
                f"oversold ({self.oversold}) must be below overbought ({self.overbought})"
            )
        return self


def _below(value: float, level: float) -> bool:
    return value < level and not nearly_equal(value, level)


@register_strategy("mean_reversion", MeanReversionParams)
class MeanReversionStrategy:
    """RSI extremes. Strength = (oversold - rsi) / oversold below the oversold level and
    (rsi - overbought) / (100 - overbought) above the overbought one, so 0 at the level and 1
    at RSI 0 or 100.

    Ready after ``period`` price changes (period + 1 bars). A market that has not moved at all
    has RSI 0 by convention; that is not oversold and gives no signal.
    """

    __slots__ = ("_key", "_overbought", "_oversold", "indicators", "params")

    name = "mean_reversion"

    def __init__(self, params: MeanReversionParams | None = None) -> None:
        self.params = params or MeanReversionParams()
        spec = IndicatorSpec(IndicatorKind.RSI, self.params.period)
        self.indicators = (spec,)
        self._key = spec.key
        self._oversold = self.params.oversold
        self._overbought = self.params.overbought

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        """Return LONG or SHORT when the RSI enters or deepens into an extreme zone, else None."""
        rsi = market.indicators[self._key]
        value = rsi.value
        oversold = self._oversold
        overbought = self._overbought
        if value is None or oversold < value < overbought:
            return None
        if isinstance(rsi, RSI) and rsi.flat:
            return None
        before = rsi.previous
        if _below(value, oversold):
            # Fires on entering the zone or going deeper into it.
            fires = before is None or not _below(before, oversold) or _below(value, before)
            direction = Direction.LONG
            strength = (oversold - value) / oversold
            zone = f"below {oversold:g}"
        else:
            fires = _below(overbought, value) and (
                before is None or not _below(overbought, before) or _below(before, value)
            )
            direction = Direction.SHORT
            strength = (value - overbought) / (100.0 - overbought)
            zone = f"above {overbought:g}"
        if not fires:
            return None
        return StrategyOpinion(
            strategy=self.name,
            direction=direction,
            strength=min(1.0, max(0.0, strength)),
            reason=f"{ticker} RSI({self.params.period}) {value:.2f} {zone}",
        )
