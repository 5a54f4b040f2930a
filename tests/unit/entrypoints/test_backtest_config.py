"""BacktestConfig: what a backtest accepts, what it refuses, and the component configs it makes."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from trading_bot.adapters.brokers.simulated import FillModel
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.sizing import SizingMethod
from trading_bot.entrypoints.backtest_config import BacktestConfig, sizing_fields
from trading_bot.entrypoints.backtest_runner import backtest_settings
from trading_bot.entrypoints.cli_backtest_options import parse_pairs, parse_params, parse_time

BARS = (Path("bars.csv"),)


def config(**values: Any) -> BacktestConfig:
    return BacktestConfig.model_validate({"bars": BARS, **values})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bars": ()}, "give bar files (bars) or from_storage"),
        ({"from_storage": True}, "not both"),
        ({"news": "news.jsonl", "bars": (), "from_storage": True}, "news files go with bar"),
        ({"start": "2024-03-05T00:00:00Z", "end": "2024-03-04T00:00:00Z"}, "end must be after"),
        ({"weights": {"macd": 0.5}}, "weights for strategies that are not run: macd"),
        ({"weights": {"momentum": 1.5}}, "weight of momentum must be within [0, 1]"),
        ({"strategies": ("astrology",)}, "unknown strategy 'astrology'"),
        ({"params": {"momentum": {"period": 1}}}, "period"),
        ({"sizing": "all_in"}, "sizing 'all_in' is not understood"),
        ({"risk": {"stop_loss_pct": "2"}}, "stop_loss_pct"),
        ({"risk": {"max_leverage": 3}}, "max_leverage is not a RiskConfig field"),
        ({"risk": {"fixed_qty": 5}, "sizing": "fixed_qty:3"}, "through the sizing option"),
        ({"risk": {"max_positions": "off"}}, "max_positions cannot be switched off"),
        ({"learning_rules": {"learning_rate": 2}}, "learning_rate"),
        ({"start": "2024-03-04T00:00:00"}, "timezone"),
    ],
)
def test_backtest_config_when_invalid_refuses_naming_the_problem(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        config(**values)


def test_starting_weights_when_some_are_given_fill_the_rest_equally_and_sum_to_one() -> None:
    weights = config(weights={"momentum": 0.5}).starting_weights()

    assert weights == pytest.approx(
        {"momentum": 0.5 / (0.5 + 2 / 3), "mean_reversion": 1 / 3 / (0.5 + 2 / 3),
         "news_driven": 1 / 3 / (0.5 + 2 / 3)}
    )  # fmt: skip
    assert sum(weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("fixed_qty:100", {"sizing": SizingMethod.FIXED_QTY, "fixed_qty": "100"}),
        ("fraction:0.05", {"sizing": SizingMethod.FIXED_FRACTIONAL, "fraction_per_trade": "0.05"}),
        ("kelly", {"sizing": SizingMethod.KELLY}),
        ("kelly:0.25", {"sizing": SizingMethod.KELLY, "kelly_multiplier": "0.25"}),
    ],
)
def test_sizing_fields_read_each_form(spec: str, fields: dict[str, object]) -> None:
    assert sizing_fields(spec) == fields


def test_risk_config_when_limits_are_switched_off_disables_each_one() -> None:
    risk = config(
        risk={
            "stop_loss_pct": "off",
            "cooldown_minutes": "0",
            "daily_loss_limit_pct": "none",
            "enforce_market_hours": "false",
            "max_positions": "3",
        },
        sizing="fixed_qty:100",
    ).risk_config()

    assert risk.stop_loss_pct == 0
    assert risk.cooldown_minutes == 0
    assert risk.daily_loss_limit_pct is None
    assert risk.enforce_market_hours is False
    assert risk.max_positions == 3
    assert (risk.sizing, risk.fixed_qty) == (SizingMethod.FIXED_QTY, Decimal(100))


def test_broker_config_carries_costs_fill_model_and_shorting() -> None:
    broker = config(
        fill="close", slippage_bps="2", commission_bps="1", commission_per_share="0.005",
        capital="25000", risk={"allow_short": "true"}, volume_cap="0.1",
    ).broker_config()  # fmt: skip

    assert broker.fill is FillModel.CLOSE
    assert broker.volume_cap == Decimal("0.1")
    assert broker.account.starting_cash == Decimal(25_000)
    assert broker.account.slippage_bps == Decimal(2)
    assert broker.account.commission_per_share == Decimal("0.005")
    assert broker.account.allow_short is True


def test_learning_config_follows_the_switch_and_takes_no_periodic_snapshot() -> None:
    on = config(learning=True, learning_rules={"min_trades": 3}).learning_config()
    off = config().learning_config()

    assert (on.enabled, on.min_trades) == (True, 3)
    assert on.snapshot_interval_seconds >= 100 * 365 * 86_400
    assert off.enabled is False


def test_backtest_settings_ignore_the_trading_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADING_RISK__MAX_POSITIONS", "1")
    monkeypatch.setenv("TRADING_SIGNALS__THRESHOLD", "0.9")

    settings = backtest_settings(config(), ("AAPL",), "sqlite+aiosqlite:///:memory:")

    assert settings.risk.max_positions == config().risk_config().max_positions
    assert settings.signals.threshold == config().threshold
    assert settings.signals.universe == ("AAPL",)
    assert settings.execution.universe == ("AAPL",)


def test_parse_pairs_reads_comma_lists_across_repeated_options() -> None:
    assert parse_pairs(["a=1,b=2", "c=off"], "--risk") == {"a": "1", "b": "2", "c": "off"}


def test_parse_pairs_when_an_item_has_no_value_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="--risk: 'stop_loss_pct' is not name=value"):
        parse_pairs(["stop_loss_pct"], "--risk")


def test_parse_params_reads_typed_values_by_strategy() -> None:
    assert parse_params(["momentum.period=20", "momentum.full_strength_distance=0.05"]) == {
        "momentum": {"period": 20, "full_strength_distance": 0.05}
    }


def test_parse_time_reads_dates_as_utc_midnight_and_keeps_offsets() -> None:
    assert str(parse_time("2024-03-04")) == "2024-03-04 00:00:00+00:00"
    assert str(parse_time("2024-03-04T09:30:00-05:00")) == "2024-03-04 14:30:00+00:00"
    with pytest.raises(ConfigurationError, match="not an ISO date"):
        parse_time("yesterday")
