"""Heartbeats: every process says, for each service it runs, that it is alive.

A ``HeartbeatSent`` per service every ``interval_seconds`` on ``services:heartbeats``; the
api-gateway shows the last one per service and instance, the health watch raises an alarm when
one stops. Heartbeats are about real processes, so they run on the wall clock even in a demo
whose market runs on simulated time. A bus that cannot be reached is logged and counted; the
publisher keeps trying.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import structlog
from pydantic import BaseModel, ConfigDict, Field

from trading_bot.core.events import HeartbeatSent
from trading_bot.core.ports import Clock, EventBus, Metrics

log = structlog.stdlib.get_logger(__name__)

HEARTBEATS_FAILED: Final = "heartbeats_failed"
"""Counter of heartbeats that could not be published (label ``service``)."""


class HeartbeatConfig(BaseModel):
    """How often services report, and when silence counts as lost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_seconds: float = Field(
        default=10.0, gt=0, le=3_600, description="seconds between two heartbeats; default 10"
    )
    stale_after_intervals: float = Field(
        default=3.0,
        ge=1,
        le=100,
        description="a service silent for this many intervals is stale (lost); default 3",
    )

    @property
    def stale_after_seconds(self) -> float:
        """Return the silence after which a service counts as lost."""
        return self.interval_seconds * self.stale_after_intervals


class HeartbeatPublisher:
    """Publish a heartbeat for each of ``services`` every interval, until cancelled."""

    name = "heartbeat"

    def __init__(
        self,
        config: HeartbeatConfig,
        *,
        services: Sequence[str],
        instance: str,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._config = config
        self._services = tuple(services)
        self._instance = instance
        self._bus = bus
        self._clock = clock
        self._metrics = metrics

    async def beat(self) -> None:
        """Publish one heartbeat per service now."""
        for service in self._services:
            message = HeartbeatSent(
                occurred_at=self._clock.now(),
                service=service,
                instance=self._instance,
                interval_seconds=self._config.interval_seconds,
            )
            try:
                await self._bus.publish(message)
            except Exception as exc:  # a heartbeat never takes its process down
                self._metrics.increment(HEARTBEATS_FAILED, service=service)
                log.warning("heartbeat not published", service=service, error=str(exc))

    async def run(self) -> None:
        """Beat every ``interval_seconds`` until cancelled."""
        while True:
            await self.beat()
            await self._clock.sleep(self._config.interval_seconds)
