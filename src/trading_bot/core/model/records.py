"""What the repositories store and return besides the bus messages: records, outcomes, metrics."""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Generic, NamedTuple, TypeVar

from pydantic import Field, JsonValue

from trading_bot.core.model._types import Frozen, Money, Ticker, Unit, UtcDatetime
from trading_bot.core.model.orders import OrderStatus
from trading_bot.core.model.portfolio import Position, TradeExecution
from trading_bot.core.model.signals import TradeSignal

T = TypeVar("T")

DEFAULT_STRATEGY_WEIGHTS: dict[str, float] = {
    "momentum": 1 / 3,
    "mean_reversion": 1 / 3,
    "news_driven": 1 / 3,
}
"""The strategies a fresh database starts with, equally weighted."""

_Finite = Field(allow_inf_nan=False)


class Page(NamedTuple, Generic[T]):
    """One page of a filtered query and the number of rows matching the filters overall."""

    items: list[T]
    total: int


class SignalOutcome(StrEnum):
    """The recorded end state of a signal that reached the executor."""

    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"

    @classmethod
    def from_status(cls, status: OrderStatus) -> SignalOutcome:
        """Return the outcome a final order status means; refuse PENDING and PARTIALLY_FILLED."""
        if not status.is_final:
            raise ValueError(f"{status} is not a final order status; a signal outcome must be")
        return cls(status.value)


class BacktestStatus(StrEnum):
    """Where a requested backtest is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Return True when the run has ended, well or badly."""
        return self in {BacktestStatus.SUCCEEDED, BacktestStatus.FAILED}


class TokenScope(StrEnum):
    """What an API token may do: read the dashboard data, or also control trading."""

    READ = "read"
    CONTROL = "control"


class ChallengePurpose(StrEnum):
    """Which WebAuthn ceremony a challenge was issued for."""

    REGISTER = "register"
    LOGIN = "login"


class StrategyRecord(Frozen):
    """A strategy as stored: its current weight and whether it takes part."""

    strategy_id: uuid.UUID
    name: str = Field(min_length=1, max_length=64)
    description: str = ""
    weight: Unit
    active: bool = True
    created_at: UtcDatetime
    updated_at: UtcDatetime


class WeightChange(Frozen):
    """One strategy's new weight decided by a learning cycle, and why."""

    strategy: str = Field(min_length=1, max_length=64)
    new_weight: Unit
    reason: str = Field(default="", max_length=500)
    reward: float | None = Field(default=None, allow_inf_nan=False)
    trades_considered: int = Field(default=0, ge=0)


class WeightHistoryEntry(Frozen):
    """A past change of a strategy's weight."""

    strategy: str
    old_weight: Unit
    new_weight: Unit
    reason: str = ""
    timestamp: UtcDatetime


class LearningAdjustment(Frozen):
    """A learning cycle's adjustment of one strategy, with the evidence behind it."""

    strategy: str
    old_weight: Unit
    new_weight: Unit
    reward: float | None = Field(default=None, allow_inf_nan=False)
    trades_considered: int = Field(ge=0)
    reason: str = ""
    cycle: int = Field(ge=0)
    timestamp: UtcDatetime


class SignalRecord(Frozen):
    """A stored signal and what became of it (``outcome`` is None until the executor decided)."""

    signal: TradeSignal
    acted_on: bool = False
    outcome: SignalOutcome | None = None
    outcome_reason: str = ""


class TradeRecord(Frozen):
    """A stored trade with what the dashboard shows beside it.

    ``execution.executed_at`` is the time of the latest change; ``submitted_at`` when the trade
    was first recorded; ``filled_at`` the time of its latest fill.
    """

    execution: TradeExecution
    strategy: str | None = Field(default=None, description="the signal's strongest contributor")
    submitted_at: UtcDatetime
    filled_at: UtcDatetime | None = None


class PositionRecord(Frozen):
    """A stored open position and the signal that opened it."""

    position: Position
    entry_signal_id: uuid.UUID | None = None
    updated_at: UtcDatetime


class TradeOutcome(Frozen):
    """A closed round trip: the entry, the exit, the result, and each strategy's share of it.

    ``strategy_credits`` maps a strategy name to its signed share of the result (positive when it
    argued for the trade, negative when it argued against).
    """

    outcome_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    entry_trade_id: uuid.UUID
    exit_trade_id: uuid.UUID
    ticker: Ticker
    realized_pnl: Money
    roi_pct: float = _Finite
    hold_seconds: float = Field(ge=0, allow_inf_nan=False)
    risk_adjusted_return: float = _Finite
    strategy_credits: dict[str, float] = Field(default_factory=dict)
    closed_at: UtcDatetime


class PortfolioSnapshot(Frozen):
    """The portfolio's value at one moment: a point on the equity curve."""

    timestamp: UtcDatetime
    equity: Money
    cash: Money
    buying_power: Money
    daily_pnl: Money
    positions_value: Money
    open_positions: int = Field(ge=0)


class StrategyMetric(Frozen):
    """A strategy's performance at one moment."""

    strategy: str = Field(min_length=1, max_length=64)
    timestamp: UtcDatetime
    weight: Unit
    trades: int = Field(ge=0)
    win_rate: Unit | None = None
    total_pnl: Money = Decimal(0)
    sharpe: float | None = Field(default=None, allow_inf_nan=False)


class RiskDecision(Frozen):
    """The risk manager's verdict on one order, kept whether it was approved or rejected."""

    decision_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    signal_id: uuid.UUID | None = None
    ticker: Ticker
    approved: bool
    reason_code: str = Field(min_length=1, max_length=64)
    detail: str = Field(default="", max_length=1_000)
    qty: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)
    timestamp: UtcDatetime


class BacktestRun(Frozen):
    """A requested backtest: its configuration, progress and, once finished, its results."""

    run_id: uuid.UUID
    status: BacktestStatus
    progress: Unit = 0.0
    config: dict[str, JsonValue]
    metrics: dict[str, JsonValue] | None = None
    result: dict[str, JsonValue] | None = Field(default=None, description="trades and equity curve")
    error: str | None = None
    created_by: str | None = None
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None


class AuditEntry(Frozen):
    """Who did what, and when: one line of the audit log."""

    entry_id: uuid.UUID
    actor: str = Field(min_length=1, max_length=200)
    action: str = Field(min_length=1, max_length=100)
    detail: dict[str, JsonValue] = Field(default_factory=dict)
    timestamp: UtcDatetime
