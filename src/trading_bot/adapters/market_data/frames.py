"""Bar files: the column layout shared by replays and the synthetic market, and its writers.

A bar file (CSV or Parquet) has one row per bar with the columns ``timestamp`` (the bar's open
time, ISO-8601; a time without offset is taken as UTC), ``ticker``, ``open``, ``high``, ``low``,
``close`` and ``volume``. Other columns are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from trading_bot.core.errors import DataError
from trading_bot.core.model import Bar

COLUMNS = ("timestamp", "ticker", "open", "high", "low", "close", "volume")
"""The required columns, in the order the writers use."""

PRICE_COLUMNS = ("open", "high", "low", "close")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bars_to_frame(bars: Sequence[Bar]) -> pd.DataFrame:
    """Return ``bars`` as a frame in the bar-file layout (timestamps timezone-aware UTC)."""
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime([b.timestamp for b in bars], utc=True),
            "ticker": [b.ticker for b in bars],
            "open": [b.open for b in bars],
            "high": [b.high for b in bars],
            "low": [b.low for b in bars],
            "close": [b.close for b in bars],
            "volume": [b.volume for b in bars],
        },
        columns=list(COLUMNS),
    )
    return frame


def write_csv(bars: Sequence[Bar] | pd.DataFrame, path: Path | str) -> Path:
    """Write a bar file as CSV with ISO-8601 UTC timestamps; return its path."""
    frame = _as_frame(bars).copy()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    target = Path(path)
    frame.to_csv(target, index=False)
    return target


def write_parquet(bars: Sequence[Bar] | pd.DataFrame, path: Path | str) -> Path:
    """Write a bar file as Parquet (timestamps as UTC instants); return its path."""
    target = Path(path)
    _as_frame(bars).to_parquet(target, index=False)
    return target


def read_frame(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet bar file with its column names normalised to lower case.

    A file that cannot be read, or lacks a required column, raises ``DataError``.
    """
    suffixes = "".join(path.suffixes).lower()
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame = pd.read_parquet(path)
        elif ".csv" in suffixes:
            frame = pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
        else:
            raise DataError(f"{path}: a bar file must end in .csv or .parquet")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as a bar file ({exc})") from exc
    frame.columns = pd.Index([str(c).strip().lower() for c in frame.columns])
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing required column(s) {', '.join(missing)}; "
            f"a bar file needs {', '.join(COLUMNS)}"
        )
    return frame


def utc_datetimes(column: pd.Series) -> list[datetime]:
    """Return a column of UTC instants as aware ``datetime`` objects (microsecond precision)."""
    micros = pd.to_datetime(column, utc=True).to_numpy(dtype="datetime64[us]").astype("int64")
    return [_EPOCH + timedelta(microseconds=int(m)) for m in micros]


def _as_frame(bars: Sequence[Bar] | pd.DataFrame) -> pd.DataFrame:
    return bars if isinstance(bars, pd.DataFrame) else bars_to_frame(bars)
