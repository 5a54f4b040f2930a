"""The EventBus contract, proved against every adapter: MemoryBus and RedisStreamsBus.

Timings are shortened (claim idle 150 ms, 3 deliveries) so that each test takes well under a
second or two; see ``trading_bot.testing.bus``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.errors import BusUnavailableError
from trading_bot.core.events import Message, encode
from trading_bot.testing.bus import (
    RawPublishingBus,
    RecordingHandler,
    heartbeat,
    heartbeats,
    quick_memory_config,
    quick_redis_config,
    wait_for_dead_letters,
)
from trading_bot.testing.messages import sample_messages
from trading_bot.testing.metrics import RecordingMetrics

STREAM = "test:events"

BusFactory = Callable[..., RawPublishingBus]
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


@pytest.fixture
async def memory_bus_factory() -> AsyncIterator[BusFactory]:
    buses: list[MemoryBus] = []

    def make(metrics: RecordingMetrics | None = None, **overrides: object) -> MemoryBus:
        bus = MemoryBus(quick_memory_config(**overrides), clock=WallClock(), metrics=metrics)
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.close()


@pytest.fixture
async def redis_bus_factory(redis_url: str, redis_prefix: str) -> AsyncIterator[BusFactory]:
    buses: list[RedisStreamsBus] = []

    def make(metrics: RecordingMetrics | None = None, **overrides: object) -> RedisStreamsBus:
        config = quick_redis_config(redis_url, redis_prefix, **overrides)
        bus = RedisStreamsBus(config, clock=WallClock(), metrics=metrics)
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.close()


@pytest.fixture(params=["memory", "redis"])
def make_bus(request: pytest.FixtureRequest) -> BusFactory:
    factory: BusFactory = request.getfixturevalue(f"{request.param}_bus_factory")
    return factory


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


def _ids(messages: list[Message] | list[Any]) -> list[Any]:
    return [message.event_id for message in messages]


async def test_bus_when_every_message_type_published_delivers_equal_messages_in_order(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    messages = sample_messages()
    handler = RecordingHandler()

    ids = await bus.publish_many(messages, stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    await handler.wait_for(len(messages))

    assert handler.handled == messages
    assert len(set(ids)) == len(messages)


async def test_bus_when_published_to_default_stream_uses_the_message_stream(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    message = heartbeat()
    handler = RecordingHandler()

    await bus.publish(message)
    spawn(bus.consume(message.stream, "g", handler))
    await handler.wait_for(1)

    assert handler.handled == [message]


async def test_bus_when_group_starts_after_publish_delivers_earlier_and_later_messages(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    early, late = heartbeats(5), heartbeats(5)
    handler = RecordingHandler()

    await bus.publish_many(early, stream=STREAM)
    spawn(bus.consume(STREAM, "late-service", handler))
    for message in late:
        await bus.publish(message, stream=STREAM)
    await handler.wait_for(10)

    assert handler.event_ids == _ids(early + late)


async def test_bus_when_two_groups_consume_each_group_sees_every_message(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    messages = heartbeats(20)
    first, second = RecordingHandler(), RecordingHandler()
    spawn(bus.consume(STREAM, "group-a", first))
    spawn(bus.consume(STREAM, "group-b", second))

    await bus.publish_many(messages[:10], stream=STREAM)
    for message in messages[10:]:
        await bus.publish(message, stream=STREAM)
    await first.wait_for(20)
    await second.wait_for(20)

    assert first.event_ids == _ids(messages)
    assert second.event_ids == _ids(messages)


async def test_bus_when_two_consumers_share_a_group_splits_messages_without_overlap(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus(batch_size=4)
    messages = heartbeats(40)
    everything = RecordingHandler(delay_s=0.002)
    seen_by: dict[str, list[Any]] = {"worker-1": [], "worker-2": []}

    def worker(name: str) -> Callable[[Message], Coroutine[Any, Any, None]]:
        async def handle(message: Message) -> None:
            seen_by[name].append(message.event_id)
            await everything(message)

        return handle

    await bus.publish_many(messages, stream=STREAM)
    for name in seen_by:
        spawn(bus.consume(STREAM, "workers", worker(name), consumer=name))
    await everything.wait_for(40)

    first, second = seen_by.values()
    assert set(first).isdisjoint(second)
    assert set(first) | set(second) == set(_ids(messages))
    assert first
    assert second


async def test_bus_when_consumer_dies_before_ack_redelivers_to_another_consumer(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    victim, after = heartbeat("victim"), heartbeat("after")
    dying = RecordingHandler(hang=lambda message: message.event_id == victim.event_id)
    survivor = RecordingHandler()
    await bus.publish(victim, stream=STREAM)
    crashed = spawn(bus.consume(STREAM, "g", dying, consumer="dies"))
    await asyncio.wait_for(dying.hanging.wait(), 5)

    crashed.cancel()
    await asyncio.gather(crashed, return_exceptions=True)
    spawn(bus.consume(STREAM, "g", survivor, consumer="survives"))
    await bus.publish(after, stream=STREAM)
    await survivor.wait_for_ids([victim.event_id, after.event_id])

    assert dying.handled == []
    assert sorted(survivor.event_ids) == sorted([victim.event_id, after.event_id])
    assert await bus.dead_letters(STREAM) == []


async def test_bus_when_event_id_repeats_calls_handler_once_per_group(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    repeated, between, last = heartbeat("repeated"), heartbeat("between"), heartbeat("last")
    handler, other_group = RecordingHandler(), RecordingHandler()

    await bus.publish_many([repeated, repeated, between], stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    await handler.wait_for_ids([between.event_id])
    await bus.publish_many([repeated, last], stream=STREAM)
    await handler.wait_for_ids([last.event_id])
    spawn(bus.consume(STREAM, "other", other_group))
    await other_group.wait_for_ids([last.event_id])

    assert handler.event_ids == _ids([repeated, between, last])
    assert handler.attempts[repeated.event_id] == 1
    assert other_group.event_ids == _ids([repeated, between, last])


async def test_bus_when_handler_fails_once_redelivers_and_handles_it(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    flaky = heartbeat("flaky")
    handler = RecordingHandler(fail=lambda message, attempt: attempt == 1)

    await bus.publish(flaky, stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    await handler.wait_for(1)

    assert handler.event_ids == [flaky.event_id]
    assert handler.attempts[flaky.event_id] == 2
    assert await bus.dead_letters(STREAM) == []


async def test_bus_when_handler_always_fails_dead_letters_it_while_later_messages_flow(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    metrics = RecordingMetrics()
    bus = make_bus(metrics=metrics)
    poison, healthy = heartbeat("poison"), heartbeats(3)
    handler = RecordingHandler(fail=lambda message, _: message.event_id == poison.event_id)

    poison_id = await bus.publish(poison, stream=STREAM)
    await bus.publish_many(healthy, stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    await handler.wait_for_ids(_ids(healthy))
    letters = await wait_for_dead_letters(bus, STREAM, 1)

    assert handler.event_ids == _ids(healthy)
    [letter] = letters
    assert letter.message_id == poison_id
    assert letter.payload == encode(poison)
    assert letter.group == "g"
    assert letter.deliveries == 3
    assert f"handler refused {poison.event_id}" in letter.error
    assert handler.attempts[poison.event_id] == 3
    assert metrics.count("bus_dead_letters", group="g") == 1
    assert metrics.count("bus_handler_failures", group="g") == 3


async def test_bus_when_a_dead_letter_is_published_again_hands_the_message_over(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    poison = heartbeat("poison")
    broken = True
    handler = RecordingHandler(fail=lambda message, attempt: broken)
    await bus.publish(poison, stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    [letter] = await wait_for_dead_letters(bus, STREAM, 1)

    broken = False
    await bus.publish_raw(letter.stream, letter.payload)
    await handler.wait_for(1)

    assert handler.handled == [poison]


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"type": "OrderTeleported"}', "unknown message type 'OrderTeleported'"),
        (
            json.dumps({**json.loads(encode(heartbeat())), "service": ""}).encode(),
            "invalid HeartbeatSent",
        ),
    ],
    ids=["broken-json", "not-utf8", "not-an-object", "unknown-type", "invalid-field"],
)
async def test_bus_when_payload_is_malformed_dead_letters_it_and_goes_on(
    make_bus: BusFactory, spawn: Spawn, payload: bytes, complaint: str
) -> None:
    metrics = RecordingMetrics()
    bus = make_bus(metrics=metrics)
    good = heartbeat("good")
    handler = RecordingHandler()

    bad_id = await bus.publish_raw(STREAM, payload)
    await bus.publish(good, stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    await handler.wait_for(1)
    [letter] = await wait_for_dead_letters(bus, STREAM, 1)

    assert handler.event_ids == [good.event_id]
    assert sum(handler.attempts.values()) == 1
    assert (letter.message_id, letter.payload, letter.deliveries) == (bad_id, payload, 1)
    assert complaint in letter.error
    assert metrics.count("bus_dead_letters", stream=f"{STREAM}:dead") == 1


async def test_bus_when_consumers_keep_dying_dead_letters_without_calling_handler_again(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    killer = heartbeat("killer")
    await bus.publish(killer, stream=STREAM)
    for attempt in range(3):
        dying = RecordingHandler(hang=lambda _: True)
        task = spawn(bus.consume(STREAM, "g", dying, consumer=f"dies-{attempt}"))
        await asyncio.wait_for(dying.hanging.wait(), 5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    last = RecordingHandler()
    spawn(bus.consume(STREAM, "g", last, consumer="last"))
    [letter] = await wait_for_dead_letters(bus, STREAM, 1)

    assert last.attempts[killer.event_id] == 0
    assert letter.deliveries == 4
    assert "without being acknowledged" in letter.error
    assert letter.payload == encode(killer)


async def test_bus_when_stream_exceeds_maxlen_trims_the_oldest_entries(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus(maxlen=50)
    messages = heartbeats(400)
    handler = RecordingHandler()

    for start in range(0, 400, 100):
        await bus.publish_many(messages[start : start + 100], stream=STREAM)
    spawn(bus.consume(STREAM, "g", handler))
    await handler.wait_for_ids([messages[-1].event_id])

    kept = len(handler.handled)
    assert 50 <= kept < 400
    assert handler.event_ids == _ids(messages[-kept:])


async def test_bus_dead_letters_when_limited_returns_the_latest_oldest_first(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    payloads = [f"broken-{index}".encode() for index in range(5)]
    for payload in payloads:
        await bus.publish_raw(STREAM, payload)
    spawn(bus.consume(STREAM, "g", RecordingHandler()))
    await wait_for_dead_letters(bus, STREAM, 5)

    latest = await bus.dead_letters(STREAM, limit=2)

    assert [letter.payload for letter in latest] == payloads[3:]
    assert await bus.dead_letters("test:no-such-stream") == []


async def test_bus_when_closed_ends_consume_and_refuses_publish_and_ping(
    make_bus: BusFactory, spawn: Spawn
) -> None:
    bus = make_bus()
    handler = RecordingHandler()
    consuming = spawn(bus.consume(STREAM, "g", handler))
    await bus.publish(heartbeat(), stream=STREAM)
    await handler.wait_for(1)
    await bus.ping()

    await bus.close()

    await asyncio.wait_for(consuming, 5)
    with pytest.raises(BusUnavailableError):
        await bus.publish(heartbeat(), stream=STREAM)
    with pytest.raises(BusUnavailableError):
        await bus.ping()
    await asyncio.wait_for(bus.consume(STREAM, "g", handler), 1)
