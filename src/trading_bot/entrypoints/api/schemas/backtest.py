"""Backtest requests and results as the API accepts and returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import DEFAULT_STRATEGY_WEIGHTS, BacktestStatus
from trading_bot.core.strategies.registry import registry
from trading_bot.entrypoints.api.schemas.controls import ApiTicker

MAX_BACKTEST_DAYS = 3_660
"""The longest range one backtest may cover (about ten years)."""


class BacktestRequest(BaseModel):
    """A backtest to run: the period, the money, the strategies and the execution model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime = Field(description="first bar time considered (inclusive)")
    end: AwareDatetime = Field(description="last bar time considered (exclusive)")
    tickers: list[ApiTicker] = Field(
        default_factory=list, max_length=500, description="empty: every ticker with stored bars"
    )
    initial_capital: Decimal = Field(
        default=Decimal(100_000), gt=0, le=Decimal(1_000_000_000), allow_inf_nan=False
    )
    strategies: dict[str, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] = Field(
        default_factory=lambda: dict(DEFAULT_STRATEGY_WEIGHTS),
        min_length=1,
        max_length=20,
        description="strategy name -> starting weight in [0, 1]",
    )
    parameters: dict[str, dict[str, float | int | bool | str]] = Field(
        default_factory=dict, description="strategy name -> parameter name -> value"
    )
    fill: Literal["next_open", "close"] = "next_open"
    slippage_bps: float = Field(default=5.0, ge=0, le=1_000, allow_inf_nan=False)
    commission_bps: float = Field(default=0.0, ge=0, le=1_000, allow_inf_nan=False)
    commission_per_share: Decimal = Field(
        default=Decimal("0.005"), ge=0, le=Decimal(100), allow_inf_nan=False
    )
    learning: bool = Field(default=False, description="let the learning engine adjust weights")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.end - self.start).days > MAX_BACKTEST_DAYS:
            raise ValueError(f"a backtest covers at most {MAX_BACKTEST_DAYS} days")
        if sum(self.strategies.values()) <= 0:
            raise ValueError("at least one strategy needs a positive weight")
        try:
            registry.build(list(self.strategies), self.parameters)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        return self


class BacktestReport(BaseModel):
    """What a finished backtest produced (a runner returns this)."""

    metrics: dict[str, JsonValue] = Field(default_factory=dict)
    trades: list[dict[str, JsonValue]] = Field(default_factory=list)
    equity_curve: list[dict[str, JsonValue]] = Field(
        default_factory=list, description="points {timestamp, equity}"
    )
    per_strategy: dict[str, JsonValue] = Field(default_factory=dict)


class BacktestAccepted(BaseModel):
    """The answer to ``POST /api/backtest/run``."""

    run_id: uuid.UUID
    status: BacktestStatus


class BacktestSummary(BaseModel):
    """A run as listed."""

    run_id: uuid.UUID
    status: BacktestStatus
    progress: float = Field(ge=0, le=1)
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


class BacktestDetail(BacktestSummary):
    """A run with its configuration and, once finished, its results."""

    config: dict[str, JsonValue]
    metrics: dict[str, JsonValue] | None
    trades: list[dict[str, JsonValue]]
    equity_curve: list[dict[str, JsonValue]]
    per_strategy: dict[str, JsonValue]


class BacktestPage(BaseModel):
    """One page of runs, newest first."""

    items: list[BacktestSummary]
    total: int
    limit: int
    offset: int
