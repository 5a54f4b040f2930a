"""Alpaca's trade-updates stream: every change to an order (fills, bracket legs filling,
cancels) pushed as it happens, so fills are confirmed without waiting for the next poll.

alpaca-py's ``TradingStream`` runs as a task on our own loop (``_run_forever``, as the market-data
feed runs its stream) and reconnects by itself; its handler gets the raw message, which is parsed
here so a malformed one is counted and skipped instead of ending the stream. Polling stays the
fallback: an update missed while disconnected is found by the next reconciliation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, Final

import structlog
from alpaca.trading.models import Order as AlpacaOrder
from alpaca.trading.stream import TradingStream
from pydantic import ValidationError

from trading_bot.adapters.brokers.alpaca import AlpacaConfig
from trading_bot.adapters.brokers.alpaca_mapping import to_order_result
from trading_bot.core.errors import BrokerError
from trading_bot.core.model import OrderResult
from trading_bot.core.ports import Metrics

_log = structlog.stdlib.get_logger(__name__)

MALFORMED_UPDATES: Final = "order_updates_malformed"
"""Counter of trade updates that did not parse (skipped)."""
DROPPED_UPDATES: Final = "order_updates_dropped"
"""Counter of trade updates dropped because the consumer fell behind (polling catches up)."""


class AlpacaTradeUpdates:
    """``core.ports.OrderUpdates`` on Alpaca's trade-updates stream."""

    def __init__(
        self,
        config: AlpacaConfig,
        *,
        stream_url: str | None = None,
        metrics: Metrics | None = None,
        queue_size: int = 1_000,
    ) -> None:
        self._config = config
        self._stream_url = stream_url
        self._metrics = metrics
        self._queue_size = queue_size

    async def order_updates(self) -> AsyncGenerator[OrderResult, None]:
        """Yield each order as Alpaca reports it changed, until the consumer stops iterating."""
        queue: asyncio.Queue[OrderResult] = asyncio.Queue(self._queue_size)

        async def on_update(message: Any) -> None:
            # Any: the raw JSON message of the stream, checked by ``_parse``.
            result = self._parse(message)
            if result is None:
                return
            try:
                queue.put_nowait(result)
            except asyncio.QueueFull:
                self._count(DROPPED_UPDATES)
                _log.warning("trade update dropped; polling will catch up")

        stream = TradingStream(
            api_key=self._config.api_key.get_secret_value(),
            secret_key=self._config.secret_key.get_secret_value(),
            paper=self._config.paper,
            raw_data=True,
            # An empty override means Alpaca's own endpoint (paper or live).
            url_override=self._stream_url or "",
        )
        stream.subscribe_trade_updates(on_update)
        forever = stream._run_forever()  # type: ignore[no-untyped-call]  # alpaca-py leaves it unannotated
        runner = asyncio.create_task(forever, name="alpaca-trade-updates")
        _log.info("alpaca trade updates started")
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    raise BrokerError("the Alpaca trade-updates stream stopped")
                yield getter.result()
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            await stream.close()

    def _parse(self, message: Any) -> OrderResult | None:
        # Any: a raw stream message, validated here.
        try:
            data = message["data"]
            return to_order_result(AlpacaOrder(**data["order"]))
        except (KeyError, TypeError, ValueError, ValidationError, BrokerError) as exc:
            self._count(MALFORMED_UPDATES)
            _log.warning("trade update skipped", reason=str(exc)[:300])
            return None

    def _count(self, name: str) -> None:
        if self._metrics is not None:
            self._metrics.increment(name)
