"""History into storage, for backtests from storage: bar and news files imported, and Alpaca's
historical bars and news downloaded.

Both are idempotent: a bar already stored (same ticker, time and interval) or an article
already scored by the same model is left as it is. A download works through fixed windows of
time and records each finished window in the key-value store (``download:<kind>:<ticker>:
<start>``), so an interrupted download resumes with the first window it did not finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests
from alpaca.common.exceptions import APIError
from alpaca.data.enums import DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.models.bars import BarSet
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from pydantic import ValidationError

from trading_bot.adapters.clocks import SimulatedClock, WallClock
from trading_bot.adapters.news.alpaca_news import AlpacaNewsConfig, AlpacaNewsSource
from trading_bot.adapters.news.replay import load_replay_file
from trading_bot.adapters.storage import Database, SqlRepositories, upgrade_database
from trading_bot.core.errors import ConfigurationError, DataError, TemporaryError
from trading_bot.core.model import Bar, RawArticle
from trading_bot.core.ports import ArticleRepository, KeyValueStore, MarketDataRepository
from trading_bot.entrypoints.backtest_bar_files import load_bar_files
from trading_bot.entrypoints.backtest_bus import CountingMetrics
from trading_bot.entrypoints.backtest_news import score_articles
from trading_bot.entrypoints.settings import Settings

BAR_BATCH = 5_000
"""Bars written to storage per transaction."""
BARS_WINDOW = timedelta(days=7)
"""The span of one bar download request (alpaca-py follows its pages to the end)."""
NEWS_WINDOW = timedelta(days=1)

Progress = Callable[[str, float], None]
"""Told what is being done and the share of it done, in [0, 1]."""


@dataclass(slots=True)
class ImportReport:
    """What an import or a download stored, and what it left out."""

    bars_read: int = 0
    bars_new: int = 0
    articles_read: int = 0
    articles_new: int = 0
    windows_skipped: int = 0
    """Download windows a previous run had finished."""
    skipped: list[str] = field(default_factory=list)
    """Rows or lines left out, with their reason."""


@dataclass(frozen=True, slots=True)
class StoredHistory:
    """The repositories history is written to."""

    market_data: MarketDataRepository
    articles: ArticleRepository
    state: KeyValueStore


async def open_history(settings: Settings) -> tuple[StoredHistory, Database]:
    """Open the configured database (an embedded SQLite one is created and migrated first)."""
    url = settings.storage.url
    if url.startswith("sqlite"):
        await upgrade_database(url)
    database = Database(url)
    # Stored history carries its own times; the clock only stamps when articles were fetched.
    repos = SqlRepositories.create(database, WallClock())
    return StoredHistory(repos.market_data, repos.articles, repos.key_value), database


async def import_files(
    paths: Sequence[Path],
    history: StoredHistory,
    settings: Settings,
    *,
    news_latency_seconds: float = 60.0,
    progress: Progress | None = None,
) -> ImportReport:
    """Store bar files (CSV, Parquet) and news files (JSONL, scored by the configured analyzer).

    Raises:
        DataError: a file that is neither, or cannot be read; nothing of it is stored.
    """
    report = ImportReport()
    for path in paths:
        suffix = "".join(path.suffixes).lower()
        if suffix.endswith(".jsonl"):
            await _import_news(path, history, settings, news_latency_seconds, report)
        elif suffix.endswith((".csv", ".parquet", ".pq")):
            await _import_bars(path, history, report, progress)
        else:
            raise DataError(f"{path}: import takes .csv or .parquet bars and .jsonl news")
    return report


async def _import_bars(
    path: Path, history: StoredHistory, report: ImportReport, progress: Progress | None
) -> None:
    tape = await asyncio.to_thread(load_bar_files, [path])
    report.skipped.extend(tape.skipped.examples)
    if tape.skipped.total > len(tape.skipped.examples):
        report.skipped.append(f"{path}: {tape.skipped.total} rows left out in all")
    batch: list[Bar] = []
    for bar in tape.bars():
        batch.append(bar)
        if len(batch) >= BAR_BATCH:
            await _store_bars(batch, history, report)
            if progress is not None:
                progress(f"bars from {path.name}", report.bars_read / len(tape))
            batch = []
    await _store_bars(batch, history, report)


async def _store_bars(batch: list[Bar], history: StoredHistory, report: ImportReport) -> None:
    if batch:
        report.bars_read += len(batch)
        report.bars_new += await history.market_data.add_bars(batch)


async def _import_news(
    path: Path, history: StoredHistory, settings: Settings, latency: float, report: ImportReport
) -> None:
    replay = load_replay_file(path, latency_seconds=latency)
    report.skipped.extend(f"{path}: line {s.line_number}: {s.reason}" for s in replay.skipped)
    await _store_articles(list(replay.articles), history, settings, report)


async def _store_articles(
    articles: list[RawArticle], history: StoredHistory, settings: Settings, report: ImportReport
) -> None:
    unseen = set(await history.articles.filter_unseen([a.article_id for a in articles]))
    fresh = [a for a in articles if a.article_id in unseen]
    report.articles_read += len(articles)
    for scored in await score_articles(fresh, metrics=CountingMetrics(), settings=settings):
        if await history.articles.add_scored(scored):
            report.articles_new += 1


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """What to download: tickers over [start, end), bars of ``timeframe_minutes``."""

    tickers: tuple[str, ...]
    start: datetime
    end: datetime
    timeframe_minutes: int = 1
    bars: bool = True
    news: bool = True
    news_url: str | None = None
    """Base URL of the news API (default: the settings' Alpaca data URL, Alpaca's own)."""


async def download(
    request: DownloadRequest,
    history: StoredHistory,
    settings: Settings,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Download Alpaca's historical bars (and news) into storage, resuming a previous run.

    Raises:
        ConfigurationError: no Alpaca keys, or Alpaca refused them.
        TemporaryError: Alpaca could not be reached; the windows stored so far stay stored.
    """
    alpaca = settings.alpaca
    if alpaca.api_key is None or alpaca.secret_key is None:
        raise ConfigurationError(
            "TRADING_ALPACA__API_KEY and TRADING_ALPACA__SECRET_KEY are needed to download"
        )
    if request.end <= request.start:
        raise ConfigurationError("--end must come after --start")
    client = StockHistoricalDataClient(
        alpaca.api_key.get_secret_value(),
        alpaca.secret_key.get_secret_value(),
        url_override=alpaca.data_url,
    )
    report = ImportReport()
    windows = list(_windows(request.start, request.end, BARS_WINDOW)) if request.bars else []
    total = len(windows) * len(request.tickers)
    done = 0
    for ticker in request.tickers:
        for start, end in windows:
            key = f"download:bars{request.timeframe_minutes}m:{ticker}:{start.isoformat()}"
            if await history.state.get(key) == "done":
                report.windows_skipped += 1
            else:
                bars = await _fetch_bars(
                    client, ticker, start=start, end=end, request=request, feed=alpaca.feed
                )
                await _store_bars(bars, history, report)
                await history.state.set(key, "done")
            done += 1
            if progress is not None:
                progress(f"bars {ticker}", done / total)
    if request.news:
        await _download_news(request, history, settings, report, progress)
    return report


