"""The risk manager's limits: position count, stops and targets, cooldown, daily loss, market
hours, shorting, trailing stops, bracket orders and the pattern-day-trader guard (the sizing
fields are ``core.sizing.SizingConfig``'s)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from trading_bot.core.sizing import SizingConfig


class RiskConfig(SizingConfig):
    """Limits and sizing of the risk manager (the sizing fields are those of ``SizingConfig``)."""

    max_positions: int = Field(default=20, ge=1, description="most open positions at once")
    stop_loss_pct: Decimal = Field(
        default=Decimal("0.03"), ge=0, lt=1, description="stop below entry (long); 0 disables"
    )
    take_profit_pct: Decimal | None = Field(
        default=None, gt=0, description="take profit above entry (long); None disables"
    )
    cooldown_minutes: float = Field(
        default=30.0, ge=0, allow_inf_nan=False, description="no re-entry this soon after an exit"
    )
    daily_loss_limit_pct: Decimal | None = Field(
        default=Decimal("0.03"),
        gt=0,
        le=1,
        description="realised loss today, of start-of-day equity, that trips the kill switch",
    )
    allow_short: bool = Field(default=False, description="SHORT with no position opens a short")
    enforce_market_hours: bool = Field(default=True, description="entries only while open")
    trailing_stop_pct: Decimal | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="stop trailing the best price since entry by this fraction (ratchets, never "
        "loosens; kept with the position); None disables",
    )
    bracket_orders: bool | None = Field(
        default=None,
        description="send stop-loss and take-profit with the entry as broker-side bracket legs "
        "(the broker enforces them even while the bot is down; the executor then recognises "
        "their fills instead of exiting itself); None: on with Alpaca, off with the paper and "
        "backtest brokers",
    )
    pdt_guard: bool = Field(
        default=True,
        description="refuse an entry that could make a fourth day trade in five business days "
        "(margin accounts under pdt_equity_threshold)",
    )
    account_type: Literal["cash", "margin"] = Field(
        default="margin", description="cash | margin; the day-trade limit binds margin accounts"
    )
    pdt_equity_threshold: Decimal = Field(
        default=Decimal(25_000),
        ge=0,
        allow_inf_nan=False,
        description="equity from which the day-trade limit no longer applies (FINRA: $25,000)",
    )
    pdt_max_day_trades: int = Field(
        default=3, ge=0, description="day trades allowed in five business days (FINRA: 3)"
    )

    def pdt_applies(self, equity: Decimal) -> bool:
        """Return True when entries must respect the day-trade limit at this equity."""
        return (
            self.pdt_guard and self.account_type == "margin" and equity < self.pdt_equity_threshold
        )
