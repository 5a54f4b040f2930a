"""Market data: OHLCV bars, visible to strategies only once they have closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final, Self

from pydantic import Field, model_validator

from trading_bot.core.model._types import BarPrice, Frozen, Ticker, UtcDatetime

DEFAULT_UNIVERSE: Final = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN")
"""The tickers traded unless configured otherwise (those of the bundled synthetic market)."""


class Bar(Frozen):
    """One OHLCV bar. ``timestamp`` is when the bar opened; it closes ``interval_seconds`` later."""

    ticker: Ticker
    timestamp: UtcDatetime
    open: BarPrice
    high: BarPrice
    low: BarPrice
    close: BarPrice
    volume: float = Field(ge=0, allow_inf_nan=False)
    interval_seconds: int = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if not (self.low <= self.open <= self.high and self.low <= self.close <= self.high):
            raise ValueError("open and close must lie within [low, high]")
        return self

    @property
    def closes_at(self) -> datetime:
        """Return the moment the bar closes: the earliest time a strategy may see it."""
        return self.timestamp + _interval(self.interval_seconds)


@lru_cache(maxsize=64)
def _interval(seconds: int) -> timedelta:
    # Every bar of a feed shares its interval: building the timedelta once per length saves
    # most of what ``closes_at`` costs on a path that asks it for every bar.
    return timedelta(seconds=seconds)
