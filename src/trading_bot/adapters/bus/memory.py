"""The in-process event bus for the one-process mode and the backtester: ordered streams with
the consumer-group semantics of the Redis Streams bus, timed by the injected clock."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trading_bot.adapters.bus._delivery import (
    DeliveryReporter,
    dead_stream,
    decode_or_reason,
    error_text,
    refuse_reason,
)
from trading_bot.adapters.bus.config import MemoryBusConfig, default_consumer_name
from trading_bot.core.errors import BusUnavailableError
from trading_bot.core.events import Message, encode
from trading_bot.core.ports import Clock, DeadLetter, Handler, Metrics

logger = logging.getLogger(__name__)


@dataclass(slots=True, frozen=True)
class _Entry:
    message_id: str
    payload: bytes
    message: Message | None
    """The published object itself; None for a raw payload, which is decoded on delivery."""


@dataclass(slots=True)
class _Pending:
    entry: _Entry
    consumer: str
    deliveries: int
    delivered_at: datetime
    handling: bool = True


@dataclass(slots=True)
class _Group:
    cursor: int
    """Sequence number of the next entry this group has not yet been given."""
    pending: dict[str, _Pending] = field(default_factory=dict)
    handled: dict[uuid.UUID, datetime] = field(default_factory=dict)
    """event_id -> when it was handled, oldest first (dicts keep insertion order)."""
    consumers: int = 0
    in_flight: int = 0


@dataclass(slots=True)
class _Stream:
    name: str
    entries: deque[_Entry] = field(default_factory=deque)
    next_sequence: int = 1
    groups: dict[str, _Group] = field(default_factory=dict)
    waiters: int = 0
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def first_sequence(self) -> int:
        return self.next_sequence - len(self.entries)


class MemoryBus:
    """An ``EventBus`` in one process: fan-out across groups, load-balancing within a group.

    Semantics shared with ``RedisStreamsBus``: a new group starts from the oldest retained
    entry; a message is acknowledged only after its handler returned; an ``event_id`` the group
    already handled is acknowledged without calling the handler; a message whose handler raised,
    or whose consumer was cancelled mid-handler, is redelivered to any consumer of the group
    once it has been pending ``claim_idle_ms`` (on the injected clock); after ``max_deliveries``
    failures, or if it does not decode, it goes to ``<stream>:dead``.

    ``drain()`` returns once every group with a running consumer has handled what it can; the
    backtester calls it after each step, so that a simulated clock moves on only when the
    messages of the step have been handled.

    Differences that only one process allows: consumers receive the published object itself
    (immutable) rather than a decoded copy of its bytes; a message whose handler is still
    running is never claimed by another consumer; trimming keeps pending entries deliverable.
    """

    def __init__(
        self,
        config: MemoryBusConfig | None = None,
        *,
        clock: Clock,
        metrics: Metrics | None = None,
    ) -> None:
        self._config = config or MemoryBusConfig()
        self._clock = clock
        self._claim_idle = timedelta(milliseconds=self._config.claim_idle_ms)
        self._dedupe_ttl = timedelta(seconds=self._config.dedupe_ttl_s)
        self._reporter = DeliveryReporter(logger, metrics)
        self._streams: dict[str, _Stream] = {}
        self._dead: dict[str, deque[DeadLetter]] = {}
        self._closed = False
        self._settled = asyncio.Event()
        self._drainers = 0

    async def publish(self, message: Message, *, stream: str | None = None) -> str:
        """Append ``message`` to ``stream`` (default ``message.stream``); return its id."""
        return self._append(stream or message.stream, encode(message), message)

    async def publish_many(
        self, messages: Sequence[Message], *, stream: str | None = None
    ) -> list[str]:
        """Append several messages at once, in order; return their ids."""
        encoded = [(stream or m.stream, encode(m), m) for m in messages]  # all or nothing
        return [self._append(*entry) for entry in encoded]

    async def publish_raw(self, stream: str, payload: bytes) -> str:
        """Append an already encoded payload (re-driving a dead letter); return its id.

        The payload is decoded on delivery; if it does not decode it is dead-lettered then.
        """
        return self._append(stream, payload, None)

    async def consume(
        self, stream: str, group: str, handler: Handler, *, consumer: str | None = None
    ) -> None:
        """Run ``handler`` on ``stream``'s messages for ``group`` until cancelled or closed."""
        if self._closed:
            return
        name = consumer or default_consumer_name()
        state = self._stream(stream)
        grp = state.groups.get(group)
        if grp is None:
            grp = state.groups[group] = _Group(cursor=state.first_sequence)
        grp.consumers += 1
        try:
            delivered = 0
            while not self._closed:
                pending = self._take(state, grp, name)
                if pending is None:
                    self._notify_settled()
                    await self._wait(state, grp)
                    continue
                await self._deliver(state, group, grp, pending, handler)
                delivered += 1
                if delivered % self._config.batch_size == 0:
                    # Handlers that never await would otherwise starve publishers and other groups.
                    await asyncio.sleep(0)
        finally:
            grp.consumers -= 1
            self._notify_settled()

    async def dead_letters(self, stream: str, limit: int = 100) -> list[DeadLetter]:
        """Return the latest ``limit`` dead letters of ``stream``, oldest first."""
        letters = self._dead.get(stream, ())
        return list(letters)[-limit:] if limit > 0 else []

    async def ping(self) -> None:
        """Raise ``BusUnavailableError`` once the bus is closed."""
        if self._closed:
            raise BusUnavailableError("the memory bus is closed")

    async def close(self) -> None:
        """Stop every ``consume`` call at its next message; later publishes raise."""
        self._closed = True
        for state in self._streams.values():
            state.wakeup.set()
        self._settled.set()

    async def drain(self) -> None:
        """Return once every group with a running consumer has handled all it can right now.

        That is: each such group has been given every published entry, no handler is running,
        and no pending entry is due for redelivery at the clock's current time. A message
        waiting for its redelivery time (its handler raised, or its consumer died) does not
        hold ``drain`` up: advance the clock past ``claim_idle_ms`` and drain again. Groups
        without a running consumer are ignored, since nothing would ever handle their backlog.
        """
        self._drainers += 1
        try:
            while not self._closed and not self._is_settled():
                settled = self._settled
                await settled.wait()
        finally:
            self._drainers -= 1

    def _stream(self, name: str) -> _Stream:
        state = self._streams.get(name)
        if state is None:
            state = self._streams[name] = _Stream(name)
        return state

    def _append(self, stream: str, payload: bytes, message: Message | None) -> str:
        if self._closed:
            raise BusUnavailableError("the memory bus is closed")
        state = self._stream(stream)
        entry = _Entry(f"{state.next_sequence}-0", payload, message)
        state.next_sequence += 1
        state.entries.append(entry)
        if len(state.entries) > self._config.maxlen:
            state.entries.popleft()
        self._wake(state)
        return entry.message_id

    def _take(self, state: _Stream, grp: _Group, consumer: str) -> _Pending | None:
        """Hand ``consumer`` the next delivery: a pending entry that is due, else a new one."""
        now = self._clock.now()
        for pending in grp.pending.values():
            if not pending.handling and now - pending.delivered_at >= self._claim_idle:
                pending.consumer = consumer
                pending.deliveries += 1
                pending.delivered_at = now
                pending.handling = True
                grp.in_flight += 1
                return pending
        if grp.cursor >= state.next_sequence:
            return None
        grp.cursor = max(grp.cursor, state.first_sequence)
        entry = state.entries[grp.cursor - state.first_sequence]
        grp.cursor += 1
        pending = _Pending(entry, consumer, deliveries=1, delivered_at=now)
        grp.pending[entry.message_id] = pending
        grp.in_flight += 1
        return pending

    async def _deliver(
        self, state: _Stream, group: str, grp: _Group, pending: _Pending, handler: Handler
    ) -> None:
        try:
            await self._handle(state.name, group, grp, pending, handler)
        finally:
            pending.handling = False
            grp.in_flight -= 1
            if pending.entry.message_id in grp.pending:
                # Still pending (failed or cancelled): waiting consumers must learn its due time.
                self._wake(state)

    async def _handle(
        self, stream: str, group: str, grp: _Group, pending: _Pending, handler: Handler
    ) -> None:
        entry = pending.entry
        message: Message | str | None = refuse_reason(
            entry.payload, pending.deliveries, self._config.max_deliveries
        )
        if message is None:
            message = entry.message or decode_or_reason(entry.payload)
        if isinstance(message, str):
            self._dead_letter(stream, group, grp, pending, message)
            return
        now = self._clock.now()
        handled_at = grp.handled.get(message.event_id)
        if handled_at is not None and now - handled_at < self._dedupe_ttl:
            del grp.pending[entry.message_id]
            return
        try:
            await handler(message)
        except Exception as exc:
            self._reporter.handler_failed(stream, group, entry.message_id, pending.deliveries, exc)
            if pending.deliveries >= self._config.max_deliveries:
                self._dead_letter(stream, group, grp, pending, error_text(exc))
            return
        self._remember(grp, message.event_id)
        del grp.pending[entry.message_id]

    def _remember(self, grp: _Group, event_id: uuid.UUID) -> None:
        now = self._clock.now()
        handled = grp.handled
        handled.pop(event_id, None)
        handled[event_id] = now
        while True:
            oldest, at = next(iter(handled.items()))
            if now - at < self._dedupe_ttl:
                return
            del handled[oldest]

    def _dead_letter(
        self, stream: str, group: str, grp: _Group, pending: _Pending, error: str
    ) -> None:
        entry = pending.entry
        letters = self._dead.get(stream)
        if letters is None:
            letters = self._dead[stream] = deque(maxlen=self._config.maxlen)
        letters.append(
            DeadLetter(stream, entry.message_id, entry.payload, error, group, pending.deliveries)
        )
        del grp.pending[entry.message_id]
        self._reporter.dead_lettered(
            dead_stream(stream), group, entry.message_id, pending.deliveries, error
        )

    async def _wait(self, state: _Stream, grp: _Group) -> None:
        """Sleep until something is published, a pending entry falls due, or the bus closes."""
        due = min(
            (p.delivered_at + self._claim_idle for p in grp.pending.values() if not p.handling),
            default=None,
        )
        wakeup = state.wakeup
        state.waiters += 1
        try:
            if due is None:
                await wakeup.wait()
                return
            waiters = {
                asyncio.ensure_future(wakeup.wait()),
                asyncio.ensure_future(self._clock.sleep_until(due)),
            }
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        finally:
            state.waiters -= 1

    def _wake(self, state: _Stream) -> None:
        if state.waiters:
            state.wakeup.set()
            state.wakeup = asyncio.Event()

    def _notify_settled(self) -> None:
        if self._drainers:
            self._settled.set()
            self._settled = asyncio.Event()

    def _is_settled(self) -> bool:
        now = self._clock.now()
        for state in self._streams.values():
            for grp in state.groups.values():
                if grp.consumers == 0:
                    continue
                if grp.cursor < state.next_sequence or grp.in_flight:
                    return False
                if any(
                    not p.handling and now - p.delivered_at >= self._claim_idle
                    for p in grp.pending.values()
                ):
                    return False
        return True
