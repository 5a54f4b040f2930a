"""Clocks: the wall clock reads aware UTC; the simulated clock moves only forward, on request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from trading_bot.adapters.clocks import SimulatedClock, WallClock
from trading_bot.core.ports import Clock

START = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)


async def _sleep_and_record(
    clock: SimulatedClock, name: str, seconds: float, woke: list[tuple[str, datetime]]
) -> None:
    await clock.sleep(seconds)
    woke.append((name, clock.now()))


def test_wall_clock_when_read_returns_aware_utc() -> None:
    now = WallClock().now()

    assert now.tzinfo is UTC


async def test_wall_clock_when_asked_to_sleep_until_the_past_returns() -> None:
    clock = WallClock()

    await asyncio.wait_for(clock.sleep_until(clock.now() - timedelta(hours=1)), timeout=5)
    await asyncio.wait_for(clock.sleep(-1), timeout=5)


def test_clocks_when_used_as_the_port_satisfy_it() -> None:
    assert isinstance(WallClock(), Clock)
    assert isinstance(SimulatedClock(START), Clock)


def test_simulated_clock_when_started_naive_is_refused() -> None:
    naive = datetime(2024, 3, 5, 14, 30)  # noqa: DTZ001 -- naive on purpose

    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(naive)


def test_simulated_clock_when_started_in_another_zone_reads_utc() -> None:
    clock = SimulatedClock(datetime(2024, 3, 5, 9, 30, tzinfo=ZoneInfo("America/New_York")))

    assert clock.now() == START
    assert clock.now().tzinfo is UTC


async def test_simulated_clock_when_advanced_wakes_sleepers_in_deadline_order() -> None:
    clock = SimulatedClock(START)
    woke: list[tuple[str, datetime]] = []
    tasks = [
        asyncio.create_task(_sleep_and_record(clock, name, seconds, woke))
        for name, seconds in [("thirty", 30), ("ten", 10), ("twenty", 20)]
    ]
    await asyncio.sleep(0)

    await clock.advance(60)

    assert woke == [
        ("ten", START + timedelta(seconds=10)),
        ("twenty", START + timedelta(seconds=20)),
        ("thirty", START + timedelta(seconds=30)),
    ]
    assert clock.now() == START + timedelta(seconds=60)
    await asyncio.gather(*tasks)


async def test_simulated_clock_when_advanced_short_of_a_deadline_leaves_the_sleeper_waiting() -> (
    None
):
    clock = SimulatedClock(START)
    woke: list[tuple[str, datetime]] = []
    task = asyncio.create_task(_sleep_and_record(clock, "late", 30, woke))
    await asyncio.sleep(0)

    await clock.advance(29)

    assert woke == []
    assert clock.next_wakeup == START + timedelta(seconds=30)
    await clock.advance(1)
    assert woke == [("late", START + timedelta(seconds=30))]
    await task


async def test_simulated_clock_when_a_sleeper_is_cancelled_drops_it_and_wakes_the_rest() -> None:
    clock = SimulatedClock(START)
    woke: list[tuple[str, datetime]] = []
    cancelled = asyncio.create_task(_sleep_and_record(clock, "cancelled", 10, woke))
    kept = asyncio.create_task(_sleep_and_record(clock, "kept", 20, woke))
    await asyncio.sleep(0)

    cancelled.cancel()
    await asyncio.sleep(0)

    assert clock.next_wakeup == START + timedelta(seconds=20)
    await clock.advance(30)
    assert woke == [("kept", START + timedelta(seconds=20))]
    assert cancelled.cancelled()
    await kept


async def test_simulated_clock_when_a_periodic_task_sleeps_again_wakes_it_at_each_period() -> None:
    clock = SimulatedClock(START)
    ticks: list[datetime] = []

    async def every_ten_seconds() -> None:
        while True:
            await clock.sleep(10)
            ticks.append(clock.now())

    task = asyncio.create_task(every_ten_seconds())
    await asyncio.sleep(0)

    await clock.advance(35)

    assert ticks == [START + timedelta(seconds=s) for s in (10, 20, 30)]
    task.cancel()


async def test_simulated_clock_when_sleeping_until_the_past_returns_at_once() -> None:
    clock = SimulatedClock(START)

    await asyncio.wait_for(clock.sleep_until(START - timedelta(days=1)), timeout=5)
    await asyncio.wait_for(clock.sleep(-5), timeout=5)

    assert clock.now() == START
    assert clock.next_wakeup is None


async def test_simulated_clock_when_asked_to_go_backwards_refuses_and_keeps_its_time() -> None:
    clock = SimulatedClock(START)
    await clock.advance(60)

    with pytest.raises(ValueError, match="cannot go backwards"):
        await clock.advance_to(START)
    with pytest.raises(ValueError, match="cannot go backwards"):
        await clock.advance(-1)

    assert clock.now() == START + timedelta(seconds=60)


async def test_simulated_clock_when_advanced_to_a_time_in_another_zone_reads_it_as_utc() -> None:
    clock = SimulatedClock(START)

    await clock.advance_to(datetime(2024, 3, 5, 20, 0, tzinfo=timezone(timedelta(hours=5))))

    assert clock.now() == datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


async def test_simulated_clock_when_a_deadline_is_in_another_zone_wakes_the_sleeper_in_utc() -> (
    None
):
    clock = SimulatedClock(START)
    new_york = ZoneInfo("America/New_York")
    woke_at: list[datetime] = []

    async def sleeper() -> None:
        await clock.sleep_until(datetime(2024, 3, 5, 10, 0, tzinfo=new_york))
        woke_at.append(clock.now())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)

    await clock.advance(3600)

    assert woke_at == [datetime(2024, 3, 5, 15, 0, tzinfo=UTC)]
    assert woke_at[0].tzinfo is UTC
    await task


async def test_simulated_clock_when_advanced_to_a_naive_time_refuses_it() -> None:
    clock = SimulatedClock(START)
    naive = datetime(2024, 3, 6)  # noqa: DTZ001 -- naive on purpose

    with pytest.raises(ValueError, match="timezone-aware"):
        await clock.advance_to(naive)


async def test_simulated_clock_skip_to_moves_at_once_only_while_no_sleeper_is_due() -> None:
    clock = SimulatedClock(START)
    woke: list[tuple[str, datetime]] = []
    sleeper = asyncio.create_task(_sleep_and_record(clock, "hourly", 3_600, woke))
    await asyncio.sleep(0)

    moved_short = clock.skip_to(START + timedelta(minutes=59))
    moved_past = clock.skip_to(START + timedelta(minutes=61))

    assert moved_short
    assert not moved_past
    assert clock.now() == START + timedelta(minutes=59)
    assert woke == []
    await clock.advance_to(START + timedelta(minutes=61))
    await sleeper
    assert woke == [("hourly", START + timedelta(hours=1))]
    with pytest.raises(ValueError, match="backwards"):
        clock.skip_to(START)
