"""The golden backtest: a committed dataset whose results are committed too, byte for byte.

The dataset (tests/fixtures/backtest) is two NYSE sessions of three tickers with two malformed
bar rows, and a news file with two malformed lines. When a change of behaviour is intended,
regenerate the expected files with ``TB_UPDATE_GOLDEN=1 pytest tests/backtest/test_golden.py``
and review their diff like code.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from trading_bot.entrypoints.backtest import BacktestConfig, BacktestResult, run_backtest
from trading_bot.entrypoints.event_loop import run_replay
from trading_bot.testing.backtest import FIXTURES

EXPECTED_RESULTS = FIXTURES / "expected_results.json"
EXPECTED_TRADES = FIXTURES / "expected_trades.csv"
EXPECTED_SIGNALS = FIXTURES / "expected_signals.csv"


def golden_config(**changes: Any) -> BacktestConfig:
    """Return the golden run: all three strategies, tight stops and targets, learning on."""
    values: dict[str, Any] = {
        "bars": (Path("tests/fixtures/backtest/bars.csv"),),
        "news": Path("tests/fixtures/backtest/news.jsonl"),
        "commission_per_share": "0.005",
        "learning": True,
        "learning_rules": {"min_trades": 3},
        "risk": {"cooldown_minutes": 5, "stop_loss_pct": "0.004", "take_profit_pct": "0.006"},
    }
    return BacktestConfig.model_validate({**values, **changes})


def comparable(result: BacktestResult) -> dict[str, Any]:
    """Return the results without the echo of the component configs (whose new fields, added
    by later features, would change the file without changing a decision) and without the
    signals (compared as ``signal_lines``, one per line, so a diff can be read)."""
    document: dict[str, Any] = json.loads(result.to_json())
    document["config"] = {"backtest": document["config"]["backtest"]}
    del document["signals"]
    return document


def signal_lines(result: BacktestResult) -> str:
    """Return every signal as a CSV line: time, ticker, direction, strength, outcome."""
    rows = ["at,ticker,direction,strength,price,sentiment,outcome,sources"]
    for s in result.signals:
        sources = s["sources"] if isinstance(s["sources"], dict) else {}
        rows.append(
            f"{s['at']},{s['ticker']},{s['direction']},{s['strength']!r},{s['price']!r},"
            f"{s['sentiment']!r},{s['outcome']},{'|'.join(sorted(sources))}"
        )
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def golden() -> BacktestResult:
    return asyncio.run(run_backtest(golden_config()))


async def test_golden_backtest_when_run_matches_the_committed_results(
    golden: BacktestResult,
) -> None:
    if os.environ.get("TB_UPDATE_GOLDEN") == "1":
        document = json.dumps(comparable(golden), sort_keys=True, indent=1) + "\n"
        EXPECTED_RESULTS.write_text(document, encoding="utf-8")
        EXPECTED_TRADES.write_text(golden.trade_log_csv(), encoding="utf-8")
        EXPECTED_SIGNALS.write_text(signal_lines(golden), encoding="utf-8")

    expected = json.loads(EXPECTED_RESULTS.read_text(encoding="utf-8"))

    actual = comparable(golden)
    assert actual["metrics"] == expected["metrics"]
    assert actual["trades"] == expected["trades"]
    assert actual["open_positions"] == expected["open_positions"]
    assert actual["weight_history"] == expected["weight_history"]
    assert actual == expected
    assert golden.trade_log_csv() == EXPECTED_TRADES.read_text(encoding="utf-8")
    assert signal_lines(golden) == EXPECTED_SIGNALS.read_text(encoding="utf-8")


async def test_golden_backtest_exercises_stops_targets_news_learning_and_an_open_end(
    golden: BacktestResult,
) -> None:
    reasons = {trade["exit_reason"] for trade in golden.trades}
    news_signals = [
        s
        for s in golden.signals
        if isinstance(s["sources"], dict) and "news_driven" in s["sources"]
    ]

    assert {"stop_loss", "take_profit"} <= reasons
    assert news_signals
    assert golden.weight_history
    assert golden.open_positions, "a position open at the end is reported, not closed"
    assert golden.metrics["open_positions"] == len(golden.open_positions)


async def test_golden_backtest_reports_the_malformed_rows_and_lines_it_left_out(
    golden: BacktestResult,
) -> None:
    skipped = golden.data["skipped_rows"]
    news = golden.data["news"]

    assert isinstance(skipped, dict)
    assert isinstance(news, dict)
    assert skipped["by_reason"] == {
        "a price is zero or negative": 1,
        "volume is missing, negative or infinite": 1,
    }
    assert skipped["examples"] == [
        "tests/fixtures/backtest/bars.csv: line 201: a price is zero or negative",
        "tests/fixtures/backtest/bars.csv: line 901: volume is missing, negative or infinite",
    ]
    assert golden.data["bars"] == 2_340  # every good row of the 2,342
    assert len(news["skipped_lines"]) == 2  # type: ignore[arg-type]  # a list of lines
    assert news["articles"] == 7


async def test_backtest_when_run_twice_gives_identical_results_and_trade_log(
    golden: BacktestResult,
) -> None:
    again = await run_backtest(golden_config())

    assert again.to_json() == golden.to_json()
    assert again.trade_log_csv() == golden.trade_log_csv()


async def test_backtest_on_the_sql_repositories_decides_exactly_as_in_memory() -> None:
    """The in-memory repositories stand in for storage on the hot path; the same run over the
    real SQL repositories (on a throwaway SQLite file) must give the same results."""
    day = {"end": "2024-03-04T18:30:00+00:00", "tickers": ("NVDA",)}
    in_memory = await run_backtest(golden_config(**day))

    on_sqlite = await run_backtest(golden_config(**day, storage="sqlite"))

    expected = comparable(in_memory)
    actual = comparable(on_sqlite)
    expected["config"]["backtest"].pop("storage")
    actual["config"]["backtest"].pop("storage")
    assert in_memory.trades, "the day must trade for the comparison to mean something"
    assert actual == expected
    assert on_sqlite.trade_log_csv() == in_memory.trade_log_csv()


def test_backtest_replayed_on_uvloop_gives_the_same_bytes_as_on_asyncio_loop(
    golden: BacktestResult,
) -> None:
    """``trading-bot backtest run`` replays on uvloop (``run_replay``); the golden run above
    is on asyncio's own loop."""
    on_uvloop = run_replay(run_backtest(golden_config()))

    assert on_uvloop.to_json() == golden.to_json()
    assert on_uvloop.trade_log_csv() == golden.trade_log_csv()
