"""The trade-executor's settings (the limits themselves are ``core.risk.RiskConfig``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.core.model import DEFAULT_UNIVERSE, Ticker


class ExecutionConfig(BaseModel):
    """Settings of the trade-executor (the limits themselves are ``RiskConfig``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    universe: tuple[Ticker, ...] = Field(
        default=DEFAULT_UNIVERSE,
        min_length=1,
        description="tickers it may trade; a signal for any other is REJECTED (UNKNOWN_TICKER)",
    )
    group: str = Field(
        default="trade-executor",
        min_length=1,
        max_length=200,
        description="consumer group on its three streams; run one instance per group",
    )
    consumer: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="consumer name (stable across restarts: pending messages resume at once; "
        "default a new random name, reclaimed after the bus's idle timeout)",
    )
    reconcile_interval_seconds: float | None = Field(
        default=5.0,
        gt=0,
        le=3_600,
        description="how often open orders are checked at the broker; None: never on a timer, "
        "for a driver that reconciles after every fill itself (a backtest)",
    )
    stale_order_seconds: float = Field(
        default=300.0,
        gt=0,
        description="a recorded order the broker never received is CANCELLED after this long",
    )
    signal_max_age_seconds: float | None = Field(
        default=300.0,
        gt=0,
        description="a signal older than this is REJECTED (STALE_SIGNAL), so a backlog replayed "
        "after an outage is not traded at today's prices; None accepts any age",
    )
    concurrent_reads: bool = Field(
        default=True,
        description="await the broker and storage reads on the way to an order concurrently; "
        "a backtest, where every port answers from memory, awaits them in turn instead "
        "(same results, without a task per read)",
    )
