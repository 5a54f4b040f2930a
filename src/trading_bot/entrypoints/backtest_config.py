"""What a backtest runs on and how: ``BacktestConfig``, validated, and the component configs
(risk, strategies, learning, broker) it turns into.

Everything a run depends on is in the config, so the results file (which embeds it) says how
to reproduce the run; the ``TRADING_*`` environment never changes a backtest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from trading_bot.adapters.brokers.paper_pricing import PaperBrokerConfig
from trading_bot.adapters.brokers.simulated import FillModel, Remainder, SimulatedBrokerConfig
from trading_bot.core.ensemble import DEFAULT_THRESHOLD
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import Ticker
from trading_bot.core.risk_config import RiskConfig
from trading_bot.core.sizing import SizingMethod
from trading_bot.core.strategies.registry import describe_validation_error
from trading_bot.services.learning import LearningConfig
from trading_bot.services.signals import StrategiesConfig

ALL_STRATEGIES = ("momentum", "mean_reversion", "news_driven")
"""The built-in strategies, run together unless the config names others."""

OFF = frozenset({"off", "none", "null", "no", "false", "disabled"})
"""Values that switch a risk limit off (``--risk daily_loss_limit_pct=off``)."""

_SWITCHED_OFF: Mapping[str, object] = {
    "stop_loss_pct": "0",
    "take_profit_pct": None,
    "cooldown_minutes": 0,
    "daily_loss_limit_pct": None,
    "enforce_market_hours": False,
    "allow_short": False,
    "allow_fractional": False,
    "commission_per_order": "0",
    "cost_reserve_pct": "0",
}
"""What ``off`` means for each risk field that can be switched off."""

_M = TypeVar("_M", bound=BaseModel)
_SIZING_FIELDS = frozenset({"sizing", "fixed_qty", "fraction_per_trade", "kelly_multiplier"})
_DAY_SECONDS = 86_400.0
NO_SNAPSHOTS_SECONDS = 100 * 365 * _DAY_SECONDS
"""The learning engine's snapshot period in a backtest: a century, so it never snapshots.

