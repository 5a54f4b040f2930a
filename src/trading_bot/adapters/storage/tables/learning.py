"""Tables of the learning loop: closed trades' outcomes, credits and weight adjustments."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Double, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from trading_bot.adapters.storage.tables._base import Base
from trading_bot.adapters.storage.tables.trading import TICKER_LENGTH
from trading_bot.adapters.storage.types import ExactDecimal, JsonDocument, UtcDateTime


class TradeOutcomeRow(Base):
    """A closed round trip; one per exit trade, so a redelivered exit is not counted twice."""

    __tablename__ = "trade_outcomes"
    __table_args__ = (
        Index(None, "closed_at"),
        Index(None, "ticker", "closed_at"),
        Index(None, "entry_trade_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    entry_trade_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trades.id"))
    exit_trade_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trades.id"), unique=True)
    ticker: Mapped[str] = mapped_column(String(TICKER_LENGTH))
    realized_pnl: Mapped[Decimal] = mapped_column(ExactDecimal)
    roi_pct: Mapped[float] = mapped_column(Double)
    hold_seconds: Mapped[float] = mapped_column(Double)
    risk_adjusted_return: Mapped[float] = mapped_column(Double)
    strategy_credits: Mapped[dict[str, float]] = mapped_column(JsonDocument)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TradeOutcomeCreditRow(Base):
    """One strategy's credit in one outcome: ``strategy_credits`` made queryable by strategy.

    The strategy is kept by name, without a foreign key, so an outcome credited to a strategy
    that is not (or no longer) in the strategies table is still stored.
    """

    __tablename__ = "trade_outcome_credits"
    __table_args__ = (Index(None, "strategy"),)

    outcome_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("trade_outcomes.id", ondelete="CASCADE"), primary_key=True
    )
    strategy: Mapped[str] = mapped_column(String(64), primary_key=True)
    credit: Mapped[float] = mapped_column(Double)


class LearningAdjustmentRow(Base):
    """A learning cycle's adjustment of one strategy's weight."""

    __tablename__ = "learning_adjustments"
    __table_args__ = (Index(None, "strategy_id", "timestamp"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    strategy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    old_weight: Mapped[float] = mapped_column(Double)
    new_weight: Mapped[float] = mapped_column(Double)
    reward: Mapped[float | None] = mapped_column(Double)
    trades_considered: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    cycle: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
