"""Position sizing: fixed fractional, Kelly with a cap and fallback stats, rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.risk import (
    PortfolioView,
    Rejected,
    RejectReason,
    RiskConfig,
    RiskManager,
    RiskState,
)
from trading_bot.core.sizing import (
    Book,
    SizeLimit,
    SizingConfig,
    SizingMethod,
    TradeStats,
    floor_qty,
    kelly_fraction,
    price_tick,
    size_entry,
)
from trading_bot.testing.signals import DEFAULT_NOW, make_signal

D = Decimal
BOOK = Book(equity=D(100_000), buying_power=D(100_000), exposure=D(0), open_positions=0)
KELLY = SizingConfig(
    sizing=SizingMethod.KELLY, max_position_pct=D("0.5"), max_total_exposure_pct=D("0.8")
)


def stats(trades: int, win_rate: str, payoff: str) -> TradeStats:
    return TradeStats(trades=trades, win_rate=D(win_rate), payoff_ratio=D(payoff))


def test_kelly_fraction_is_win_rate_minus_loss_rate_over_payoff() -> None:
    assert kelly_fraction(D("0.6"), D(2)) == D("0.4")


def test_kelly_sizing_with_enough_trades_bets_half_kelly_of_equity() -> None:
    size = size_entry(KELLY, D(50), BOOK, stats(50, "0.6", "2"))

    assert (size.qty, size.limit) == (D(400), SizeLimit.METHOD)  # 0.5 x 0.4 x 100,000 / 50


def test_kelly_sizing_with_too_few_trades_uses_the_fallback_stats() -> None:
    size = size_entry(KELLY, D(50), BOOK, stats(5, "0.9", "5"))

    # fallback W 0.5, R 1.5: Kelly 1/6, half of it of 100,000 at 50 = 166.67
    assert size.qty == D(166)


def test_kelly_sizing_without_any_stats_uses_the_fallback_stats() -> None:
    assert size_entry(KELLY, D(50), BOOK, None).qty == D(166)


def test_kelly_sizing_is_capped() -> None:
    size = size_entry(KELLY, D(50), BOOK, stats(50, "0.9", "3"))

    assert size.qty == D(500)  # half-Kelly 0.433 capped at 0.25


def test_kelly_sizing_without_an_edge_sizes_zero_and_the_manager_rejects_size_zero() -> None:
    no_edge = stats(100, "0.3", "1")
    config = RiskConfig(sizing=SizingMethod.KELLY)
    view = PortfolioView(cash=D(100_000), equity=D(100_000), buying_power=D(100_000))

    size = size_entry(config, D(50), BOOK, no_edge)
    decision = RiskManager(config, NyseCalendar(date(2024, 1, 1), date(2024, 12, 31))).evaluate(
        make_signal(price=50.0), view, RiskState(trade_stats=no_edge), DEFAULT_NOW
    )

    assert size.qty == 0
    assert isinstance(decision, Rejected)
    assert decision.reason is RejectReason.SIZE_ZERO


def test_fixed_fractional_sizing_spends_the_fraction_of_equity() -> None:
    size = size_entry(SizingConfig(fraction_per_trade=D("0.03")), D(30), BOOK)

    assert (size.qty, size.limit) == (D(100), SizeLimit.METHOD)


def test_sizing_when_equity_is_not_positive_sizes_zero() -> None:
    broke = Book(equity=D(-10), buying_power=D(0), exposure=D(0), open_positions=0)

    assert size_entry(SizingConfig(), D(30), broke).qty == 0


@pytest.mark.parametrize(
    ("qty", "fractional", "expected"),
    [
        (D("12.999"), False, D(12)),
        (D("0.9"), False, D(0)),
        (D("0.1234567"), True, D("0.123456")),
        (D(-3), False, D(0)),
    ],
)
def test_floor_qty_rounds_down_to_whole_or_fractional_units(
    qty: Decimal, fractional: bool, expected: Decimal
) -> None:
    assert floor_qty(qty, fractional=fractional, decimals=6) == expected


def test_price_tick_is_a_cent_from_one_dollar_and_a_hundredth_cent_below() -> None:
    assert (price_tick(D("1.00")), price_tick(D("0.99"))) == (D("0.01"), D("0.0001"))
