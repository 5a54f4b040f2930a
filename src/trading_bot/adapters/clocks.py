"""Clocks: the wall clock for live trading and a simulated one for replays and backtests."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta


class WallClock:
    """Real time, UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: datetime) -> None:
        await asyncio.sleep(max(0.0, (when - self.now()).total_seconds()))


def _as_utc(when: datetime) -> datetime:
    if when.tzinfo is UTC:
        return when  # the common case, and a backtest asks once or twice a bar
    if when.tzinfo is None:
        raise ValueError(f"{when!r} must be timezone-aware")
    return when.astimezone(UTC)


class SimulatedClock:
    """Time that moves only when told to.

    ``advance_to`` moves the clock forward and wakes, in time order, every sleeper whose deadline
    has come; each sleeper sees ``now()`` equal to its own deadline when it wakes, so a service
    sleeping for an hour on a replay wakes exactly an hour later in simulated time.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._sequence = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + timedelta(seconds=max(0.0, seconds)))

    async def sleep_until(self, when: datetime) -> None:
        when = _as_utc(when)
        if when <= self._now:
            await asyncio.sleep(0)  # still yield, as a real sleep would
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._sequence), future))
        await future

    @property
    def next_wakeup(self) -> datetime | None:
        """Return the earliest deadline any sleeper waits for."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # cancelled sleepers
        return self._sleepers[0][0] if self._sleepers else None

    def skip_to(self, when: datetime) -> bool:
        """Move time forward to ``when`` at once if no sleeper is due by then; return False,
        with time unchanged, when one is (``advance_to`` wakes it).

        A backtest moves the clock once or twice a bar and wakes a sleeper about once an hour:
        this is the common case without a coroutine around it.
        """
        when = _as_utc(when)
        if when < self._now:
            raise ValueError(f"time cannot go backwards: {when} < {self._now}")
        sleepers = self._sleepers
        if sleepers and sleepers[0][0] <= when:
            return False  # due, or a cancelled one that advance_to will skip
        self._now = when
        return True

    async def advance_to(self, when: datetime) -> None:
        """Move time forward to ``when``, letting each due sleeper run at its own deadline."""
        if self.skip_to(when):
            return
        when = _as_utc(when)
        while (deadline := self.next_wakeup) is not None and deadline <= when:
            _, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            future.set_result(None)
            # Let the woken task (and whatever it awaits without sleeping) run before moving on.
            for _ in range(3):
                await asyncio.sleep(0)
        self._now = when

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        await self.advance_to(self._now + timedelta(seconds=seconds))