Its periodic portfolio and strategy snapshots feed the dashboard; a backtest's results carry
their own equity curve and attribution, and each snapshot would score every outcome so far
(hours of a ten-year run)."""


class BacktestConfig(BaseModel):
    """One backtest: its data, money, strategies, fill model, sizing, risk and learning.

    Data comes from bar files (``bars``, with an optional JSONL ``news`` file) or from storage
    (``from_storage``: the ``market_data`` and scored ``articles`` of ``storage_url``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bars: tuple[Path, ...] = Field(default=(), description="CSV or Parquet bar files")
    news: Path | None = Field(default=None, description="JSONL news file (with bar files)")
    news_latency_seconds: float = Field(
        default=60.0,
        ge=0,
        le=7 * _DAY_SECONDS,
        allow_inf_nan=False,
        description="a news line without available_at is available this long after publication",
    )
    from_storage: bool = Field(default=False, description="read bars and news from storage")
    storage_url: str | None = Field(
        default=None, description="the database from_storage reads (default: the settings')"
    )
    tickers: tuple[Ticker, ...] = Field(default=(), description="empty: every ticker in the data")
    start: AwareDatetime | None = Field(default=None, description="first bar opening (inclusive)")
    end: AwareDatetime | None = Field(default=None, description="last bar opening (exclusive)")
    interval_seconds: int | None = Field(
        default=None, gt=0, description="bar length; default the most common gap per ticker"
    )
    capital: Decimal = Field(
        default=Decimal(100_000), gt=0, le=Decimal(1_000_000_000), allow_inf_nan=False
    )
    strategies: tuple[str, ...] = Field(default=ALL_STRATEGIES, min_length=1)
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="starting weight by strategy; unnamed strategies get 1/n; normalised to 1",
    )
    params: dict[str, dict[str, JsonValue]] = Field(
        default_factory=dict, description="strategy parameters, e.g. {momentum: {period: 20}}"
    )
    threshold: float = Field(
        default=DEFAULT_THRESHOLD, gt=0, le=1, description="least |weighted opinion| to signal"
    )
    fill: FillModel = FillModel.NEXT_OPEN
    slippage_bps: Decimal = Field(default=Decimal(5), ge=0, le=1_000, allow_inf_nan=False)
    commission_bps: Decimal = Field(default=Decimal(0), ge=0, le=1_000, allow_inf_nan=False)
    commission_per_share: Decimal = Field(default=Decimal(0), ge=0, le=100, allow_inf_nan=False)
    min_commission: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    volume_cap: Decimal | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    volume_remainder: Remainder = Remainder.CANCEL
    sizing: str = Field(
        default="fraction:0.02", description="fixed_qty:N | fraction:F | kelly[:multiplier]"
    )
    risk: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="RiskConfig fields to override; 'off' switches a limit off",
    )
    learning: bool = Field(default=False, description="let the learning engine move weights")
    learning_rules: dict[str, JsonValue] = Field(
        default_factory=dict, description="LearningConfig fields to override"
    )
    benchmark: Ticker | None = Field(
        default=None, description="buy-and-hold comparison ticker (default: the first)"
    )
    seed: int = Field(
        default=0,
        description="seed of every random choice around the run (optuna's sampler); the run "
        "itself draws no random numbers",
    )
    storage: Literal["memory", "sqlite"] = Field(
        default="memory",
        description="where the services keep their records: in memory (fast; the default), "
        "or the SQL repositories on a throwaway SQLite file (the live storage code, slower)",
    )
    curve_points: int = Field(
        default=2_000, ge=10, le=1_000_000, description="most equity points in the results file"
    )

    @field_validator("sizing")
    @classmethod
    def _known_sizing(cls, value: str) -> str:
        sizing_fields(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.from_storage == bool(self.bars):
            raise ValueError("give bar files (bars) or from_storage, not both and not neither")
        if self.news is not None and self.from_storage:
            raise ValueError("news files go with bar files; from_storage reads stored articles")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        unknown = sorted(set(self.weights) - set(self.strategies))
        if unknown:
            raise ValueError(f"weights for strategies that are not run: {', '.join(unknown)}")
        for name, weight in self.weights.items():
            if not 0.0 <= weight <= 1.0:
                raise ValueError(f"weight of {name} must be within [0, 1], got {weight}")
        if sum(self.starting_weights().values()) <= 0:
            raise ValueError("at least one strategy needs a positive weight")
        for build in (self.risk_config, self.strategies_config, self.learning_config):
            try:
                build()
            except ConfigurationError as exc:
                raise ValueError(str(exc)) from None
        return self

    def starting_weights(self) -> dict[str, float]:
        """Return each strategy's starting weight: as given, else 1/n; normalised to sum 1."""
        share = 1.0 / len(self.strategies)
        raw = {name: self.weights.get(name, share) for name in self.strategies}
        total = sum(raw.values())
        return {name: weight / total if total else 0.0 for name, weight in raw.items()}

    def strategies_config(self) -> StrategiesConfig:
        """Return the strategies to run with their parameters."""
        return _build(StrategiesConfig, {"enabled": list(self.strategies), "params": self.params})

    def risk_config(self) -> RiskConfig:
        """Return ``RiskConfig()`` with the sizing and the overrides applied."""
        overrides = dict(sizing_fields(self.sizing))
        for name, value in self.risk.items():
            if name not in RiskConfig.model_fields:
                raise ConfigurationError(f"risk: {name} is not a RiskConfig field")
            if name in _SIZING_FIELDS and name in overrides:
                raise ConfigurationError(f"risk: set {name} through the sizing option")
            overrides[name] = switched_off(name, value)
        return _build(RiskConfig, overrides)

    def learning_config(self) -> LearningConfig:
        """Return the learning engine's config: on or off (outcomes are scored either way),
        without periodic snapshots (``NO_SNAPSHOTS_SECONDS``)."""
        values: dict[str, Any] = {"snapshot_interval_seconds": NO_SNAPSHOTS_SECONDS}
        values.update(self.learning_rules)
        values["enabled"] = self.learning
        return _build(LearningConfig, values)

    def broker_config(self) -> SimulatedBrokerConfig:
        """Return the simulated broker's fill model and costs."""
        risk = self.risk_config()
        return SimulatedBrokerConfig(
            account=PaperBrokerConfig(
                starting_cash=self.capital,
                slippage_bps=self.slippage_bps,
                commission_bps=self.commission_bps,
                commission_per_share=self.commission_per_share,
                min_commission=self.min_commission,
                allow_short=risk.allow_short,
            ),
            fill=self.fill,
            volume_cap=self.volume_cap,
            remainder=self.volume_remainder,
        )

    def within(self, at: datetime) -> bool:
        """Return True when a bar opening at ``at`` is inside [start, end)."""
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


def sizing_fields(spec: str) -> dict[str, object]:
    """Return the RiskConfig fields a sizing spec sets: ``fixed_qty:100`` -> fixed_qty sizing
    of 100 shares, ``fraction:0.05`` -> 5 % of equity, ``kelly`` or ``kelly:0.25`` -> Kelly
    sizing (at that share of full Kelly).

    Raises:
        ValueError: the spec is none of these; the message lists the forms.
    """
    kind, _, amount = spec.strip().partition(":")
    forms = "use fixed_qty:N, fraction:F or kelly[:multiplier]"
    if kind == "fixed_qty" and amount:
        return {"sizing": SizingMethod.FIXED_QTY, "fixed_qty": amount}
    if kind == "fraction" and amount:
        return {"sizing": SizingMethod.FIXED_FRACTIONAL, "fraction_per_trade": amount}
    if kind == "kelly":
        return {"sizing": SizingMethod.KELLY, **({"kelly_multiplier": amount} if amount else {})}
    raise ValueError(f"sizing {spec!r} is not understood; {forms}")


def switched_off(name: str, value: object) -> object:
    """Return what ``value`` means for the risk field ``name``: ``off`` becomes the value that
    disables it; anything else is passed on for RiskConfig to validate."""
    if not (isinstance(value, str) and value.strip().lower() in OFF) and value is not None:
        return value
    if name not in _SWITCHED_OFF:
        switchable = ", ".join(sorted(_SWITCHED_OFF))
        raise ConfigurationError(f"risk: {name} cannot be switched off (only {switchable})")
    return _SWITCHED_OFF[name]


def _build(model: type[_M], values: Mapping[str, object]) -> _M:
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigurationError(f"{model.__name__}: {describe_validation_error(exc)}") from None
