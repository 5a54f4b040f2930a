"""`trading-bot backtest run` end to end: results.json, trades.csv and a report that opens
offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trading_bot.entrypoints.cli import app
from trading_bot.testing.backtest import FIXTURES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env; relative paths land in tmp_path
    return CliRunner()


def run_command(runner: CliRunner, *options: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["backtest", "run", *options], env={"TRADING_MODE": "demo"})
    return result.exit_code, result.stdout, result.stderr


def test_backtest_run_writes_results_trade_log_and_report(runner: CliRunner) -> None:
    code, out, err = run_command(
        runner,
        "--bars", str(FIXTURES / "bars.csv"),
        "--news", str(FIXTURES / "news.jsonl"),
        "--strategies", "momentum,mean_reversion,news_driven",
        "--weights", "momentum=0.5",
        "--param", "momentum.period=15",
        "--fill", "close",
        "--slippage-bps", "2",
        "--commission-per-share", "0.005",
        "--sizing", "fixed_qty:10",
        "--risk", "stop_loss_pct=0.004,cooldown_minutes=off,daily_loss_limit_pct=off",
        "--learning",
        "--out", "results",
    )  # fmt: skip

    assert code == 0, err
    results = json.loads(Path("results/results.json").read_text(encoding="utf-8"))
    trades = Path("results/trades.csv").read_text(encoding="utf-8").splitlines()
    assert "total return" in out
    assert results["config"]["backtest"]["fill"] == "close"
    assert results["config"]["backtest"]["params"] == {"momentum": {"period": 15}}
    assert results["config"]["risk"]["cooldown_minutes"] == 0
    assert results["config"]["risk"]["daily_loss_limit_pct"] is None
    assert results["metrics"]["trades"] == len(results["trades"]) > 0
    assert {"entry_at", "entry_price", "exit_at", "exit_price"} <= set(results["trades"][0])
    assert results["equity_curve"][0]["timestamp"] == "2024-03-04T14:31:00+00:00"
    assert trades[0].startswith("submitted_at,filled_at,ticker,side,qty")
    assert len(trades) == len(results["fills"]) + 1
    assert all(row.split(",")[4] == "10" for row in trades[1:] if ",BUY," in row)


def test_backtest_report_opens_offline_and_renders(runner: CliRunner) -> None:
    code, _, err = run_command(
        runner, "--bars", str(FIXTURES / "bars.csv"), "--tickers", "NVDA", "--out", "out"
    )
    assert code == 0, err
    report = Path("out/report.html")
    html = report.read_text(encoding="utf-8")

    assert not re.search(r"https?://", html), "the report must fetch nothing"
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.IGNORECASE)
    assert html.count("<svg") >= 2  # the equity and drawdown charts, drawn inline
    assert "Monthly returns" in html
    assert "NVDA" in html
    if CHROMIUM is not None:
        # With every request sent to a dead proxy, only a self-contained page renders.
        dom = subprocess.run(  # noqa: S603 - a fixed browser binary on a file we wrote
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--proxy-server=127.0.0.1:9",
                "--dump-dom",
                report.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "<h1>Backtest report</h1>" in dom
        assert dom.count("<polyline") >= 2


def test_backtest_run_when_the_sizing_is_not_understood_exits_2_naming_it(
    runner: CliRunner,
) -> None:
    code, _, err = run_command(runner, "--bars", "bars.csv", "--sizing", "half:1")

    assert code == 2
    assert "sizing 'half:1' is not understood" in err


def test_backtest_run_when_both_files_and_storage_are_given_exits_2(runner: CliRunner) -> None:
    code, _, err = run_command(runner, "--bars", "bars.csv", "--from-storage")

    assert code == 2
    assert "not both" in err


def test_backtest_run_when_the_bar_file_is_missing_exits_1_and_writes_nothing(
    runner: CliRunner,
) -> None:
    code, _, err = run_command(runner, "--bars", "missing.csv", "--out", "out")

    assert code == 1
    assert "missing.csv" in err
    assert not Path("out").exists()


def test_backtest_run_when_a_risk_limit_cannot_be_switched_off_exits_2(
    runner: CliRunner,
) -> None:
    code, _, err = run_command(runner, "--bars", "bars.csv", "--risk", "max_positions=off")

    assert code == 2
    assert "max_positions cannot be switched off" in err
