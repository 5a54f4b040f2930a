"""A finished backtest as results: metrics from ``core.metrics``, round trips, open positions,
the trade log, the equity curve, monthly returns and the weight history.

Everything here is a value of the simulated run: no wall-clock time and no random id reaches
the results, keys are sorted and numbers printed the same way every time, so the same inputs
give the same bytes (``BacktestResult.to_json``, ``BacktestResult.trade_log_csv``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from trading_bot.core.calendar import NEW_YORK
from trading_bot.core.metrics import BenchmarkComparison, compare_to_benchmark, periods_per_year
from trading_bot.core.metrics_trades import strategy_attribution, trade_summary
from trading_bot.core.model import OrderSide, RiskDecision, TradeOutcome, TradeRecord
from trading_bot.entrypoints.backtest_data import from_micros
from trading_bot.entrypoints.backtest_records import RunRecords

RESULTS_VERSION = 1
TRADE_LOG_COLUMNS = (
    "submitted_at",
    "filled_at",
    "ticker",
    "side",
    "qty",
    "filled_qty",
    "price",
    "commission",
    "status",
    "is_exit",
    "realized_pnl",
    "strategy",
    "reason",
)


class BacktestResult(BaseModel):
    """What a backtest produced. ``metrics``, ``trades``, ``equity_curve`` and ``per_strategy``
    are also what the API's backtest runs report."""

    model_config = ConfigDict(frozen=True)

    version: int = RESULTS_VERSION
    config: dict[str, JsonValue]
    metrics: dict[str, JsonValue]
    benchmark: dict[str, JsonValue]
    trades: list[dict[str, JsonValue]] = Field(description="closed round trips, oldest first")
    open_positions: list[dict[str, JsonValue]] = Field(description="held at the end")
    open_orders: list[dict[str, JsonValue]] = Field(description="not filled by the end")
    fills: list[dict[str, JsonValue]] = Field(description="every order placed: the trade log")
    signals: list[dict[str, JsonValue]]
    equity_curve: list[dict[str, JsonValue]] = Field(description="sampled: timestamp, equity")
    monthly_returns: list[dict[str, JsonValue]]
    per_strategy: dict[str, JsonValue]
    weight_history: list[dict[str, JsonValue]]
    data: dict[str, JsonValue]
    diagnostics: dict[str, JsonValue]

    def to_json(self) -> bytes:
        """Return the results as canonical JSON (sorted keys): identical runs, identical bytes."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=1)
        return (text + "\n").encode("utf-8")

    def trade_log_csv(self) -> str:
        """Return every order of the run as CSV, one row per order, oldest first."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=TRADE_LOG_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.fills:
            writer.writerow({column: _cell(row.get(column)) for column in TRADE_LOG_COLUMNS})
        return out.getvalue()


def iso(at: datetime | None) -> str | None:
    """Return an aware time as ISO-8601 UTC, or None."""
    return None if at is None else at.isoformat()


