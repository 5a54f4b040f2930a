"""Turning the rows of a bar file into bars, refusing bad rows one by one with a reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from trading_bot.adapters.market_data.frames import PRICE_COLUMNS, read_frame
from trading_bot.core.model import Bar

DEFAULT_INTERVAL_SECONDS = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row left out of a replay, and why."""

    path: Path
    row: int
    reason: str


@dataclass(slots=True)
class LoadedBars:
    """The bars of one or more files, sorted by close time, and the rows that were skipped."""

    bars: list[Bar] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def skipped_by_reason(self) -> Counter[str]:
        """Return how many rows were skipped for each reason."""
        return Counter(s.reason for s in self.skipped)


def load_bar_file(path: Path, *, interval_seconds: int | None = None) -> LoadedBars:
    """Read one bar file; bad rows are skipped with a reason, a bad file raises ``DataError``.

    The interval of each ticker is ``interval_seconds`` when given, otherwise the most common gap
    between its consecutive bars (60 s for a ticker with one bar).
    """
    frame = read_frame(path)
    timestamps = _timestamps(frame["timestamp"])
    tickers = frame["ticker"].astype("string").str.strip()
    values = {c: pd.to_numeric(frame[c], errors="coerce") for c in (*PRICE_COLUMNS, "volume")}
    reasons = _row_reasons(timestamps, tickers, values)
    # Plain lists: indexing them (and their floats) is several times cheaper than numpy scalars.
    micros: list[int] = timestamps.to_numpy(dtype="datetime64[us]").astype("int64").tolist()
    names: list[str] = [str(n) for n in tickers.to_numpy(dtype=object, na_value="")]
    numbers: dict[str, list[float]] = {
        c: v.to_numpy(dtype=float, na_value=np.nan).tolist() for c, v in values.items()
    }

    loaded = LoadedBars()
    seen: set[tuple[str, int]] = set()
    candidates: list[tuple[int, str, datetime]] = []
    for position, problem in enumerate(reasons):
        key = (names[position], micros[position])
        reason = problem or ("duplicate of an earlier bar" if key in seen else "")
        if reason:
            # the header is line 1 of a CSV; Parquet rows are counted the same way
            loaded.skipped.append(SkippedRow(path, position + 2, reason))
            continue
        seen.add(key)
        candidates.append((position, key[0], _EPOCH + timedelta(microseconds=key[1])))

    intervals = _intervals(candidates, interval_seconds)
    opens, highs, lows = numbers["open"], numbers["high"], numbers["low"]
    closes, volumes = numbers["close"], numbers["volume"]
    for position, ticker, stamp in candidates:
        try:
            loaded.bars.append(
                Bar(
                    ticker=ticker,
                    timestamp=stamp,
                    open=opens[position],
                    high=highs[position],
                    low=lows[position],
                    close=closes[position],
                    volume=volumes[position],
                    interval_seconds=intervals[ticker],
                )
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            loaded.skipped.append(SkippedRow(path, position + 2, f"invalid bar: {first['msg']}"))
    loaded.bars.sort(key=close_order)
    return loaded


def close_order(bar: Bar) -> tuple[datetime, str]:
    """Return the sort key of replays: close time, then ticker."""
    return bar.timestamp + timedelta(seconds=bar.interval_seconds), bar.ticker


def _timestamps(column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.to_datetime(column, utc=True)
    return pd.to_datetime(column.astype("string"), utc=True, errors="coerce", format="ISO8601")


def _row_reasons(
    timestamps: pd.Series, tickers: pd.Series, values: dict[str, pd.Series]
) -> list[str]:
    prices = pd.DataFrame({c: values[c] for c in PRICE_COLUMNS})
    volume = values["volume"]
    checks = [
        (timestamps.isna(), "timestamp is missing or not ISO-8601"),
        (tickers.isna() | (tickers == ""), "ticker is missing"),
        (prices.isna().any(axis=1), "a price is missing or not a number"),
        (~np.isfinite(prices).all(axis=1), "a price is infinite"),
        ((prices <= 0).any(axis=1), "a price is zero or negative"),
        (prices["high"] < prices["low"], "high is below low"),
        (
            (prices[["open", "close"]].max(axis=1) > prices["high"])
            | (prices[["open", "close"]].min(axis=1) < prices["low"]),
            "open or close lies outside [low, high]",
        ),
        (volume.isna() | ~np.isfinite(volume) | (volume < 0), "volume is missing or negative"),
    ]
    reasons = [""] * len(timestamps)
    for mask, reason in checks:
        for position in np.flatnonzero(mask.to_numpy(dtype=bool, na_value=True)):
            if not reasons[position]:
                reasons[position] = reason
    return reasons


def _intervals(
    candidates: list[tuple[int, str, datetime]], configured: int | None
) -> dict[str, int]:
    times: dict[str, list[datetime]] = {}
    for _, ticker, stamp in candidates:
        times.setdefault(ticker, []).append(stamp)
    intervals = {}
    for ticker, stamps in times.items():
        if configured is not None:
            intervals[ticker] = configured
            continue
        ordered = sorted(stamps)
        gaps = Counter(
            int((later - earlier).total_seconds()) for earlier, later in pairwise(ordered)
        )
        # the most common gap; ties go to the shorter one
        intervals[ticker] = (
            min(gaps, key=lambda g: (-gaps[g], g)) if gaps else DEFAULT_INTERVAL_SECONDS
        )
    return intervals
