"""Return and risk metrics, on inputs worked by hand and against empyrical's formulas.

empyrical is not installed (it needs scipy and pandas-datareader); its formulas are written out
with numpy in ``Empyrical`` below, line for line from empyrical 0.5.5's ``stats.py``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trading_bot.core import metrics

T0 = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
RETURNS = [0.01, 0.02, -0.01, 0.03]


class Empyrical:
    """empyrical 0.5.5's definitions for a 1-D array of returns."""

    @staticmethod
    def sharpe_ratio(returns: np.ndarray, ann: float, risk_free: float = 0.0) -> float:
        adjusted = returns - risk_free
        return float(np.mean(adjusted) / np.std(adjusted, ddof=1) * np.sqrt(ann))

    @staticmethod
    def downside_risk(returns: np.ndarray, ann: float, required: float = 0.0) -> float:
        diff = np.clip(returns - required, -np.inf, 0)
        return float(np.sqrt(np.mean(np.square(diff))) * np.sqrt(ann))

    @staticmethod
    def sortino_ratio(returns: np.ndarray, ann: float, required: float = 0.0) -> float:
        average_annual = np.mean(returns - required) * ann
        return float(average_annual / Empyrical.downside_risk(returns, ann, required))

    @staticmethod
    def annual_return(returns: np.ndarray, ann: float) -> float:
        ending = np.prod(1 + returns)
        return float(ending ** (1 / (len(returns) / ann)) - 1)

    @staticmethod
    def annual_volatility(returns: np.ndarray, ann: float) -> float:
        return float(np.std(returns, ddof=1) * np.sqrt(ann))

    @staticmethod
    def max_drawdown(returns: np.ndarray) -> float:
        cumulative = np.concatenate([[100.0], 100.0 * np.cumprod(1 + returns)])
        peaks = np.fmax.accumulate(cumulative)
        return float(np.min((cumulative - peaks) / peaks))


def curve(returns: list[float], start: float = 100.0) -> list[float]:
    equity = [start]
    for r in returns:
        equity.append(equity[-1] * (1 + r))
    return equity


# Periods per year ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"),
    [(86_400, 252), (60, 252 * 390), (300, 252 * 78), (3_600, 252 * 6.5), (604_800, 52)],
)
def test_periods_per_year_when_interval_is_standard_maps_to_the_session_count(
    interval: int, expected: float
) -> None:
    assert metrics.periods_per_year(interval) == pytest.approx(expected)


@pytest.mark.parametrize("interval", [0, -60, 2 * 86_400, 43_200, float("nan")])
def test_periods_per_year_when_interval_has_no_convention_refuses_it(interval: float) -> None:
    with pytest.raises(ValueError, match=r"interval|annualisation"):
        metrics.periods_per_year(interval)


# Returns, Sharpe, Sortino, CAGR --------------------------------------------------------------


def test_simple_returns_when_equity_moves_are_ratios_minus_one() -> None:
    assert metrics.simple_returns([100, 110, 99]) == pytest.approx([0.1, -0.1])


def test_total_return_when_curve_ends_higher_is_last_over_first() -> None:
    assert metrics.total_return([100, 90, 121]) == pytest.approx(0.21)
    assert metrics.total_return([100]) is None


def test_sharpe_ratio_when_hand_computed_matches() -> None:
    # mean 0.0125; squared deviations 6.25e-6 + 5.625e-5 + 5.0625e-4 + 3.0625e-4 = 8.75e-4;
    # sample variance 8.75e-4 / 3; Sharpe = 0.0125 / sqrt(8.75e-4 / 3) x sqrt(252) = 11.6189.
    expected = 0.0125 / math.sqrt(8.75e-4 / 3) * math.sqrt(252)

    assert metrics.sharpe_ratio(RETURNS) == pytest.approx(expected)
    assert expected == pytest.approx(11.6189, abs=1e-4)
    assert metrics.sharpe_ratio(RETURNS) == pytest.approx(
        Empyrical.sharpe_ratio(np.array(RETURNS), 252)
    )


def test_sharpe_ratio_when_risk_free_given_subtracts_it_per_period() -> None:
    assert metrics.sharpe_ratio(RETURNS, risk_free=0.001) == pytest.approx(
        Empyrical.sharpe_ratio(np.array(RETURNS), 252, risk_free=0.001)
    )


def test_sortino_ratio_when_hand_computed_matches() -> None:
    # Downside: only -0.01 counts: sqrt(0.0001 / 4) = 0.005 over all four returns.
    # Sortino = 0.0125 x 252 / (0.005 x sqrt(252)) = 2.5 x sqrt(252) = 39.686.
    assert metrics.downside_risk(RETURNS) == pytest.approx(0.005 * math.sqrt(252))
    assert metrics.sortino_ratio(RETURNS) == pytest.approx(2.5 * math.sqrt(252))
    assert metrics.sortino_ratio(RETURNS) == pytest.approx(
        Empyrical.sortino_ratio(np.array(RETURNS), 252)
    )


def test_sortino_ratio_when_nothing_fell_is_undefined() -> None:
    assert metrics.sortino_ratio([0.01, 0.02]) is None
    assert metrics.sortino_ratio([0.01]) is None


def test_annual_return_when_hand_computed_compounds_by_bar_count() -> None:
    # Two bars at 2 bars a year is one year: 1.1 x 0.95 - 1 = 0.045.
    assert metrics.annual_return([0.1, -0.05], periods_per_year=2) == pytest.approx(0.045)
    # 126 daily bars of +0.1% are half a year: 1.001 ** 252 - 1.
    assert metrics.annual_return([0.001] * 126) == pytest.approx(1.001**252 - 1)
    assert metrics.annual_return([]) is None
    assert metrics.annual_return([-1.0, 0.5]) == -1.0


