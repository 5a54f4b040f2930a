"""Results: the equity curve agrees with core.metrics_trades booked from the trade log, and the
figures come from core.metrics."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from trading_bot.core.metrics import summarize
from trading_bot.core.metrics_trades import Fill, Mark, equity_curve
from trading_bot.core.model import OrderSide
from trading_bot.entrypoints.backtest import BacktestConfig, BacktestResult, run_backtest
from trading_bot.testing.backtest import FIXTURES


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    config = BacktestConfig(
        bars=(FIXTURES / "bars.csv",),
        commission_per_share="0.01",
        risk={"stop_loss_pct": "0.004", "cooldown_minutes": 0},
        curve_points=1_000_000,
    )
    return asyncio.run(run_backtest(config))


def test_equity_curve_matches_the_ledger_booked_from_the_trade_log(
    result: BacktestResult,
) -> None:
    bars = pd.read_csv(FIXTURES / "bars.csv", dtype=str)
    bars = bars[pd.to_numeric(bars["volume"], errors="coerce").notna()]
    bars = bars[pd.to_numeric(bars["open"]) > 0]
    closes: dict[datetime, dict[str, Decimal]] = {}
    for row in bars.itertuples():
        at = datetime.fromisoformat(str(row.timestamp).replace("Z", "+00:00"))
        closes.setdefault(at + timedelta(minutes=1), {})[str(row.ticker)] = Decimal(str(row.close))
    fills = [
        # A next-open fill happens at the instant the previous bar closed, after that close.
        Fill(
            at=datetime.fromisoformat(str(f["filled_at"])) + timedelta(microseconds=1),
            ticker=str(f["ticker"]),
            side=OrderSide(str(f["side"])),
            qty=Decimal(str(f["filled_qty"])),
            price=Decimal(str(f["price"])),
            commission=Decimal(str(f["commission"])),
        )
        for f in result.fills
        if f["filled_at"] is not None and f["filled_qty"] != "0"
    ]

    expected = equity_curve(Decimal(100_000), fills, [Mark(t, c) for t, c in closes.items()])

    assert [p["timestamp"] for p in result.equity_curve] == [p.at.isoformat() for p in expected]
    assert [p["equity"] for p in result.equity_curve] == pytest.approx(
        [float(p.equity) for p in expected], abs=1e-6
    )
    assert result.metrics["final_equity"] == str(expected[-1].equity.normalize())


def test_return_figures_are_core_metrics_of_the_curve_from_the_starting_capital(
    result: BacktestResult,
) -> None:
    equity = [100_000.0, *(float(p["equity"]) for p in result.equity_curve)]  # type: ignore[arg-type]

    expected = summarize(equity, periods_per_year=252 * 390)

    assert result.metrics["total_return"] == pytest.approx(expected.total_return)
    assert result.metrics["sharpe"] == pytest.approx(expected.sharpe)
    assert result.metrics["sortino"] == pytest.approx(expected.sortino)
    assert result.metrics["max_drawdown"] == pytest.approx(expected.drawdown.max_drawdown)
    assert result.metrics["max_drawdown_bars"] == expected.drawdown.duration_bars


def test_round_trips_carry_entry_and_exit_and_add_up_to_the_closed_pnl(
    result: BacktestResult,
) -> None:
    pnl = sum((Decimal(str(t["pnl"])) for t in result.trades), Decimal(0))

    assert result.trades
    assert all(str(t["entry_at"]) < str(t["exit_at"]) for t in result.trades)
    assert str(pnl.normalize()) == result.metrics["closed_pnl"]
    assert result.metrics["trades"] == len(result.trades)


def test_monthly_returns_compound_to_the_total_return(result: BacktestResult) -> None:
    growth = 1.0
    for month in result.monthly_returns:
        growth *= 1 + float(month["return"])  # type: ignore[arg-type]

    assert [m["month"] for m in result.monthly_returns] == ["2024-03"]
    assert growth - 1 == pytest.approx(result.metrics["total_return"])
