"""What only the memory bus must prove: drain() and determinism on a simulated clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import HeartbeatSent, Message
from trading_bot.core.ports import Handler
from trading_bot.testing.bus import (
    BUS_TEST_TIME,
    RecordingHandler,
    heartbeat,
    heartbeats,
    quick_memory_config,
)

STREAM = "test:events"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(BUS_TEST_TIME)


@pytest.fixture
async def bus(clock: SimulatedClock) -> AsyncIterator[MemoryBus]:
    memory_bus = MemoryBus(quick_memory_config(), clock=clock)
    yield memory_bus
    await memory_bus.close()


@pytest.fixture
async def tasks() -> AsyncIterator[list[asyncio.Task[None]]]:
    running: list[asyncio.Task[None]] = []
    yield running
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


async def _yielding(message: Message) -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_memory_bus_drain_when_groups_are_busy_returns_after_every_group_handled_all(
    bus: MemoryBus, tasks: list[asyncio.Task[None]]
) -> None:
    first, second = RecordingHandler(delay_s=0.001), RecordingHandler()
    tasks.append(asyncio.create_task(bus.consume(STREAM, "slow", first)))
    tasks.append(asyncio.create_task(bus.consume(STREAM, "fast", second)))
    await asyncio.sleep(0)
    messages = heartbeats(30)

    await bus.publish_many(messages, stream=STREAM)
    await asyncio.wait_for(bus.drain(), 5)

    assert len(first.handled) == 30
    assert len(second.handled) == 30


async def test_memory_bus_drain_when_a_group_has_no_running_consumer_ignores_its_backlog(
    bus: MemoryBus, tasks: list[asyncio.Task[None]]
) -> None:
    active = RecordingHandler()
    stopped = asyncio.create_task(bus.consume(STREAM, "stopped", _yielding))
    tasks.append(asyncio.create_task(bus.consume(STREAM, "active", active)))
    await asyncio.sleep(0)
    stopped.cancel()
    await asyncio.gather(stopped, return_exceptions=True)

    await bus.publish_many(heartbeats(5), stream=STREAM)
    await asyncio.wait_for(bus.drain(), 5)

    assert len(active.handled) == 5


async def test_memory_bus_when_handler_fails_redelivers_only_once_the_clock_passes_idle_time(
    bus: MemoryBus, clock: SimulatedClock, tasks: list[asyncio.Task[None]]
) -> None:
    handler = RecordingHandler(fail=lambda message, attempt: attempt == 1)
    tasks.append(asyncio.create_task(bus.consume(STREAM, "g", handler)))
    await asyncio.sleep(0)
    await bus.publish(heartbeat(), stream=STREAM)

    await asyncio.wait_for(bus.drain(), 5)
    attempts_before = sum(handler.attempts.values())
    await clock.advance(0.149)
    await asyncio.wait_for(bus.drain(), 5)
    attempts_too_early = sum(handler.attempts.values())
    await clock.advance(0.001)
    await asyncio.wait_for(bus.drain(), 5)

    assert (attempts_before, attempts_too_early) == (1, 1)
    assert len(handler.handled) == 1


async def test_memory_bus_on_a_simulated_clock_replays_the_same_interleaving_every_run() -> None:
    async def run_once() -> list[tuple[str, str]]:
        clock = SimulatedClock(BUS_TEST_TIME)
        memory_bus = MemoryBus(quick_memory_config(), clock=clock)
        trace: list[tuple[str, str]] = []

        def recorder(group: str) -> Handler:
            async def note(message: Message) -> None:
                assert isinstance(message, HeartbeatSent)
                trace.append((group, message.instance))
                await asyncio.sleep(0)

            return note

        running = [
            asyncio.create_task(memory_bus.consume(STREAM, group, recorder(group)))
            for group in ("a", "b", "c")
        ]
        await asyncio.sleep(0)
        for index in range(20):
            await memory_bus.publish(heartbeat(f"hb-{index}"), stream=STREAM)
            if index % 7 == 0:
                await memory_bus.drain()
        await memory_bus.drain()
        await memory_bus.close()
        await asyncio.gather(*running)
        return trace

    first, second = await run_once(), await run_once()

    assert first == second
    assert len(first) == 60


async def test_memory_bus_when_dedupe_ttl_has_passed_handles_a_repeated_event_again(
    clock: SimulatedClock, tasks: list[asyncio.Task[None]]
) -> None:
    bus = MemoryBus(quick_memory_config(dedupe_ttl_s=60), clock=clock)
    repeated = heartbeat()
    handler = RecordingHandler()
    tasks.append(asyncio.create_task(bus.consume(STREAM, "g", handler)))
    await asyncio.sleep(0)

    await bus.publish(repeated, stream=STREAM)
    await bus.publish(repeated, stream=STREAM)
    await bus.drain()
    handled_within_ttl = len(handler.handled)
    await clock.advance(61)
    await bus.publish(repeated, stream=STREAM)
    await bus.drain()

    assert handled_within_ttl == 1
    assert len(handler.handled) == 2
    await bus.close()


async def test_memory_bus_when_publish_many_is_given_nothing_returns_no_ids(bus: MemoryBus) -> None:
    assert await bus.publish_many([]) == []


async def test_memory_bus_drain_when_closed_returns_at_once(bus: MemoryBus) -> None:
    await bus.publish(heartbeat(), stream=STREAM)
    await bus.close()

    await asyncio.wait_for(bus.drain(), 1)
