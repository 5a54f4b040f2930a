"""Builders for backtest tests and benchmarks: seeded bar files, news lines, a small config."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trading_bot.adapters.market_data.synthetic import generate_frame, write_csv, write_parquet
from trading_bot.core.calendar import NyseCalendar
from trading_bot.testing.bar_series import DEFAULT_START

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "backtest"
"""The committed golden dataset (a source checkout only)."""

QUIET_RISK: dict[str, Any] = {
    "cooldown_minutes": 0,
    "daily_loss_limit_pct": "off",
    "stop_loss_pct": "off",
}
"""Risk overrides that leave only the signals to decide, for tests about the signals."""


def write_market(
    path: Path,
    tickers: Sequence[str] = ("AAPL", "MSFT"),
    *,
    bars: int = 390,
    seed: int = 7,
    start: datetime = DEFAULT_START,
) -> Path:
    """Write ``bars`` seeded synthetic one-minute bars per ticker, during NYSE sessions, as CSV
    or Parquet (by the suffix of ``path``); return the path."""
    frame = generate_frame(list(tickers), start, bars, seed, hours=NyseCalendar())
    if path.suffix == ".parquet":
        return write_parquet(frame, path)
    return write_csv(frame, path)


def news_line(
    title: str,
    published_at: datetime,
    *,
    available_after: timedelta | None = None,
    content: str = "",
    tickers: Sequence[str] = (),
) -> str:
    """Return one JSONL news line (``available_at`` only when ``available_after`` is given)."""
    line: dict[str, Any] = {
        "source": "test-wire",
        "url": f"https://news.example.com/{_slug(title, published_at)}",
        "title": title,
        "content": content,
        "published_at": published_at.isoformat(),
    }
    if available_after is not None:
        line["available_at"] = (published_at + available_after).isoformat()
    if tickers:
        line["tickers"] = list(tickers)
    return json.dumps(line)


def _slug(title: str, published_at: datetime) -> str:
    key = f"{published_at.isoformat()} {title}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def write_news(path: Path, lines: Sequence[str]) -> Path:
    """Write JSONL ``lines`` to ``path``; return it."""
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
