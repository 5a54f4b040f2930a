"""Time-series tables; TimescaleDB hypertables where the extension exists.

Each primary key includes the time column, which TimescaleDB requires of a hypertable and which
serves the (key, time) range queries on plain tables too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from trading_bot.adapters.storage.tables._base import Base
from trading_bot.adapters.storage.tables.trading import TICKER_LENGTH
from trading_bot.adapters.storage.types import ExactDecimal, UtcDateTime


class MarketDataRow(Base):
    """One OHLCV bar; unique per (ticker, timestamp, interval)."""

    __tablename__ = "market_data"

    ticker: Mapped[str] = mapped_column(String(TICKER_LENGTH), primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    interval_seconds: Mapped[int] = mapped_column(Integer, primary_key=True)
    open: Mapped[float] = mapped_column(Double)
    high: Mapped[float] = mapped_column(Double)
    low: Mapped[float] = mapped_column(Double)
    close: Mapped[float] = mapped_column(Double)
    volume: Mapped[float] = mapped_column(Double)


class PortfolioSnapshotRow(Base):
    """The portfolio's value at one instant."""

    __tablename__ = "portfolio_snapshots"

    timestamp: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    equity: Mapped[Decimal] = mapped_column(ExactDecimal)
    cash: Mapped[Decimal] = mapped_column(ExactDecimal)
    buying_power: Mapped[Decimal] = mapped_column(ExactDecimal)
    daily_pnl: Mapped[Decimal] = mapped_column(ExactDecimal)
    positions_value: Mapped[Decimal] = mapped_column(ExactDecimal)
    open_positions: Mapped[int] = mapped_column(Integer)


class StrategyMetricRow(Base):
    """A strategy's performance at one instant."""

    __tablename__ = "strategy_metrics"

    strategy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("strategies.id", ondelete="CASCADE"), primary_key=True
    )
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    weight: Mapped[float] = mapped_column(Double)
    trades: Mapped[int] = mapped_column(Integer)
    win_rate: Mapped[float | None] = mapped_column(Double)
    total_pnl: Mapped[Decimal] = mapped_column(ExactDecimal)
    sharpe: Mapped[float | None] = mapped_column(Double)
