"""`trading-bot data import` and `data download`: history into storage, idempotent and
resumable; then `backtest run --from-storage` on it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.entrypoints.api.backtests import EntrypointBacktestRunner
from trading_bot.entrypoints.api.schemas.backtest import BacktestRequest
from trading_bot.entrypoints.backtest_history import DownloadRequest, download, open_history
from trading_bot.entrypoints.cli import app
from trading_bot.entrypoints.settings import AlpacaSettings, Settings, StorageSettings
from trading_bot.testing.alpaca_news_server import AlpacaNewsItem, AlpacaNewsServer
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.backtest import FIXTURES, write_market
from trading_bot.testing.storage import sqlite_url

MARCH_4 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


def invoke(database: Path, *arguments: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        list(arguments),
        env={
            "TRADING_MODE": "demo",
            "TRADING_STORAGE__URL": sqlite_url(database),
            "COLUMNS": "200",
            **env,
        },
    )
    return result.exit_code, result.stdout, result.stderr


async def stored_bars(database: Path, ticker: str) -> int:
    db = Database(sqlite_url(database))
    try:
        repos = SqlRepositories.create(db, SimulatedClock(MARCH_4))
        found = await repos.market_data.bars(
            ticker, datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
        )
        return len(found)
    finally:
        await db.dispose()


def test_data_import_stores_bars_and_scored_news_once_and_lists_what_it_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "history.db"
    files = [str(FIXTURES / "bars.csv"), str(FIXTURES / "news.jsonl")]

    code, first, err = invoke(database, "data", "import", *files)
    again_code, again, _ = invoke(database, "data", "import", *files)

    assert code == 0, err
    assert "bars: 2340 new of 2340 read; articles: 8 new of 8 read" in first
    assert "line 201: a price is zero or negative" in first
    assert "line 6:" in first  # the malformed news line
    assert again_code == 0
    assert "bars: 0 new of 2340 read; articles: 0 new of 8 read" in again
    assert asyncio.run(stored_bars(database, "NVDA")) == 780


def test_data_import_when_a_file_is_not_bars_or_news_exits_1_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")

    code, _, err = invoke(tmp_path / "history.db", "data", "import", str(notes))

    assert code == 1
    assert "import takes .csv or .parquet bars and .jsonl news" in err


def test_backtest_from_storage_after_import_decides_as_from_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "history.db"
    invoke(database, "data", "import", str(FIXTURES / "bars.csv"), str(FIXTURES / "news.jsonl"))
    common = ["--risk", "stop_loss_pct=0.004,cooldown_minutes=0", "--tickers", "AAPL,MSFT,NVDA"]

    stored = invoke(
        database, "backtest", "run", "--from-storage", "--start", "2024-03-04",
        "--end", "2024-03-06", *common, "--out", "stored",
    )  # fmt: skip
    files = invoke(
        database, "backtest", "run", "--bars", str(FIXTURES / "bars.csv"),
        "--news", str(FIXTURES / "news.jsonl"), *common, "--out", "files",
    )  # fmt: skip

    assert stored[0] == files[0] == 0, stored[2] + files[2]
    from_storage = json.loads(Path("stored/results.json").read_text(encoding="utf-8"))
    from_files = json.loads(Path("files/results.json").read_text(encoding="utf-8"))
    assert from_storage["trades"] == from_files["trades"]
    assert from_storage["metrics"] == from_files["metrics"]
    assert from_storage["data"]["news"]["released"] == from_files["data"]["news"]["released"]


@pytest.fixture
def alpaca(tmp_path: Path) -> LocalAlpacaServer:
    frame = tmp_path / "market.csv"
    write_market(frame, ("AAPL", "MSFT"), bars=390 * 8, start=MARCH_4)
    import pandas as pd  # noqa: PLC0415 - only this fixture reads the frame back

    from trading_bot.entrypoints.backtest_bar_files import tape_from_frame  # noqa: PLC0415

    bars = list(tape_from_frame(pd.read_csv(frame, dtype=str), source="market").bars())
    server = LocalAlpacaServer(bars_page_size=500).start()
    server.add_bars(bars)
    return server


def test_data_download_stores_every_page_and_a_second_run_requests_nothing(
    tmp_path: Path, alpaca: LocalAlpacaServer
) -> None:
    database = tmp_path / "history.db"
    keys = {
        "TRADING_ALPACA__API_KEY": alpaca.api_key,
        "TRADING_ALPACA__SECRET_KEY": alpaca.secret_key,
        "TRADING_ALPACA__DATA_URL": alpaca.url,
    }
    command = [
        "data", "download", "--tickers", "AAPL,MSFT", "--start", "2024-03-04",
        "--end", "2024-03-15", "--no-news",
    ]  # fmt: skip
    try:
        code, out, err = invoke(database, *command, **keys)
        requests_after_first = len(alpaca.requests)
        again_code, again, _ = invoke(database, *command, **keys)
    finally:
        alpaca.stop()

    assert code == 0, err
    assert "bars: 6240 new of 6240 read" in out  # 8 sessions x 390 bars x 2 tickers
    assert requests_after_first > 4, "several pages per window"
    assert again_code == 0
    assert "bars: 0 new of 0 read" in again
    assert "4 windows already downloaded" in again
    assert len(alpaca.requests) == requests_after_first
    assert asyncio.run(stored_bars(database, "MSFT")) == 3_120


def test_data_download_when_alpaca_fails_exits_1_and_the_next_run_completes(
    tmp_path: Path, alpaca: LocalAlpacaServer
) -> None:
    database = tmp_path / "history.db"
    keys = {
        "TRADING_ALPACA__API_KEY": alpaca.api_key,
        "TRADING_ALPACA__SECRET_KEY": alpaca.secret_key,
        "TRADING_ALPACA__DATA_URL": alpaca.url,
    }
    command = [
        "data", "download", "--tickers", "AAPL", "--start", "2024-03-04",
        "--end", "2024-03-15", "--no-news",
    ]  # fmt: skip
    try:
        alpaca.fail_next(status=500)
        failed, _, failed_err = invoke(database, *command, **keys)
        code, _, err = invoke(database, *command, **keys)
    finally:
        alpaca.stop()

    assert failed == 1
    assert "run the command again to resume" in failed_err
    assert code == 0, err
    assert asyncio.run(stored_bars(database, "AAPL")) == 3_120


async def test_download_stores_alpaca_news_scored_and_resumes_by_day(tmp_path: Path) -> None:
    news = AlpacaNewsServer(page_size=2)
    for index, day in enumerate((4, 4, 5, 6, 6)):
        news.add_news(
            AlpacaNewsItem(
                id=index + 1,
                headline=f"Apple (AAPL) soars after record profit, day {day} item {index}",
                created_at=datetime(2024, 3, day, 15, index, tzinfo=UTC),
                symbols=("AAPL",),
                url=f"https://news.example.com/alpaca/{index}",
            )
        )
    settings = Settings.model_construct(
        storage=StorageSettings(url=sqlite_url(tmp_path / "history.db")),
        alpaca=AlpacaSettings.model_validate(
            {"api_key": news.api_key, "secret_key": news.secret_key}
        ),
    )
    async with news:
        request = DownloadRequest(
            ("AAPL",),
            datetime(2024, 3, 4, tzinfo=UTC),
            datetime(2024, 3, 7, tzinfo=UTC),
            bars=False,
            news_url=news.rest_url,
        )
        history, database = await open_history(settings)
        try:
            first = await download(request, history, settings)
            second = await download(request, history, settings)
            stored = await history.articles.query(ticker="AAPL", limit=50)
        finally:
            await database.dispose()

    assert first.articles_new == 5
    assert second.articles_read == 0
    assert second.windows_skipped >= 3
    assert stored.total == 5
    assert all(item.score > 0 and item.tickers[0].ticker == "AAPL" for item in stored.items)
    assert {item.model_used for item in stored.items} == {"lexicon-lm"}


def test_api_backtest_runner_runs_the_backtester_on_the_stored_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "history.db"
    invoke(database, "data", "import", str(FIXTURES / "bars.csv"), str(FIXTURES / "news.jsonl"))
    request = BacktestRequest(
        start=datetime(2024, 3, 4, tzinfo=UTC),
        end=datetime(2024, 3, 6, tzinfo=UTC),
        tickers=["NVDA"],
        strategies={"momentum": 0.5, "news_driven": 0.5},
        parameters={"momentum": {"period": 15}},
    )
    seen: list[float] = []

    report = EntrypointBacktestRunner(sqlite_url(database)).run(request, seen.append)

    assert report.metrics["start"] == "2024-03-04T14:30:00+00:00"
    assert report.equity_curve
    assert report.metrics["trades"] == len(report.trades)
    assert seen[-1] == 1.0
