"""Pattern-day-trader counting: same-day round trips over five business days, holidays skipped,
and the risk manager refusing the entry that could make a fourth."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.model import Direction
from trading_bot.core.pdt import (
    Fill,
    count_in_window,
    find_day_trades,
    pdt_window,
    window_start,
)
from trading_bot.core.risk import (
    PortfolioView,
    Rejected,
    RejectReason,
    RiskConfig,
    RiskManager,
    RiskState,
)
from trading_bot.testing.signals import make_signal

CALENDAR = NyseCalendar(date(2024, 6, 1), date(2024, 8, 31))
D = Decimal


def at(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    """Return 2024-<month>-<day> at hour:minute UTC (14:00 UTC is 10:00 in New York)."""
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def round_trip(ticker: str, opened: datetime, closed: datetime) -> list[Fill]:
    return [
        Fill(ticker, is_exit=False, filled_at=opened),
        Fill(ticker, is_exit=True, filled_at=closed),
    ]


def test_pdt_window_in_the_week_of_july_4th_skips_the_holiday() -> None:
    # Monday 2024-07-08: the five business days are Mon 1, Tue 2, Wed 3, Fri 5 and Mon 8.
    days = pdt_window(CALENDAR, date(2024, 7, 8))

    assert days == [date(2024, 7, d) for d in (1, 2, 3, 5, 8)]


def test_pdt_window_on_a_holiday_is_the_five_trading_days_before_it() -> None:
    assert pdt_window(CALENDAR, date(2024, 7, 4)) == [
        date(2024, 6, 27),
        date(2024, 6, 28),
        date(2024, 7, 1),
        date(2024, 7, 2),
        date(2024, 7, 3),
    ]


def test_day_trades_across_the_july_4th_week_count_only_same_day_round_trips_in_the_window() -> (
    None
):
    fills = [
        *round_trip("AAPL", at(28, 14, month=6), at(28, 19, month=6)),  # Fri 6/28: out of window
        *round_trip("AAPL", at(1, 14), at(1, 15)),  # Mon: a day trade
        *round_trip("MSFT", at(2, 14), at(3, 15)),  # Tue to Wed: held overnight, none
        *round_trip("NVDA", at(3, 14), at(3, 16, 30)),  # Wed half day (closes 13:00 NY): one
        *round_trip("TSLA", at(5, 19), at(5, 19, 30)),  # Fri after the holiday: one
    ]
    days = pdt_window(CALENDAR, date(2024, 7, 8))

    trades = find_day_trades(fills)

    assert [(t.ticker, t.day) for t in trades] == [
        ("AAPL", date(2024, 6, 28)),
        ("AAPL", date(2024, 7, 1)),
        ("NVDA", date(2024, 7, 3)),
        ("TSLA", date(2024, 7, 5)),
    ]
    assert count_in_window(trades, days) == 3


def test_day_trades_when_a_fill_late_in_new_york_is_the_next_day_in_utc_count_new_york_dates() -> (
    None
):
    # An entry at 23:30 New York on 7/1 is 03:30 UTC on 7/2; the exit at 10:00 New York on 7/2
    # shares its UTC date but not its New York date, so it is no day trade.
    fills = round_trip("AAPL", datetime(2024, 7, 2, 3, 30, tzinfo=UTC), at(2, 14))

    assert find_day_trades(fills) == []


def test_day_trades_when_fills_come_unordered_sort_them_by_time() -> None:
    fills = list(reversed(round_trip("AAPL", at(1, 14), at(1, 15))))

    assert len(find_day_trades(fills)) == 1


def test_window_start_is_midnight_in_new_york_of_the_first_day() -> None:
    assert window_start([date(2024, 7, 1), date(2024, 7, 2)]) == datetime(
        2024, 7, 1, 4, 0, tzinfo=UTC
    )


def margin_view(equity: str) -> PortfolioView:
    return PortfolioView(cash=D(equity), equity=D(equity), buying_power=D(equity))


@pytest.mark.parametrize(("day_trades", "refused"), [(2, False), (3, True)])
def test_risk_manager_when_three_day_trades_are_on_the_books_refuses_an_entry_with_pdt_limit(
    day_trades: int, refused: bool
) -> None:
    manager = RiskManager(RiskConfig(), CALENDAR)
    signal = make_signal("AAPL", Direction.LONG, price=50.0, generated_at=at(8, 15))

    decision = manager.evaluate(
        signal, margin_view("10000"), RiskState(day_trades=day_trades), at(8, 15)
    )

    assert (isinstance(decision, Rejected) and decision.reason is RejectReason.PDT_LIMIT) is refused


@pytest.mark.parametrize(
    ("config", "equity"),
    [
        ({"account_type": "cash"}, "10000"),
        ({"pdt_guard": False}, "10000"),
        ({}, "25000"),
    ],
)
def test_risk_manager_with_a_cash_account_no_guard_or_enough_equity_ignores_day_trades(
    config: dict[str, object], equity: str
) -> None:
    manager = RiskManager(RiskConfig.model_validate(config), CALENDAR)
    signal = make_signal("AAPL", Direction.LONG, price=50.0, generated_at=at(8, 15))

    decision = manager.evaluate(signal, margin_view(equity), RiskState(day_trades=5), at(8, 15))

    assert not isinstance(decision, Rejected), decision.detail
