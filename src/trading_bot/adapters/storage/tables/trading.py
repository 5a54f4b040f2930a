"""Tables of the trading path: strategies, signals, trades, positions and risk decisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Double, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from trading_bot.adapters.storage.tables._base import Base, enum_column
from trading_bot.adapters.storage.types import ExactDecimal, JsonDocument, UtcDateTime
from trading_bot.core.model import Direction, OrderSide, OrderStatus, SignalOutcome

TICKER_LENGTH = 12


class StrategyRow(Base):
    """A strategy and its current ensemble weight."""

    __tablename__ = "strategies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    current_weight: Mapped[float] = mapped_column(Double)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StrategyWeightHistoryRow(Base):
    """One change of a strategy's weight."""

    __tablename__ = "strategy_weights_history"
    __table_args__ = (Index(None, "strategy_id", "timestamp"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    strategy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    old_weight: Mapped[float] = mapped_column(Double)
    new_weight: Mapped[float] = mapped_column(Double)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")


class SignalRow(Base):
    """A trade signal the ensemble produced, and the outcome the executor recorded for it."""

    __tablename__ = "signals"
    __table_args__ = (
        Index(None, "ticker", "generated_at"),
        Index(None, "generated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    ticker: Mapped[str] = mapped_column(String(TICKER_LENGTH))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    strength: Mapped[float] = mapped_column(Double)
    price: Mapped[float] = mapped_column(Double)
    strategy_sources: Mapped[list[dict[str, object]]] = mapped_column(JsonDocument)
    sentiment_score: Mapped[float | None] = mapped_column(Double)
    article_ids: Mapped[list[str]] = mapped_column(JsonDocument)
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acted_on: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[SignalOutcome | None] = mapped_column(enum_column(SignalOutcome, "outcome"))
    outcome_reason: Mapped[str] = mapped_column(Text, default="")


class TradeRow(Base):
    """An order the executor placed and what became of it."""

    __tablename__ = "trades"
    __table_args__ = (
        Index(None, "ticker", "timestamp"),
        Index(None, "timestamp"),
        Index(None, "status", "timestamp"),
        Index(None, "strategy_id", "timestamp"),
        Index(None, "signal_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    signal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signals.id"))
    client_order_id: Mapped[str] = mapped_column(String(48), unique=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(128))
    ticker: Mapped[str] = mapped_column(String(TICKER_LENGTH))
    side: Mapped[OrderSide] = mapped_column(enum_column(OrderSide, "side"))
    qty: Mapped[Decimal] = mapped_column(ExactDecimal)
    filled_qty: Mapped[Decimal] = mapped_column(ExactDecimal)
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    commission: Mapped[Decimal] = mapped_column(ExactDecimal)
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "status"))
    reason: Mapped[str] = mapped_column(Text, default="")
    is_exit: Mapped[bool] = mapped_column(Boolean, default=False)
    pnl: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    strategy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("strategies.id", ondelete="SET NULL")
    )
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    filled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PositionRow(Base):
    """An open position, one per ticker."""

    __tablename__ = "positions"

    ticker: Mapped[str] = mapped_column(String(TICKER_LENGTH), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(ExactDecimal)
    avg_entry: Mapped[Decimal] = mapped_column(ExactDecimal)
    unrealized_pnl: Mapped[Decimal] = mapped_column(ExactDecimal)
    market_price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    stop_loss: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    take_profit: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    entry_signal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("signals.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RiskDecisionRow(Base):
    """The risk manager's verdict on one order, approved or not."""

    __tablename__ = "risk_decisions"
    __table_args__ = (
        Index(None, "timestamp"),
        Index(None, "reason_code", "timestamp"),
        Index(None, "signal_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    signal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signals.id"))
    ticker: Mapped[str] = mapped_column(String(TICKER_LENGTH))
    approved: Mapped[bool] = mapped_column(Boolean)
    reason_code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    qty: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
