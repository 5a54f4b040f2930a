"""A seeded synthetic market for demos and tests: regimes, noisy volume and scheduled news shocks.

Each ticker's price follows a log random walk whose regime (trending, mean-reverting, volatile)
switches at random moments; at scheduled moments a news shock moves it by a few percent, and
``shocks()`` lists them so a matching news item can be written for each. The same seed gives the
same bars, bar for bar. Bars are one-minute (configurable) and, given market hours, fall only
inside regular sessions; without them the market trades around the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from trading_bot.adapters.market_data.frames import utc_datetimes, write_csv, write_parquet
from trading_bot.adapters.market_data.pacing import Pacer, Sleep
from trading_bot.core.model import Bar, Ticker
from trading_bot.core.ports import Clock, MarketHours

__all__ = [
    "NewsShock",
    "Regime",
    "SyntheticMarket",
    "SyntheticMarketConfig",
    "bar_times",
    "generate_bars",
    "generate_frame",
    "generate_market",
    "write_csv",
    "write_parquet",
]

DEFAULT_TICKERS = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN")
SESSION_BARS = 390
"""One-minute bars in a regular NYSE session."""


class Regime(IntEnum):
    """How a ticker's price moves for a while."""

    TRENDING = 0
    MEAN_REVERTING = 1
    VOLATILE = 2


@dataclass(frozen=True, slots=True)
class NewsShock:
    """A scheduled jump: ``ticker`` moves by ``magnitude`` (a fraction) in ``direction`` (+1 up,
    -1 down) during the bar that opens at ``at``."""

    ticker: str
    at: datetime
    direction: int
    magnitude: float


