"""The ledger, checked against numbers worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trading_bot.core.ledger import Ledger
from trading_bot.core.model import OrderSide

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_ledger_when_buying_reduces_cash_by_notional_and_commission() -> None:
    ledger = Ledger(D("10000"))

    realized = ledger.apply_fill("AAPL", BUY, D("10"), D("100.50"), D("1.25"), T0)

    assert realized == 0
    assert ledger.cash == D("10000") - D("1005.00") - D("1.25")
    position = ledger.positions["AAPL"]
    assert (position.qty, position.avg_price, position.opened_at) == (D("10"), D("100.50"), T0)
    assert ledger.commission_paid == D("1.25")


def test_ledger_when_adding_to_a_long_averages_the_entry_price() -> None:
    ledger = Ledger(D("10000"))
    ledger.apply_fill("AAPL", BUY, D("10"), D("100"), D("0"), T0)

    ledger.apply_fill("AAPL", BUY, D("30"), D("104"), D("0"), T1)

    # (10 x 100 + 30 x 104) / 40 = 4120 / 40 = 103
    position = ledger.positions["AAPL"]
    assert (position.qty, position.avg_price) == (D("40"), D("103"))
    assert position.opened_at == T0


def test_ledger_when_partially_closing_a_long_realises_pnl_on_the_closed_part() -> None:
    ledger = Ledger(D("10000"))
    ledger.apply_fill("AAPL", BUY, D("40"), D("103"), D("0"), T0)

    realized = ledger.apply_fill("AAPL", SELL, D("15"), D("110"), D("2"), T1)

    # 15 x (110 - 103) = 105; commission is tracked apart and only reduces cash.
    assert realized == D("105")
    assert ledger.positions["AAPL"].qty == D("25")
    assert ledger.positions["AAPL"].avg_price == D("103")
    assert ledger.cash == D("10000") - D("4120") + D("1650") - D("2")
    assert ledger.realized_pnl == D("105")


def test_ledger_when_closing_in_thirds_realises_exactly_proceeds_minus_cost() -> None:
    ledger = Ledger(D("1000"))
    ledger.apply_fill("AAPL", BUY, D("1"), D("10"), D("0"), T0)
    ledger.apply_fill("AAPL", BUY, D("2"), D("10.01"), D("0"), T0)  # avg 30.02 / 3, not finite

    total = sum(
        (ledger.apply_fill("AAPL", SELL, D("1"), D("11"), D("0"), T1) for _ in range(3)),
        D(0),
    )

    assert total == D("33") - D("30.02")
    assert "AAPL" not in ledger.positions
    assert ledger.cash == D("1000") - D("30.02") + D("33")


def test_ledger_when_shorting_adds_proceeds_and_covering_lower_realises_a_gain() -> None:
    ledger = Ledger(D("5000"))

    ledger.apply_fill("TSLA", SELL, D("10"), D("200"), D("1"), T0)
    realized = ledger.apply_fill("TSLA", BUY, D("4"), D("180"), D("1"), T1)

    # short 10 @ 200, cover 4 @ 180: 4 x (200 - 180) = 80
    assert realized == D("80")
    assert ledger.positions["TSLA"].qty == D("-6")
    assert ledger.positions["TSLA"].avg_price == D("200")
    assert ledger.cash == D("5000") + D("2000") - D("1") - D("720") - D("1")


def test_ledger_when_a_sell_exceeds_the_long_flips_to_a_short_at_the_fill_price() -> None:
    ledger = Ledger(D("10000"))
    ledger.apply_fill("MSFT", BUY, D("10"), D("300"), D("0"), T0)

    realized = ledger.apply_fill("MSFT", SELL, D("25"), D("310"), D("0"), T1)

    # close 10 for 10 x (310 - 300) = 100, then short the other 15 at 310, opened now
    assert realized == D("100")
    position = ledger.positions["MSFT"]
    assert (position.qty, position.avg_price, position.opened_at) == (D("-15"), D("310"), T1)
    assert ledger.cash == D("10000") - D("3000") + D("7750")


def test_ledger_when_a_buy_exceeds_the_short_flips_to_a_long() -> None:
    ledger = Ledger(D("10000"))
    ledger.apply_fill("MSFT", SELL, D("5"), D("300"), D("0"), T0)

    realized = ledger.apply_fill("MSFT", BUY, D("8"), D("320"), D("0"), T1)

    assert realized == D("-100")  # 5 x (300 - 320)
    assert ledger.positions["MSFT"].qty == D("3")
    assert ledger.positions["MSFT"].avg_price == D("320")


def test_ledger_equity_marks_positions_at_given_prices_and_falls_back_to_entry() -> None:
    ledger = Ledger(D("10000"))
    ledger.apply_fill("AAPL", BUY, D("10"), D("100"), D("0"), T0)
    ledger.apply_fill("TSLA", SELL, D("2"), D("250"), D("0"), T0)

    equity = ledger.equity({"AAPL": D("120")})

    # cash 10000 - 1000 + 500 = 9500; AAPL 10 x 120 = 1200; TSLA -2 x 250 (entry) = -500
    assert equity == D("10200")


def test_ledger_snapshot_when_restored_gives_the_same_book() -> None:
    ledger = Ledger(D("10000"))
    ledger.apply_fill("AAPL", BUY, D("3"), D("10.01"), D("0.5"), T0)
    ledger.apply_fill("TSLA", SELL, D("2"), D("250"), D("0"), T1)
    ledger.apply_fill("AAPL", SELL, D("1"), D("11"), D("0.5"), T1)

    restored = Ledger.restore(json.loads(json.dumps(ledger.snapshot())))

    assert restored.snapshot() == ledger.snapshot()
    assert restored.positions == ledger.positions
    assert restored.realized_pnl == ledger.realized_pnl
    assert restored.commission_paid == D("1.0")


@pytest.mark.parametrize(
    ("qty", "price", "commission"),
    [
        (D("0"), D("10"), D("0")),
        (D("-1"), D("10"), D("0")),
        (D("1"), D("0"), D("0")),
        (D("1"), D("NaN"), D("0")),
        (D("1"), D("10"), D("-1")),
        (D("Infinity"), D("10"), D("0")),
    ],
)
def test_ledger_when_a_fill_is_out_of_range_refuses_it_and_changes_nothing(
    qty: Decimal, price: Decimal, commission: Decimal
) -> None:
    ledger = Ledger(D("100"))
    before = ledger.snapshot()

    with pytest.raises(ValueError, match="must"):
        ledger.apply_fill("AAPL", BUY, qty, price, commission, T0)

    assert ledger.snapshot() == before


def test_ledger_when_the_fill_time_is_naive_refuses_it() -> None:
    ledger = Ledger(D("100"))

    with pytest.raises(ValueError, match="timezone-aware"):
        ledger.apply_fill("AAPL", BUY, D("1"), D("1"), D("0"), datetime(2024, 1, 2))  # noqa: DTZ001 - the naive time is the point of the test


@pytest.mark.parametrize(
    "snapshot",
    [
        {},
        {"version": 99, "cash": "1", "realized_pnl": "0", "commission_paid": "0", "positions": {}},
        {"version": 1, "cash": "abc", "realized_pnl": "0", "commission_paid": "0", "positions": {}},
        {
            "version": 1,
            "cash": "1",
            "realized_pnl": "0",
            "commission_paid": "0",
            "positions": {"AAPL": {"qty": "0", "cost_basis": "1", "opened_at": T0.isoformat()}},
        },
    ],
)
def test_ledger_restore_when_the_snapshot_is_malformed_raises_a_clear_error(
    snapshot: dict[str, object],
) -> None:
    with pytest.raises(ValueError, match=r"snapshot|flat"):
        Ledger.restore(snapshot)
