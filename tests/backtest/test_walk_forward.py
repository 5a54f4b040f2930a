"""Walk-forward: parameters chosen in sample, scored out of sample, fold after fold."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.backtest import BacktestConfig, load_inputs
from trading_bot.entrypoints.backtest_walk_forward import (
    candidates,
    fold_windows,
    parse_grid,
    walk_forward,
)
from trading_bot.entrypoints.cli import app
from trading_bot.testing.backtest import QUIET_RISK, write_market

GRID = ["momentum.period=10,20"]


@pytest.fixture
def market(tmp_path: Path) -> Path:
    return write_market(tmp_path / "market.csv", ("AAPL",), bars=780, seed=3)


def config(bars: Path) -> BacktestConfig:
    return BacktestConfig(bars=(bars,), strategies=("momentum",), risk=QUIET_RISK, seed=5)


def test_parse_grid_reads_numbers_booleans_and_text() -> None:
    grid = parse_grid(["momentum.period=10,20", "momentum.full_strength_distance=0.01,0.05"])

    assert grid == {"momentum": {"period": [10, 20], "full_strength_distance": [0.01, 0.05]}}
    assert len(candidates(grid)) == 4


def test_parse_grid_when_a_spec_has_no_parameter_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match=r"strategy\.param=v1,v2"):
        parse_grid(["momentum=10,20"])


async def test_fold_windows_roll_the_training_window_by_the_test_length(market: Path) -> None:
    inputs = await load_inputs(config(market))

    windows = fold_windows(inputs, folds=2, train_bars=300, test_bars=200)

    opens = inputs.tape.opens_at

    def bars_in(start: int, end: int) -> int:
        return int(((opens >= start) & (opens < end)).sum())

    (train_a, split_a, test_a, end_a), (train_b, split_b, test_b, end_b) = windows
    assert split_a == test_a
    assert [bars_in(train_a, split_a), bars_in(test_a, end_a)] == [300, 200]
    assert [bars_in(train_b, split_b), bars_in(test_b, end_b)] == [300, 200]
    assert bars_in(train_a, train_b) == 200


async def test_fold_windows_when_the_data_is_too_short_refuse_with_the_count(
    market: Path,
) -> None:
    inputs = await load_inputs(config(market))

    with pytest.raises(ConfigurationError, match="need 1300 bar times; the data has 780"):
        fold_windows(inputs, folds=2, train_bars=900, test_bars=200)


def test_walk_forward_picks_the_best_in_sample_and_scores_it_out_of_sample(
    market: Path,
) -> None:
    chosen = config(market)
    inputs = asyncio.run(load_inputs(chosen))

    folds = walk_forward(
        chosen, inputs, parse_grid(GRID), folds=2, train_bars=300, test_bars=200,
        objective="total_return",
    )  # fmt: skip

    assert [fold.fold for fold in folds] == [0, 1]
    assert all(fold.candidates == 2 for fold in folds)
    assert all(fold.params["momentum"]["period"] in {10, 20} for fold in folds)
    assert all(fold.in_sample is not None and fold.out_of_sample is not None for fold in folds)
    assert folds[0].test_start == folds[0].train_end
    assert folds[1].train_start < folds[0].test_end


def test_walk_forward_with_trials_searches_with_optuna_reproducibly(market: Path) -> None:
    chosen = config(market)
    inputs = asyncio.run(load_inputs(chosen))
    grid = parse_grid(GRID)

    first = walk_forward(chosen, inputs, grid, folds=1, train_bars=300, test_bars=200, trials=3)
    again = walk_forward(chosen, inputs, grid, folds=1, train_bars=300, test_bars=200, trials=3)

    assert first == again
    assert first[0].candidates == 3


def test_walk_forward_command_runs_folds_in_processes_and_writes_json(
    market: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(
        app,
        [
            "backtest", "walk-forward", "--bars", str(market), "--strategy", "momentum",
            "--param-grid", GRID[0], "--folds", "2", "--train-bars", "300",
            "--test-bars", "200", "--workers", "2", "--risk", "stop_loss_pct=off",
            "--out", "wf",
        ],
        env={"TRADING_MODE": "demo"},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json.loads(Path("wf/walk_forward.json").read_text(encoding="utf-8"))
    assert [fold["fold"] for fold in document["folds"]] == [0, 1]
    assert document["search"] == "grid"
    assert all(isinstance(fold["out_of_sample"], float) for fold in document["folds"])
    assert "fold 1 done" in result.stdout