class SyntheticMarketConfig(BaseModel):
    """The shape of a synthetic market; every field has a demo-friendly default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tickers: tuple[Ticker, ...] = Field(
        default=DEFAULT_TICKERS, min_length=1, description="symbols, default five large caps"
    )
    start: AwareDatetime = Field(
        default=datetime(2024, 1, 2, 14, 30, tzinfo=UTC),
        description="first bar time (moved to the next session open when market hours are given)",
    )
    n_bars: int = Field(
        default=SESSION_BARS * 20,
        gt=0,
        description="bars per ticker; default twenty sessions (four weeks, about an hour of "
        "the demo at its default speed)",
    )
    seed: int = Field(default=6, description="the same seed gives the same market")
    interval_seconds: int = Field(default=60, gt=0, description="bar length; default one minute")
    shock_count: int = Field(default=24, ge=0, description="news shocks over the whole run")
    regime_mean_bars: float = Field(
        default=120, gt=1, description="average bars between regime switches; default 120"
    )


class SyntheticMarket:
    """A ``core.ports.MarketDataFeed`` over a generated market.

    On a simulated clock ``bars()`` advances the clock to each close (paced by ``speed`` when
    given); on the wall clock it waits for each close in real time.
    """

    def __init__(
        self,
        config: SyntheticMarketConfig,
        clock: Clock,
        hours: MarketHours | None = None,
        *,
        speed: float | None = None,
        max_pause_seconds: float | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._hours = hours
        self._pacer = Pacer(clock, speed=speed, max_pause_seconds=max_pause_seconds, sleep=sleep)
        self._generated: tuple[list[Bar], list[NewsShock]] | None = None

    def shocks(self) -> list[NewsShock]:
        """Return the news shocks of the run, in time order."""
        return list(self._generate()[1])

    def all_bars(self) -> list[Bar]:
        """Return every bar of the run in close-time order, without waiting for the clock."""
        return list(self._generate()[0])

    async def bars(self) -> AsyncGenerator[Bar, None]:
        """Yield each bar once the clock has reached its close."""
        bars, _ = await asyncio.to_thread(self._generate)
        for bar in bars:
            await self._pacer.wait_until(bar.closes_at)
            yield bar

    def _generate(self) -> tuple[list[Bar], list[NewsShock]]:
        if self._generated is None:
            frame, shocks = generate_market(self._config, self._hours)
            self._generated = (_frame_bars(frame, self._config.interval_seconds), shocks)
        return self._generated


def generate_bars(
    tickers: Sequence[str],
    start: datetime,
    n_bars: int,
    seed: int,
    *,
    hours: MarketHours | None = None,
    interval_seconds: int = 60,
) -> list[Bar]:
    """Return ``n_bars`` synthetic bars per ticker in close-time order (for tests, benchmarks)."""
    config = SyntheticMarketConfig(
        tickers=tuple(tickers),
        start=start,
        n_bars=n_bars,
        seed=seed,
        interval_seconds=interval_seconds,
    )
    frame, _ = generate_market(config, hours)
    return _frame_bars(frame, interval_seconds)


def generate_frame(
    tickers: Sequence[str],
    start: datetime,
    n_bars: int,
    seed: int,
    *,
    hours: MarketHours | None = None,
    interval_seconds: int = 60,
) -> pd.DataFrame:
    """Return the same bars as ``generate_bars`` as a frame in the bar-file layout."""
    config = SyntheticMarketConfig(
        tickers=tuple(tickers),
        start=start,
        n_bars=n_bars,
        seed=seed,
        interval_seconds=interval_seconds,
    )
    return generate_market(config, hours)[0]


def generate_market(
    config: SyntheticMarketConfig, hours: MarketHours | None = None
) -> tuple[pd.DataFrame, list[NewsShock]]:
    """Return every bar (a frame sorted by time, then ticker) and the shocks of a market."""
    times = bar_times(config.start, config.n_bars, config.interval_seconds, hours)
    seeds = np.random.SeedSequence(config.seed).spawn(len(config.tickers) + 1)
    shocks = _schedule_shocks(config, times, np.random.default_rng(seeds[0]))
    columns = []
    for ticker, seed in zip(config.tickers, seeds[1:], strict=True):
        jumps = {times.index(s.at): s.direction * s.magnitude for s in shocks if s.ticker == ticker}
        columns.append(_ticker_frame(ticker, times, jumps, config, np.random.default_rng(seed)))
    frame = pd.concat(columns, ignore_index=True)
    frame = frame.sort_values(["timestamp", "ticker"], kind="stable", ignore_index=True)
    return frame, shocks


def bar_times(
    start: datetime, count: int, interval_seconds: int, hours: MarketHours | None
) -> list[datetime]:
    """Return ``count`` bar open times from ``start``: inside regular sessions when ``hours``
    are given (a bar must close by the session's close), back to back otherwise."""
    step = timedelta(seconds=interval_seconds)
    moment = start.astimezone(UTC)
    times: list[datetime] = []
    if hours is None:
        return [moment + i * step for i in range(count)]
    while len(times) < count:
        if not hours.is_open(moment):
            moment = hours.next_open(moment)
        close = hours.next_close(moment)
        while moment + step <= close and len(times) < count:
            times.append(moment)
            moment += step
        moment = hours.next_open(close)
    return times


def _schedule_shocks(
    config: SyntheticMarketConfig, times: list[datetime], rng: np.random.Generator
) -> list[NewsShock]:
    # Shocks stay clear of the first bars so strategies have some history before the first one.
    eligible = range(min(30, len(times) // 10), len(times))
    count = min(config.shock_count, len(eligible))
    picks = sorted(rng.choice(len(eligible), size=count, replace=False)) if count else []
    return [
        NewsShock(
            ticker=str(rng.choice(config.tickers)),
            at=times[eligible[int(i)]],
            direction=int(rng.choice([-1, 1])),
            magnitude=round(float(rng.uniform(0.02, 0.06)), 4),
        )
        for i in picks
    ]


def _ticker_frame(
    ticker: str,
    times: list[datetime],
    jumps: dict[int, float],
    config: SyntheticMarketConfig,
    rng: np.random.Generator,
) -> pd.DataFrame:
    n = len(times)
    first_log_price = float(np.log(rng.uniform(20, 500)))
    log_price = first_log_price
    noise = rng.standard_normal(n)
    returns = np.empty(n)
    regime, anchor, trend = Regime(int(rng.integers(3))), log_price, float(rng.choice([-1, 1]))
    switch = 1.0 / config.regime_mean_bars
    for i in range(n):
        if rng.random() < switch:
            regime = Regime((regime + int(rng.integers(1, 3))) % 3)
            anchor, trend = log_price, float(rng.choice([-1, 1]))
        if regime is Regime.TRENDING:
            step = trend * 0.00015 + 0.0008 * noise[i]
        elif regime is Regime.MEAN_REVERTING:
            step = -0.05 * (log_price - anchor) + 0.001 * noise[i]
        else:
            step = 0.003 * noise[i]
        step += float(np.log1p(jumps.get(i, 0.0)))
        returns[i] = step
        log_price += step
    closes = np.exp(first_log_price + np.cumsum(returns))
    opens = np.concatenate(([np.exp(first_log_price)], closes[:-1]))
    wick = np.exp(np.abs(rng.normal(0, 0.0006, size=(2, n))))
    high = np.round(np.maximum(opens, closes) * wick[0], 2)
    low = np.round(np.minimum(opens, closes) / wick[1], 2)
    opens, closes = np.round(opens, 2), np.round(closes, 2)
    high = np.maximum.reduce([high, opens, closes])
    low = np.maximum(np.minimum.reduce([low, opens, closes]), 0.01)
    base_volume = rng.uniform(2_000, 50_000)
    shock_boost = np.array([4.0 if i in jumps else 1.0 for i in range(n)])
    volume = np.round(
        base_volume * rng.lognormal(0, 0.35, n) * (1 + 40 * np.abs(returns)) * shock_boost
    )
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(times, utc=True),
            "ticker": ticker,
            "open": opens,
            "high": high,
            "low": low,
            "close": closes,
            "volume": volume,
        }
    )


def _frame_bars(frame: pd.DataFrame, interval_seconds: int) -> list[Bar]:
    stamps = utc_datetimes(frame["timestamp"])
    columns = [frame[c].to_numpy() for c in ("ticker", "open", "high", "low", "close", "volume")]
    return [
        Bar(
            ticker=str(ticker),
            timestamp=stamp,
            open=float(o),
            high=float(h),
            low=float(lo),
            close=float(c),
            volume=float(v),
            interval_seconds=interval_seconds,
        )
        for stamp, ticker, o, h, lo, c, v in zip(stamps, *columns, strict=True)
    ]
