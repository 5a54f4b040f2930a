"""Replay of bar files (CSV or Parquet) on a simulated clock, as fast as possible or paced.

Bars from every file are merged in close-time order; the clock is advanced to each bar's close
before the bar is yielded, so nothing downstream can see a bar before it closed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path

import structlog

from trading_bot.adapters.market_data.bar_rows import (
    LoadedBars,
    SkippedRow,
    close_order,
    load_bar_file,
)
from trading_bot.adapters.market_data.pacing import Pacer, Sleep, SteppedClock
from trading_bot.core.model import Bar
from trading_bot.core.ports import Metrics

__all__ = ["ReplayFeed", "SkippedRow"]

_log = structlog.stdlib.get_logger(__name__)
_LOGGED_ROWS = 20
"""Skipped rows logged one by one per load; the rest are summarised by reason."""


class ReplayFeed:
    """A ``core.ports.MarketDataFeed`` over bar files.

    ``speed`` None replays as fast as the consumer takes bars; ``speed`` 60 replays one simulated
    minute per real second. Bad rows are skipped, logged and counted (``skipped``); a file that
    cannot be read or lacks a required column raises ``DataError`` from ``bars()``.
    """

    def __init__(
        self,
        paths: Path | str | Sequence[Path | str],
        clock: SteppedClock,
        *,
        speed: float | None = None,
        max_pause_seconds: float | None = None,
        interval_seconds: int | None = None,
        metrics: Metrics | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        listed = [paths] if isinstance(paths, Path | str) else list(paths)
        self._paths = [Path(p) for p in listed]
        self._pacer = Pacer(clock, speed=speed, max_pause_seconds=max_pause_seconds, sleep=sleep)
        self._interval = interval_seconds
        self._metrics = metrics
        self._skipped: list[SkippedRow] = []

    @property
    def skipped(self) -> list[SkippedRow]:
        """Return the rows left out so far, with the reason for each."""
        return list(self._skipped)

    @property
    def skipped_by_reason(self) -> Counter[str]:
        """Return how many rows were left out for each reason."""
        return Counter(s.reason for s in self._skipped)

    def load(self) -> list[Bar]:
        """Read and check every file; return the good bars in close-time order."""
        merged = LoadedBars()
        for path in self._paths:
            loaded = load_bar_file(path, interval_seconds=self._interval)
            merged.bars.extend(loaded.bars)
            merged.skipped.extend(loaded.skipped)
        if len(self._paths) > 1:
            merged.bars.sort(key=close_order)
        self._record(merged.skipped)
        return merged.bars

    async def bars(self) -> AsyncGenerator[Bar, None]:
        """Yield each bar once the clock has been brought to its close."""
        bars = await asyncio.to_thread(self.load)
        _log.info("replay started", files=[str(p) for p in self._paths], bars=len(bars))
        for bar in bars:
            await self._pacer.wait_until(bar.closes_at)
            yield bar

    def _record(self, skipped: list[SkippedRow]) -> None:
        self._skipped.extend(skipped)
        for item in skipped[:_LOGGED_ROWS]:
            _log.warning("bar row skipped", file=str(item.path), row=item.row, reason=item.reason)
        if skipped:
            _log.warning(
                "bar rows skipped", total=len(skipped), by_reason=dict(self.skipped_by_reason)
            )
        if self._metrics is not None:
            for reason, count in Counter(s.reason for s in skipped).items():
                self._metrics.increment("market_data_rows_skipped", count, reason=reason)
