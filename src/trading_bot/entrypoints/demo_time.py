"""Simulated time in demo mode: resumed after a restart, and shared by the processes of a demo
that runs one service per process.

The process that owns the market feed moves its ``SimulatedClock`` bar by bar and records each
new bar time under ``DEMO_CLOCK_KEY``; a restart starts the clock there and skips the bars that
closed before it. A process without the feed follows that record, and moves its clock to the time
of each message it consumes before handling it, so it never acts on a message from its future.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Final

import structlog

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import TemporaryError
from trading_bot.core.events import Message, Streams
from trading_bot.core.model import Bar
from trading_bot.core.ports import (
    Clock,
    DeadLetter,
    EventBus,
    Handler,
    KeyValueStore,
    MarketDataFeed,
)

log = structlog.stdlib.get_logger(__name__)

DEMO_CLOCK_KEY: Final = "demo:clock"
"""Key-value entry holding the demo's simulated time (ISO 8601, UTC)."""

FOLLOW_INTERVAL_SECONDS: Final = 0.1
"""Real seconds between two reads of the recorded time by a process without the feed."""

SIMULATED_STREAMS: Final = frozenset(
    {
        Streams.NEWS_RAW,
        Streams.NEWS_SCORED,
        Streams.MARKET_BARS,
        Streams.SIGNALS,
        Streams.TRADES,
        Streams.WEIGHTS,
        Streams.PORTFOLIO,
    }
)
"""Streams whose producers run on the demo's simulated clock. The api-gateway keeps the wall
clock (tokens expire in real time), so its commands and the heartbeats never move the clock."""


async def recorded_time(store: KeyValueStore) -> datetime | None:
    """Return the demo time recorded in ``store``; None when there is none or it is unreadable.

    An unreadable value is logged and ignored (the demo starts from its configured start)
    rather than stopping the bot; the next bar overwrites it.
    """
    raw = await store.get(DEMO_CLOCK_KEY)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        log.warning("recorded demo time is not a timestamp; ignored", key=DEMO_CLOCK_KEY, value=raw)
        return None
    if moment.tzinfo is None:
        log.warning("recorded demo time has no time zone; ignored", key=DEMO_CLOCK_KEY, value=raw)
        return None
    return moment


class ResumingFeed:
    """A ``MarketDataFeed`` that records the time of each new bar and skips the bars a previous
    run already went through.

    Bars that close before ``resume_from`` are dropped; the time is recorded before the first
    bar of each new close time is handed on, so a process stopped in the middle of the bars of
    one minute replays that minute, never one it had not reached.
    """

    def __init__(
        self, feed: MarketDataFeed, store: KeyValueStore, *, resume_from: datetime | None
    ) -> None:
        self._feed = feed
        self._store = store
        self._resume_from = resume_from

    async def bars(self) -> AsyncIterator[Bar]:
        """Yield the inner feed's bars from the resume point on, recording their times."""
        recorded: datetime | None = None
        skipped = 0
        async for bar in self._feed.bars():
            closes = bar.closes_at
            if self._resume_from is not None and closes < self._resume_from:
                skipped += 1
                continue
            if skipped:
                log.info("demo market resumed", at=closes.isoformat(), bars_skipped=skipped)
                skipped = 0
            if closes != recorded:
                await self._record(closes)
                recorded = closes
            yield bar

    async def _record(self, moment: datetime) -> None:
        try:
            await self._store.set(DEMO_CLOCK_KEY, moment.isoformat())
        except TemporaryError as exc:
            # Time goes on regardless; only a restart would resume a little earlier.
            log.warning("demo time not recorded", at=moment.isoformat(), error=str(exc))


class ClockFollower:
    """Keep a process's ``SimulatedClock`` at the demo time the feed's process records.

    ``run`` reads the record every ``interval_seconds`` of ``wait_clock`` (the wall clock) and
    moves the simulated clock forward to it, so sleepers (news polls, reconciliation, snapshots)
    wake as they would beside the feed.
    """

    def __init__(
        self,
        clock: SimulatedClock,
        store: KeyValueStore,
        *,
        wait_clock: Clock,
        interval_seconds: float = FOLLOW_INTERVAL_SECONDS,
    ) -> None:
        self._clock = clock
        self._store = store
        self._wait_clock = wait_clock
        self._interval = interval_seconds

    async def follow_once(self) -> datetime:
        """Move the clock to the recorded time if that is later; return the clock's time."""
        try:
            recorded = await recorded_time(self._store)
        except TemporaryError as exc:
            log.warning("demo time unreadable; will retry", error=str(exc))
            recorded = None
        if recorded is not None and recorded > self._clock.now():
            await self._clock.advance_to(recorded)
        return self._clock.now()

    async def run(self) -> None:
        """Follow the recorded time until cancelled."""
        while True:
            await self.follow_once()
            await self._wait_clock.sleep(self._interval)


class TimeFollowingBus:
    """An ``EventBus`` that moves a ``SimulatedClock`` to each consumed message's time first.

    Only messages of ``SIMULATED_STREAMS`` move it, and never backwards: a service handling a
    signal then sees the time the signal was generated at (its market-hours check and the
    signal's age agree with the one-process demo), however its own clock lagged.
    """

    def __init__(self, bus: EventBus, clock: SimulatedClock) -> None:
        self._bus = bus
        self._clock = clock

    async def publish(self, message: Message, *, stream: str | None = None) -> str:
        """Publish through the wrapped bus."""
        return await self._bus.publish(message, stream=stream)

    async def publish_many(
        self, messages: Sequence[Message], *, stream: str | None = None
    ) -> list[str]:
        """Publish several through the wrapped bus."""
        return await self._bus.publish_many(messages, stream=stream)

    async def consume(
        self, stream: str, group: str, handler: Handler, *, consumer: str | None = None
    ) -> None:
        """Consume through the wrapped bus, bringing the clock to each message's time first."""
        if stream not in SIMULATED_STREAMS:
            await self._bus.consume(stream, group, handler, consumer=consumer)
            return

        async def timed(message: Message) -> None:
            if message.occurred_at > self._clock.now():
                await self._clock.advance_to(message.occurred_at)
            await handler(message)

        await self._bus.consume(stream, group, timed, consumer=consumer)

    async def dead_letters(self, stream: str, limit: int = 100) -> list[DeadLetter]:
        """Read dead letters through the wrapped bus."""
        return await self._bus.dead_letters(stream, limit)

    async def ping(self) -> None:
        """Ping the wrapped bus."""
        await self._bus.ping()

    async def close(self) -> None:
        """Close the wrapped bus."""
        await self._bus.close()
