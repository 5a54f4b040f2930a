"""Trade-level metrics: the equity curve from fills, exposure, trade summary and attribution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trading_bot.core.metrics_trades import (
    Fill,
    Mark,
    equity_curve,
    exposure,
    strategy_attribution,
    trade_summary,
)
from trading_bot.core.model import OrderSide, OrderStatus
from trading_bot.testing.learning import filled_entry, scored_outcome
from trading_bot.testing.signals import make_signal

T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def test_equity_curve_when_a_round_trip_is_marked_books_fills_before_each_mark() -> None:
    fills = [
        Fill(minutes(2), "AAPL", SELL, D("10"), D("105"), D("1")),
        Fill(minutes(0), "AAPL", BUY, D("10"), D("100"), D("1")),
    ]
    marks = [
        Mark(minutes(0), {"AAPL": D("100")}),
        Mark(minutes(1), {"AAPL": D("110")}),
        Mark(minutes(2), {"AAPL": D("105")}),
    ]

    points = equity_curve(D("10000"), fills, marks)

    # Bought 10 at 100 plus 1 commission: cash 8999; sold at 105 less 1: cash 10048.
    assert [p.equity for p in points] == [D("9999"), D("10099"), D("10048")]
    assert [p.cash for p in points] == [D("8999"), D("8999"), D("10048")]
    assert [p.invested for p in points] == [True, True, False]
    assert exposure(points) == pytest.approx(2 / 3)


def test_equity_curve_when_a_ticker_has_no_new_close_keeps_its_last_one() -> None:
    fills = [
        Fill(minutes(0), "AAPL", BUY, D("1"), D("100")),
        Fill(minutes(0), "MSFT", BUY, D("2"), D("50")),
    ]
    marks = [
        Mark(minutes(0), {"AAPL": D("100"), "MSFT": D("50")}),
        Mark(minutes(1), {"AAPL": D("104")}),
    ]

    points = equity_curve(D("1000"), fills, marks)

    assert points[-1].equity == D("800") + D("104") + 2 * D("50")


def test_equity_curve_when_a_fill_is_invalid_refuses_it() -> None:
    fills = [Fill(minutes(0), "AAPL", BUY, D("-1"), D("100"))]

    with pytest.raises(ValueError, match="qty must be positive"):
        equity_curve(D("1000"), fills, [Mark(minutes(0), {})])


def test_fill_of_when_execution_filled_books_its_filled_part() -> None:
    entry = filled_entry(make_signal(), price=D("100"), qty=D("3"), commission=D("0.5"), at=T0)

    fill = Fill.of(entry.model_copy(update={"filled_qty": D("2")}))

    assert (fill.qty, fill.price, fill.commission, fill.side) == (D("2"), D("100"), D("0.5"), BUY)


def test_fill_of_when_nothing_filled_refuses_it() -> None:
    pending = filled_entry(make_signal(), price=D("100"), at=T0).model_copy(
        update={"filled_qty": D(0), "price": None, "status": OrderStatus.PENDING}
    )

    with pytest.raises(ValueError, match="no fill"):
        Fill.of(pending)


def test_exposure_when_no_points_is_undefined() -> None:
    assert exposure([]) is None


def test_trade_summary_when_hand_computed_matches() -> None:
    pnls = ["30", "-10", "10", "20", "0", "-20"]
    outcomes = [
        scored_outcome(
            {}, risk_adjusted_return=0.0, closed_at=T0, realized_pnl=D(p), hold=timedelta(hours=i)
        )
        for i, p in enumerate(pnls, start=1)
    ]

    summary = trade_summary(outcomes)

    # Wins 30 + 10 + 20 = 60 over 3; losses -10 - 20 = -30 over 2; the 0 is neither.
    assert (summary.trades, summary.wins, summary.losses) == (6, 3, 2)
    assert summary.win_rate == pytest.approx(0.5)
    assert (summary.average_win, summary.average_loss) == (D("20"), D("-15"))
    assert summary.payoff_ratio == pytest.approx(20 / 15)
    assert summary.profit_factor == pytest.approx(2.0)
    assert summary.total_pnl == D("30")
    assert summary.average_hold == timedelta(hours=3.5)


def test_trade_summary_when_no_trades_leaves_ratios_undefined() -> None:
    summary = trade_summary([])

    assert (summary.trades, summary.win_rate, summary.profit_factor) == (0, None, None)
    assert (summary.average_win, summary.average_hold, summary.total_pnl) == (None, None, D(0))


def test_trade_summary_when_no_losses_has_no_profit_factor() -> None:
    outcomes = [
        scored_outcome({}, risk_adjusted_return=0.0, closed_at=T0, realized_pnl=D("5")),
    ]

    summary = trade_summary(outcomes)

    assert (summary.win_rate, summary.profit_factor, summary.payoff_ratio) == (1.0, None, None)


def test_strategy_attribution_when_credits_differ_shares_pnl_by_credit() -> None:
    outcomes = [
        scored_outcome(
            {"momentum": 0.75, "mean_reversion": -0.25},
            risk_adjusted_return=0.1,
            roi_pct=10.0,
            realized_pnl=D("100"),
            closed_at=T0,
        ),
        scored_outcome(
            {"momentum": 1.0},
            risk_adjusted_return=-0.04,
            roi_pct=-4.0,
            realized_pnl=D("-40"),
            closed_at=T0 + timedelta(hours=1),
        ),
    ]

    attribution = strategy_attribution(outcomes)

    momentum, reversion = attribution["momentum"], attribution["mean_reversion"]
    assert list(attribution) == ["mean_reversion", "momentum"]
    # momentum: 0.75 x 100 - 40 = 35; right once of twice; credited returns 0.075 and -0.04.
    assert (momentum.trades, momentum.credit, momentum.pnl) == (2, 1.75, D("35"))
    assert momentum.win_rate == 0.5
    assert momentum.sharpe == pytest.approx(0.0175 / (0.115 / 2**0.5))
    # mean reversion argued against a winner: blamed a quarter of it.
    assert (reversion.trades, reversion.credit, reversion.pnl) == (1, -0.25, D("-25"))
    assert (reversion.win_rate, reversion.sharpe) == (0.0, None)


def test_strategy_attribution_when_no_credits_is_empty() -> None:
    assert strategy_attribution([scored_outcome({}, risk_adjusted_return=0.1, closed_at=T0)]) == {}
