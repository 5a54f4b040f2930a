"""Market data benchmark: generating the synthetic market and replaying bar files.

Run ``python -m benchmarks.market_data`` (``--help`` for options) from the repository root. Each
figure is measured over several runs and reported as min / median bars per second (the minimum
is the slowest run). Replays run on a simulated clock as fast as possible, from reading the file
to the last bar yielded.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import structlog

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.market_data.frames import write_csv, write_parquet
from trading_bot.adapters.market_data.replay import ReplayFeed
from trading_bot.adapters.market_data.synthetic import generate_bars, generate_frame

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
TICKERS = ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN")


def generation_rate(bars_per_ticker: int, seed: int, *, as_bars: bool) -> float:
    """Return synthetic bars generated per second, as ``Bar`` objects or as a frame."""
    started = time.perf_counter()
    if as_bars:
        generate_bars(TICKERS, T0, bars_per_ticker, seed)
    else:
        generate_frame(TICKERS, T0, bars_per_ticker, seed)
    return bars_per_ticker * len(TICKERS) / (time.perf_counter() - started)


async def replay_rate(path: Path, total: int) -> float:
    """Return bars per second replayed from ``path`` on a simulated clock."""
    started = time.perf_counter()
    count = 0
    async for _ in ReplayFeed(path, SimulatedClock(T0)).bars():
        count += 1
    if count != total:
        raise RuntimeError(f"replayed {count} bars, expected {total}")
    return count / (time.perf_counter() - started)


def report(name: str, values: list[float]) -> None:
    """Print min / median of ``values``."""
    print(f"{name}: min {min(values):,.0f} bars/s, median {statistics.median(values):,.0f} bars/s")


def main() -> None:
    """Run every measurement ``--runs`` times and print min / median."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bars", type=int, default=19_500, help="bars per ticker (5 tickers)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    total = args.bars * len(TICKERS)

    frames = [generation_rate(args.bars, seed, as_bars=False) for seed in range(args.runs)]
    objects = [generation_rate(args.bars, seed, as_bars=True) for seed in range(args.runs)]
    with tempfile.TemporaryDirectory() as folder:
        bars = generate_bars(TICKERS, T0, args.bars, seed=1)
        csv_path = write_csv(bars, Path(folder) / "bars.csv")
        parquet_path = write_parquet(bars, Path(folder) / "bars.parquet")
        csv = [asyncio.run(replay_rate(csv_path, total)) for _ in range(args.runs)]
        parquet = [asyncio.run(replay_rate(parquet_path, total)) for _ in range(args.runs)]
    report(f"synthetic generate_frame ({total:,} bars)", frames)
    report(f"synthetic generate_bars ({total:,} bars)", objects)
    report(f"replay CSV ({total:,} bars)", csv)
    report(f"replay Parquet ({total:,} bars)", parquet)


if __name__ == "__main__":
    main()
