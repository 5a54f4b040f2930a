"""Per-client rate limits on the auth endpoints, with the ``limits`` library (moving window).

Each client address gets its own budget per endpoint; a caller over budget gets 429 with a
``Retry-After`` header.
"""

from __future__ import annotations

import math

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from trading_bot.core.ports import Clock
from trading_bot.entrypoints.api.errors import ApiError

DEFAULT_AUTH_LIMIT = "20/minute"
"""Requests per client address and auth endpoint: plenty for a person, slow for a guesser."""


class RateLimiter:
    """A moving-window limit per (endpoint, client) kept in this process's memory."""

    def __init__(self, limit: str, clock: Clock) -> None:
        self._item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._clock = clock

    @property
    def limit(self) -> str:
        """Return the limit as written, e.g. ``20/minute``."""
        return str(self._item)

    async def check(self, endpoint: str, client: str) -> None:
        """Count one request; raise 429 with ``Retry-After`` when the budget is spent."""
        if await self._limiter.hit(self._item, endpoint, client):
            return
        stats = await self._limiter.get_window_stats(self._item, endpoint, client)
        window = self._item.get_expiry()
        # The library stamps windows on the epoch; our clock reads the same time in production.
        wait = stats.reset_time - self._clock.now().timestamp()
        retry_after = min(window, max(1, math.ceil(wait)))
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests; the limit is {self._item}, try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