def test_annual_return_when_a_few_bars_annualise_past_a_float_is_undefined() -> None:
    # Three one-minute bars up 3% compound to 1.03 ** 32 760 a year: beyond any float.
    assert metrics.annual_return([0.01] * 3, periods_per_year=252 * 390) is None


def test_annual_volatility_when_hand_computed_uses_the_sample_deviation() -> None:
    # std([0.01, 0.03], ddof=1) = 0.01 x sqrt(2)
    assert metrics.annual_volatility([0.01, 0.03]) == pytest.approx(
        0.01 * math.sqrt(2) * math.sqrt(252)
    )
    assert metrics.annual_volatility([0.01]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.05, 0.05), min_size=3, max_size=40))
def test_metrics_when_compared_with_empyrical_formulas_agree(returns: list[float]) -> None:
    array = np.array(returns)
    ann = metrics.periods_per_year(86_400)

    assert metrics.annual_return(returns, periods_per_year=ann) == pytest.approx(
        Empyrical.annual_return(array, ann), rel=1e-9, abs=1e-12
    )
    assert metrics.drawdown(curve(returns)).max_drawdown == pytest.approx(
        Empyrical.max_drawdown(array), rel=1e-9, abs=1e-12
    )
    if np.std(array, ddof=1) > 1e-9:
        assert metrics.sharpe_ratio(returns, periods_per_year=ann) == pytest.approx(
            Empyrical.sharpe_ratio(array, ann), rel=1e-9
        )
        assert metrics.annual_volatility(returns, periods_per_year=ann) == pytest.approx(
            Empyrical.annual_volatility(array, ann), rel=1e-9
        )
    if (array < -1e-9).any():
        assert metrics.sortino_ratio(returns, periods_per_year=ann) == pytest.approx(
            Empyrical.sortino_ratio(array, ann), rel=1e-9, abs=1e-9
        )


def test_metrics_when_returns_hold_nan_refuse_them() -> None:
    with pytest.raises(ValueError, match="finite"):
        metrics.sortino_ratio([0.01, float("nan")])
    with pytest.raises(ValueError, match="finite"):
        metrics.annual_return([float("inf")])


# Drawdown --------------------------------------------------------------------------------------


def test_drawdown_when_curve_falls_and_recovers_reports_depth_and_duration() -> None:
    equity = [100, 120, 90, 130, 104]
    days = [T0 + timedelta(days=i) for i in range(len(equity))]

    dd = metrics.drawdown(equity, days)

    # 120 -> 90 is -25%, deeper than 130 -> 104 (-20%); 130 regains 120 two bars after the peak.
    assert dd.max_drawdown == pytest.approx(-0.25)
    assert (dd.peak_index, dd.trough_index, dd.recovery_index) == (1, 2, 3)
    assert dd.recovered
    assert (dd.duration_bars, dd.duration) == (2, timedelta(days=2))
    assert metrics.max_drawdown(equity) == pytest.approx(dd.max_drawdown)


def test_drawdown_when_first_bar_falls_counts_the_start_as_the_peak() -> None:
    dd = metrics.drawdown([100, 80, 90])

    assert dd.max_drawdown == pytest.approx(-0.2)
    assert (dd.peak_index, dd.trough_index, dd.recovery_index) == (0, 1, None)
    assert not dd.recovered
    assert (dd.duration_bars, dd.duration) == (2, None)


def test_drawdown_when_curve_never_falls_is_zero() -> None:
    dd = metrics.drawdown([100, 101, 101, 102], [T0 + timedelta(days=i) for i in range(4)])

    assert (dd.max_drawdown, dd.peak_index, dd.duration_bars) == (0.0, None, 0)
    assert dd.duration == timedelta(0)


def test_drawdown_when_input_is_unusable_refuses_it() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        metrics.drawdown([])
    with pytest.raises(ValueError, match="positive"):
        metrics.drawdown([100, 0, 50])
    with pytest.raises(ValueError, match="2 timestamps for 3"):
        metrics.drawdown([1, 2, 3], [T0, T0])


# Summary and benchmark -----------------------------------------------------------------------


def test_summarize_when_given_a_curve_reports_every_figure() -> None:
    equity = curve(RETURNS)

    summary = metrics.summarize(equity, periods_per_year=252)

    assert summary.bars == 4
    assert summary.total_return == pytest.approx(1.01 * 1.02 * 0.99 * 1.03 - 1)
    assert summary.sharpe == pytest.approx(metrics.sharpe_ratio(RETURNS))
    assert summary.sortino == pytest.approx(2.5 * math.sqrt(252))
    assert summary.drawdown.max_drawdown == pytest.approx(-0.01)


def test_compare_to_benchmark_when_strategy_beats_buy_and_hold_reports_the_excess() -> None:
    equity = [100, 110, 121]
    prices = [50, 50, 55]

    comparison = metrics.compare_to_benchmark(equity, prices, periods_per_year=2)

    assert comparison.strategy.total_return == pytest.approx(0.21)
    assert comparison.benchmark.total_return == pytest.approx(0.10)
    assert comparison.excess_return == pytest.approx(0.11)
    # Two bars at two a year is one year, so the annual figures equal the totals.
    assert comparison.annual_excess_return == pytest.approx(0.11)
    assert comparison.benchmark.drawdown.max_drawdown == 0.0


def test_compare_to_benchmark_when_lengths_differ_refuses_them() -> None:
    with pytest.raises(ValueError, match="3 prices for 2 equity points"):
        metrics.compare_to_benchmark([100, 101], [1, 2, 3])
