"""The Redis Streams event bus, for services running as separate processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from trading_bot.adapters.bus._delivery import DeliveryReporter, dead_stream
from trading_bot.adapters.bus._redis_consumer import (
    PAYLOAD,
    RedisContext,
    StreamConsumer,
    text,
)
from trading_bot.adapters.bus._redis_scripts import BatchScripts
from trading_bot.adapters.bus.config import RedisBusConfig, default_consumer_name
from trading_bot.core.errors import BusUnavailableError
from trading_bot.core.events import Message, encode
from trading_bot.core.ports import Clock, DeadLetter, Handler, Metrics

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_LOST = (RedisConnectionError, RedisTimeoutError, OSError)


@dataclass(slots=True)
class _Running:
    task: asyncio.Task[object] | None
    finished: asyncio.Event


class RedisStreamsBus:
    """An ``EventBus`` on Redis Streams consumer groups (redis-py asyncio).

    Publishing appends with ``XADD … MAXLEN ~ maxlen``; ``publish_many`` pipelines the appends
    in one round trip. ``consume`` creates the group at id 0 (so a late service still sees what
    was published before it started), reads with ``XREADGROUP COUNT batch_size BLOCK block_ms``,
    and acks each batch with one ``XACK`` after its handlers returned. Redis errors reach callers
    as ``BusUnavailableError``; consumers instead reconnect on their own, with exponential
    backoff and jitter, and lose nothing (see ``StreamConsumer``).

    Every key it touches starts with the configured prefix: streams ``<prefix><stream>``, dead
    letters ``<prefix><stream>:dead``, and the ``event_id`` s a group handled in the last
    ``dedupe_ttl_s``, a sorted set scored by handling time, ``<prefix>dedupe:<stream>:<group>``.
    """

    def __init__(
        self,
        config: RedisBusConfig | None = None,
        *,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self._config = config = config or RedisBusConfig()
        self._clock = clock
        # redis-py's own retries would hide a reconnection from the consumers, which must then
        # re-read their pending entries; every retry here is ours. No socket timeout: with one,
        # redis-py sends through asyncio.wait_for, which on Python 3.11 can swallow a task's
        # cancellation (CPython gh-86296); a dead peer is found by TCP keepalive instead.
        redis = Redis.from_url(
            config.url,
            retry=Retry(NoBackoff(), 0),
            socket_timeout=None,
            socket_keepalive=True,
            socket_connect_timeout=config.connect_timeout_s,
            client_name=config.client_name,
            protocol=2,  # the reply shapes StreamConsumer reads
        )
        self._context = RedisContext(
            redis=redis,
            config=config,
            clock=clock,
            reporter=DeliveryReporter(logger, metrics),
            backoff=EqualJitterBackoff(cap=config.backoff_cap_s, base=config.backoff_base_s),
            closed=asyncio.Event(),
            scripts=BatchScripts(redis),
        )
        self._redis = redis
        self._running: list[_Running] = []

    @property
    def config(self) -> RedisBusConfig:
        """Return the configuration this bus was built with."""
        return self._config

    async def publish(self, message: Message, *, stream: str | None = None) -> str:
        """Append ``message`` to ``stream`` (default ``message.stream``); return its id."""
        return await self.publish_raw(stream or message.stream, encode(message))

    async def publish_many(
        self, messages: Sequence[Message], *, stream: str | None = None
    ) -> list[str]:
        """Append several messages in one round trip, in order; return their ids."""
        if not messages:
            return []
        encoded = [(self._context.key(stream or m.stream), encode(m)) for m in messages]

        async def append_all() -> list[object]:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, payload in encoded:
                    pipe.xadd(key, {PAYLOAD: payload}, maxlen=self._config.maxlen, approximate=True)
                return await pipe.execute()

        ids = await self._retrying(append_all, "publish")
        return [text(message_id) for message_id in ids]  # type: ignore[arg-type]  # XADD ids

    async def publish_raw(self, stream: str, payload: bytes) -> str:
        """Append an already encoded payload (re-driving a dead letter); return its id.

        The payload is decoded on delivery; if it does not decode it is dead-lettered then.
        """
        key = self._context.key(stream)

        async def append() -> bytes | str:
            return await self._redis.xadd(
                key, {PAYLOAD: payload}, maxlen=self._config.maxlen, approximate=True
            )

        return text(await self._retrying(append, "publish"))

    async def consume(
        self, stream: str, group: str, handler: Handler, *, consumer: str | None = None
    ) -> None:
        """Run ``handler`` on ``stream``'s messages for ``group`` until cancelled or closed."""
        if self._context.closed.is_set():
            return
        running = _Running(asyncio.current_task(), asyncio.Event())
        self._running.append(running)
        try:
            name = consumer or default_consumer_name()
            await StreamConsumer(self._context, stream, group, name, handler).run()
        finally:
            running.finished.set()
            self._running.remove(running)

    async def dead_letters(self, stream: str, limit: int = 100) -> list[DeadLetter]:
        """Return the latest ``limit`` dead letters of ``stream``, oldest first."""
        if limit <= 0:
            return []
        key = self._context.key(dead_stream(stream))
        try:
            rows = await self._redis.xrevrange(key, count=limit)
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(f"cannot read dead letters: {exc}") from exc
        return [
            _dead_letter(stream, text(entry_id or b""), fields or {})
            for entry_id, fields in reversed(rows or [])
        ]

    async def ping(self) -> None:
        """Raise ``BusUnavailableError`` unless Redis answers."""
        if self._context.closed.is_set():
            raise BusUnavailableError("the Redis bus is closed")
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(
                f"Redis at {self._redacted_url} does not answer: {exc}"
            ) from exc

    async def close(self) -> None:
        """End every ``consume`` call (after its running handler), then drop the connections.

        Waits up to ``close_timeout_s`` for handlers that are running; a ``consume`` call in the
        task that calls ``close`` ends when control returns to it.
        """
        if self._context.closed.is_set():
            return
        self._context.closed.set()
        current = asyncio.current_task()
        others = [r.finished.wait() for r in self._running if r.task is not current]
        if others:
            waiters = [asyncio.ensure_future(waiter) for waiter in others]
            _, late = await asyncio.wait(waiters, timeout=self._config.close_timeout_s)
            for waiter in late:
                waiter.cancel()
        await self._redis.aclose()

    @property
    def _redacted_url(self) -> str:
        url = self._config.url
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}" if rest else url

    async def _retrying(self, operation: Callable[[], Awaitable[_T]], what: str) -> _T:
        """Run ``operation``, retrying a lost connection ``publish_retries`` times."""
        if self._context.closed.is_set():
            raise BusUnavailableError(f"cannot {what}: the Redis bus is closed")
        failures = 0
        while True:
            try:
                return await operation()
            except _LOST as exc:
                failures += 1
                if failures > self._config.publish_retries:
                    raise BusUnavailableError(f"cannot {what}: {exc}") from exc
                await self._clock.sleep(self._context.backoff.compute(failures))
            except RedisError as exc:
                raise BusUnavailableError(f"cannot {what}: {exc}") from exc


def _dead_letter(
    stream: str, entry_id: str, fields: Mapping[bytes | str, bytes | str]
) -> DeadLetter:
    """Build a ``DeadLetter`` from a ``<stream>:dead`` entry; tolerate missing fields."""

    def field(name: bytes) -> str:
        value = fields.get(name)
        return text(value) if value is not None else ""

    deliveries = field(b"deliveries")
    payload = fields.get(PAYLOAD, b"")
    return DeadLetter(
        stream=stream,
        message_id=field(b"message_id") or entry_id,
        payload=payload if isinstance(payload, bytes) else payload.encode(),
        error=field(b"error"),
        group=field(b"group"),
        deliveries=int(deliveries) if deliveries.isdigit() else 0,
    )
