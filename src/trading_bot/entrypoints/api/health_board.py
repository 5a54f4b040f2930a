"""The service-health board: the api-gateway's view of every service's heartbeats.

It consumes ``services:heartbeats`` in a group of its own per gateway instance and keeps the
latest heartbeat of each (service, instance). ``GET /api/health/services`` reads it: a service
is stale once it has been silent for ``stale_after`` of its own intervals.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from trading_bot.core.events import HeartbeatSent, Message, Streams
from trading_bot.core.ports import EventBus

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 10.0
"""The interval assumed for a heartbeat that does not say its own."""


@dataclass(frozen=True, slots=True)
class Beat:
    """The latest heartbeat of one service instance."""

    service: str
    instance: str
    last_seen: datetime
    interval_seconds: float


class ServiceHealthBoard:
    """The latest heartbeat per service instance, fed from the bus."""

    def __init__(self, bus: EventBus, *, group: str, consumer: str) -> None:
        self._bus = bus
        self._group = group
        self._consumer = consumer
        self._beats: dict[tuple[str, str], Beat] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start following the heartbeats."""
        self._task = asyncio.create_task(self._follow(), name="health-board")

    async def stop(self) -> None:
        """Stop following them."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def beats(self) -> list[Beat]:
        """Return the latest heartbeat of every instance seen, by service then instance."""
        return [self._beats[key] for key in sorted(self._beats)]

    async def handle(self, message: Message) -> None:
        """Keep a heartbeat if it is the newest of its instance (a bus handler; never raises)."""
        if not isinstance(message, HeartbeatSent):
            return
        key = (message.service, message.instance)
        known = self._beats.get(key)
        if known is not None and known.last_seen >= message.occurred_at:
            return
        self._beats[key] = Beat(
            message.service,
            message.instance,
            message.occurred_at,
            message.interval_seconds or DEFAULT_INTERVAL_SECONDS,
        )

    async def _follow(self) -> None:
        while True:
            try:
                await self._bus.consume(
                    Streams.HEARTBEATS, self._group, self.handle, consumer=self._consumer
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # the bus reconnects itself; the board must keep following
                logger.exception("heartbeat board consumer failed; restarting")
                await asyncio.sleep(1.0)