def money(value: Decimal | None) -> str | None:
    """Return an amount as its exact decimal text (trailing zeros dropped), or None."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def number(value: float | None) -> float | None:
    """Return a finite float as it is, anything else (None, NaN, inf) as None."""
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class CurveFigures:
    """The figures of an equity curve: its returns and risk, the benchmark's, and per point
    the drawdown and the value buy-and-hold of the benchmark would have had."""

    returns: dict[str, JsonValue]
    benchmark: dict[str, JsonValue]
    drawdowns: npt.NDArray[np.float64]
    benchmark_equity: npt.NDArray[np.float64]


def curve_metrics(
    times: Sequence[int],
    equity: Sequence[float],
    benchmark: Sequence[float] | npt.NDArray[np.float64],
    *,
    capital: Decimal,
    interval_seconds: int,
) -> CurveFigures:
    """Return the figures of the equity curve (the starting capital as its first point) and
    of buying and holding the benchmark with the same capital over the same points."""
    values = np.concatenate(([float(capital)], np.asarray(equity, dtype=np.float64)))
    prices = _backfilled(np.asarray(benchmark, dtype=np.float64))
    prices = np.concatenate(([prices[0]], prices))
    stamps = [int(times[0]), *times]
    try:
        per_year: float | None = periods_per_year(interval_seconds)
    except ValueError:
        per_year = None
    if values.min() <= 0:
        raise ValueError("the equity reached zero; return figures are undefined")
    comparison = compare_to_benchmark(
        values.tolist(), prices.tolist(), periods_per_year=per_year or 1.0
    )
    peaks = np.maximum.accumulate(values)
    drawdowns = values / peaks - 1.0
    return CurveFigures(
        returns=_return_figures(comparison, stamps, per_year),
        benchmark=_benchmark_figures(comparison, per_year),
        drawdowns=drawdowns[1:],
        benchmark_equity=float(capital) * prices[1:] / prices[0],
    )


def _return_figures(
    comparison: BenchmarkComparison, stamps: Sequence[int], per_year: float | None
) -> dict[str, JsonValue]:
    mine = comparison.strategy
    dd = mine.drawdown
    end = dd.recovery_index if dd.recovery_index is not None else len(stamps) - 1
    duration = None if dd.peak_index is None else (stamps[end] - stamps[dd.peak_index]) / 1_000_000
    annual = per_year is not None
    return {
        "periods_per_year": per_year,
        "total_return": number(mine.total_return),
        "annual_return": number(mine.annual_return) if annual else None,
        "annual_volatility": number(mine.annual_volatility) if annual else None,
        "sharpe": number(mine.sharpe) if annual else None,
        "sortino": number(mine.sortino) if annual else None,
        "max_drawdown": number(dd.max_drawdown),
        "max_drawdown_bars": dd.duration_bars,
        "max_drawdown_seconds": duration,
        "max_drawdown_recovered": dd.recovered if dd.peak_index is not None else None,
        "max_drawdown_peak_at": _stamp(stamps, dd.peak_index),
        "max_drawdown_trough_at": _stamp(stamps, dd.trough_index),
    }


def _benchmark_figures(
    comparison: BenchmarkComparison, per_year: float | None
) -> dict[str, JsonValue]:
    theirs = comparison.benchmark
    annual = per_year is not None
    return {
        "total_return": number(theirs.total_return),
        "annual_return": number(theirs.annual_return) if annual else None,
        "sharpe": number(theirs.sharpe) if annual else None,
        "max_drawdown": number(theirs.drawdown.max_drawdown),
        "excess_return": number(comparison.excess_return),
        "annual_excess_return": number(comparison.annual_excess_return) if annual else None,
    }


def trade_metrics(
    outcomes: Sequence[TradeOutcome], open_positions: int, exposure: float | None
) -> dict[str, JsonValue]:
    """Return the round-trip figures: count, win rate, average win and loss, profit factor,
    average hold; the exposure and how many positions were left open."""
    summary = trade_summary(outcomes)
    hold = summary.average_hold
    return {
        "trades": summary.trades,
        "wins": summary.wins,
        "losses": summary.losses,
        "win_rate": number(summary.win_rate),
        "average_win": money(summary.average_win),
        "average_loss": money(summary.average_loss),
        "payoff_ratio": number(summary.payoff_ratio),
        "profit_factor": number(summary.profit_factor),
        "closed_pnl": money(summary.total_pnl),
        "average_hold_seconds": None if hold is None else hold.total_seconds(),
        "exposure": number(exposure),
        "open_positions": open_positions,
    }


def attribution(outcomes: Sequence[TradeOutcome]) -> dict[str, JsonValue]:
    """Return each credited strategy's share of the closed round trips."""
    return {
        name: {
            "trades": item.trades,
            "credit": item.credit,
            "pnl": money(item.pnl),
            "win_rate": number(item.win_rate),
            "sharpe": number(item.sharpe),
        }
        for name, item in strategy_attribution(outcomes).items()
    }


def round_trips(records: RunRecords) -> list[dict[str, JsonValue]]:
    """Return the closed round trips: entry and exit time and price, P&L, why it closed."""
    by_id = {record.execution.trade_id: record for record in records.trades}
    reasons = _exit_reasons(records.decisions)
    trips: list[dict[str, JsonValue]] = []
    for outcome in records.outcomes:
        entry, exit_ = by_id.get(outcome.entry_trade_id), by_id.get(outcome.exit_trade_id)
        if entry is None or exit_ is None:
            continue
        trips.append(
            {
                "ticker": outcome.ticker,
                "direction": "long" if entry.execution.side is OrderSide.BUY else "short",
                "qty": money(exit_.execution.filled_qty),
                "entry_at": iso(entry.filled_at),
                "entry_price": money(entry.execution.price),
                "exit_at": iso(exit_.filled_at),
                "exit_price": money(exit_.execution.price),
                "commission": money(entry.execution.commission + exit_.execution.commission),
                "pnl": money(outcome.realized_pnl),
                "return_pct": number(outcome.roi_pct),
                "hold_seconds": outcome.hold_seconds,
                "exit_reason": _exit_reason(exit_, reasons),
                "strategy": entry.strategy,
                "credits": {k: v for k, v in sorted(outcome.strategy_credits.items())},
            }
        )
    trips.sort(key=lambda t: (str(t["exit_at"]), str(t["ticker"])))
    return trips


