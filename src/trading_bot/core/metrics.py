"""Performance metrics over equity curves, following empyrical's conventions (pure functions).

Shared by the dashboard, the learning engine and the backtest report; trade-level figures
(win rate, profit factor, attribution, the equity curve from fills) are in ``metrics_trades``.

- Returns are simple returns per bar: ``r[t] = e[t] / e[t-1] - 1``.
- Annualisation uses the periods per year of the bar interval (``periods_per_year``): 252 for
  daily bars, 252 x 390 for one-minute bars of the regular session; ratios scale by
  ``sqrt(periods_per_year)``, the risk-free rate (per period) is 0 unless given.
- Sharpe: ``mean(r - rf) / std(r - rf, ddof=1) x sqrt(P)`` (sample standard deviation).
- Sortino: ``mean(r - req) x P / (sqrt(sum(min(r - req, 0)^2) / n) x sqrt(P))``, the downside
  deviation taken over all n returns, not only the losing ones.
- Annual return (CAGR) from the bar count: ``prod(1 + r) ** (P / n) - 1``.
- Max drawdown: the largest fall from a running peak, a negative fraction, the starting equity
  counting as a peak; its duration runs from that peak to the bar that regains it (or to the
  last bar when it never does).

A figure that is undefined for the input (too few points, no variation, no downside) is None
rather than NaN or infinity, so it serialises as JSON null. Sums are exactly rounded
(``math.fsum``), so the order of the input never changes a result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

TRADING_DAYS_PER_YEAR = 252
"""Periods per year of daily bars (and daily equity points)."""

MINUTES_PER_SESSION = 390
"""Minutes in the regular NYSE session (09:30 to 16:00)."""
SESSION_SECONDS = MINUTES_PER_SESSION * 60
WEEKS_PER_YEAR = 52
_DAY_SECONDS = 86_400
_WEEK_SECONDS = 7 * _DAY_SECONDS

Number = float | Decimal | int


def simple_returns(equity: Sequence[Number]) -> list[float]:
    """Return the period-over-period returns of an equity curve: e[t] / e[t-1] - 1.

    A period that starts at zero equity has no defined return and is left out.
    """
    values = [float(value) for value in equity]
    return [current / previous - 1.0 for previous, current in pairwise(values) if previous != 0.0]


def total_return(equity: Sequence[Number]) -> float | None:
    """Return last / first - 1, or None with fewer than two points or a zero start."""
    if len(equity) < 2 or float(equity[0]) == 0.0:
        return None
    return float(equity[-1]) / float(equity[0]) - 1.0


def sharpe_ratio(
    returns: Sequence[float],
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    risk_free: float = 0.0,
) -> float | None:
    """Return the annualised Sharpe ratio of per-period ``returns``.

    ``risk_free`` is per period. None with fewer than two returns or no variation at all.
    """
    if len(returns) < 2:
        return None
    excess = [value - risk_free for value in returns]
    mean = math.fsum(excess) / len(excess)
    variance = math.fsum((value - mean) ** 2 for value in excess) / (len(excess) - 1)
    std = math.sqrt(variance)
    if std == 0.0:
        return None
    return mean / std * math.sqrt(periods_per_year)


def max_drawdown(equity: Sequence[Number]) -> float | None:
    """Return the largest peak-to-trough fall as a negative fraction (0.0 if it never fell).

    None for an empty curve; a peak at zero or below has no defined drawdown and is skipped.
    """
    if not equity:
        return None
    peak = float(equity[0])
    worst = 0.0
    for value in (float(item) for item in equity):
        peak = max(peak, value)
        if peak > 0.0:
            worst = min(worst, value / peak - 1.0)
    return worst


def periods_per_year(interval_seconds: float) -> float:
    """Return how many bars of ``interval_seconds`` a year holds, for annualisation.

    Intraday bars count within the regular session (252 x 23 400 s / interval: one-minute bars
    give 252 x 390), a daily bar gives 252 and a weekly bar 52. Raise ``ValueError`` for an
    interval that is none of these (longer than a session yet not a day or a week).
    """
    if not math.isfinite(interval_seconds) or interval_seconds <= 0:
        raise ValueError(
            f"a bar interval must be a positive number of seconds, got {interval_seconds}"
        )
    if interval_seconds <= SESSION_SECONDS:
        return TRADING_DAYS_PER_YEAR * SESSION_SECONDS / interval_seconds
    if interval_seconds == _DAY_SECONDS:
        return float(TRADING_DAYS_PER_YEAR)
    if interval_seconds == _WEEK_SECONDS:
        return float(WEEKS_PER_YEAR)
    raise ValueError(
        f"no annualisation for {interval_seconds} s bars: use intraday bars up to a session "
        f"({SESSION_SECONDS} s), daily ({_DAY_SECONDS} s) or weekly ({_WEEK_SECONDS} s) bars"
    )


def annual_return(
    returns: Sequence[float], *, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> float | None:
    """Return the compound annual growth rate of ``returns``: ``prod(1 + r) ** (P / n) - 1``.

    None without returns or when the figure overflows a float (a few volatile bars
    annualised); -1.0 once the equity is wiped out.
    """
    values = _finite(returns, "returns")
    if not values:
        return None
    growth = math.prod(1.0 + value for value in values)
    if growth <= 0.0:
        return -1.0
    try:
        return float(growth ** (periods_per_year / len(values)) - 1.0)
    except OverflowError:
        return None


def annual_volatility(
    returns: Sequence[float], *, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> float | None:
    """Return the sample standard deviation of ``returns`` x sqrt(P); None with fewer than 2."""
    values = _finite(returns, "returns")
    if len(values) < 2:
        return None
    return _sample_std(values) * math.sqrt(periods_per_year)


def downside_risk(
    returns: Sequence[float],
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    required_return: float = 0.0,
) -> float | None:
    """Return the annualised downside deviation ``sqrt(sum(min(r - req, 0)^2) / n) x sqrt(P)``.

    None without returns.
    """
    values = _finite(returns, "returns")
    if not values:
        return None
    squares = math.fsum(min(value - required_return, 0.0) ** 2 for value in values)
    return math.sqrt(squares / len(values)) * math.sqrt(periods_per_year)


def sortino_ratio(
    returns: Sequence[float],
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    required_return: float = 0.0,
) -> float | None:
    """Return the annualised Sortino ratio of per-period ``returns``.

    None with fewer than two returns or when no return fell below ``required_return``.
    """
    values = _finite(returns, "returns")
    if len(values) < 2:
        return None
    downside = downside_risk(
        values, periods_per_year=periods_per_year, required_return=required_return
    )
    if not downside:
        return None
    mean = math.fsum(value - required_return for value in values) / len(values)
    return mean * periods_per_year / downside


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall of an equity curve and how long it lasted."""

    max_drawdown: float
    """The fall from the peak to the trough, a negative fraction (0.0 when it never fell)."""
    peak_index: int | None
    """Index of the peak the fall started from; None when it never fell."""
    trough_index: int | None
    """Index of the lowest point of the fall."""
    recovery_index: int | None
    """Index of the first point back at the peak; None while not recovered."""
    duration_bars: int
    """Bars from the peak to the recovery, or to the last point when not recovered."""
    duration: timedelta | None
    """The same span in time, when timestamps were given."""

    @property
    def recovered(self) -> bool:
        """Return True when the equity regained the peak after the deepest fall."""
        return self.recovery_index is not None


