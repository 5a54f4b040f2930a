"""Helpers for event-bus tests: quick configs, a recording handler, a Redis connection killer."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Protocol

import redis.asyncio

from trading_bot.adapters.bus.config import MemoryBusConfig, RedisBusConfig
from trading_bot.core.events import HeartbeatSent, Message
from trading_bot.core.ports import DeadLetter, EventBus

BUS_TEST_TIME = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


class RawPublishingBus(EventBus, Protocol):
    """An ``EventBus`` that can also append raw bytes, as both adapters can."""

    async def publish_raw(self, stream: str, payload: bytes) -> str: ...


def heartbeat(instance: str = "test-1", *, event_id: uuid.UUID | None = None) -> HeartbeatSent:
    """Return a small message for bus tests (a fresh ``event_id`` unless one is given)."""
    return HeartbeatSent(
        event_id=event_id or uuid.uuid4(),
        occurred_at=BUS_TEST_TIME,
        service="bus-test",
        instance=instance,
    )


def heartbeats(count: int) -> list[HeartbeatSent]:
    """Return ``count`` distinct heartbeats named ``hb-0`` … ``hb-<count-1>``."""
    return [heartbeat(f"hb-{index}") for index in range(count)]


def quick_memory_config(**overrides: object) -> MemoryBusConfig:
    """Return a memory-bus config with test timings: 150 ms claim idle, 3 deliveries."""
    values: dict[str, object] = {"claim_idle_ms": 150, "max_deliveries": 3, "dedupe_ttl_s": 60}
    return MemoryBusConfig.model_validate(values | overrides)


def quick_redis_config(url: str, prefix: str, /, **overrides: object) -> RedisBusConfig:
    """Return a Redis-bus config with test timings, its keys and client name under ``prefix``."""
    values: dict[str, object] = {
        "url": url,
        "prefix": prefix,
        "client_name": f"{prefix.rstrip(':')}-bus",
        "claim_idle_ms": 150,
        "max_deliveries": 3,
        "dedupe_ttl_s": 60,
        "block_ms": 50,
        "connect_timeout_s": 1.0,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.1,
        "close_timeout_s": 2.0,
    }
    return RedisBusConfig.model_validate(values | overrides)


class RecordingHandler:
    """A bus handler that records what it handled and can be told to fail or to hang.

    ``fail`` decides, per message and attempt number (1-based), whether the handler raises
    ``RuntimeError``; ``hang`` decides whether it blocks until the task is cancelled.
    """

    def __init__(
        self,
        *,
        fail: Callable[[Message, int], bool] | None = None,
        hang: Callable[[Message], bool] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.handled: list[Message] = []
        self.attempts: Counter[uuid.UUID] = Counter()
        self.hanging = asyncio.Event()
        self._fail = fail
        self._hang = hang
        self._delay_s = delay_s
        self._changed = asyncio.Condition()

    async def __call__(self, message: Message) -> None:
        """Handle one message: count the attempt, then hang, fail or record it."""
        self.attempts[message.event_id] += 1
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        if self._hang is not None and self._hang(message):
            self.hanging.set()
            await asyncio.Event().wait()
        if self._fail is not None and self._fail(message, self.attempts[message.event_id]):
            raise RuntimeError(f"handler refused {message.event_id}")
        async with self._changed:
            self.handled.append(message)
            self._changed.notify_all()

    @property
    def event_ids(self) -> list[uuid.UUID]:
        """Return the ``event_id`` of every message handled successfully, in order."""
        return [message.event_id for message in self.handled]

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> None:
        """Wait until at least ``count`` messages were handled successfully."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: len(self.handled) >= count)

    async def wait_for_ids(self, event_ids: Iterable[uuid.UUID], timeout_s: float = 5.0) -> None:
        """Wait until every one of ``event_ids`` was handled successfully."""
        wanted = set(event_ids)
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: wanted <= set(self.event_ids))


async def kill_redis_clients(url: str, client_name: str) -> int:
    """Close, from a separate admin connection, every Redis connection named ``client_name``.

    Return how many were killed. Only those connections are touched, so tests that share the
    Redis server with others do not disturb them.
    """
    admin = redis.asyncio.Redis.from_url(url)
    try:
        clients = await admin.client_list()
        ids = [client["id"] for client in clients if client.get("name") == client_name]
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
        return len(ids)
    finally:
        await admin.aclose()


async def wait_for_dead_letters(
    bus: EventBus, stream: str, count: int, timeout_s: float = 5.0
) -> list[DeadLetter]:
    """Poll ``bus.dead_letters(stream)`` until it holds at least ``count`` entries; return them."""
    async with asyncio.timeout(timeout_s):
        # Dead letters may live in Redis, where there is no in-process event to await.
        while len(letters := await bus.dead_letters(stream)) < count:  # noqa: ASYNC110 -- polls Redis
            await asyncio.sleep(0.02)
    return letters
