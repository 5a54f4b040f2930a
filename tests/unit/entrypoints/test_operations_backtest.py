"""Trailing stops and bracket orders in a backtest: the same executor on the simulated broker.

With bracket orders the simulated broker fills the stop and target legs inside the bar (a limit
target at its level, not at the next open) and the executor records each leg as the position's
one exit; a trailing stop lets a stop-loss exit lock in a profit, which a fixed stop never can.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from trading_bot.entrypoints.backtest import BacktestConfig, BacktestResult, run_backtest
from trading_bot.testing.backtest import FIXTURES


def run(**risk: Any) -> BacktestResult:
    """Run the fixture backtest with these risk settings. Any: RiskConfig overrides."""
    config = BacktestConfig.model_validate(
        {
            "bars": (FIXTURES / "bars.csv",),
            "commission_per_share": "0.005",
            "risk": {"cooldown_minutes": 5, "stop_loss_pct": "0.004", **risk},
        }
    )
    return asyncio.run(run_backtest(config))


@pytest.fixture(scope="module")
def brackets() -> BacktestResult:
    return run(bracket_orders=True, take_profit_pct="0.006")


@pytest.fixture(scope="module")
def executor_exits() -> BacktestResult:
    return run(take_profit_pct="0.006")


def test_backtest_with_brackets_closes_each_position_once_through_a_broker_leg(
    brackets: BacktestResult,
) -> None:
    exits = [f for f in brackets.fills if f["is_exit"] and f["status"] == "FILLED"]

    reasons = Counter(str(f["reason"]) for f in exits)
    assert set(reasons) <= {
        "take-profit leg filled at the broker",
        "stop-loss leg filled at the broker",
        "",  # a signal turning against the position, decided by the executor
    }
    assert reasons["take-profit leg filled at the broker"] > 0
    assert len(exits) == len(brackets.trades)
    entries = [f for f in brackets.fills if not f["is_exit"] and f["status"] == "FILLED"]
    assert len(entries) - len(brackets.open_positions) == len(exits)


def test_backtest_with_brackets_fills_targets_at_their_level_not_at_the_next_open(
    brackets: BacktestResult, executor_exits: BacktestResult
) -> None:
    first_bracket, first_watched = brackets.trades[0], executor_exits.trades[0]

    assert first_bracket["entry_price"] == first_watched["entry_price"]
    # 376.2781 x 1.006 rounds to the 378.35 target: the leg fills there, inside the bar; the
    # executor watching closes sees the bar close beyond it and sells at the next open.
    assert Decimal(str(first_bracket["exit_price"])) == Decimal("378.35")
    assert Decimal(str(first_watched["exit_price"])) > Decimal("378.35")


def test_backtest_with_a_trailing_stop_lets_a_stop_loss_exit_lock_in_a_profit() -> None:
    trailing = run(trailing_stop_pct="0.003")

    stopped = [t for t in trailing.trades if t["exit_reason"] == "stop_loss"]
    assert any(Decimal(str(t["exit_price"])) > Decimal(str(t["entry_price"])) for t in stopped)
