"""The notification dispatcher: a bounded queue and a background sender per channel.

``submit`` only queues (it never waits and never raises), so a slow or dead channel cannot hold
up trading; a full queue drops the notification and counts it. Each channel's sender delivers in
order, retrying transient failures with exponential backoff and jitter (tenacity) and honouring a
``Retry-After`` the channel sent; a notification that still fails is logged, counted and dropped.

Metrics (label ``channel``): ``notifications_sent`` and ``notifications_failed`` (also ``kind``),
``notifications_dropped`` (also ``reason``: ``queue_full``), ``notification_retries``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

import structlog
from pydantic import BaseModel, ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from trading_bot.adapters.notify.channel import Channel, DeliveryError, TransientDeliveryError
from trading_bot.core.operations import Notification
from trading_bot.core.ports import Metrics

log = structlog.stdlib.get_logger(__name__)

NOTIFICATIONS_SENT: Final = "notifications_sent"
NOTIFICATIONS_FAILED: Final = "notifications_failed"
NOTIFICATIONS_DROPPED: Final = "notifications_dropped"
NOTIFICATION_RETRIES: Final = "notification_retries"


class DeliveryConfig(BaseModel):
    """How hard each channel tries, and how much it may hold back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    queue_size: int = Field(
        default=100, ge=1, le=100_000, description="notifications waiting per channel; default 100"
    )
    max_attempts: int = Field(
        default=5, ge=1, le=20, description="tries per notification, the first included; default 5"
    )
    backoff_seconds: float = Field(
        default=1.0, gt=0, description="first wait before a retry, doubled each time; default 1"
    )
    backoff_max_seconds: float = Field(
        default=60.0, gt=0, description="longest wait between two tries; default 60"
    )
    jitter_seconds: float = Field(
        default=0.5, ge=0, description="random extra wait added to each retry; default 0.5"
    )


class NotificationDispatcher:
    """``core.ports.Notifier`` over channels; ``run()`` delivers until cancelled."""

    def __init__(
        self, channels: Sequence[Channel], config: DeliveryConfig, metrics: Metrics
    ) -> None:
        self._channels = list(channels)
        self._config = config
        self._metrics = metrics
        self._queues: dict[str, asyncio.Queue[Notification]] = {
            channel.name: asyncio.Queue(maxsize=config.queue_size) for channel in self._channels
        }

    @property
    def channels(self) -> list[str]:
        """Return the names of the channels notifications go to."""
        return [channel.name for channel in self._channels]

    def submit(self, notification: Notification) -> bool:
        """Queue ``notification`` for every channel that carries its kind; return True when at
        least one queued it. A full queue drops it for that channel (counted)."""
        queued = False
        for channel in self._channels:
            if notification.kind not in channel.events:
                continue
            try:
                self._queues[channel.name].put_nowait(notification)
            except asyncio.QueueFull:
                self._metrics.increment(
                    NOTIFICATIONS_DROPPED, channel=channel.name, reason="queue_full"
                )
                log.warning(
                    "notification dropped: the channel's queue is full",
                    channel=channel.name,
                    kind=notification.kind.value,
                )
                continue
            queued = True
        return queued

    async def run(self) -> None:
        """Deliver queued notifications, one sender per channel, until cancelled."""
        async with asyncio.TaskGroup() as senders:
            for channel in self._channels:
                senders.create_task(self._send_forever(channel), name=f"notify:{channel.name}")

    async def join(self) -> None:
        """Return once every queued notification was delivered or given up on."""
        for queue in self._queues.values():
            await queue.join()

    async def aclose(self) -> None:
        """Release every channel's connections."""
        for channel in self._channels:
            await channel.aclose()

    async def _send_forever(self, channel: Channel) -> None:
        queue = self._queues[channel.name]
        while True:
            notification = await queue.get()
            try:
                await self._deliver(channel, notification)
            finally:
                queue.task_done()

    async def _deliver(self, channel: Channel, notification: Notification) -> None:
        config = self._config
        backoff = wait_exponential_jitter(
            multiplier=config.backoff_seconds,
            max=config.backoff_max_seconds,
            jitter=config.jitter_seconds,
        )

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            asked = error.retry_after if isinstance(error, TransientDeliveryError) else None
            return min(asked, config.backoff_max_seconds) if asked is not None else backoff(state)

        def count_retry(state: RetryCallState) -> None:
            self._metrics.increment(NOTIFICATION_RETRIES, channel=channel.name)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(config.max_attempts),
            wait=wait,
            retry=retry_if_exception_type(TransientDeliveryError),
            before_sleep=count_retry,
            reraise=True,
        )
        name, kind = channel.name, notification.kind.value
        try:
            await retrying(channel.send, notification)
        except DeliveryError as exc:
            self._metrics.increment(NOTIFICATIONS_FAILED, channel=name, kind=kind)
            log.warning("notification not delivered", error=str(exc), channel=name, kind=kind)
        except Exception:  # a bug in one channel must not stop its sender
            self._metrics.increment(NOTIFICATIONS_FAILED, channel=name, kind=kind)
            log.exception("notification channel failed unexpectedly", channel=name, kind=kind)
        else:
            self._metrics.increment(NOTIFICATIONS_SENT, channel=name, kind=kind)
