"""Trailing stops: the stop follows the best price since entry and never gives ground."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trading_bot.core.model import Position
from trading_bot.core.trailing import ratchet, trailing_level

D = Decimal


def long(stop: str | None = "95.00") -> Position:
    return Position(
        ticker="AAPL",
        qty=D(10),
        avg_entry_price=D(100),
        stop_loss=None if stop is None else D(stop),
    )


def test_ratchet_when_a_long_makes_a_new_high_raises_the_stop_below_it() -> None:
    assert ratchet(long(), high=D(110), low=D(104), pct=D("0.05")) == D("104.50")


def test_ratchet_when_the_price_falls_back_never_lowers_the_stop() -> None:
    assert ratchet(long("104.50"), high=D(106), low=D(101), pct=D("0.05")) is None


def test_ratchet_when_the_stop_is_already_tighter_leaves_it() -> None:
    assert ratchet(long("99.00"), high=D(103), low=D(100), pct=D("0.05")) is None


def test_ratchet_for_a_short_lowers_the_stop_above_the_lowest_price() -> None:
    short = Position(ticker="AAPL", qty=D(-10), avg_entry_price=D(100), stop_loss=D(105))

    assert ratchet(short, high=D(98), low=D(90), pct=D("0.05")) == D("94.50")


def test_ratchet_without_a_stop_sets_one() -> None:
    assert ratchet(long(None), high=D(100), low=D(99), pct=D("0.10")) == D("90.00")


def test_trailing_level_rounds_away_from_the_price_to_the_tick() -> None:
    assert trailing_level(D("100.07"), D("0.03"), long=True) == D("97.06")
    assert trailing_level(D("100.07"), D("0.03"), long=False) == D("103.08")


@pytest.mark.parametrize(("price", "pct"), [(D(0), D("0.05")), (D(100), D(0)), (D(100), D(1))])
def test_trailing_level_when_price_or_distance_is_out_of_range_refuses_it(
    price: Decimal, pct: Decimal
) -> None:
    with pytest.raises(ValueError, match="must be"):
        trailing_level(price, pct, long=True)
