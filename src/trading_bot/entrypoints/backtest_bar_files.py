"""Bar files into a ``BarTape``: every check ``Bar`` makes, run on whole columns.

Checking a million rows one ``Bar`` at a time costs more than backtesting them; here each check
runs once over the columns, the first failing check of a row is its reason, and bad rows are
left out, counted and shown (``SkippedRows``), never guessed at.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from trading_bot.adapters.market_data.frames import read_frame
from trading_bot.core.errors import DataError
from trading_bot.core.model import Bar
from trading_bot.entrypoints.backtest_data import (
    DEFAULT_INTERVAL_SECONDS,
    BarTape,
    SkippedRows,
    micros,
)

_TICKER = re.compile(r"^[A-Z][A-Z0-9]{0,5}(\.[A-Z]{1,2})?$")
_SAMPLE_SKIPPED = 20


def tape_from_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    interval_seconds: int | None = None,
    tickers: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> BarTape:
    """Check every row of a frame in the bar-file layout and return the good bars as a tape.

    Rows failing a check are left out and counted by reason (``source`` names them in the
    examples, with their CSV line number); rows of other tickers or outside [start, end) are
    simply not selected.
    """
    # Tickers as categories: a file has millions of rows but a handful of distinct symbols,
    # so each symbol is checked once and rows carry small integer codes, not strings.
    symbols = pd.Categorical(frame["ticker"].astype("string").str.strip())
    categories = [str(c) for c in symbols.categories]
    codes = np.asarray(symbols.codes, dtype=np.int64)
    prices = {
        c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for c in ("open", "high", "low", "close", "volume")
    }
    opened = _timestamps(frame["timestamp"]).to_numpy(
        dtype="datetime64[us]", na_value=np.datetime64("NaT")
    )
    reason = np.zeros(len(frame), dtype=np.int8)  # 0: good, else 1 + index in REASONS
    for index, mask in enumerate(_row_checks(opened, codes, categories, prices)):
        reason[mask & (reason == 0)] = index + 1
    stamp_us = np.where(np.isnat(opened), 0, opened.astype("int64"))
    # Only a good row can make a later one a duplicate: a refused row does not count.
    good = np.flatnonzero(reason == 0)
    by_key = good[np.lexsort((stamp_us[good], codes[good]))]  # stable: file order within a key
    same = (codes[by_key][1:] == codes[by_key][:-1]) & (
        stamp_us[by_key][1:] == stamp_us[by_key][:-1]
    )
    reason[by_key[1:][same]] = len(REASONS)
    skipped = _skipped(reason, frame, source)
    wanted = reason == 0
    if tickers:
        chosen = set(tickers)
        wanted &= np.isin(codes, [i for i, c in enumerate(categories) if c in chosen])
    if start is not None:
        wanted &= stamp_us >= micros(start)
    if end is not None:
        wanted &= stamp_us < micros(end)
    known = tuple(sorted(categories[i] for i in np.unique(codes[wanted]).tolist()))
    remap = np.full(len(categories), -1, dtype=np.int32)
    for position, name in enumerate(known):
        remap[categories.index(name)] = position
    ticker = remap[codes[wanted]]
    opens = stamp_us[wanted].astype(np.int64)
    order = np.lexsort((ticker, opens))
    tape = BarTape(
        names=known,
        ticker=ticker[order],
        opens_at=opens[order],
        interval=np.zeros(len(order), dtype=np.int64),
        open=prices["open"][wanted][order],
        high=prices["high"][wanted][order],
        low=prices["low"][wanted][order],
        close=prices["close"][wanted][order],
        volume=prices["volume"][wanted][order],
        skipped=skipped,
    )
    tape.interval[:] = _intervals(tape, interval_seconds)
    return tape


def load_bar_files(
    paths: Sequence[Path],
    *,
    interval_seconds: int | None = None,
    tickers: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> BarTape:
    """Read and check CSV or Parquet bar files; a file that cannot be read raises DataError."""
    tape = _read_and_check(
        paths, interval_seconds=interval_seconds, tickers=tickers, start=start, end=end
    )
    # The frames are gone; Arrow's allocator would keep their memory (about 130 MB a million
    # rows) for a next read that a backtest never makes, above everything the replay then adds.
    pa.default_memory_pool().release_unused()
    return tape


def _read_and_check(
    paths: Sequence[Path],
    *,
    interval_seconds: int | None,
    tickers: Sequence[str],
    start: datetime | None,
    end: datetime | None,
) -> BarTape:
    frames = []
    for path in paths:
        frame = read_frame(Path(path))
        frame["_source"] = str(path)
        frame["_line"] = np.arange(2, len(frame) + 2)
        frames.append(frame)
    if not frames:
        raise DataError("no bar file given")
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return tape_from_frame(
        merged,
        source=", ".join(str(p) for p in paths),
        interval_seconds=interval_seconds,
        tickers=tickers,
        start=start,
        end=end,
    )


def tape_from_bars(bars: Sequence[Bar]) -> BarTape:
    """Return validated ``Bar`` objects (e.g. read from storage) as a tape."""
    known = tuple(sorted({bar.ticker for bar in bars}))
    index = {name: i for i, name in enumerate(known)}
    keyed = sorted(bars, key=lambda b: (b.timestamp, b.ticker))
    return BarTape(
        names=known,
        ticker=np.array([index[b.ticker] for b in keyed], dtype=np.int32),
        opens_at=np.array([micros(b.timestamp) for b in keyed], dtype=np.int64),
        interval=np.array([b.interval_seconds for b in keyed], dtype=np.int64),
        open=np.array([b.open for b in keyed], dtype=np.float64),
        high=np.array([b.high for b in keyed], dtype=np.float64),
        low=np.array([b.low for b in keyed], dtype=np.float64),
        close=np.array([b.close for b in keyed], dtype=np.float64),
        volume=np.array([b.volume for b in keyed], dtype=np.float64),
    )


def _timestamps(column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        return pd.to_datetime(column, utc=True)
    return pd.to_datetime(column.astype("string"), utc=True, errors="coerce", format="ISO8601")


REASONS = (
    "timestamp is missing or not ISO-8601",
    "ticker is missing",
    "ticker is not an upper-case symbol such as AAPL or BRK.B",
    "a price is missing or not a number",
    "a price is infinite",
    "a price is zero or negative",
    "high is below low",
    "open or close lies outside [low, high]",
    "volume is missing, negative or infinite",
    "duplicate of an earlier bar",
)
"""Why a row is left out, in the order the checks run (the first that fails is given)."""


def _row_checks(
    opened: npt.NDArray[np.datetime64],
    codes: npt.NDArray[np.int64],
    categories: Sequence[str],
    prices: dict[str, npt.NDArray[Any]],
) -> list[npt.NDArray[np.bool_]]:
    """Return, for each of ``REASONS`` but the last, the rows that fail it."""
    o, h, lo, c, v = (prices[k] for k in ("open", "high", "low", "close", "volume"))
    stacked = np.vstack([o, h, lo, c])
    # Per category, plus a trailing entry that a missing ticker's code (-1) picks.
    empty = np.array([name == "" for name in categories] + [True], dtype=bool)
    valid = np.array([bool(_TICKER.fullmatch(name)) for name in categories] + [False])
    with np.errstate(invalid="ignore"):
        return [
            np.isnat(opened),
            empty[codes],
            ~valid[codes],
            np.isnan(stacked).any(axis=0),
            np.isinf(stacked).any(axis=0),
            (stacked <= 0).any(axis=0),
            h < lo,
            (np.maximum(o, c) > h) | (np.minimum(o, c) < lo),
            ~np.isfinite(v) | (v < 0),
        ]


def _place(frame: pd.DataFrame, row: int, source: str) -> str:
    """Return where row ``row`` comes from, as a person would look it up (file, line)."""
    if "_source" in frame.columns and "_line" in frame.columns:
        return f"{frame['_source'].iat[row]}: line {frame['_line'].iat[row]}"
    return f"{source}: line {row + 2}"


def _skipped(reason: npt.NDArray[np.int8], frame: pd.DataFrame, source: str) -> SkippedRows:
    bad = np.flatnonzero(reason)
    if not len(bad):
        return SkippedRows()
    counts = Counter(REASONS[int(reason[i]) - 1] for i in bad)
    examples = tuple(
        f"{_place(frame, i, source)}: {REASONS[int(reason[i]) - 1]}"
        for i in bad[:_SAMPLE_SKIPPED].tolist()
    )
    return SkippedRows(dict(sorted(counts.items())), examples)


def _intervals(tape: BarTape, configured: int | None) -> npt.NDArray[np.int64]:
    """Return each bar's length: ``configured``, else its ticker's most common gap (ties to
    the shorter), else one minute."""
    if configured is not None:
        return np.full(len(tape), configured, dtype=np.int64)
    out = np.full(len(tape), DEFAULT_INTERVAL_SECONDS, dtype=np.int64)
    for code in np.unique(tape.ticker):
        rows = np.flatnonzero(tape.ticker == code)
        gaps = np.diff(tape.opens_at[rows]) // 1_000_000
        gaps = gaps[gaps > 0]
        if len(gaps):
            values, counts = np.unique(gaps, return_counts=True)
            out[rows] = int(values[np.argmax(counts)])
    return out
