"""The look-ahead check: re-run a backtest with the data cut off at several moments and report
every signal, before the cut, that the missing future changed.

A replay that cannot look ahead decides the same up to any moment whether or not the data goes
on after it; a signal that appears, disappears or changes when later bars and articles are
removed was decided with information from after its time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import JsonValue

from trading_bot.entrypoints.backtest import (
    BacktestConfig,
    BacktestInputs,
    BacktestResult,
    run_prepared,
)
from trading_bot.entrypoints.backtest_data import from_micros

DEFAULT_CUTS = (0.25, 0.5, 0.75)
"""Where the data is cut, as shares of its bar closes."""

Signal = tuple[str, str, str, float, float]
"""(time, ticker, direction, strength, price) of one signal."""


@dataclass(frozen=True, slots=True)
class SignalChange:
    """A signal before ``cut`` that differs between the full run and the cut-off one."""

    cut: datetime
    at: str
    ticker: str
    with_future: str
    """The signal as the full run decided it (or "none")."""
    without_future: str
    """The signal as the run cut at ``cut`` decided it (or "none")."""


@dataclass(frozen=True, slots=True)
class LookaheadReport:
    """What the check compared and what it found."""

    cuts: tuple[datetime, ...]
    signals_compared: int
    changes: tuple[SignalChange, ...]

    @property
    def clean(self) -> bool:
        """Return True when no signal changed: nothing looked ahead."""
        return not self.changes

    def as_json(self) -> dict[str, JsonValue]:
        """Return the report as JSON values."""
        return {
            "cuts": [cut.isoformat() for cut in self.cuts],
            "signals_compared": self.signals_compared,
            "clean": self.clean,
            "changes": [
                {
                    "cut": change.cut.isoformat(),
                    "at": change.at,
                    "ticker": change.ticker,
                    "with_future": change.with_future,
                    "without_future": change.without_future,
                }
                for change in self.changes
            ],
        }


def cut_points(inputs: BacktestInputs, shares: Sequence[float]) -> tuple[datetime, ...]:
    """Return the bar close times at the given shares of the run's distinct closes."""
    closes = np.unique(inputs.tape.closes_at)
    picks = sorted({int(share * (len(closes) - 1)) for share in shares if 0 < share < 1})
    return tuple(from_micros(int(closes[i])) for i in picks)


def truncated(inputs: BacktestInputs, cut: datetime) -> BacktestInputs:
    """Return the bars closed and the articles available at ``cut``."""
    return BacktestInputs(inputs.tape.closed_by(cut), inputs.news.available_by(cut))


async def check_lookahead(
    config: BacktestConfig,
    inputs: BacktestInputs,
    shares: Sequence[float] = DEFAULT_CUTS,
    *,
    on_run: Callable[[str], None] | None = None,
) -> LookaheadReport:
    """Run ``config`` on all of ``inputs`` and on the data cut at each of ``shares``; return
    every signal up to a cut that is not the same in both runs.

    ``on_run`` is told which run starts (for a progress line).
    """
    if on_run is not None:
        on_run("full data")
    full = _signals(await run_prepared(config, inputs))
    cuts = cut_points(inputs, shares)
    changes: list[SignalChange] = []
    compared = 0
    for cut in cuts:
        if on_run is not None:
            on_run(f"data cut at {cut.isoformat()}")
        stamp = cut.isoformat()
        before = [s for s in full if s[0] <= stamp]
        cut_run = _signals(await run_prepared(config, truncated(inputs, cut)))
        without = [s for s in cut_run if s[0] <= stamp]
        compared += len(before)
        changes.extend(_differences(cut, before, without))
    return LookaheadReport(cuts, compared, tuple(changes))


def _signals(result: BacktestResult) -> list[Signal]:
    found = []
    for row in result.signals:
        at, ticker, direction = row["at"], row["ticker"], row["direction"]
        strength, price = row["strength"], row["price"]
        if not isinstance(strength, int | float) or not isinstance(price, int | float):
            raise TypeError(f"a signal row without strength or price: {row}")
        found.append((str(at), str(ticker), str(direction), float(strength), float(price)))
    return found


def _differences(
    cut: datetime, with_future: list[Signal], without_future: list[Signal]
) -> list[SignalChange]:
    keyed_with = _by_moment(with_future)
    keyed_without = _by_moment(without_future)
    changes = []
    for key in sorted(keyed_with.keys() | keyed_without.keys()):
        first, second = keyed_with.get(key, ()), keyed_without.get(key, ())
        if first != second:
            changes.append(
                SignalChange(
                    cut=cut,
                    at=key[0],
                    ticker=key[1],
                    with_future=_describe(first),
                    without_future=_describe(second),
                )
            )
    return changes


def _by_moment(signals: list[Signal]) -> dict[tuple[str, str], tuple[Signal, ...]]:
    """Return the signals by (time, ticker): news and a bar may both signal at one moment."""
    grouped: dict[tuple[str, str], list[Signal]] = {}
    for signal in signals:
        grouped.setdefault((signal[0], signal[1]), []).append(signal)
    return {key: tuple(found) for key, found in grouped.items()}


def _describe(signals: tuple[Signal, ...]) -> str:
    if not signals:
        return "none"
    return "; ".join(f"{s[2]} strength {s[3]:.4f} at {s[4]:g}" for s in signals)
