"""The quote book the paper broker fills against."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.core.model import Bar


def test_latest_prices_from_a_bar_keeps_the_close_as_its_decimal_spelling() -> None:
    prices = LatestPrices()
    bar = Bar(
        ticker="AAPL",
        timestamp=datetime(2024, 1, 2, 14, 30, tzinfo=UTC),
        open=100.0,
        high=100.2,
        low=99.9,
        close=100.1,
        volume=1_000,
    )

    prices.update_from_bar(bar)

    assert prices.last_price("AAPL") == Decimal("100.1")
    assert prices.last_price("MSFT") is None


@pytest.mark.parametrize("bad", [Decimal(0), Decimal(-1), Decimal("NaN"), Decimal("Infinity")])
def test_latest_prices_when_a_price_is_not_positive_and_finite_refuses_it_and_keeps_the_last(
    bad: Decimal,
) -> None:
    prices = LatestPrices({"AAPL": Decimal("10")})

    with pytest.raises(ValueError, match="finite and positive"):
        prices.update("AAPL", bad)

    assert prices.prices == {"AAPL": Decimal("10")}


def test_latest_prices_reads_a_float_close_back_as_its_decimal_spelling() -> None:
    prices = LatestPrices()

    prices.update("AAPL", 100.1)

    assert prices.last_price("AAPL") == Decimal("100.1")
    assert prices.prices == {"AAPL": Decimal("100.1")}


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_latest_prices_refuses_a_float_that_is_not_positive_and_finite(bad: float) -> None:
    prices = LatestPrices({"AAPL": Decimal("10")})

    with pytest.raises(ValueError, match="finite and positive"):
        prices.update("AAPL", bad)

    assert prices.last_price("AAPL") == Decimal("10")
