"""Momentum: the close crossing its moving average, confirmed by volume on the way up.

LONG when the close crosses above its N-bar SMA on a bar whose volume is above its M-bar
average; SHORT when the close crosses below the SMA (no volume needed: the executor treats SHORT
as an exit when trading long-only, and an exit should not wait for confirmation).
"""

from __future__ import annotations

from pydantic import Field

from trading_bot.core.indicators import (
    BarField,
    IndicatorKind,
    IndicatorSpec,
    crosses_above,
    crosses_below,
    nearly_equal,
)
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Direction, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.base import StrategyParams
from trading_bot.core.strategies.registry import register_strategy


class MomentumParams(StrategyParams):
    """Parameters of the momentum strategy."""

    period: int = Field(default=20, ge=2, le=1_000, description="bars in the SMA of closes")
    volume_period: int = Field(
        default=20,
        ge=1,
        le=1_000,
        description="bars in the volume average; the current bar's volume is part of it",
    )
    full_strength_distance: float = Field(
        default=0.02,
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="relative distance |close / sma - 1| at which strength reaches 1",
    )


@register_strategy("momentum", MomentumParams)
class MomentumStrategy:
    """SMA-cross momentum. Strength = min(1, |close / sma - 1| / full_strength_distance).

    Ready once the SMA has a previous value (period + 1 bars) and, for a LONG, the volume
    average has a value. Indicators run over the bars received: a missing bar is not filled in,
    and a price jump simply makes a strong signal.
    """

    __slots__ = ("_full_distance", "_sma_key", "_volume_key", "indicators", "params")

    name = "momentum"

    def __init__(self, params: MomentumParams | None = None) -> None:
        self.params = params or MomentumParams()
        sma = IndicatorSpec(IndicatorKind.SMA, self.params.period)
        volume = IndicatorSpec(IndicatorKind.SMA, self.params.volume_period, BarField.VOLUME)
        self.indicators = (sma, volume)
        self._sma_key = sma.key
        self._volume_key = volume.key
        self._full_distance = self.params.full_strength_distance

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        """Return LONG or SHORT on the bar the close crosses its SMA, else None."""
        sma = market.indicators[self._sma_key]
        average = sma.value
        average_before = sma.previous
        close_before = market.previous_close
        if average is None or average_before is None or close_before is None:
            return None
        close = market.close
        if close > average and crosses_above(close_before, average_before, close, average):
            volume = market.volume
            volume_average = market.indicators[self._volume_key].value
            if (
                volume_average is None
                or volume <= volume_average
                or nearly_equal(volume, volume_average)
            ):
                return None
            direction = Direction.LONG
            side = "above"
            why = f"volume {volume:g} above its average {volume_average:g}"
        elif close < average and crosses_below(close_before, average_before, close, average):
            direction = Direction.SHORT
            side = "below"
            why = "no volume confirmation needed to exit"
        else:
            return None
        distance = abs(close / average - 1.0)
        return StrategyOpinion(
            strategy=self.name,
            direction=direction,
            strength=min(1.0, distance / self._full_distance),
            reason=(
                f"{ticker} close {close:g} crossed {side}"
                f" SMA({self.params.period}) {average:.6g} ({distance:.2%} away); {why}"
            ),
        )