def drawdown(equity: Sequence[Number], timestamps: Sequence[datetime] | None = None) -> Drawdown:
    """Return the maximum drawdown of ``equity`` (the first point counting as a peak) and its
    duration. Raise ``ValueError`` for an empty curve, a point that is not a positive finite
    number, or timestamps that do not match the points one to one.
    """
    values = _finite(equity, "equity")
    if not values or min(values) <= 0.0:
        raise ValueError("drawdown needs a non-empty curve of positive equity values")
    if timestamps is not None and len(timestamps) != len(values):
        raise ValueError(f"{len(timestamps)} timestamps for {len(values)} equity points")
    peak_index, worst, worst_peak, trough = 0, 0.0, None, None
    for index, value in enumerate(values):
        if value > values[peak_index]:
            peak_index = index
        fall = value / values[peak_index] - 1.0
        if fall < worst:
            worst, worst_peak, trough = fall, peak_index, index
    if worst_peak is None or trough is None:
        return Drawdown(0.0, None, None, None, 0, timedelta(0) if timestamps else None)
    peak_value = values[worst_peak]
    recovery = next((i for i in range(trough + 1, len(values)) if values[i] >= peak_value), None)
    end = len(values) - 1 if recovery is None else recovery
    return Drawdown(
        max_drawdown=worst,
        peak_index=worst_peak,
        trough_index=trough,
        recovery_index=recovery,
        duration_bars=end - worst_peak,
        duration=None if timestamps is None else timestamps[end] - timestamps[worst_peak],
    )


