"""Backtest throughput and memory, against backtrader on the same data.

Run: ``.venv/bin/python -m benchmarks.backtest [--runs R] [--bt-runs B] [--scale S]``
(defaults: 2 runs of each of our default-configuration cases, 1 of backtrader and of its
equivalent: about 15 minutes on 2 cores; ``--scale 20`` divides the data by 20).

Datasets (seeded synthetic one-minute bars during NYSE sessions, written once as Parquet):
1 ticker x 1,000,000 bars and 20 tickers x 100,000 bars (``--scale`` divides both). Cases:

- ``ours:momentum`` and ``ours:all``: ``run_backtest`` through the full decision path (the
  signal-generator's strategies and ensemble, the executor's risk manager and order flow, the
  simulated broker, the learning engine) with the momentum strategy alone, or all three, on the
  default configuration (ensemble threshold 0.3, default risk limits, 2 % of equity a trade);
- ``ours:equivalent``: the momentum strategy set up to trade as the backtrader one does
  (every cross is a signal: threshold 1e-9; 100 shares a trade; no stop, cooldown, daily loss
  limit or market-hours gate; no slippage);
- ``backtrader``: the equivalent momentum strategy in backtrader (close crosses its SMA(20)
  with volume above its 20-bar mean -> buy 100; crosses below -> close), next-open fills and
  the same commission per share.

Each case runs in a fresh process; its peak resident memory is that process's ``ru_maxrss``.
Bars per second count the replay alone (for ours: from the first bar to the last, without
loading the file or computing the results; for backtrader: ``cerebro.run``, which loads its
lines from the frame first). ``ours:momentum`` and backtrader are set up to take the same
trades; the first trades of both are compared.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

COMMISSION_PER_SHARE = 0.005
SIZE = 100
START = datetime(2010, 1, 4, 14, 30, tzinfo=UTC)
DATASETS = {"1x1000000": (1, 1_000_000), "20x100000": (20, 100_000)}
COMPARED_TRADES = 10
TICKERS = [
    "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOG", "META", "NFLX", "AMD", "INTC",
    "ORCL", "IBM", "CSCO", "ADBE", "CRM", "QCOM", "TXN", "AVGO", "MU", "PYPL",
]  # fmt: skip


def equivalent_risk() -> dict[str, Any]:
    """Risk settings under which the executor trades as the backtrader strategy does."""
    return {
        "stop_loss_pct": "off",
        "cooldown_minutes": "off",
        "daily_loss_limit_pct": "off",
        "enforce_market_hours": "false",
        "max_position_pct": "1",
        "max_total_exposure_pct": "1",
        "max_positions": 1_000,
    }


def make_data(directory: Path, scale: int) -> dict[str, Path]:
    """Write each dataset once as Parquet; return the files by dataset name."""
    from trading_bot.adapters.market_data.synthetic import generate_frame  # noqa: PLC0415
    from trading_bot.core.calendar import NyseCalendar  # noqa: PLC0415

    files = {}
    for name, (tickers, bars) in DATASETS.items():
        path = directory / f"{name}.parquet"
        frame = generate_frame(TICKERS[:tickers], START, bars // scale, 42, hours=NyseCalendar())
        frame.to_parquet(path, index=False)
        files[name] = path
    return files


async def _ours(path: Path, strategies: Sequence[str], *, equivalent: bool) -> dict[str, Any]:
    from trading_bot.entrypoints.logging import configure_logging  # noqa: PLC0415
    from trading_bot.entrypoints.settings import LogSettings  # noqa: PLC0415

    # What ``trading-bot backtest run`` sets up without --verbose.
    configure_logging(LogSettings(level="ERROR"), service="backtest")
    from trading_bot.entrypoints.backtest import (  # noqa: PLC0415
        BacktestConfig,
        load_inputs,
        run_prepared,
    )

    values: dict[str, Any] = {
        "bars": (path,),
        "strategies": tuple(strategies),
        "commission_per_share": COMMISSION_PER_SHARE,
    }
    if equivalent:
        values.update(
            threshold=1e-9,  # every cross is a signal, as in backtrader
            capital=10_000_000,
            slippage_bps=0,
            sizing=f"fixed_qty:{SIZE}",
            risk=equivalent_risk(),
        )
    config = BacktestConfig.model_validate(values)
    began = time.perf_counter()
    inputs = await load_inputs(config)
    loaded = time.perf_counter()
    marks: list[float] = []

    def progress(done: float) -> None:
        if not marks or done >= 1.0:
            marks.append(time.perf_counter())

    result = await run_prepared(config, inputs, progress)
    finished = time.perf_counter()
    bars = len(inputs.tape)
    trades = sorted(
        (str(f["filled_at"]), str(f["ticker"]), str(f["side"]), float(str(f["price"])))
        for f in result.fills
        if f["status"] == "FILLED"
    )
    return {
        "bars": bars,
        "load_seconds": loaded - began,
        "replay_seconds": marks[-1] - marks[0],
        "total_seconds": finished - loaded,
        "replayed_bars": bars - 4_096,  # the first progress report comes after 4,096 bars
        "fills": len(trades),
        "first_trades": trades[:COMPARED_TRADES],
        "signals": result.metrics["signals"],
    }


def _backtrader(path: Path) -> dict[str, Any]:
    import backtrader as bt  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    frame = pd.read_parquet(path)
    fills: list[tuple[str, str, str, float]] = []

    class Momentum(bt.Strategy):  # type: ignore[misc]  # backtrader ships no types
        def __init__(self) -> None:
            self.sma = bt.ind.SMA(self.data.close, period=20)
            self.volume_mean = bt.ind.SMA(self.data.volume, period=20)
            self.cross = bt.ind.CrossOver(self.data.close, self.sma)

        def next(self) -> None:
            if not self.getposition(self.data).size:
                if self.cross[0] > 0 and self.data.volume[0] > self.volume_mean[0]:
                    self.buy(data=self.data, size=SIZE)
            elif self.cross[0] < 0:
                self.close(data=self.data)

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed:
                at = bt.num2date(order.executed.dt).replace(tzinfo=UTC).isoformat()
                side = "BUY" if order.isbuy() else "SELL"
                ticker = order.data._name
                fills.append((at, ticker, side, round(order.executed.price, 4)))

    cerebro = bt.Cerebro(stdstats=False)
    for ticker, rows in frame.groupby("ticker", sort=True):
        data = rows.set_index(pd.DatetimeIndex(rows["timestamp"]).tz_localize(None))
        data = data[["open", "high", "low", "close", "volume"]]
        cerebro.adddata(bt.feeds.PandasData(dataname=data), name=str(ticker))
    # One strategy instance per ticker: each watches its own data feed.
    for index in range(len(cerebro.datas)):
        cerebro.addstrategy(_single(Momentum, index))
    cerebro.broker.setcash(10_000_000)
    cerebro.broker.setcommission(
        commission=COMMISSION_PER_SHARE, commtype=bt.CommInfoBase.COMM_FIXED, stocklike=True
    )
    began = time.perf_counter()
    cerebro.run()
    seconds = time.perf_counter() - began
    fills.sort()
    return {
        "bars": len(frame),
        "replay_seconds": seconds,
        "replayed_bars": len(frame),
        "fills": len(fills),
        "first_trades": fills[:COMPARED_TRADES],
    }


def _single(strategy: Any, index: int) -> Any:
    class OnOneFeed(strategy):  # type: ignore[misc]  # a backtrader class: untyped
        def __init__(self) -> None:
            self.data = self.datas[index]
            super().__init__()

    return OnOneFeed


def run_case(case: str, path: Path) -> dict[str, Any]:
    """Run one case in this process; return its figures with the peak memory."""
    if case == "backtrader":
        figures = _backtrader(path)
    else:
        from trading_bot.entrypoints.event_loop import run_replay  # noqa: PLC0415

        everything = ["momentum", "mean_reversion", "news_driven"]
        strategies = everything if case == "ours:all" else ["momentum"]
        # The loop ``trading-bot backtest run`` replays on.
        figures = run_replay(_ours(path, strategies, equivalent=case == "ours:equivalent"))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["bars_per_second"] = figures["replayed_bars"] / figures["replay_seconds"]
    return figures


def _spawn(case: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - this interpreter running this module
        [sys.executable, "-m", "benchmarks.backtest", "--case", case, "--data", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Run every case ``--runs`` times (backtrader ``--bt-runs``) and print min / median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of ours:momentum and ours:all")
    parser.add_argument(
        "--bt-runs", type=int, default=1, help="runs of backtrader and ours:equivalent (slow)"
    )
    parser.add_argument("--scale", type=int, default=1, help="divide the dataset sizes by this")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    options = parser.parse_args(argv)
    if options.case:
        print(json.dumps(run_case(options.case, options.data)))
        return
    with tempfile.TemporaryDirectory() as directory:
        files = make_data(Path(directory), options.scale)
        for name in options.datasets.split(","):
            _dataset(name, files[name], options.runs, options.bt_runs)


def _dataset(name: str, path: Path, runs: int, bt_runs: int) -> None:
    print(f"\n== {name} ({path.stat().st_size / 1e6:.1f} MB Parquet)")
    results: dict[str, list[dict[str, Any]]] = {}
    cases = (
        ("ours:momentum", runs),
        ("ours:all", runs),
        ("ours:equivalent", bt_runs),
        ("backtrader", bt_runs),
    )
    for case, count in cases:
        results[case] = [_spawn(case, path) for _ in range(count)]
        rates = [r["bars_per_second"] for r in results[case]]
        memory = [r["peak_rss_mb"] for r in results[case]]
        extra = ""
        if case.startswith("ours"):
            totals = [r["bars"] / r["total_seconds"] for r in results[case]]
            extra = f"; with results {min(totals):,.0f} / {statistics.median(totals):,.0f} bars/s"
        print(
            f"{case:14} bars/s min {min(rates):,.0f} median {statistics.median(rates):,.0f}"
            f"{extra}; peak RSS min {min(memory):,.0f} MB median {statistics.median(memory):,.0f}"
            f" MB; fills {results[case][0]['fills']}"
        )
    ours, theirs = results["ours:equivalent"][0], results["backtrader"][0]
    bt_rate = statistics.median(r["bars_per_second"] for r in results["backtrader"])
    for case in ("ours:momentum", "ours:all", "ours:equivalent"):
        ratio = statistics.median(r["bars_per_second"] for r in results[case]) / bt_rate
        print(f"{case} / backtrader bars/s (medians): {ratio:.1f}x")
    same = [
        tuple(a) == tuple(b)
        for a, b in zip(ours["first_trades"], theirs["first_trades"], strict=False)
    ]
    print(
        f"fills: ours:equivalent {ours['fills']}, backtrader {theirs['fills']}; first "
        f"{len(same)} identical: {all(same)}"
    )
    for mine, other in zip(ours["first_trades"], theirs["first_trades"], strict=False):
        marker = "  " if tuple(mine) == tuple(other) else "!="
        print(f"  {marker} ours {mine}  backtrader {other}")


if __name__ == "__main__":
    main()
