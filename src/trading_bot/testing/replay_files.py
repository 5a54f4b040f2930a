"""Replay files for end-to-end runs: bar CSVs that make the built-in strategies trade, and news
JSONL files, in the formats ``TRADING_MARKET__REPLAY_FILES`` and ``TRADING_SOURCES__REPLAY_FILE``
read.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trading_bot.core.model import Bar
from trading_bot.testing.bar_series import bars_from_closes

BAR_COLUMNS = ("timestamp", "ticker", "open", "high", "low", "close", "volume")


def swinging_bars(
    ticker: str,
    *,
    start: datetime,
    count: int,
    period: int = 40,
    amplitude: float = 0.02,
    base: float = 100.0,
) -> list[Bar]:
    """Return one-minute bars whose close swings as a sine wave around ``base``.

    With the default strategies and equal weights, each trough brings LONG signals (RSI low)
    and each crest SHORT ones, so a long-only executor opens and closes round trips every
    ``period`` bars (the re-entry cooldown permitting). Volume is high on the way up.
    """
    closes = [base * (1 + amplitude * math.sin(2 * math.pi * i / period)) for i in range(count)]
    volumes = [2_000.0 if math.cos(2 * math.pi * i / period) > 0 else 600.0 for i in range(count)]
    return bars_from_closes(closes, ticker=ticker, volumes=volumes, start=start)


def falling_bars(
    ticker: str,
    *,
    start: datetime,
    count: int,
    fall_at: int,
    fall_bars: int = 25,
    fall: float = 0.05,
    base: float = 100.0,
) -> list[Bar]:
    """Return one-minute bars that hover at ``base``, slide by ``fall`` (a fraction) over
    ``fall_bars`` bars from bar ``fall_at``, then hover at the lower level.

    The hover is a 0.05 % zigzag, too small for any built-in strategy to act on; the slide
    takes a long position bought before it through its 3 % stop-loss.
    """
    closes = []
    for index in range(count):
        progress = min(max(index - fall_at, 0), fall_bars) / fall_bars
        level = base * (1 - fall * progress)
        closes.append(level * (1.0005 if index % 2 else 0.9995))
    return bars_from_closes(closes, ticker=ticker, start=start)


def write_bar_csv(path: Path, bars: Iterable[Bar]) -> Path:
    """Write ``bars`` as a replay CSV (timestamp, ticker, OHLCV) in close-time order."""
    ordered = sorted(bars, key=lambda bar: (bar.closes_at, bar.ticker))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(BAR_COLUMNS)
        for bar in ordered:
            writer.writerow(
                [
                    bar.timestamp.isoformat(),
                    bar.ticker,
                    str(bar.open),
                    str(bar.high),
                    str(bar.low),
                    str(bar.close),
                    str(bar.volume),
                ]
            )
    return path


@dataclass(frozen=True, slots=True)
class NewsLine:
    """One article of a news replay file."""

    title: str
    published_at: datetime
    content: str = ""
    source: str = "integration-wire"
    available_after: timedelta = timedelta(minutes=1)
    tickers: Sequence[str] = ()

    def record(self, index: int) -> dict[str, object]:
        """Return the JSON object of this line (``index`` keeps the URLs distinct)."""
        record: dict[str, object] = {
            "source": self.source,
            "url": f"https://news.example.com/integration/{index}",
            "title": self.title,
            "content": self.content,
            "published_at": self.published_at.isoformat(),
            "available_at": (self.published_at + self.available_after).isoformat(),
        }
        if self.tickers:
            record["tickers"] = list(self.tickers)
        return record


def write_news_jsonl(path: Path, lines: Iterable[NewsLine]) -> Path:
    """Write a news replay file, one JSON object per line."""
    text = "".join(
        json.dumps(line.record(index)) + "\n" for index, line in enumerate(lines, start=1)
    )
    path.write_text(text, encoding="utf-8")
    return path
