"""Demo time: recorded as the market moves, resumed after a restart, followed by the processes
that do not own the market feed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import StorageUnavailableError
from trading_bot.core.events import BarClosed, ClosePosition, Message
from trading_bot.core.model import Bar
from trading_bot.entrypoints.demo_time import (
    DEMO_CLOCK_KEY,
    ClockFollower,
    ResumingFeed,
    TimeFollowingBus,
    recorded_time,
)
from trading_bot.testing.bar_series import bars_from_closes
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.key_value import MemoryKeyValueStore

START = datetime(2024, 1, 3, 14, 30, tzinfo=UTC)


class ListFeed:
    """A feed over given bars."""

    def __init__(self, bars: Sequence[Bar]) -> None:
        self._bars = list(bars)

    async def bars(self) -> AsyncIterator[Bar]:
        for bar in self._bars:
            yield bar


class FailingStore(MemoryKeyValueStore):
    """A store whose writes fail as an unreachable database's would."""

    async def set(self, key: str, value: str) -> None:
        raise StorageUnavailableError("database unavailable")


def two_tickers(minutes: int) -> list[Bar]:
    closes = [100.0 + i for i in range(minutes)]
    aapl = bars_from_closes(closes, ticker="AAPL", start=START)
    msft = bars_from_closes(closes, ticker="MSFT", start=START)
    return sorted([*aapl, *msft], key=lambda bar: (bar.closes_at, bar.ticker))


async def collect(feed: ResumingFeed) -> list[Bar]:
    return [bar async for bar in feed.bars()]


async def test_resuming_feed_records_each_new_close_time_once_before_its_first_bar() -> None:
    store = MemoryKeyValueStore()
    seen: list[tuple[str, str | None]] = []

    async for bar in ResumingFeed(ListFeed(two_tickers(3)), store, resume_from=None).bars():
        seen.append((bar.ticker, store.values.get(DEMO_CLOCK_KEY)))

    closes = [(START + timedelta(minutes=m)).isoformat() for m in (1, 1, 2, 2, 3, 3)]
    assert seen == list(zip(["AAPL", "MSFT"] * 3, closes, strict=True))
    assert store.writes == 3


async def test_resuming_feed_when_resumed_skips_the_bars_that_closed_before_the_record() -> None:
    store = MemoryKeyValueStore()
    resume_from = START + timedelta(minutes=2)

    bars = await collect(ResumingFeed(ListFeed(two_tickers(4)), store, resume_from=resume_from))

    assert [(b.ticker, b.closes_at) for b in bars] == [
        (ticker, START + timedelta(minutes=minute))
        for minute in (2, 3, 4)
        for ticker in ("AAPL", "MSFT")
    ]


async def test_resuming_feed_when_storage_is_down_keeps_the_market_going() -> None:
    bars = await collect(ResumingFeed(ListFeed(two_tickers(2)), FailingStore(), resume_from=None))

    assert len(bars) == 4


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, None),
        ("2024-01-03T15:00:00+00:00", datetime(2024, 1, 3, 15, tzinfo=UTC)),
        ("not a time", None),
        ("2024-01-03T15:00:00", None),
    ],
    ids=["nothing", "a time", "garbage", "no time zone"],
)
async def test_recorded_time_when_the_record_is_missing_or_unreadable_is_none(
    stored: str | None, expected: datetime | None
) -> None:
    store = MemoryKeyValueStore({DEMO_CLOCK_KEY: stored} if stored else None)

    assert await recorded_time(store) == expected


async def test_clock_follower_moves_forward_to_the_record_and_never_back() -> None:
    clock = SimulatedClock(START)
    store = MemoryKeyValueStore()
    follower = ClockFollower(clock, store, wait_clock=SimulatedClock(START))
    later, earlier = START + timedelta(hours=1), START + timedelta(minutes=30)

    await store.set(DEMO_CLOCK_KEY, later.isoformat())
    first = await follower.follow_once()
    await store.set(DEMO_CLOCK_KEY, earlier.isoformat())
    second = await follower.follow_once()

    assert (first, second) == (later, later)


async def test_clock_follower_wakes_what_sleeps_on_the_followed_clock() -> None:
    clock = SimulatedClock(START)
    store = MemoryKeyValueStore({DEMO_CLOCK_KEY: (START + timedelta(minutes=5)).isoformat()})
    follower = ClockFollower(clock, store, wait_clock=SimulatedClock(START))
    sleeper = asyncio.create_task(clock.sleep(60))
    await asyncio.sleep(0)

    await follower.follow_once()
    await asyncio.wait_for(sleeper, timeout=1)

    assert sleeper.done()


async def consume_until(
    bus: TimeFollowingBus, clock: SimulatedClock, stream: str, count: int
) -> list[tuple[Message, datetime]]:
    """Consume ``stream`` until ``count`` messages were handled; return each with the time its
    handler saw."""
    handled: list[tuple[Message, datetime]] = []
    enough = asyncio.Event()

    async def handler(message: Message) -> None:
        handled.append((message, clock.now()))
        if len(handled) == count:
            enough.set()

    task = asyncio.create_task(bus.consume(stream, "test", handler))
    await asyncio.wait_for(enough.wait(), timeout=5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return handled


async def test_time_following_bus_brings_the_clock_to_a_message_before_its_handler_runs() -> None:
    clock = SimulatedClock(START)
    bus = TimeFollowingBus(MemoryBus(quick_memory_config(), clock=clock), clock)
    (bar,) = bars_from_closes([100.0], start=START + timedelta(minutes=9))
    late = BarClosed(occurred_at=START + timedelta(minutes=10), bar=bar)
    early = BarClosed(occurred_at=START + timedelta(minutes=5), bar=bar)
    await bus.publish(late)
    await bus.publish(early)

    handled = await consume_until(bus, clock, late.stream, 2)
    await bus.close()

    minute_ten = START + timedelta(minutes=10)
    assert handled == [(late, minute_ten), (early, minute_ten)]


async def test_time_following_bus_when_a_command_comes_from_the_wall_clock_keeps_its_time() -> None:
    clock = SimulatedClock(START)
    bus = TimeFollowingBus(MemoryBus(quick_memory_config(), clock=clock), clock)
    command = ClosePosition(
        occurred_at=datetime(2030, 1, 1, tzinfo=UTC), ticker="AAPL", requested_by="someone"
    )
    await bus.publish(command)

    handled = await consume_until(bus, clock, command.stream, 1)
    await bus.close()

    assert handled == [(command, START)]
