"""Taking a feed's bars in the groups they arrived in (one bus round trip per group)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import datetime, timedelta

import pytest

from trading_bot.core.errors import StorageUnavailableError
from trading_bot.core.model import Bar
from trading_bot.core.ports import MarketDataFeed, MarketDataRepository
from trading_bot.services.signals_feed import BarRecorder, arrivals
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW
from trading_bot.testing.trading_rigs import Storage


def bar(ticker: str, minute: int = 0) -> Bar:
    return Bar(
        ticker=ticker,
        timestamp=DEFAULT_NOW + timedelta(minutes=minute),
        open=100.0,
        high=101.0,
        low=99.0,
        close=100.5,
        volume=1_000,
    )


class FramedFeed:
    """Hands over bars in frames, and waits between frames, as a stream does."""

    def __init__(self, frames: Sequence[Sequence[Bar]], error: Exception | None = None) -> None:
        self.frames = frames
        self.error = error
        self.closed = False

    async def bars(self) -> AsyncGenerator[Bar, None]:
        groups = self.bar_groups(1_000_000)
        async with contextlib.aclosing(groups):
            async for group in groups:
                for item in group:
                    yield item

    async def bar_groups(self, limit: int) -> AsyncGenerator[list[Bar], None]:
        try:
            for frame in self.frames:
                await asyncio.sleep(0.001)  # the network between frames
                for start in range(0, len(frame), limit):
                    yield list(frame[start : start + limit])
            if self.error is not None:
                raise self.error
        finally:
            self.closed = True


class UngroupedFeed:
    """A feed that cannot tell which bars arrived together (a replay)."""

    def __init__(self, frames: Sequence[Sequence[Bar]]) -> None:
        self.framed = FramedFeed(frames)

    def bars(self) -> AsyncIterator[Bar]:
        return self.framed.bars()


async def collect(feed: MarketDataFeed, limit: int = 1_000) -> list[list[str]]:
    return [[b.ticker for b in group] async for group in arrivals(feed, limit)]


async def test_the_bars_of_one_frame_come_as_one_group_in_order() -> None:
    minute = [bar(t) for t in ("AAPL", "MSFT", "NVDA")]
    feed = FramedFeed([minute, [bar("AAPL", 1)], [bar("MSFT", 1), bar("NVDA", 1)]])

    assert await collect(feed) == [["AAPL", "MSFT", "NVDA"], ["AAPL"], ["MSFT", "NVDA"]]
    assert feed.closed


async def test_a_feed_that_cannot_group_gives_one_bar_at_a_time() -> None:
    feed = UngroupedFeed([[bar("AAPL"), bar("MSFT")], [bar("AAPL", 1)]])

    assert await collect(feed) == [["AAPL"], ["MSFT"], ["AAPL"]]


async def test_a_group_never_exceeds_the_limit() -> None:
    feed = FramedFeed([[bar(f"T{i}") for i in range(7)]])

    groups = await collect(feed, limit=3)

    assert [len(group) for group in groups] == [3, 3, 1]
    assert [t for group in groups for t in group] == [f"T{i}" for i in range(7)]


async def test_a_feed_error_is_raised_after_the_bars_that_came_before_it() -> None:
    feed = FramedFeed([[bar("AAPL"), bar("MSFT")]], error=ConnectionError("stream closed"))
    received: list[list[str]] = []

    async def drain() -> None:
        async for group in arrivals(feed, 100):
            received.append([b.ticker for b in group])

    with pytest.raises(ConnectionError, match="stream closed"):
        await drain()

    assert received == [["AAPL", "MSFT"]]


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "ungrouped"])
async def test_stopping_early_closes_the_feed(grouped: bool) -> None:
    framed = FramedFeed([[bar("AAPL")], [bar("MSFT")], [bar("NVDA")]])
    ungrouped = UngroupedFeed([])
    ungrouped.framed = framed
    feed: MarketDataFeed = framed if grouped else ungrouped
    groups = arrivals(feed, 100)

    async with contextlib.aclosing(groups):
        first = await anext(groups)

    assert [b.ticker for b in first] == ["AAPL"]
    assert framed.closed


# Storing the feed's bars -----------------------------------------------------------------------


class GatedBars:
    """The real bar repository behind a gate the test opens, and an outage it can switch on."""

    def __init__(self, stored: MarketDataRepository) -> None:
        self.stored = stored
        self.gate = asyncio.Event()
        self.gate.set()
        self.down = False

    async def add_bars(self, bars: Sequence[Bar]) -> int:
        await self.gate.wait()
        if self.down:
            raise StorageUnavailableError("database unavailable")
        return await self.stored.add_bars(bars)

    async def bars(self, ticker: str, start: datetime, end: datetime) -> list[Bar]:
        return await self.stored.bars(ticker, start, end)

    async def tickers(self) -> list[str]:
        return await self.stored.tickers()


async def stored_tickers(storage: Storage) -> list[str]:
    return await storage.repositories.market_data.tickers()


async def test_a_full_batch_is_written_without_holding_up_the_next_bars(storage: Storage) -> None:
    gated = GatedBars(storage.repositories.market_data)
    recorder = BarRecorder(gated, RecordingMetrics(), batch_size=2)
    gated.gate.clear()  # a slow insert

    async with asyncio.timeout(5):
        for minute in range(5):
            await recorder.add(bar("AAPL", minute))

    assert await stored_tickers(storage) == []
    gated.gate.set()
    await recorder.flush()
    end = DEFAULT_NOW + timedelta(minutes=10)
    assert len(await storage.repositories.market_data.bars("AAPL", DEFAULT_NOW, end)) == 5


async def test_bars_are_kept_while_storage_is_down_and_written_once_it_is_back(
    storage: Storage,
) -> None:
    gated = GatedBars(storage.repositories.market_data)
    metrics = RecordingMetrics()
    recorder = BarRecorder(gated, metrics, batch_size=100)
    await recorder.add(bar("AAPL"))
    gated.down = True

    assert await recorder.flush() == 0
    assert recorder.waiting == 1
    gated.down = False
    await recorder.add(bar("MSFT"))

    assert await recorder.flush() == 2
    assert await stored_tickers(storage) == ["AAPL", "MSFT"]
    assert metrics.count("bar_store_failures", kind="unavailable") == 1
