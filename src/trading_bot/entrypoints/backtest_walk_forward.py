"""Walk-forward optimisation: choose a strategy's parameters on a rolling in-sample window and
score the choice on the out-of-sample window that follows, fold after fold.

Fold ``k`` trains on bars ``[k*test, k*test + train)`` of the run's distinct bar times and
tests on the ``test`` bars after them. Parameters are searched over the grid (every
combination) or, with ``trials``, by optuna's TPE sampler drawing from the grid's values
(seeded by ``BacktestConfig.seed``). Each fold runs in a process of its own.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import JsonValue

from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.backtest import BacktestConfig, BacktestInputs, run_prepared
from trading_bot.entrypoints.backtest_data import from_micros
from trading_bot.entrypoints.event_loop import run_replay

Objective = Literal["sharpe", "total_return", "sortino"]
Params = dict[str, dict[str, JsonValue]]
"""Parameters by strategy: ``{"momentum": {"period": 20}}``."""
Scores = tuple[float | None, float | None]
"""A run's objective and its total return (None when undefined)."""
Scorer = Callable[[Params, "BacktestInputs"], Awaitable[Scores]]
Tried = tuple[Params, float | None, float | None]
GridValue = bool | int | float | str
Grid = dict[str, dict[str, list[GridValue]]]
"""Candidate values by strategy, then parameter: ``{"momentum": {"period": [10, 20]}}``."""


@dataclass(frozen=True, slots=True)
class FoldResult:
    """One fold: its windows, the parameters chosen in sample and both scores."""

    fold: int
    train_start: str
    train_end: str
    test_start: str
    test_end: str
    params: Params
    in_sample: float | None
    out_of_sample: float | None
    in_sample_return: float | None
    out_of_sample_return: float | None
    candidates: int

    def as_json(self) -> dict[str, JsonValue]:
        """Return the fold as JSON values."""
        return {
            "fold": self.fold,
            "train": [self.train_start, self.train_end],
            "test": [self.test_start, self.test_end],
            "params": {k: dict(v) for k, v in self.params.items()},
            "in_sample": self.in_sample,
            "out_of_sample": self.out_of_sample,
            "in_sample_return": self.in_sample_return,
            "out_of_sample_return": self.out_of_sample_return,
            "candidates": self.candidates,
        }


def parse_grid(specs: Sequence[str]) -> Grid:
    """Return the grid of ``strategy.param=v1,v2,...`` specs (values read as JSON numbers,
    booleans or else text).

    Raises:
        ConfigurationError: a spec is not of that form.
    """
    grid: Grid = {}
    for spec in specs:
        name, _, values = spec.partition("=")
        strategy, _, param = name.strip().partition(".")
        if not strategy or not param or not values.strip():
            raise ConfigurationError(
                f"parameter grid {spec!r}: write strategy.param=v1,v2 (momentum.period=10,20)"
            )
        grid.setdefault(strategy, {})[param] = [parse_value(v) for v in values.split(",")]
    return grid


