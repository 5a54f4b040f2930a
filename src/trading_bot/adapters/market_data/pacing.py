"""Moving time forward to each bar's close: at once on a simulated clock, or paced in real time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from trading_bot.core.ports import Clock

Sleep = Callable[[float], Awaitable[None]]


@runtime_checkable
class SteppedClock(Clock, Protocol):
    """A clock a feed may move forward itself (``adapters.clocks.SimulatedClock``)."""

    async def advance_to(self, when: datetime) -> None:
        """Move time forward to ``when``, waking the sleepers due by then."""
        ...


class Pacer:
    """Bring a clock to each bar's close before the bar is released.

    On a ``SteppedClock`` the pacer advances it; with ``speed`` set it first sleeps the gap
    divided by ``speed`` on the real event loop (speed 60: a simulated minute per real second),
    each pause capped at ``max_pause_seconds`` when given so closed-market nights pass quickly.
    On any other clock it waits for the clock to reach the close.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        speed: float | None = None,
        max_pause_seconds: float | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._clock = clock
        # Checked once: a runtime Protocol check costs tens of microseconds per bar.
        self._stepped = clock if isinstance(clock, SteppedClock) else None
        self._speed = speed
        self._max_pause = max_pause_seconds
        self._sleep = sleep

    async def wait_until(self, when: datetime) -> None:
        """Return once the clock reads ``when`` (at once if it already has)."""
        now = self._clock.now()
        if when <= now:
            return
        if self._stepped is None:
            await self._clock.sleep_until(when)
            return
        if self._speed is not None:
            pause = (when - now).total_seconds() / self._speed
            if self._max_pause is not None:
                pause = min(pause, self._max_pause)
            await self._sleep(pause)
        await self._stepped.advance_to(when)