@dataclass(frozen=True, slots=True)
class ReturnsSummary:
    """The return and risk figures of one equity curve."""

    bars: int
    """Returns the figures come from (points - 1)."""
    total_return: float
    annual_return: float | None
    annual_volatility: float | None
    sharpe: float | None
    sortino: float | None
    drawdown: Drawdown


def summarize(
    equity: Sequence[Number],
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    timestamps: Sequence[datetime] | None = None,
    risk_free: float = 0.0,
) -> ReturnsSummary:
    """Return every return and risk figure of ``equity`` (positive values, one per bar)."""
    dd = drawdown(equity, timestamps)
    returns = simple_returns(equity)
    return ReturnsSummary(
        bars=len(returns),
        total_return=float(equity[-1]) / float(equity[0]) - 1.0,
        annual_return=annual_return(returns, periods_per_year=periods_per_year),
        annual_volatility=annual_volatility(returns, periods_per_year=periods_per_year),
        sharpe=sharpe_ratio(returns, periods_per_year=periods_per_year, risk_free=risk_free),
        sortino=sortino_ratio(
            returns, periods_per_year=periods_per_year, required_return=risk_free
        ),
        drawdown=dd,
    )


@dataclass(frozen=True, slots=True)
class BenchmarkComparison:
    """A strategy's equity curve against buying and holding a benchmark on the same bars."""

    strategy: ReturnsSummary
    benchmark: ReturnsSummary
    excess_return: float
    """Strategy total return minus the benchmark's."""
    annual_excess_return: float | None
    """Strategy annual return minus the benchmark's (None when either is undefined)."""


def compare_to_benchmark(
    equity: Sequence[Number],
    benchmark_prices: Sequence[Number],
    *,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
    timestamps: Sequence[datetime] | None = None,
) -> BenchmarkComparison:
    """Compare ``equity`` with buy-and-hold of a ticker whose price on the same bars is
    ``benchmark_prices`` (a holding's value is proportional to its price, so the prices are its
    equity curve). Raise ``ValueError`` when the two series differ in length.
    """
    if len(equity) != len(benchmark_prices):
        raise ValueError(
            f"the benchmark has {len(benchmark_prices)} prices for {len(equity)} equity points"
        )
    mine = summarize(equity, periods_per_year=periods_per_year, timestamps=timestamps)
    theirs = summarize(benchmark_prices, periods_per_year=periods_per_year, timestamps=timestamps)
    annual_excess = (
        None
        if mine.annual_return is None or theirs.annual_return is None
        else mine.annual_return - theirs.annual_return
    )
    return BenchmarkComparison(
        strategy=mine,
        benchmark=theirs,
        excess_return=mine.total_return - theirs.total_return,
        annual_excess_return=annual_excess,
    )


def _sample_std(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1))


def _finite(values: Sequence[Number], what: str) -> list[float]:
    floats = [float(value) for value in values]
    if not all(math.isfinite(value) for value in floats):
        raise ValueError(f"{what} must be finite numbers; found NaN or infinity")
    return floats
