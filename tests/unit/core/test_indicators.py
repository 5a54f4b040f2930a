"""Incremental indicators against straightforward pandas/numpy references (TA-Lib definitions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trading_bot.core.indicators import (
    EMA,
    RSI,
    SMA,
    BarField,
    IndicatorKind,
    IndicatorSpec,
    crosses_above,
    crosses_below,
    nearly_equal,
)
from trading_bot.testing.bar_series import random_walk_closes


def reference_sma(values: list[float], period: int) -> list[float | None]:
    """Mean of each window of ``period`` values, None before the first full window."""
    array = np.asarray(values)
    return [
        None if end < period - 1 else float(array[end - period + 1 : end + 1].mean())
        for end in range(len(values))
    ]


def reference_ema(values: list[float], period: int) -> list[float | None]:
    """pandas' recursive EWM (span = period) over the SMA seed followed by the later values."""
    if len(values) < period:
        return [None] * len(values)
    seeded = pd.Series([float(np.mean(values[:period])), *values[period:]])
    smoothed = seeded.ewm(span=period, adjust=False).mean().tolist()
    return [None] * (period - 1) + smoothed


def reference_rsi(values: list[float], period: int) -> list[float | None]:
    """Wilder's RSI: simple-mean seed of the first changes, then pandas EWM with alpha 1/n."""
    changes = np.diff(np.asarray(values))
    if len(changes) < period:
        return [None] * len(values)
    gains = np.clip(changes, 0, None)
    losses = np.clip(-changes, 0, None)

    def wilder(series: np.ndarray) -> np.ndarray:
        seeded = pd.Series([float(series[:period].mean()), *series[period:]])
        return seeded.ewm(alpha=1 / period, adjust=False).mean().to_numpy()

    avg_gain = wilder(gains)
    avg_loss = wilder(losses)
    total = avg_gain + avg_loss
    rsi = [0.0 if t == 0 else 100 * g / t for g, t in zip(avg_gain, total, strict=True)]
    return [None] * period + rsi


def feed(indicator: SMA | EMA | RSI, values: list[float]) -> list[float | None]:
    return [indicator.update(value) for value in values]


def assert_matches(actual: list[float | None], expected: list[float | None]) -> None:
    assert [a is None for a in actual] == [e is None for e in expected]
    for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
        if a is not None and e is not None:
            assert a == pytest.approx(e, rel=1e-9, abs=1e-9), f"bar {index}"


WALK = random_walk_closes(3_000, seed=7, volatility=0.01)
CONSTANT = [42.17] * 60
RISING = [100.0 + i for i in range(60)]
FALLING = [100.0 - i for i in range(60)]


@pytest.mark.parametrize("period", [1, 2, 14, 20, 50])
@pytest.mark.parametrize(
    "values", [WALK, CONSTANT, RISING, FALLING], ids=["walk", "flat", "up", "dn"]
)
def test_sma_when_fed_a_series_matches_the_reference(values: list[float], period: int) -> None:
    actual = feed(SMA(period), values)

    assert_matches(actual, reference_sma(values, period))


@pytest.mark.parametrize("period", [1, 2, 12, 26])
@pytest.mark.parametrize(
    "values", [WALK, CONSTANT, RISING, FALLING], ids=["walk", "flat", "up", "dn"]
)
def test_ema_when_fed_a_series_matches_the_reference(values: list[float], period: int) -> None:
    actual = feed(EMA(period), values)

    assert_matches(actual, reference_ema(values, period))


@pytest.mark.parametrize("period", [2, 14, 30])
@pytest.mark.parametrize(
    "values", [WALK, CONSTANT, RISING, FALLING], ids=["walk", "flat", "up", "dn"]
)
def test_rsi_when_fed_a_series_matches_the_reference(values: list[float], period: int) -> None:
    actual = feed(RSI(period), values)

    assert_matches(actual, reference_rsi(values, period))


@given(
    values=st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=1, max_size=120),
    period=st.integers(min_value=1, max_value=30),
)
def test_sma_for_any_positive_series_matches_the_reference(
    values: list[float], period: int
) -> None:
    assert_matches(feed(SMA(period), values), reference_sma(values, period))


def test_sma_when_warming_up_returns_none_until_the_period_th_value() -> None:
    sma = SMA(3)

    results = feed(sma, [1.0, 2.0, 3.0, 4.0])

    assert results == [None, None, 2.0, 3.0]
    assert sma.previous == 2.0