def parse_value(text: str) -> GridValue:
    """Return ``text`` as an int, a float, a boolean or, failing those, the text itself."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(stripped)
        except ValueError:
            continue
    return stripped


def candidates(grid: Grid) -> list[Params]:
    """Return every combination of the grid, in a stable order."""
    axes = [
        (s, p, values) for s, params in sorted(grid.items()) for p, values in sorted(params.items())
    ]
    combos = []
    for choice in itertools.product(*(values for _, _, values in axes)):
        params: Params = {}
        for (strategy, param, _), value in zip(axes, choice, strict=True):
            params.setdefault(strategy, {})[param] = value
        combos.append(params)
    return combos


def fold_windows(
    inputs: BacktestInputs, *, folds: int, train_bars: int, test_bars: int
) -> list[tuple[int, int, int, int]]:
    """Return (train start, train end, test start, test end) bar open times, in microseconds,
    of each fold (ends exclusive).

    Raises:
        ConfigurationError: the data holds fewer distinct bar times than the folds need.
    """
    times = np.unique(inputs.tape.opens_at)
    needed = train_bars + folds * test_bars
    if len(times) < needed:
        raise ConfigurationError(
            f"{folds} folds of {train_bars} training and {test_bars} test bars need {needed} "
            f"bar times; the data has {len(times)}"
        )
    windows = []
    for k in range(folds):
        first = k * test_bars
        split = first + train_bars
        last = split + test_bars
        end = int(times[last]) if last < len(times) else int(times[-1]) + 1
        windows.append((int(times[first]), int(times[split]), int(times[split]), end))
    return windows


def walk_forward(
    config: BacktestConfig,
    inputs: BacktestInputs,
    grid: Grid,
    *,
    folds: int,
    train_bars: int,
    test_bars: int,
    trials: int | None = None,
    objective: Objective = "sharpe",
    workers: int = 1,
    on_fold: Callable[[FoldResult], None] | None = None,
) -> list[FoldResult]:
    """Run every fold (in ``workers`` processes) and return them in order."""
    unknown = sorted(set(grid) - set(config.strategies))
    if unknown:
        raise ConfigurationError(f"the grid names strategies that are not run: {unknown}")
    windows = fold_windows(inputs, folds=folds, train_bars=train_bars, test_bars=test_bars)
    jobs = [
        _FoldJob(k, window, config, _window(inputs, window[0], window[3]), grid, trials, objective)
        for k, window in enumerate(windows)
    ]
    results: list[FoldResult] = []
    if workers <= 1:
        for job in jobs:
            results.append(run_fold(job))
            if on_fold is not None:
                on_fold(results[-1])
        return results
    # "spawn": a forked child would inherit the parent's threads and event loop half-way.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for result in pool.map(run_fold, jobs):
            results.append(result)
            if on_fold is not None:
                on_fold(result)
    return results


@dataclass(frozen=True, slots=True)
class _FoldJob:
    fold: int
    window: tuple[int, int, int, int]
    config: BacktestConfig
    inputs: BacktestInputs
    grid: Grid
    trials: int | None
    objective: Objective


def run_fold(job: _FoldJob) -> FoldResult:
    """Search the fold's training window, then score the best parameters on its test window
    (the entry point of a worker process)."""
    logging.getLogger().setLevel(logging.WARNING)
    return run_replay(_fold(job))


async def _fold(job: _FoldJob) -> FoldResult:
    train_start, train_end, test_start, test_end = job.window
    train = _window(job.inputs, train_start, train_end)
    test = _window(job.inputs, test_start, test_end)

    async def score(params: Params, data: BacktestInputs) -> Scores:
        merged = {name: dict(values) for name, values in job.config.params.items()}
        for name, values in params.items():
            merged.setdefault(name, {}).update(values)
        config = BacktestConfig.model_validate({**job.config.model_dump(), "params": merged})
        metrics = (await run_prepared(config, data)).metrics
        value, total = metrics.get(job.objective), metrics.get("total_return")
        return (
            float(value) if isinstance(value, int | float) else None,
            float(total) if isinstance(total, int | float) else None,
        )

    tried = await _search(job, train, score)
    best = max(tried, key=lambda t: _rank(t[1]))
    out_of_sample, out_return = await score(best[0], test)
    return FoldResult(
        fold=job.fold,
        train_start=from_micros(train_start).isoformat(),
        train_end=from_micros(train_end).isoformat(),
        test_start=from_micros(test_start).isoformat(),
        test_end=from_micros(test_end).isoformat(),
        params=best[0],
        in_sample=best[1],
        out_of_sample=out_of_sample,
        in_sample_return=best[2],
        out_of_sample_return=out_return,
        candidates=len(tried),
    )


async def _search(job: _FoldJob, train: BacktestInputs, score: Scorer) -> list[Tried]:
    tried: list[Tried] = []
    if job.trials is None:
        for params in candidates(job.grid):
            tried.append((params, *await score(params, train)))
        return tried
    import optuna  # noqa: PLC0415 - optional (the backtest extra), needed only with --trials

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=job.config.seed + job.fold)
    )
    for _ in range(job.trials):
        trial = study.ask()
        chosen: Params = {}
        for strategy, values in sorted(job.grid.items()):
            for param, choices in sorted(values.items()):
                chosen.setdefault(strategy, {})[param] = trial.suggest_categorical(
                    f"{strategy}.{param}", choices
                )
        value, total = await score(chosen, train)
        study.tell(trial, _rank(value))
        tried.append((chosen, value, total))
    return tried


def _rank(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else -math.inf


def _window(inputs: BacktestInputs, start: int, end: int) -> BacktestInputs:
    opens = inputs.tape.opens_at
    tape = inputs.tape.select((opens >= start) & (opens < end))
    return BacktestInputs(tape, inputs.news)
