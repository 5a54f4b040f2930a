"""One ``consume`` call on Redis Streams: read in batches, handle, ack in batches, reclaim idle
messages, dead-letter, and reconnect without losing a message."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar, cast

from redis.asyncio import Redis
from redis.backoff import AbstractBackoff
from redis.exceptions import RedisError, ResponseError

from trading_bot.adapters.bus._delivery import (
    DeliveryReporter,
    dead_stream,
    decode_or_reason,
    error_text,
    refuse_reason,
)
from trading_bot.adapters.bus._redis_scripts import BatchScripts
from trading_bot.adapters.bus.config import RedisBusConfig
from trading_bot.core.events import Message
from trading_bot.core.ports import Clock, Handler

PAYLOAD = b"payload"
"""The stream entry field that holds an encoded message."""

_T = TypeVar("_T")


def text(value: bytes | str | int) -> str:
    """Return a Redis reply value (bytes with ``decode_responses=False``) as ``str``."""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class RedisContext:
    """What every consumer of one bus shares."""

    redis: Redis
    config: RedisBusConfig
    clock: Clock
    reporter: DeliveryReporter
    backoff: AbstractBackoff
    closed: asyncio.Event
    scripts: BatchScripts

    def key(self, stream: str) -> str:
        """Return the Redis key of ``stream``."""
        return f"{self.config.prefix}{stream}"


@dataclass(frozen=True, slots=True)
class _Delivery:
    message_id: str
    payload: bytes | None
    deliveries: int


@dataclass(slots=True)
class _Outcome:
    """Effects of handled messages not yet written to Redis (kept across a lost connection)."""

    acks: list[str] = field(default_factory=list)
    handled: list[uuid.UUID] = field(default_factory=list)
    dead: list[tuple[_Delivery, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.acks)

    def clear(self) -> None:
        self.acks.clear()
        self.handled.clear()
        self.dead.clear()


# Any: redis-py types stream replies loosely; the RESP2 shape is [[key, [(id, fields), ...]]].
def _deliveries(reply: list[list[Any]], counts: dict[str, int]) -> list[_Delivery]:
    """Return the entries of an XREADGROUP reply as deliveries.

    ``counts`` maps ids to their delivery count; an id not in it is on its first delivery.
    History reads return a trimmed entry with no fields; its payload is None.
    """
    deliveries = []
    for _, entries in reply:
        for raw_id, fields in entries:
            message_id = text(raw_id)
            payload = fields.get(PAYLOAD) if fields else None
            deliveries.append(_Delivery(message_id, payload, counts.get(message_id, 1)))
    return deliveries


# Any: a done-callback for tasks of whatever result type.
def _discard_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


class StreamConsumer:
    """Run ``handler`` for one consumer of ``group`` on ``stream`` until the bus closes.

    Each round does one of: re-read this consumer's own pending entries (at start and after a
    lost connection, from id 0), claim entries idle for ``claim_idle_ms`` (XAUTOCLAIM, every
    half idle time and when a failed message of ours falls due), or block for new entries.
    Acks, dedupe marks and dead letters of a batch go to Redis in one script after the
    batch; if the connection is lost they are kept and written first after reconnecting.
    """

    def __init__(
        self, context: RedisContext, stream: str, group: str, consumer: str, handler: Handler
    ) -> None:
        self._ctx = context
        self._config = context.config
        self._stream = stream
        self._group = group
        self._name = consumer
        self._handler = handler
        self._key = context.key(stream)
        self._dead_key = context.key(dead_stream(stream))
        self._dedupe_key = f"{self._config.prefix}dedupe:{stream}:{group}"
        self._claim_idle = timedelta(milliseconds=self._config.claim_idle_ms)
        self._outcome = _Outcome()
        self._group_ready = False
        self._recovering = True
        self._recover_cursor = "0"
        self._claim_cursor = "0-0"
        self._next_claim_at = context.clock.now()
        self._closed_waiter: asyncio.Task[Literal[True]] | None = None

    async def run(self) -> None:
        """Consume until the bus closes; reconnect with backoff and jitter on Redis errors."""
        self._closed_waiter = asyncio.ensure_future(self._ctx.closed.wait())
        failures = 0
        try:
            while not self._ctx.closed.is_set():
                try:
                    await self._round()
                    failures = 0
                except (RedisError, OSError) as exc:
                    failures += 1
                    self._recovering = True
                    self._recover_cursor = "0"
                    if isinstance(exc, ResponseError):
                        self._group_ready = False  # the stream or group was deleted under us
                    delay = self._ctx.backoff.compute(failures)
                    self._ctx.reporter.reconnecting(
                        self._stream, self._group, failures, delay, error_text(exc)
                    )
                    await self._unless_closed(self._ctx.clock.sleep(delay))
        finally:
            self._closed_waiter.cancel()

    async def _round(self) -> None:
        if self._outcome:
            await self._flush()
        if not self._group_ready:
            await self._ensure_group()
        now = self._ctx.clock.now()
        if self._recovering:
            batch = await self._read_own_pending()
            if not batch:
                self._recovering = False
                self._recover_cursor = "0"
                return
        elif now >= self._next_claim_at:
            batch = await self._claim_idle_entries(now)
        else:
            wait_ms = (self._next_claim_at - now) // timedelta(milliseconds=1)
            block_ms = min(self._config.block_ms, max(1, wait_ms))
            batch = await self._unless_closed(self._read_new(block_ms)) or []
        if batch:
            await self._handle(batch)

    async def _ensure_group(self) -> None:
        try:
            await self._ctx.redis.xgroup_create(self._key, self._group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _read_new(self, block_ms: int) -> list[_Delivery]:
        reply = await self._ctx.redis.xreadgroup(
            self._group,
            self._name,
            {self._key: ">"},
            count=self._config.batch_size,
            block=block_ms,
        )
        return _deliveries(cast("list[list[Any]]", reply), {})

    async def _read_own_pending(self) -> list[_Delivery]:
        """Re-read entries delivered to this consumer but never acked, oldest first."""
        start = "-" if self._recover_cursor == "0" else f"({self._recover_cursor}"
        async with self._ctx.redis.pipeline(transaction=True) as pipe:
            pipe.xreadgroup(
                self._group,
                self._name,
                {self._key: self._recover_cursor},
                count=self._config.batch_size,
            )
            pipe.xpending_range(
                self._key,
                self._group,
                min=start,
                max="+",
                count=self._config.batch_size,
                consumername=self._name,
            )
            reply, pending = await pipe.execute()
        # XREADGROUP counted this delivery already: times_delivered is the count including it.
        counts = {text(p["message_id"]): int(p["times_delivered"]) for p in pending}
        batch = _deliveries(reply, counts)
        if batch:
            self._recover_cursor = batch[-1].message_id
        return batch

    async def _claim_idle_entries(self, now: datetime) -> list[_Delivery]:
        """Claim entries of any consumer of the group that have been pending too long."""
        idle_ms = self._config.claim_idle_ms
        async with self._ctx.redis.pipeline(transaction=True) as pipe:
            pipe.xpending_range(
                self._key,
                self._group,
                min=self._claim_cursor,
                max="+",
                count=self._config.batch_size,
                idle=idle_ms,
            )
            pipe.xautoclaim(
                self._key,
                self._group,
                self._name,
                min_idle_time=idle_ms,
                start_id=self._claim_cursor,
                count=self._config.batch_size,
            )
            replies: list[Any] = await pipe.execute()  # Any: pipeline replies are untyped
        pending, claimed = replies
        # Read in the same transaction before XAUTOCLAIM added this delivery to the count.
        counts = {text(p["message_id"]): int(p["times_delivered"]) + 1 for p in pending}
        next_cursor, entries, *rest = claimed
        self._claim_cursor = text(next_cursor)
        if self._claim_cursor == "0-0":
            self._next_claim_at = now + self._claim_idle / 2
        batch = _deliveries([[self._key, entries]], counts)
        # Entries trimmed from the stream while pending: XAUTOCLAIM dropped them; record that.
        deleted = [text(message_id) for message_id in (rest[0] if rest else [])]
        batch.extend(_Delivery(mid, None, counts.get(mid, 1)) for mid in deleted)
        return batch

    async def _handle(self, batch: list[_Delivery]) -> None:
        ready: list[tuple[_Delivery, Message]] = []
        for delivery in batch:
            reason = refuse_reason(
                delivery.payload, delivery.deliveries, self._config.max_deliveries
            )
            message = reason or decode_or_reason(delivery.payload or b"")
            if isinstance(message, str):
                self._dead_letter(delivery, message)
            else:
                ready.append((delivery, message))
        if ready:
            seen = await self._handled_before([message.event_id for _, message in ready])
            try:
                await self._run_handlers(ready, seen)
            except asyncio.CancelledError:
                await self._flush_on_cancel()
                raise
        await self._flush()

    async def _handled_before(self, event_ids: list[uuid.UUID]) -> list[bool]:
        """Return, per ``event_id``, whether the group handled it within ``dedupe_ttl_s``."""
        forgotten = self._ctx.clock.now().timestamp() - self._config.dedupe_ttl_s
        return await self._ctx.scripts.seen(self._dedupe_key, event_ids, forgotten)

    async def _run_handlers(self, ready: list[tuple[_Delivery, Message]], seen: list[bool]) -> None:
        handled_now: set[uuid.UUID] = set()
        for (delivery, message), already in zip(ready, seen, strict=True):
            if self._ctx.closed.is_set():
                return  # the rest stay pending for another consumer to claim
            if already or message.event_id in handled_now:
                self._outcome.acks.append(delivery.message_id)
                continue
            try:
                await self._handler(message)
            except Exception as exc:
                self._failed(delivery, exc)
                continue
            handled_now.add(message.event_id)
            self._outcome.handled.append(message.event_id)
            self._outcome.acks.append(delivery.message_id)

    def _failed(self, delivery: _Delivery, error: Exception) -> None:
        self._ctx.reporter.handler_failed(
            self._stream, self._group, delivery.message_id, delivery.deliveries, error
        )
        if delivery.deliveries >= self._config.max_deliveries:
            self._dead_letter(delivery, error_text(error))
        else:
            due = self._ctx.clock.now() + self._claim_idle
            self._next_claim_at = min(self._next_claim_at, due)

    def _dead_letter(self, delivery: _Delivery, error: str) -> None:
        """Queue ``delivery`` for ``<stream>:dead`` and its ack; the next flush writes both."""
        self._outcome.dead.append((delivery, error))
        self._outcome.acks.append(delivery.message_id)
        self._ctx.reporter.dead_lettered(
            dead_stream(self._stream), self._group, delivery.message_id, delivery.deliveries, error
        )

    async def _flush(self) -> None:
        """Write the batch's dead letters, dedupe marks and acks in one atomic script.

        The group's handled event_ids live in one sorted set scored by handling time; members
        older than ``dedupe_ttl_s`` are dropped as it is written, and it expires when idle.
        """
        outcome = self._outcome
        if not outcome:
            return
        config = self._config
        await self._ctx.scripts.record(
            (self._dedupe_key, self._key, self._dead_key),
            group=self._group,
            stream=self._stream,
            now=self._ctx.clock.now().timestamp(),
            ttl_s=config.dedupe_ttl_s,
            maxlen=config.maxlen,
            handled=outcome.handled,
            acks=outcome.acks,
            dead=[
                (delivery.message_id, delivery.deliveries, error, delivery.payload or b"")
                for delivery, error in outcome.dead
            ],
        )
        outcome.clear()

    async def _flush_on_cancel(self) -> None:
        """Ack what was handled before a cancellation, so it is not handled again."""
        try:
            await asyncio.shield(self._flush())
        except (RedisError, OSError):
            return  # they stay pending and are redelivered; handlers are idempotent

    async def _unless_closed(self, operation: Awaitable[_T]) -> _T | None:
        """Await ``operation``, or give it up and return None when the bus closes first."""
        task = asyncio.ensure_future(operation)
        waiter = self._closed_waiter
        try:
            if waiter is None:
                return await task
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            return task.result() if task.done() else None
        finally:
            if not task.done():
                task.cancel()
                # Closing may fail the read before the cancellation lands; nobody awaits it now.
                task.add_done_callback(_discard_outcome)