def test_ema_when_warming_up_is_seeded_with_the_sma_of_the_first_values() -> None:
    ema = EMA(3)

    results = feed(ema, [1.0, 2.0, 3.0, 5.0])

    assert results == [None, None, 2.0, 3.5]


def test_rsi_when_warming_up_needs_period_changes_so_period_plus_one_prices() -> None:
    rsi = RSI(3)

    results = feed(rsi, [10.0, 11.0, 10.0, 12.0])

    assert results[:3] == [None, None, None]
    # changes +1, -1, +2: average gain 1, average loss 1/3
    assert results[3] == pytest.approx(75.0)


def test_rsi_when_prices_never_move_is_zero_and_flat() -> None:
    rsi = RSI(14)

    feed(rsi, CONSTANT)

    assert rsi.value == 0.0
    assert rsi.flat


def test_rsi_when_prices_only_rise_is_100_and_when_they_only_fall_is_zero_but_not_flat() -> None:
    rising, falling = RSI(14), RSI(14)

    feed(rising, RISING)
    feed(falling, FALLING)

    assert rising.value == 100.0
    assert falling.value == 0.0
    assert not falling.flat


def test_indicator_previous_is_the_value_before_the_latest_update() -> None:
    sma = SMA(2)

    feed(sma, [1.0, 3.0, 5.0])

    assert (sma.previous, sma.value) == (2.0, 4.0)


@pytest.mark.parametrize("period", [0, -3, 2.5, True])
def test_indicator_when_period_is_not_a_positive_integer_refuses_it(period: object) -> None:
    with pytest.raises(ValueError, match="period must be a positive integer"):
        SMA(period)  # type: ignore[arg-type]  # the point is to pass a wrong type


def test_crosses_above_when_a_rises_through_b_is_true_and_crosses_below_is_false() -> None:
    assert crosses_above(9.0, 10.0, 11.0, 10.0)
    assert not crosses_below(9.0, 10.0, 11.0, 10.0)


def test_crosses_above_when_a_was_equal_to_b_and_rises_counts_as_a_cross() -> None:
    assert crosses_above(10.0, 10.0, 10.5, 10.0)


def test_crosses_above_when_a_only_touches_b_is_not_a_cross() -> None:
    assert not crosses_above(9.0, 10.0, 10.0, 10.0)


def test_crosses_when_the_difference_is_float_noise_count_as_ties() -> None:
    noise = 10.0 * (1 + 1e-13)

    assert nearly_equal(10.0, noise)
    assert not crosses_above(9.0, 10.0, noise, 10.0)
    assert not crosses_below(11.0, noise, 10.0, noise)


def test_crosses_below_when_a_falls_through_b_is_true() -> None:
    assert crosses_below(11.0, 10.0, 9.0, 10.0)
    assert not crosses_below(9.0, 10.0, 8.0, 10.0)


def test_sma_after_a_long_walk_then_a_flat_stretch_never_sees_a_cross() -> None:
    closes = random_walk_closes(50_000, seed=3, volatility=0.02) + [123.4567] * 200
    sma = SMA(20)
    crosses = []

    for index, close in enumerate(closes):
        before = sma.value
        previous_close = closes[index - 1] if index else None
        average = sma.update(close)
        if index >= len(closes) - 180 and before is not None and average is not None:
            assert previous_close is not None
            crosses.append(crosses_above(previous_close, before, close, average))
            crosses.append(crosses_below(previous_close, before, close, average))

    assert not any(crosses)
    assert sma.value == pytest.approx(123.4567, rel=1e-15)


def test_indicator_spec_when_built_gives_a_fresh_indicator_named_by_its_key() -> None:
    spec = IndicatorSpec(IndicatorKind.SMA, 20, BarField.VOLUME)

    indicator = spec.build()

    assert isinstance(indicator, SMA)
    assert indicator.period == 20
    assert spec.key == "sma(volume,20)"
    assert IndicatorSpec(IndicatorKind.RSI, 14).key == "rsi(close,14)"


def test_indicator_spec_when_period_is_invalid_refuses_it() -> None:
    with pytest.raises(ValueError, match="period"):
        IndicatorSpec(IndicatorKind.EMA, 0)
