"""Momentum: close crossing its SMA, with volume confirmation for LONG."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from trading_bot.core.model import Direction
from trading_bot.core.strategies.momentum import MomentumParams, MomentumStrategy
from trading_bot.testing.bar_series import (
    DEFAULT_START,
    bars_from_closes,
    random_volumes,
    random_walk_closes,
)
from trading_bot.testing.signals import evaluate_over

FLAT = [100.0] * 21


def test_momentum_when_close_crosses_above_sma_on_high_volume_goes_long() -> None:
    bars = bars_from_closes([*FLAT, 101.0], volumes=[1_000.0] * 21 + [2_000.0])

    answers = evaluate_over(MomentumStrategy(), bars)

    assert answers[:-1] == [None] * 21
    opinion = answers[-1]
    assert opinion is not None
    assert opinion.direction is Direction.LONG
    # SMA(20) = (19 x 100 + 101) / 20 = 100.05; distance 101 / 100.05 - 1 over 2 %
    assert opinion.strength == pytest.approx((101 / 100.05 - 1) / 0.02)
    assert opinion.strategy == "momentum"


def test_momentum_when_close_crosses_above_on_average_volume_stays_quiet() -> None:
    bars = bars_from_closes([*FLAT, 101.0], volumes=[1_000.0] * 22)

    answers = evaluate_over(MomentumStrategy(), bars)

    assert answers == [None] * 22


def test_momentum_when_close_crosses_below_sma_goes_short_without_volume() -> None:
    bars = bars_from_closes([*FLAT, 99.0], volumes=[1_000.0] * 22)

    opinion = evaluate_over(MomentumStrategy(), bars)[-1]

    assert opinion is not None
    assert opinion.direction is Direction.SHORT
    assert opinion.strength == pytest.approx((1 - 99 / 99.95) / 0.02)


def test_momentum_after_the_cross_while_close_stays_above_gives_no_new_signal() -> None:
    bars = bars_from_closes([*FLAT, 101.0, 101.5], volumes=[1_000.0] * 21 + [2_000.0] * 2)

    answers = evaluate_over(MomentumStrategy(), bars)

    assert answers[-2] is not None
    assert answers[-1] is None


def test_momentum_before_the_sma_has_a_previous_value_returns_none() -> None:
    bars = bars_from_closes([100.0] * 19 + [110.0], volumes=[1_000.0] * 19 + [5_000.0])

    answers = evaluate_over(MomentumStrategy(), bars)

    assert answers == [None] * 20


def test_momentum_on_its_first_bar_has_no_data_and_returns_none() -> None:
    answers = evaluate_over(MomentumStrategy(), bars_from_closes([100.0]))

    assert answers == [None]


def test_momentum_in_a_flat_market_never_signals() -> None:
    answers = evaluate_over(MomentumStrategy(), bars_from_closes([57.31] * 200))

    assert answers == [None] * 200


def test_momentum_when_a_bar_is_missing_and_price_jumps_gives_a_full_strength_long() -> None:
    stamps = [DEFAULT_START + timedelta(minutes=i) for i in range(21)]
    stamps.append(stamps[-1] + timedelta(hours=1))
    bars = bars_from_closes([*FLAT, 110.0], volumes=[1_000.0] * 21 + [3_000.0], timestamps=stamps)

    opinion = evaluate_over(MomentumStrategy(), bars)[-1]

    assert opinion is not None
    assert (opinion.direction, opinion.strength) == (Direction.LONG, 1.0)


def test_momentum_on_a_random_walk_signals_both_ways_with_strength_in_unit_range() -> None:
    closes = random_walk_closes(5_000, seed=11, volatility=0.005)
    bars = bars_from_closes(closes, volumes=random_volumes(5_000, seed=12))

    opinions = [o for o in evaluate_over(MomentumStrategy(), bars) if o is not None]

    assert {o.direction for o in opinions} == {Direction.LONG, Direction.SHORT}
    assert all(0.0 < o.strength <= 1.0 for o in opinions)


def test_momentum_with_a_smaller_full_strength_distance_gets_stronger() -> None:
    bars = bars_from_closes([*FLAT, 101.0], volumes=[1_000.0] * 21 + [2_000.0])
    strategy = MomentumStrategy(MomentumParams(full_strength_distance=0.01))

    opinion = evaluate_over(strategy, bars)[-1]

    assert opinion is not None
    assert opinion.strength == pytest.approx((101 / 100.05 - 1) / 0.01)


def test_momentum_declares_its_sma_and_volume_average() -> None:
    strategy = MomentumStrategy(MomentumParams(period=10, volume_period=5))

    assert [spec.key for spec in strategy.indicators] == ["sma(close,10)", "sma(volume,5)"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("period", 1), ("volume_period", 0), ("full_strength_distance", 0.0), ("colour", "red")],
)
def test_momentum_params_when_invalid_are_refused_naming_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(ValidationError, match=field):
        MomentumParams.model_validate({field: value})
