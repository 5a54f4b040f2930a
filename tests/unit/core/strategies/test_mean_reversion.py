"""Mean reversion: RSI below 30 is LONG, above 70 is SHORT, on entering the zone or deepening."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from trading_bot.core.model import Direction
from trading_bot.core.strategies.mean_reversion import MeanReversionParams, MeanReversionStrategy
from trading_bot.testing.bar_series import (
    DEFAULT_START,
    bars_from_closes,
    random_walk_closes,
)
from trading_bot.testing.signals import evaluate_over

# With period 2 the first RSI is 100 x gain / (gain + loss) over two changes, exact in binary.
FAST = MeanReversionStrategy(MeanReversionParams(period=2))


def test_mean_reversion_when_rsi_is_exactly_30_stays_quiet() -> None:
    answers = evaluate_over(FAST, bars_from_closes([100.0, 103.0, 96.0]))  # +3, -7: RSI 30

    assert answers == [None, None, None]


def test_mean_reversion_when_rsi_is_exactly_70_stays_quiet() -> None:
    answers = evaluate_over(FAST, bars_from_closes([100.0, 107.0, 104.0]))  # +7, -3: RSI 70

    assert answers == [None, None, None]


def test_mean_reversion_when_rsi_enters_oversold_goes_long_by_its_extremity() -> None:
    answers = evaluate_over(FAST, bars_from_closes([100.0, 102.9, 95.8]))  # RSI 29

    opinion = answers[-1]
    assert opinion is not None
    assert opinion.direction is Direction.LONG
    assert opinion.strength == pytest.approx((30 - 29) / 30)


def test_mean_reversion_when_rsi_deepens_in_the_zone_signals_again_stronger() -> None:
    # RSI 29, then a further fall takes it to 25
    answers = evaluate_over(FAST, bars_from_closes([100.0, 102.9, 95.8, 95.0]))

    opinion = answers[-1]
    assert opinion is not None
    assert opinion.direction is Direction.LONG
    assert opinion.strength == pytest.approx((30 - 25) / 30)


def test_mean_reversion_when_rsi_recovers_but_stays_in_the_zone_stays_quiet() -> None:
    # RSI 29, 25, then a small rise: 27.5, still oversold but no longer deepening
    answers = evaluate_over(FAST, bars_from_closes([100.0, 102.9, 95.8, 95.0, 95.1]))

    assert answers[-1] is None


def test_mean_reversion_when_rsi_enters_overbought_goes_short_by_its_extremity() -> None:
    answers = evaluate_over(FAST, bars_from_closes([100.0, 107.1, 104.2]))  # RSI 71

    opinion = answers[-1]
    assert opinion is not None
    assert opinion.direction is Direction.SHORT
    assert opinion.strength == pytest.approx((71 - 70) / 30)


def test_mean_reversion_in_a_steady_fall_goes_long_at_full_strength_once() -> None:
    answers = evaluate_over(
        MeanReversionStrategy(), bars_from_closes([100.0 - i for i in range(20)])
    )

    assert answers[:14] == [None] * 14
    first = answers[14]
    assert first is not None
    assert (first.direction, first.strength) == (Direction.LONG, 1.0)
    assert answers[15:] == [None] * 5


def test_mean_reversion_before_period_changes_returns_none() -> None:
    answers = evaluate_over(
        MeanReversionStrategy(), bars_from_closes([100.0 - i for i in range(14)])
    )

    assert answers == [None] * 14


def test_mean_reversion_on_its_first_bar_has_no_data_and_returns_none() -> None:
    assert evaluate_over(MeanReversionStrategy(), bars_from_closes([100.0])) == [None]


def test_mean_reversion_in_a_flat_market_does_not_read_rsi_zero_as_oversold() -> None:
    answers = evaluate_over(MeanReversionStrategy(), bars_from_closes([80.0] * 60))

    assert answers == [None] * 60


def test_mean_reversion_when_price_jumps_after_a_missing_bar_reads_overbought() -> None:
    stamps = [DEFAULT_START + timedelta(minutes=i) for i in range(15)]
    stamps.append(stamps[-1] + timedelta(minutes=45))
    bars = bars_from_closes([100.0] * 15 + [110.0], timestamps=stamps)

    opinion = evaluate_over(MeanReversionStrategy(), bars)[-1]

    assert opinion is not None
    assert (opinion.direction, opinion.strength) == (Direction.SHORT, 1.0)


def test_mean_reversion_on_a_random_walk_signals_both_ways_with_strength_in_unit_range() -> None:
    bars = bars_from_closes(random_walk_closes(5_000, seed=5, volatility=0.01))

    opinions = [o for o in evaluate_over(MeanReversionStrategy(), bars) if o is not None]

    assert {o.direction for o in opinions} == {Direction.LONG, Direction.SHORT}
    assert all(0.0 <= o.strength <= 1.0 for o in opinions)


def test_mean_reversion_declares_its_rsi() -> None:
    assert [spec.key for spec in MeanReversionStrategy().indicators] == ["rsi(close,14)"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": 1}, "period"),
        ({"oversold": 0}, "oversold"),
        ({"overbought": 100}, "overbought"),
        ({"oversold": 60, "overbought": 40}, "oversold"),
    ],
)
def test_mean_reversion_params_when_invalid_are_refused_naming_the_field(
    params: dict[str, float], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        MeanReversionParams.model_validate(params)
