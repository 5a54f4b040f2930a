"""The backtest's view of its bus and metrics: when the services have caught up, and what they
counted.

``WatchedBus`` wraps the ``MemoryBus`` the services share. It counts publishes, so the replay
drains the bus only after a step that published something (most bars publish nothing), and it
counts running consumers, so the replay starts only once every service listens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.events import Message
from trading_bot.core.ports import DeadLetter, Handler

READY_TIMEOUT_SECONDS = 30.0
"""How long the services may take to start consuming (storage is opened on the way)."""


class WatchedBus:
    """An ``EventBus`` over a ``MemoryBus`` that knows when its consumers have caught up."""

    def __init__(self, inner: MemoryBus) -> None:
        self._inner = inner
        self.published = 0
        """Messages published through it so far."""
        self.drained = 0
        """``published`` when the bus was last drained (equal: nothing waits to be handled)."""
        self.consumers = 0

    async def publish(self, message: Message, *, stream: str | None = None) -> str:
        """Publish through the memory bus, counting it."""
        self.published += 1
        return await self._inner.publish(message, stream=stream)

    async def publish_many(
        self, messages: Sequence[Message], *, stream: str | None = None
    ) -> list[str]:
        """Publish several through the memory bus, counting them."""
        self.published += len(messages)
        return await self._inner.publish_many(messages, stream=stream)

    async def consume(
        self, stream: str, group: str, handler: Handler, *, consumer: str | None = None
    ) -> None:
        """Consume through the memory bus, counted as a running consumer meanwhile."""
        self.consumers += 1
        try:
            await self._inner.consume(stream, group, handler, consumer=consumer)
        finally:
            self.consumers -= 1

    async def dead_letters(self, stream: str, limit: int = 100) -> list[DeadLetter]:
        """Return the memory bus's dead letters of ``stream``."""
        return await self._inner.dead_letters(stream, limit)

    async def ping(self) -> None:
        """Ping the memory bus."""
        await self._inner.ping()

    async def close(self) -> None:
        """Close the memory bus."""
        await self._inner.close()

    async def settle(self) -> None:
        """Return once every message published so far has been handled (at once when nothing
        was published since the last call)."""
        while self.drained != self.published:
            self.drained = self.published
            await self._inner.drain()

    async def wait_for_consumers(
        self, expected: int, services: Collection[asyncio.Task[None]]
    ) -> None:
        """Return once ``expected`` consumers run; raise what a service died of, or
        ``ConfigurationError`` when they do not all start in time."""
        try:
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                spins = 0
                while self.consumers < expected:
                    raise_if_failed(services)
                    spins += 1
                    # Yielding is enough in memory; storage opened in a thread needs real time.
                    await asyncio.sleep(0 if spins < 1_000 else 0.001)
        except TimeoutError:
            raise ConfigurationError(
                f"the services started {self.consumers} of the {expected} consumers the "
                f"backtest expects within {READY_TIMEOUT_SECONDS} s"
            ) from None
        raise_if_failed(services)


def raise_if_failed(services: Collection[asyncio.Task[None]]) -> None:
    """Raise the exception a service task ended with (a service must never end by itself)."""
    for task in services:
        if task.done():
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
            raise RuntimeError(f"service task {task.get_name()} ended during the backtest")


class CountingMetrics:
    """``core.ports.Metrics`` that keeps every counter in memory, for the results file."""

    def __init__(self) -> None:
        # Counters without labels (one is counted on every bar) are kept by name alone, so
        # counting one builds and hashes no tuple.
        self._unlabelled: dict[str, float] = {}
        self._labelled: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    @property
    def counts(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Return every counter by name and sorted labels (``()`` for none)."""
        plain = {(name, ()): value for name, value in self._unlabelled.items()}
        return plain | self._labelled

    def increment(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` to the counter ``name`` for these labels."""
        if labels:
            key = (name, tuple(sorted(labels.items())))
            self._labelled[key] = self._labelled.get(key, 0.0) + amount
        else:
            self._unlabelled[name] = self._unlabelled.get(name, 0.0) + amount

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Histograms are not kept in a backtest (latencies on a simulated clock say little)."""

    def total(self, name: str) -> float:
        """Return the counter ``name`` summed over its labels."""
        return sum(value for (counter, _), value in self.counts.items() if counter == name)

    def by_label(self, name: str, label: str) -> dict[str, float]:
        """Return the counter ``name`` summed per value of ``label``, sorted."""
        found: dict[str, float] = {}
        for (counter, labels), value in self.counts.items():
            if counter != name:
                continue
            key = dict(labels).get(label, "")
            found[key] = found.get(key, 0.0) + value
        return dict(sorted(found.items()))
