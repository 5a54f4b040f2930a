"""The signal-generator's own feed: bars taken in the groups they arrived in, and stored in
batches (by size, or by time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Final

import structlog

from trading_bot.core.errors import DataError, TemporaryError
from trading_bot.core.model import Bar
from trading_bot.core.ports import (
    GroupedMarketDataFeed,
    MarketDataFeed,
    MarketDataRepository,
    Metrics,
)

log = structlog.stdlib.get_logger(__name__)

BARS_STORED: Final = "bars_stored"
"""Counter of feed bars newly written to market_data."""
BAR_STORE_FAILURES: Final = "bar_store_failures"
"""Counter of failed bar writes (label ``kind``: ``unavailable``, kept for the next batch, or
``refused``, a bar storage would not hold, logged and dropped)."""


async def arrivals(feed: MarketDataFeed, limit: int) -> AsyncGenerator[list[Bar], None]:
    """Yield the feed's bars in the groups they arrived in, at most ``limit`` a group.

    A stream such as Alpaca's delivers one bar per subscribed ticker in one frame each minute;
    taken together they are published with one bus round trip instead of one each. A feed that
    cannot tell (a replay on the simulated clock) gives groups of one: reading ahead of the
    evaluation would move that clock before the bars already read were handled.
    """
    source: AsyncIterator[list[Bar]] | AsyncIterator[Bar] = (
        feed.bar_groups(limit) if isinstance(feed, GroupedMarketDataFeed) else feed.bars()
    )
    try:
        async for item in source:
            yield item if isinstance(item, list) else [item]
    finally:
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()  # the feed lets go of its connection when we stop early


def _report_failure(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("storing feed bars failed", exc_info=task.exception())


class BarRecorder:
    """Collect bars and write them with ``MarketDataRepository.add_bars``, one batch at a time.

    A full batch is written in the background, so evaluating the bars that follow never waits
    for the insert. A batch that cannot be written because storage is down is kept and retried
    with the next one; a batch storage refuses is retried bar by bar, so only the bars it refuses
    are lost.
    """

    def __init__(
        self, market_data: MarketDataRepository, metrics: Metrics, batch_size: int
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._market_data = market_data
        self._metrics = metrics
        self._batch_size = batch_size
        self._waiting: list[Bar] = []
        self._lock = asyncio.Lock()
        self._writing: asyncio.Task[int] | None = None

    @property
    def waiting(self) -> int:
        """Return how many bars wait to be stored."""
        return len(self._waiting)

    async def add(self, bar: Bar) -> None:
        """Queue ``bar``; once the batch is full, start writing it (without waiting for it)."""
        self._waiting.append(bar)
        if len(self._waiting) >= self._batch_size and (
            self._writing is None or self._writing.done()
        ):
            self._writing = asyncio.create_task(self.flush(), name="store-feed-bars")
            self._writing.add_done_callback(_report_failure)

    async def flush(self) -> int:
        """Write every waiting bar; return how many were new to storage."""
        async with self._lock:
            batch, self._waiting = self._waiting, []
            if not batch:
                return 0
            try:
                stored = await self._market_data.add_bars(batch)
            except TemporaryError as exc:
                self._waiting[:0] = batch
                self._metrics.increment(BAR_STORE_FAILURES, kind="unavailable")
                log.warning("bars not stored yet; kept for the next batch", error=str(exc))
                return 0
            except DataError:
                stored = await self._one_by_one(batch)
            self._metrics.increment(BARS_STORED, stored)
            return stored

    async def _one_by_one(self, batch: list[Bar]) -> int:
        stored = 0
        for bar in batch:
            try:
                stored += await self._market_data.add_bars([bar])
            except DataError as exc:
                self._metrics.increment(BAR_STORE_FAILURES, kind="refused")
                log.error("bar refused by storage", bar=bar.model_dump(mode="json"), error=str(exc))
        return stored
