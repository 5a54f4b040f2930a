"""Responses of the strategy routes: weights, performance, history and metrics."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class StrategyOut(BaseModel):
    """A strategy: its weight and how the trades it argued for went."""

    id: uuid.UUID
    name: str
    description: str
    weight: float
    active: bool
    trades: int = Field(description="closed trades the strategy argued for")
    wins: int
    win_rate: float | None
    total_pnl: Decimal = Field(description="realised P&L of those trades")
    updated_at: datetime


class WeightPoint(BaseModel):
    """One change of a strategy's weight."""

    timestamp: datetime
    old_weight: float
    new_weight: float
    reason: str


class AdjustmentOut(BaseModel):
    """A learning cycle's adjustment, with the evidence behind it."""

    timestamp: datetime
    cycle: int
    old_weight: float
    new_weight: float
    reward: float | None
    trades_considered: int
    reason: str


class StrategyHistory(BaseModel):
    """A strategy's weight history and adjustments, newest first."""

    strategy: str
    weights: list[WeightPoint]
    adjustments: list[AdjustmentOut]


class StrategyMetricPoint(BaseModel):
    """A strategy's performance at one moment (stored by the learning engine)."""

    timestamp: datetime
    weight: float
    trades: int
    win_rate: float | None
    total_pnl: Decimal
    sharpe: float | None


class StrategyMetrics(BaseModel):
    """A strategy's performance now and over time (oldest first)."""

    strategy: str
    trades: int
    wins: int
    win_rate: float | None
    total_pnl: Decimal
    series: list[StrategyMetricPoint]
