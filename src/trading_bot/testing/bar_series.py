"""Builders of bar series for tests and benchmarks: from given closes, or a seeded random walk."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from trading_bot.core.model import Bar

DEFAULT_START = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
"""A Tuesday at the New York open (09:30 EST)."""


def bars_from_closes(
    closes: Sequence[float],
    *,
    ticker: str = "AAPL",
    volumes: Sequence[float] | None = None,
    start: datetime = DEFAULT_START,
    interval_seconds: int = 60,
    timestamps: Sequence[datetime] | None = None,
) -> list[Bar]:
    """Return one bar per close: opening at the previous close, high and low spanning both.

    Volumes default to 1,000 per bar; timestamps default to consecutive intervals from
    ``start``.
    """
    if volumes is not None and len(volumes) != len(closes):
        raise ValueError(f"{len(volumes)} volumes for {len(closes)} closes")
    if timestamps is not None and len(timestamps) != len(closes):
        raise ValueError(f"{len(timestamps)} timestamps for {len(closes)} closes")
    bars = []
    previous = closes[0] if closes else 0.0
    for index, close in enumerate(closes):
        at = (
            timestamps[index]
            if timestamps is not None
            else start + timedelta(seconds=index * interval_seconds)
        )
        bars.append(
            Bar(
                ticker=ticker,
                timestamp=at,
                open=previous,
                high=max(previous, close),
                low=min(previous, close),
                close=close,
                volume=1_000.0 if volumes is None else volumes[index],
                interval_seconds=interval_seconds,
            )
        )
        previous = close
    return bars


def random_walk_closes(
    count: int, *, seed: int, start: float = 100.0, volatility: float = 0.002
) -> list[float]:
    """Return ``count`` closes of a seeded geometric random walk (always positive)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    closes = []
    price = start
    for _ in range(count):
        price *= math.exp(rng.gauss(0.0, volatility))
        closes.append(round(price, 4))
    return closes


def random_volumes(count: int, *, seed: int, mean: float = 10_000.0) -> list[float]:
    """Return ``count`` seeded volumes, exponentially distributed around ``mean``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return [float(round(rng.expovariate(1.0 / mean))) for _ in range(count)]
