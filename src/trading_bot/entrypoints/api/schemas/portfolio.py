"""Responses of the portfolio routes: the summary, positions, equity history and metrics."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class TradingStatus(StrEnum):
    """Whether the executor opens new positions."""

    ACTIVE = "active"
    PAUSED = "paused"
    KILL_SWITCH = "kill_switch"


class PortfolioOut(BaseModel):
    """The portfolio now: value, cash, buying power, the day's P&L and the trading status."""

    equity: Decimal
    cash: Decimal
    buying_power: Decimal
    daily_pnl: Decimal
    daily_pnl_pct: float | None = Field(description="the day's P&L over the day's opening equity")
    positions_count: int
    trading_status: TradingStatus
    as_of: datetime | None = Field(description="when these figures were true; null: none yet")
    source: Literal["live", "snapshot", "broker", "none"] = Field(
        description="live: the executor's latest update; snapshot: the latest stored snapshot"
    )


class PositionOut(BaseModel):
    """An open position with its unrealised P&L and protective levels."""

    ticker: str
    qty: Decimal
    avg_entry_price: Decimal
    market_price: Decimal | None
    market_value: Decimal
    unrealized_pnl: Decimal
    unrealized_pnl_pct: float | None
    stop_loss: Decimal | None
    take_profit: Decimal | None
    opened_at: datetime | None
    entry_signal_id: uuid.UUID | None
    updated_at: datetime


HistoryPeriod = Literal["1d", "1w", "1m", "3m", "1y", "all"]


class EquityPoint(BaseModel):
    """One point of the equity curve."""

    timestamp: datetime
    equity: Decimal
    cash: Decimal
    daily_pnl: Decimal
    open_positions: int


class HistoryOut(BaseModel):
    """The equity curve over a period, oldest first."""

    period: HistoryPeriod
    points: list[EquityPoint]


class MetricsOut(BaseModel):
    """How the bot has done: returns from the equity curve, win rate from closed trades."""

    roi: float | None = Field(description="total return over the stored equity curve")
    sharpe: float | None = Field(description="annualised, from the curve's snapshot returns")
    max_drawdown: float | None = Field(description="a negative fraction, e.g. -0.12")
    win_rate: float | None = Field(description="share of closed trades that made money")
    total_trades: int = Field(description="closed round trips")
    total_pnl: Decimal = Field(description="realised P&L of the closed round trips")
    snapshots: int = Field(description="points of the equity curve the returns come from")
