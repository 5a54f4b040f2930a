"""A small time-bounded cache for read-heavy summaries (timed by the injected clock)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from trading_bot.core.ports import Clock

T = TypeVar("T")


class TimedCache(Generic[T]):
    """Keep one loaded value for at most ``ttl``; ``invalidate`` drops it at once."""

    def __init__(self, ttl: timedelta, clock: Clock) -> None:
        self._ttl = ttl
        self._clock = clock
        self._value: T | None = None
        self._loaded_at: datetime | None = None

    async def get(self, load: Callable[[], Awaitable[T]]) -> T:
        """Return the cached value while fresh, else ``load`` it (and keep it)."""
        now = self._clock.now()
        fresh = self._loaded_at is not None and now - self._loaded_at < self._ttl
        if self._value is not None and fresh:
            return self._value
        value = await load()
        self._value, self._loaded_at = value, now
        return value

    def invalidate(self) -> None:
        """Forget the value: the next ``get`` loads afresh."""
        self._value = None
        self._loaded_at = None