def fills(records: RunRecords) -> list[dict[str, JsonValue]]:
    """Return every order of the run (the trade log), in the order they were placed."""
    return [
        {
            "submitted_at": iso(record.submitted_at),
            "filled_at": iso(record.filled_at),
            "ticker": record.execution.ticker,
            "side": record.execution.side.value,
            "qty": money(record.execution.qty),
            "filled_qty": money(record.execution.filled_qty),
            "price": money(record.execution.price),
            "commission": money(record.execution.commission),
            "status": record.execution.status.value,
            "is_exit": record.execution.is_exit,
            "realized_pnl": money(record.execution.realized_pnl),
            "strategy": record.strategy,
            "reason": record.execution.reason,
        }
        for record in records.trades
    ]


def signal_rows(records: RunRecords) -> list[dict[str, JsonValue]]:
    """Return every signal with what became of it."""
    return [
        {
            "at": iso(record.signal.generated_at),
            "ticker": record.signal.ticker,
            "direction": record.signal.direction.value,
            "strength": record.signal.strength,
            "price": record.signal.price,
            "sentiment": record.signal.sentiment_score,
            "outcome": None if record.outcome is None else record.outcome.value,
            "reason": record.outcome_reason,
            "sources": {
                s.strategy: {"direction": s.direction.value, "strength": s.strength}
                for s in sorted(record.signal.sources, key=lambda s: s.strategy)
            },
        }
        for record in records.signals
    ]


def weight_rows(records: RunRecords) -> list[dict[str, JsonValue]]:
    """Return every weight change, oldest first."""
    return [
        {
            "at": iso(entry.timestamp),
            "strategy": entry.strategy,
            "old_weight": entry.old_weight,
            "new_weight": entry.new_weight,
            "reason": entry.reason,
        }
        for entry in records.weight_history
    ]


def sampled_curve(
    times: Sequence[int], equity: Sequence[float], figures: CurveFigures, *, most: int
) -> list[dict[str, JsonValue]]:
    """Return at most ``most`` points of the curve, evenly spaced, keeping the first, the last
    and the deepest drawdown; each with its drawdown from the running peak and the benchmark's
    buy-and-hold value."""
    count = len(times)
    drawdowns = figures.drawdowns
    picks = set(np.linspace(0, count - 1, min(count, most)).round().astype(int).tolist())
    picks.add(int(np.argmin(drawdowns)))
    return [
        {
            "timestamp": iso(from_micros(int(times[i]))),
            "equity": round(float(equity[i]), 6),
            "drawdown": round(float(drawdowns[i]), 8),
            "benchmark": round(float(figures.benchmark_equity[i]), 6),
        }
        for i in sorted(picks)
    ]


def monthly_returns(
    times: Sequence[int], equity: Sequence[float], capital: Decimal
) -> list[dict[str, JsonValue]]:
    """Return each New York calendar month's return, from the equity at its last point."""
    if not len(times):
        return []
    local = pd.to_datetime(np.asarray(times, dtype=np.int64), unit="us", utc=True)
    local = local.tz_convert(NEW_YORK.key)
    months = np.asarray(local.year * 100 + local.month, dtype=np.int64)
    ends = np.append(np.flatnonzero(np.diff(months)), len(months) - 1)
    values = np.asarray(equity, dtype=np.float64)[ends]
    starts = np.concatenate(([float(capital)], values[:-1]))
    return [
        {"month": f"{month // 100:04d}-{month % 100:02d}", "return": float(end / begin - 1.0)}
        for month, end, begin in zip(months[ends].tolist(), values, starts, strict=True)
    ]


def exposure_of(invested: Sequence[int]) -> float | None:
    """Return the share of points with a position open (``metrics_trades.exposure``)."""
    return sum(invested) / len(invested) if len(invested) else None


def jsonable(values: Mapping[str, Any]) -> dict[str, JsonValue]:
    """Return the config dumped as JSON values, its paths as text."""
    dumped: dict[str, JsonValue] = json.loads(json.dumps(values, default=str, sort_keys=True))
    return dumped


def _backfilled(prices: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return ``prices`` with the points before the benchmark's first close set to that close."""
    seen = np.flatnonzero(prices > 0)
    if not len(seen):
        raise ValueError("the benchmark ticker never closed a bar")
    filled = prices.copy()
    filled[: seen[0]] = prices[seen[0]]
    return filled


def _stamp(stamps: Sequence[int], index: int | None) -> str | None:
    return None if index is None else iso(from_micros(int(stamps[index])))


def _exit_reasons(decisions: Sequence[RiskDecision]) -> dict[tuple[str, datetime], str]:
    """Return the reason of each approved exit, by ticker and the time it was decided."""
    return {
        (d.ticker, d.timestamp): d.reason_code.removeprefix("EXIT_").lower()
        for d in decisions
        if d.approved and d.reason_code.startswith("EXIT_")
    }


def _exit_reason(exit_: TradeRecord, reasons: Mapping[tuple[str, datetime], str]) -> str:
    found = reasons.get((exit_.execution.ticker, exit_.submitted_at))
    if found is not None:
        return found
    return "signal" if exit_.execution.signal_id is not None else "unknown"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