async def _download_news(
    request: DownloadRequest,
    history: StoredHistory,
    settings: Settings,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    alpaca = settings.alpaca
    source = AlpacaNewsSource(
        AlpacaNewsConfig(
            api_key=alpaca.api_key,
            secret_key=alpaca.secret_key,
            symbols=request.tickers,
            rest_url=request.news_url or alpaca.data_url,
        ),
        SimulatedClock(request.start),
    )
    windows = list(_windows(request.start, request.end, NEWS_WINDOW))
    try:
        for index, (start, end) in enumerate(windows):
            key = f"download:news:{','.join(request.tickers)}:{start.isoformat()}"
            if await history.state.get(key) == "done":
                report.windows_skipped += 1
                continue
            articles = [a async for a in _history(source, start, end, request.tickers)]
            await _store_articles(articles, history, settings, report)
            await history.state.set(key, "done")
            if progress is not None:
                progress("news", (index + 1) / len(windows))
    finally:
        await source.aclose()


async def _history(
    source: AlpacaNewsSource, start: datetime, end: datetime, tickers: tuple[str, ...]
) -> AsyncIterator[RawArticle]:
    # Windows are half-open: an article at a window's end belongs to the next one.
    async for article in source.history(start, end, tickers):
        if article.published_at < end:
            yield article


async def _fetch_bars(
    client: StockHistoricalDataClient,
    ticker: str,
    *,
    start: datetime,
    end: datetime,
    request: DownloadRequest,
    feed: str,
) -> list[Bar]:
    query = StockBarsRequest(
        symbol_or_symbols=ticker,
        timeframe=TimeFrame(request.timeframe_minutes, TimeFrameUnit.Minute),
        start=start,
        end=end,
        feed=DataFeed(feed),
    )
    try:
        result = await asyncio.to_thread(client.get_stock_bars, query)
    except APIError as exc:
        status = exc.status_code
        if status in {401, 403}:
            raise ConfigurationError(f"Alpaca refused the API keys (HTTP {status})") from exc
        if status is None or status == 429 or status >= 500:
            raise TemporaryError(f"Alpaca market data unavailable (HTTP {status})") from exc
        raise DataError(f"Alpaca refused the bar request (HTTP {status}): {exc}") from exc
    except requests.RequestException as exc:
        raise TemporaryError(f"Alpaca market data unreachable: {exc}") from exc
    if not isinstance(result, BarSet):
        raise DataError("Alpaca answered with raw data where bars were expected")
    interval = request.timeframe_minutes * 60
    bars = []
    for item in result.data.get(ticker, []):
        if not start <= item.timestamp < end:
            continue  # windows are half-open; the API's end is inclusive
        try:
            bars.append(
                Bar(
                    ticker=ticker,
                    timestamp=item.timestamp,
                    open=item.open,
                    high=item.high,
                    low=item.low,
                    close=item.close,
                    volume=item.volume,
                    interval_seconds=interval,
                )
            )
        except ValidationError as exc:
            raise DataError(
                f"Alpaca sent an invalid {ticker} bar at {item.timestamp}: {exc}"
            ) from exc
    return bars


def _windows(start: datetime, end: datetime, size: timedelta) -> list[tuple[datetime, datetime]]:
    windows = []
    cursor = start
    while cursor < end:
        windows.append((cursor, min(end, cursor + size)))
        cursor += size
    return windows
