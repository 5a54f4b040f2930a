"""Live events: the gateway's bus consumers fan each event out to the connected WebSockets.

One consumer group per gateway instance (``api-gateway:<instance>``) reads the streams; every
event is serialised once and offered to each client's bounded queue. A client whose queue is
full is marked dropped (its socket is then closed) instead of slowing the others down.

Events are ``{"type": "trade" | "signal" | "portfolio" | "weights" | "news", "data": ...}``;
``data`` has the shape the matching REST route returns (``TradeOut``, ``SignalOut``,
``ArticleOut``), or the bus payload for ``portfolio`` (``PortfolioUpdate``) and ``weights``
(``WeightUpdate``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from trading_bot.core.events import (
    ArticleScored,
    Message,
    PortfolioUpdated,
    SignalGenerated,
    Streams,
    TradeExecuted,
    WeightsUpdated,
)
from trading_bot.core.model import SignalRecord, TradeRecord
from trading_bot.core.ports import EventBus
from trading_bot.entrypoints.api.views import article_out, signal_out, trade_out

logger = logging.getLogger(__name__)

LIVE_STREAMS = (
    Streams.TRADES,
    Streams.SIGNALS,
    Streams.PORTFOLIO,
    Streams.WEIGHTS,
    Streams.NEWS_SCORED,
)
"""The streams whose events reach the WebSocket clients."""


class LiveClient:
    """One connected WebSocket: a bounded queue of serialised events and a dropped flag."""

    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.dropped = asyncio.Event()

    def offer(self, text: str) -> bool:
        """Queue ``text``; when the queue is full, mark the client dropped and return False."""
        if self.dropped.is_set():
            return False
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped.set()
            return False
        return True


class LiveHub:
    """The set of connected clients and the fan-out to them."""

    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self._clients: set[LiveClient] = set()
        self.dropped_total = 0

    @property
    def clients(self) -> int:
        """Return how many clients are connected."""
        return len(self._clients)

    def subscribe(self) -> LiveClient:
        """Add a client and return it."""
        client = LiveClient(self._queue_size)
        self._clients.add(client)
        return client

    def unsubscribe(self, client: LiveClient) -> None:
        """Remove a client (it may already be gone)."""
        self._clients.discard(client)

    def broadcast(self, event: dict[str, Any]) -> None:
        """Serialise ``event`` once and offer it to every client; drop the ones that lag.

        Any: an event is a JSON object.
        """
        text = json.dumps(event, separators=(",", ":"))
        for client in list(self._clients):
            if not client.offer(text):
                self._clients.discard(client)
                self.dropped_total += 1
                logger.warning(
                    "dropped a slow WebSocket client", extra={"queue": client.queue.qsize()}
                )


def live_event(message: Message) -> dict[str, Any] | None:
    """Return the WebSocket event for a bus message, or None for messages not pushed live.

    Any: an event is a JSON object.
    """
    data: BaseModel
    if isinstance(message, TradeExecuted):
        execution = message.execution
        record = TradeRecord(
            execution=execution,
            submitted_at=execution.executed_at,
            filled_at=execution.executed_at if execution.filled_qty > 0 else None,
        )
        kind, data = "trade", trade_out(record)
    elif isinstance(message, SignalGenerated):
        kind, data = "signal", signal_out(SignalRecord(signal=message.signal))
    elif isinstance(message, ArticleScored):
        kind, data = "news", article_out(message.scored)
    elif isinstance(message, PortfolioUpdated):
        kind, data = "portfolio", message.update
    elif isinstance(message, WeightsUpdated):
        kind, data = "weights", message.update
    else:
        return None
    return {"type": kind, "data": data.model_dump(mode="json")}


class LiveFeed:
    """Consume the live streams for this gateway instance and feed the hub."""

    def __init__(
        self,
        bus: EventBus,
        hub: LiveHub,
        *,
        group: str,
        consumer: str,
        on_event: Callable[[Message], None],
    ) -> None:
        self._bus = bus
        self._hub = hub
        self._group = group
        self._consumer = consumer
        self._on_event = on_event
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one consumer per live stream."""
        for stream in LIVE_STREAMS:
            self._tasks.append(
                asyncio.create_task(self._consume(stream), name=f"live-feed-{stream}")
            )

    async def stop(self) -> None:
        """Stop the consumers."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def handle(self, message: Message) -> None:
        """Push one message to the clients (a bus handler; it never raises)."""
        try:
            self._on_event(message)
            event = live_event(message)
        except Exception:  # one bad message must not stop the live feed
            logger.exception("could not build a live event", extra={"stream": message.stream})
            return
        if event is not None:
            self._hub.broadcast(event)

    async def _consume(self, stream: str) -> None:
        while True:
            try:
                await self._bus.consume(stream, self._group, self.handle, consumer=self._consumer)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # the bus reconnects itself; a crash here must not end the feed
                logger.exception("live feed consumer failed; restarting", extra={"stream": stream})
                await asyncio.sleep(1.0)
