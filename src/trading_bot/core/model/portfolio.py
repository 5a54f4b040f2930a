"""Positions, the account, executions and portfolio summaries."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import Field

from trading_bot.core.model._types import Frozen, Money, Price, Quantity, Ticker, Unit, UtcDatetime
from trading_bot.core.model.orders import OrderSide, OrderStatus


class Position(Frozen):
    """An open holding. ``qty`` is negative for a short position."""

    ticker: Ticker
    qty: Decimal = Field(allow_inf_nan=False)
    avg_entry_price: Price
    market_price: Price | None = None
    stop_loss: Price | None = None
    take_profit: Price | None = None
    opened_at: UtcDatetime | None = None

    @property
    def market_value(self) -> Decimal:
        """Return qty x the latest price (entry price when no quote is known)."""
        return self.qty * (self.market_price or self.avg_entry_price)

    @property
    def unrealized_pnl(self) -> Decimal:
        """Return the profit or loss if the position were closed at the latest price."""
        return self.qty * ((self.market_price or self.avg_entry_price) - self.avg_entry_price)


class Account(Frozen):
    """Cash and buying power as the broker reports them."""

    cash: Money
    buying_power: Money = Field(ge=0)
    equity: Money
    currency: str = "USD"
    pattern_day_trader: bool = False
    trading_blocked: bool = False


class TradeExecution(Frozen):
    """What happened to an order the executor placed: the record of a trade."""

    trade_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    signal_id: uuid.UUID | None = None
    client_order_id: str = Field(min_length=1, max_length=48)
    broker_order_id: str | None = None
    ticker: Ticker
    side: OrderSide
    qty: Quantity
    price: Price | None = Field(default=None, description="average fill price; None until filled")
    filled_qty: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    commission: Money = Decimal(0)
    status: OrderStatus
    reason: str = Field(default="", max_length=500)
    is_exit: bool = False
    realized_pnl: Money | None = None
    executed_at: UtcDatetime


class WeightUpdate(Frozen):
    """New strategy weights, with the reason for each change."""

    weights: dict[str, Unit]
    reasons: dict[str, str] = Field(default_factory=dict)
    cycle: int = Field(default=0, ge=0)
    updated_at: UtcDatetime


class PortfolioUpdate(Frozen):
    """A summary of the portfolio after something changed it."""

    equity: Money
    cash: Money
    buying_power: Money
    daily_pnl: Money
    positions: tuple[Position, ...] = ()
    as_of: UtcDatetime
