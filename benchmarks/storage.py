"""Storage benchmark: bar ingestion and reads, trade writes, and the dashboard's trade query.

Run ``python -m benchmarks.storage`` (``--help`` for options) from the repository root. Each
figure is measured over several runs on a freshly migrated database and reported as
min / median, on SQLite (a temp file) and on PostgreSQL (a database of its own, dropped after).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core.model import Bar, OrderStatus
from trading_bot.testing.storage import (
    drop_postgres_database,
    migrated_postgres,
    migrated_sqlite,
)
from trading_bot.testing.storage_records import make_execution

T0 = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def bars_for(ticker: str, count: int) -> list[Bar]:
    """Return ``count`` one-minute bars of ``ticker``."""
    return [
        Bar(
            ticker=ticker,
            timestamp=T0 + timedelta(minutes=i),
            open=100.0 + i % 7,
            high=102.0 + i % 7,
            low=99.0 + i % 7,
            close=101.0 + i % 7,
            volume=1_000.0 + i,
        )
        for i in range(count)
    ]


async def timed(action: Callable[[], Awaitable[None]]) -> float:
    """Return the seconds ``action`` took."""
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def measure(url: str, *, runs: int, bars: int, trades: int) -> dict[str, list[float]]:
    """Return, per measurement, one figure per run."""
    database = Database(url)
    repos = SqlRepositories.create(database, SimulatedClock(T0))
    await repos.strategies.seed()
    figures: dict[str, list[float]] = {
        "add_bars (bars/s)": [],
        "read bars (bars/s)": [],
        "trade add+update (ms each)": [],
        "trade query page of 50 (ms)": [],
    }
    try:
        for run in range(runs):
            ticker = f"B{run}"
            batch = bars_for(ticker, bars)
            end = T0 + timedelta(minutes=bars)

            async def add(batch: list[Bar] = batch) -> None:
                await repos.market_data.add_bars(batch)

            async def read(ticker: str = ticker, end: datetime = end) -> None:
                await repos.market_data.bars(ticker, T0, end)

            async def write_trades(run: int = run) -> None:
                for i in range(trades):
                    pending = make_execution(
                        ticker=f"T{run}", executed_at=T0 + timedelta(seconds=i)
                    )
                    await repos.trades.add(pending, strategy="momentum")
                    filled = pending.model_copy(
                        update={
                            "status": OrderStatus.FILLED,
                            "filled_qty": pending.qty,
                            "price": Decimal("187.31"),
                            "realized_pnl": Decimal(i % 5 - 2),
                            "is_exit": True,
                        }
                    )
                    await repos.trades.update(filled)

            async def query() -> None:
                await repos.trades.query(strategy="momentum", profitable=True, limit=50)

            figures["add_bars (bars/s)"].append(bars / await timed(add))
            figures["read bars (bars/s)"].append(bars / await timed(read))
            figures["trade add+update (ms each)"].append(await timed(write_trades) / trades * 1e3)
            figures["trade query page of 50 (ms)"].append(await timed(query) * 1e3)
    finally:
        await database.dispose()
    return figures


def report(backend: str, figures: dict[str, list[float]]) -> None:
    """Print min / median of each measurement."""
    print(f"{backend}:")
    for name, values in figures.items():
        print(f"  {name:30s} min {min(values):10.1f}   median {statistics.median(values):10.1f}")


async def run(args: argparse.Namespace) -> None:
    """Measure each requested backend."""
    if "sqlite" in args.backends:
        with tempfile.TemporaryDirectory() as directory:
            url = await migrated_sqlite(Path(directory))
            report("sqlite", await measure(url, runs=args.runs, bars=args.bars, trades=args.trades))
    if "postgres" in args.backends:
        url = await migrated_postgres(ADMIN_DSN, prefix="tb_bench")
        try:
            figures = await measure(url, runs=args.runs, bars=args.bars, trades=args.trades)
            report("postgres", figures)
        finally:
            await drop_postgres_database(ADMIN_DSN, url)


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--bars", type=int, default=10_000, help="bars per run (default 10000)")
    parser.add_argument("--trades", type=int, default=200, help="trades per run (default 200)")
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
