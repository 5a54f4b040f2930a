"""A backtest's market data as columns (``BarTape``), turned into bars one at a time as the
replay reaches them.

The bars were checked once, on whole columns, when they were read (``backtest_bar_files``), so
the replay builds each ``Bar`` from values already known to be valid (``trusted_bar``) instead of
validating a million of them again. Columns live in numpy arrays (a million bars take about
60 MB) and are handed to the replay in chunks of plain Python values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from trading_bot.core.model import Bar

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_INTERVAL_SECONDS = 60
CHUNK_BARS = 65_536
"""Bars converted to Python values at a time during a replay."""

_BAR_FIELDS = set(Bar.model_fields)
"""Every bar's fields set: one set shared by all, as a ``Bar`` is frozen and pydantic copies
the set before it changes it (``model_copy``). A set, not a frozenset: pydantic updates it."""
_SAMPLE_SKIPPED = 20


def trusted_bar(  # noqa: PLR0917 - a bar's eight facts, in the order the replay holds them
    ticker: str,
    timestamp: datetime,
    open_: float,
    high: float,
    low: float,
    close: float,
    volume: float,
    interval_seconds: int,
) -> Bar:
    """Return a ``Bar`` of values that passed ``BarTape``'s checks, without validating them
    again: what ``model_construct`` does, cheaper (a replay builds one per bar)."""
    bar = _new_bar(Bar)
    _set_dict(
        bar,
        {
            "ticker": ticker,
            "timestamp": timestamp,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "interval_seconds": interval_seconds,
        },
    )
    _set_fields_set(bar, _BAR_FIELDS)
    _set_extra(bar, None)
    _set_private(bar, None)
    return bar


_new_bar = Bar.__new__
# The four slots every pydantic model has, written through their descriptors: what
# ``model_construct`` writes, for a third less than ``object.__setattr__`` by name costs.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


@dataclass(frozen=True, slots=True)
class SkippedRows:
    """Rows left out of a backtest: how many per reason, and the first few with their place."""

    by_reason: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Return how many rows were left out."""
        return sum(self.by_reason.values())


@dataclass(frozen=True, slots=True)
class BarChunk:
    """Consecutive bars of a tape as plain Python values."""

    tickers: list[str]
    opens_at: list[int]
    opens: list[datetime]
    """``opens_at`` as aware datetimes; bars opening together share one object."""
    closes_at: list[int]
    closes: list[datetime]
    """``closes_at`` as aware datetimes (what ``Bar.closes_at`` says, computed once a bar)."""
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]
    interval: list[int]


@dataclass(frozen=True, slots=True)
class BarTape:
    """Checked bars in (open time, ticker) order, as columns. Times are UTC microseconds."""

    names: tuple[str, ...]
    """Ticker names; ``ticker`` holds indices into it."""
    ticker: npt.NDArray[np.int32]
    opens_at: npt.NDArray[np.int64]
    interval: npt.NDArray[np.int64]
    """Bar length in seconds."""
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]
    skipped: SkippedRows = field(default_factory=SkippedRows)

    def __len__(self) -> int:
        return len(self.opens_at)

    @property
    def closes_at(self) -> npt.NDArray[np.int64]:
        """Return when each bar closes (UTC microseconds)."""
        return self.opens_at + self.interval * 1_000_000

    @property
    def tickers(self) -> tuple[str, ...]:
        """Return the tickers present, sorted."""
        return tuple(sorted(self.names[i] for i in np.unique(self.ticker)))

    def chunks(self, size: int = CHUNK_BARS) -> Iterator[BarChunk]:
        """Yield the bars in order, ``size`` at a time, as Python values."""
        names = self.names
        for first in range(0, len(self), size):
            part = slice(first, first + size)
            opens = self.opens_at[part]
            interval = self.interval[part]
            opens_at = opens.tolist()
            closes_at = (opens + interval * 1_000_000).tolist()
            yield BarChunk(
                tickers=[names[i] for i in self.ticker[part].tolist()],
                opens_at=opens_at,
                opens=utc_datetimes(opens_at),
                closes_at=closes_at,
                closes=utc_datetimes(closes_at),
                open=self.open[part].tolist(),
                high=self.high[part].tolist(),
                low=self.low[part].tolist(),
                close=self.close[part].tolist(),
                volume=self.volume[part].tolist(),
                interval=interval.tolist(),
            )

    def bars(self) -> Iterator[Bar]:
        """Yield every bar as a ``Bar``, in order."""
        for chunk in self.chunks():
            for i, ticker in enumerate(chunk.tickers):
                yield trusted_bar(
                    ticker,
                    chunk.opens[i],
                    chunk.open[i],
                    chunk.high[i],
                    chunk.low[i],
                    chunk.close[i],
                    chunk.volume[i],
                    chunk.interval[i],
                )

    def select(self, mask: npt.NDArray[np.bool_]) -> BarTape:
        """Return the bars where ``mask`` is True."""
        return BarTape(
            names=self.names,
            ticker=self.ticker[mask],
            opens_at=self.opens_at[mask],
            interval=self.interval[mask],
            open=self.open[mask],
            high=self.high[mask],
            low=self.low[mask],
            close=self.close[mask],
            volume=self.volume[mask],
            skipped=self.skipped,
        )

    def closed_by(self, cut: datetime) -> BarTape:
        """Return the bars that have closed at ``cut`` (what a replay stopped there has seen)."""
        return self.select(self.closes_at <= micros(cut))


def micros(at: datetime) -> int:
    """Return ``at`` as UTC microseconds since the epoch."""
    return (at - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    """Return UTC microseconds since the epoch as an aware datetime."""
    return EPOCH + timedelta(microseconds=value)


def utc_datetimes(times: list[int]) -> list[datetime]:
    """Return UTC microseconds as aware datetimes; equal neighbours share one object.

    Each is the one before it plus the gap between them. The gaps of a bar tape, in time
    order, are few (the bar length, a night, a weekend), so this adds a cached ``timedelta``
    where converting each time anew would build one: less than half of what pandas'
    vectorised conversion costs.
    """
    if not times:
        return []
    previous = times[0]
    current = from_micros(previous)
    gaps: dict[int, timedelta] = {}
    converted = []
    for at in times:
        if at != previous:
            gap = at - previous
            step = gaps.get(gap)
            if step is None:
                step = gaps[gap] = timedelta(microseconds=gap)
            current += step
            previous = at
        converted.append(current)
    return converted
