"""Trading notifications: each fill and each closed position as it happens, and a summary of
the day at every session close.

It consumes ``trades:executed`` in its own group: a filled entry is ``trade_executed``, a filled
exit ``position_closed`` with its realised P&L. The daily summary is scheduled on the clock at
the calendar's session close (13:00 New York on half days) and reports equity, the day's change,
realised P&L and the trades filled. Notifications only queue (``core.ports.Notifier``), so
nothing here can hold up trading; operational events (pauses, reconciliation, heartbeats, the
kill switch) are notified by whoever records them (``operations_journal``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Final

import structlog
from pydantic import BaseModel, ConfigDict, Field

from trading_bot.core.calendar import NEW_YORK
from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import Message, Streams, TradeExecuted
from trading_bot.core.model import OrderStatus, TradeExecution
from trading_bot.core.operations import Notification, NotificationKind, Severity
from trading_bot.core.ports import (
    Broker,
    Clock,
    EventBus,
    MarketHours,
    Metrics,
    Notifier,
    TradeRepository,
)
from trading_bot.services.execution_state import RiskStateStore, trading_day

log = structlog.stdlib.get_logger(__name__)

SUMMARIES_FAILED: Final = "daily_summaries_failed"
"""Counter of daily summaries that could not be put together (the broker or storage was down)."""


class NotificationsConfig(BaseModel):
    """What the trading notifications follow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str = Field(
        default="notifier", min_length=1, description="consumer group on trades:executed"
    )
    daily_summary: bool = Field(default=True, description="send a summary at each session close")


class NotificationService:
    """Tell the operator about trades and each day's result (see the module docstring)."""

    name = "notifier"

    def __init__(
        self,
        config: NotificationsConfig,
        *,
        bus: EventBus,
        notifier: Notifier,
        broker: Broker,
        trades: TradeRepository,
        state: RiskStateStore,
        market_hours: MarketHours,
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._config = config
        self._bus = bus
        self._notifier = notifier
        self._broker = broker
        self._trades = trades
        self._state = state
        self._market_hours = market_hours
        self._clock = clock
        self._metrics = metrics

    async def run(self) -> None:
        """Follow the trades and send the daily summaries, until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                self._bus.consume(Streams.TRADES, self._config.group, self.on_trade_executed),
                name=f"{self.name}:trades",
            )
            if self._config.daily_summary:
                tasks.create_task(self._summaries_forever(), name=f"{self.name}:summary")

    async def on_trade_executed(self, message: Message) -> None:
        """Notify a filled entry or exit; other outcomes are left to the dashboard."""
        if not isinstance(message, TradeExecuted):
            raise MalformedMessageError(f"{Streams.TRADES} carries TradeExecuted only")
        trade = message.execution
        if trade.status is not OrderStatus.FILLED:
            return
        self._notifier.submit(
            _closed(trade, message.occurred_at)
            if trade.is_exit
            else _executed(trade, message.occurred_at)
        )

    async def send_daily_summary(self) -> Notification:
        """Put together today's summary, submit it and return it."""
        now = self._clock.now()
        day = trading_day(now)
        account = await self._broker.get_account()
        start = await self._state.start_of_day_equity(account.equity)
        realized = await self._state.realized_on(day)
        since = datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)
        filled = await self._trades.query(since=since, status=OrderStatus.FILLED, limit=1)
        change = account.equity - start
        notification = Notification(
            kind=NotificationKind.DAILY_SUMMARY,
            title=f"Daily summary {day.isoformat()}: {_signed(change)}",
            text=f"Equity {account.equity:.2f} after the close, {filled.total} trades filled.",
            severity=Severity.INFO,
            fields={
                "equity": f"{account.equity:.2f}",
                "change": _signed(change),
                "realized_pnl": "unknown" if realized is None else _signed(realized),
                "trades": str(filled.total),
                "cash": f"{account.cash:.2f}",
            },
            occurred_at=now,
        )
        self._notifier.submit(notification)
        return notification

    async def _summaries_forever(self) -> None:
        while True:
            close = self._market_hours.next_close(self._clock.now())
            await self._clock.sleep_until(close)
            try:
                await self.send_daily_summary()
            except Exception as exc:  # a summary missed must not end the notifications
                self._metrics.increment(SUMMARIES_FAILED)
                log.warning("daily summary not sent", error=str(exc))


def _executed(trade: TradeExecution, at: datetime) -> Notification:
    verb = "Bought" if trade.side.value == "BUY" else "Sold short"
    price = "" if trade.price is None else f" at {trade.price}"
    return Notification(
        kind=NotificationKind.TRADE_EXECUTED,
        title=f"{verb} {trade.filled_qty.normalize():f} {trade.ticker}{price}",
        text=f"Order {trade.client_order_id} filled.",
        fields={
            "ticker": trade.ticker,
            "side": trade.side.value,
            "qty": f"{trade.filled_qty.normalize():f}",
            "price": "" if trade.price is None else str(trade.price),
        },
        occurred_at=at,
    )


def _closed(trade: TradeExecution, at: datetime) -> Notification:
    pnl = trade.realized_pnl
    result = "unknown P&L" if pnl is None else f"P&L {_signed(pnl)}"
    return Notification(
        kind=NotificationKind.POSITION_CLOSED,
        title=f"Closed {trade.ticker}: {result}",
        text=f"{trade.filled_qty.normalize():f} {trade.ticker} at {trade.price} "
        f"({trade.reason or 'exit'}).",
        severity=Severity.INFO if pnl is None or pnl >= 0 else Severity.WARNING,
        fields={
            "ticker": trade.ticker,
            "qty": f"{trade.filled_qty.normalize():f}",
            "price": "" if trade.price is None else str(trade.price),
            "realized_pnl": "" if pnl is None else str(pnl),
        },
        occurred_at=at,
    )


def _signed(amount: Decimal) -> str:
    return f"{amount:+.2f}"
