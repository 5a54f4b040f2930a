"""Builders for learning and metrics tests: filled round trips and scored outcomes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.core.model import (
    OrderSide,
    OrderStatus,
    TradeExecution,
    TradeOutcome,
    TradeSignal,
    client_order_id_for,
)


def filled_entry(
    signal: TradeSignal,
    *,
    price: Decimal,
    qty: Decimal = Decimal(10),
    commission: Decimal = Decimal(0),
    at: datetime | None = None,
) -> TradeExecution:
    """Return the filled entry the executor would record for ``signal`` (BUY for LONG)."""
    return TradeExecution(
        signal_id=signal.signal_id,
        client_order_id=client_order_id_for(signal.signal_id),
        ticker=signal.ticker,
        side=OrderSide.BUY if signal.direction.sign > 0 else OrderSide.SELL,
        qty=qty,
        price=price,
        filled_qty=qty,
        commission=commission,
        status=OrderStatus.FILLED,
        executed_at=at or signal.generated_at,
    )


def filled_exit(
    entry: TradeExecution,
    *,
    price: Decimal,
    at: datetime,
    qty: Decimal | None = None,
    commission: Decimal = Decimal(0),
    purpose: str = "exit",
) -> TradeExecution:
    """Return the filled exit of (``qty`` of, default all) the position ``entry`` opened."""
    closed = entry.filled_qty if qty is None else qty
    anchor = entry.signal_id or uuid.uuid4()
    return TradeExecution(
        signal_id=None,
        client_order_id=client_order_id_for(anchor, purpose),
        ticker=entry.ticker,
        side=OrderSide.SELL if entry.side is OrderSide.BUY else OrderSide.BUY,
        qty=closed,
        price=price,
        filled_qty=closed,
        commission=commission,
        status=OrderStatus.FILLED,
        is_exit=True,
        executed_at=at,
    )


def scored_outcome(
    credits: Mapping[str, float],
    *,
    risk_adjusted_return: float,
    closed_at: datetime,
    realized_pnl: Decimal = Decimal(0),
    roi_pct: float | None = None,
    hold: timedelta = timedelta(hours=1),
    ticker: str = "AAPL",
) -> TradeOutcome:
    """Return an outcome with the given credits and returns (trade ids are fresh)."""
    return TradeOutcome(
        entry_trade_id=uuid.uuid4(),
        exit_trade_id=uuid.uuid4(),
        ticker=ticker,
        realized_pnl=realized_pnl,
        roi_pct=risk_adjusted_return * 100 if roi_pct is None else roi_pct,
        hold_seconds=hold.total_seconds(),
        risk_adjusted_return=risk_adjusted_return,
        strategy_credits=dict(credits),
        closed_at=closed_at,
    )
