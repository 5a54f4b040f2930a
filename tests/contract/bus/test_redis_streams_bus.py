"""What only the Redis Streams bus must prove: lost connections, separate processes, key prefix."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
import redis.asyncio

from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.errors import BusUnavailableError
from trading_bot.testing.bus import (
    RecordingHandler,
    heartbeat,
    heartbeats,
    kill_redis_clients,
    quick_redis_config,
    wait_for_dead_letters,
)
from trading_bot.testing.metrics import RecordingMetrics

pytestmark = pytest.mark.redis

STREAM = "test:events"

BusFactory = Callable[..., RedisStreamsBus]
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


@pytest.fixture
async def make_bus(redis_url: str, redis_prefix: str) -> AsyncIterator[BusFactory]:
    buses: list[RedisStreamsBus] = []

    def make(metrics: RecordingMetrics | None = None, **overrides: object) -> RedisStreamsBus:
        config = quick_redis_config(redis_url, redis_prefix, **overrides)
        bus = RedisStreamsBus(config, clock=WallClock(), metrics=metrics)
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.close()


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn]:
    tasks: list[asyncio.Task[None]] = []

    def start(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine)
        tasks.append(task)
        return task

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_redis_bus_when_connections_are_killed_mid_stream_handles_each_message_once(
    make_bus: BusFactory, spawn: Spawn, redis_url: str
) -> None:
    metrics = RecordingMetrics()
    bus = make_bus(metrics=metrics, batch_size=10)
    messages = heartbeats(200)
    handler = RecordingHandler(delay_s=0.0005)
    spawn(bus.consume(STREAM, "g", handler))
    killed = 0

    for start in range(0, 200, 40):
        await bus.publish_many(messages[start : start + 20], stream=STREAM)
        for message in messages[start + 20 : start + 40]:
            await bus.publish(message, stream=STREAM)
        # Once while the consumer is busy with the chunk, once while it blocks on an idle stream.
        killed += await kill_redis_clients(redis_url, bus.config.client_name)
        await handler.wait_for(start + 40)
        await asyncio.sleep(0.02)
        killed += await kill_redis_clients(redis_url, bus.config.client_name)
    await handler.wait_for_ids([message.event_id for message in messages])

    assert killed >= 10
    assert metrics.count("bus_reconnects") >= 1
    assert sorted(map(str, handler.event_ids)) == sorted(str(m.event_id) for m in messages)
    assert len(handler.handled) == len(messages)


async def test_redis_bus_when_a_consumer_process_dies_another_process_claims_its_messages(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    dying_process, surviving_process = make_bus(), make_bus()
    victim = heartbeat("victim")
    dying = RecordingHandler(hang=lambda _: True)
    survivor = RecordingHandler()
    await dying_process.publish(victim, stream=STREAM)
    crashed = spawn(dying_process.consume(STREAM, "g", dying))
    await asyncio.wait_for(dying.hanging.wait(), 5)

    crashed.cancel()
    await asyncio.gather(crashed, return_exceptions=True)
    spawn(surviving_process.consume(STREAM, "g", survivor))
    await survivor.wait_for(1)

    assert survivor.event_ids == [victim.event_id]


async def test_redis_bus_when_consumer_restarts_under_its_name_rereads_its_pending_at_once(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus(claim_idle_ms=600_000, dedupe_ttl_s=3_600)
    victim = heartbeat("victim")
    dying = RecordingHandler(hang=lambda _: True)
    restarted = RecordingHandler()
    await bus.publish(victim, stream=STREAM)
    crashed = spawn(bus.consume(STREAM, "g", dying, consumer="executor-1"))
    await asyncio.wait_for(dying.hanging.wait(), 5)
    crashed.cancel()
    await asyncio.gather(crashed, return_exceptions=True)

    spawn(bus.consume(STREAM, "g", restarted, consumer="executor-1"))
    await restarted.wait_for(1)

    assert restarted.event_ids == [victim.event_id]


async def test_redis_bus_when_stream_is_deleted_under_a_consumer_recreates_it_and_goes_on(
    make_bus: BusFactory, spawn: Spawn, redis_url: str
) -> None:
    bus = make_bus()
    before, after = heartbeat("before"), heartbeat("after")
    handler = RecordingHandler()
    spawn(bus.consume(STREAM, "g", handler))
    await bus.publish(before, stream=STREAM)
    await handler.wait_for(1)

    admin = redis.asyncio.Redis.from_url(redis_url)
    try:
        await admin.delete(f"{bus.config.prefix}{STREAM}")
    finally:
        await admin.aclose()
    await asyncio.sleep(0.1)
    await bus.publish(after, stream=STREAM)
    await handler.wait_for(2)

    assert handler.event_ids == [before.event_id, after.event_id]


async def test_redis_bus_keeps_every_key_under_its_prefix_and_expires_its_dedupe_set(
    make_bus: BusFactory, spawn: Spawn, redis_url: str
) -> None:
    bus = make_bus()
    stream = f"test:{uuid.uuid4().hex}"
    message = heartbeat()
    handler = RecordingHandler()
    await bus.publish(message, stream=stream)
    await bus.publish_raw(stream, b"not json")
    spawn(bus.consume(stream, "g", handler))
    await handler.wait_for(1)
    await wait_for_dead_letters(bus, stream, 1)

    admin = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = {key async for key in admin.scan_iter(match=f"*{stream}*")}
        dedupe_key = f"{bus.config.prefix}dedupe:{stream}:g"
        ttl = await admin.ttl(dedupe_key)
        remembered = await admin.zrange(dedupe_key, 0, -1)
    finally:
        await admin.aclose()

    prefix = bus.config.prefix
    assert keys == {
        f"{prefix}{stream}",
        f"{prefix}{stream}:dead",
        f"{prefix}dedupe:{stream}:g",
    }
    assert remembered == [message.event_id.hex]
    assert 0 < ttl <= bus.config.dedupe_ttl_s


async def test_redis_bus_ping_when_redis_is_unreachable_raises_bus_unavailable(
    make_bus: BusFactory,
) -> None:
    bus = make_bus(url="redis://127.0.0.1:1/0")

    with pytest.raises(BusUnavailableError, match="does not answer"):
        await bus.ping()


async def test_redis_bus_publish_when_redis_is_unreachable_raises_after_its_retries(
    make_bus: BusFactory,
) -> None:
    bus = make_bus(url="redis://127.0.0.1:1/0", publish_retries=2)

    with pytest.raises(BusUnavailableError, match="cannot publish"):
        await bus.publish(heartbeat(), stream=STREAM)
    with pytest.raises(BusUnavailableError, match="cannot publish"):
        await bus.publish_many(heartbeats(3), stream=STREAM)


async def test_redis_bus_when_redis_is_unreachable_consumer_keeps_retrying_until_closed(
    make_bus: BusFactory,
) -> None:
    metrics = RecordingMetrics()
    bus = make_bus(metrics=metrics, url="redis://127.0.0.1:1/0")
    consuming = asyncio.create_task(bus.consume(STREAM, "g", RecordingHandler()))
    await asyncio.sleep(0.2)

    await bus.close()
    await asyncio.wait_for(consuming, 5)

    assert metrics.count("bus_reconnects", stream=STREAM, group="g") >= 2
