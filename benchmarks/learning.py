"""Learning and metrics benchmark: one weight-update cycle and the metrics of a long equity curve.

Run ``python -m benchmarks.learning`` (``--help`` for options). Each figure is the time of one
call, reported as min / median over several runs; inputs are seeded and built before timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from trading_bot.core import metrics
from trading_bot.core.learning_weights import LearningRules, adjust_weights
from trading_bot.core.model import TradeOutcome
from trading_bot.testing.learning import scored_outcome

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
STRATEGIES = ("mean_reversion", "momentum", "news_driven")


def outcomes(count: int, seed: int) -> list[TradeOutcome]:
    """Return ``count`` outcomes crediting two or three strategies, with random returns."""
    rng = random.Random(seed)
    built = []
    for index in range(count):
        strengths = {name: rng.random() for name in rng.sample(STRATEGIES, rng.choice([2, 3]))}
        total = sum(strengths.values())
        credits = {name: rng.choice([1, 1, -1]) * s / total for name, s in strengths.items()}
        built.append(
            scored_outcome(
                credits,
                risk_adjusted_return=rng.gauss(0.001, 0.02),
                closed_at=T0 + timedelta(minutes=index),
            )
        )
    return built


def equity(bars: int, seed: int) -> list[float]:
    """Return a seeded random-walk equity curve of ``bars`` points."""
    rng = random.Random(seed)
    curve = [100_000.0]
    for _ in range(bars - 1):
        curve.append(curve[-1] * (1 + rng.gauss(0.00001, 0.0008)))
    return curve


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Return the min and median seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    """Time ``adjust_weights`` and ``metrics.summarize`` and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (default 7)")
    parser.add_argument(
        "--outcomes", type=int, default=600, help="outcomes in the cycle (default 600)"
    )
    parser.add_argument(
        "--bars", type=int, default=252 * 390, help="equity points (default a year of minutes)"
    )
    args = parser.parse_args()

    pool = outcomes(args.outcomes, seed=1)
    weights = dict.fromkeys(STRATEGIES, 1 / 3)
    rules = LearningRules()
    curve = equity(args.bars, seed=2)
    stamps = [T0 + timedelta(minutes=i) for i in range(args.bars)]
    ppy = metrics.periods_per_year(60)

    figures = [
        (
            f"`adjust_weights`, {args.outcomes} outcomes, 3 strategies, window 200",
            timed(lambda: adjust_weights(weights, pool, rules), args.runs),
        ),
        (
            f"`metrics.summarize`, {args.bars:,} one-minute points, with timestamps",
            timed(
                lambda: metrics.summarize(curve, periods_per_year=ppy, timestamps=stamps),
                args.runs,
            ),
        ),
    ]
    print("| measurement | min (ms) | median (ms) |")
    print("|---|---|---|")
    for name, (fastest, median) in figures:
        print(f"| {name} | {fastest * 1000:.1f} | {median * 1000:.1f} |")


if __name__ == "__main__":
    main()
