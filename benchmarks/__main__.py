"""Run the benchmarks one after another: `python -m benchmarks [NAME ...]` (`make bench`).

Each benchmark is a module of this package with a ``main()``; it prints its own table. Results
are copied by hand into docs/benchmarks.md with the machine and the command. A benchmark that
fails is reported and the others still run; the exit code says whether any failed.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback

BENCHMARKS = (
    "bus",
    "storage",
    "decision",
    "brokers",
    "market_data",
    "sentiment",
    "news_latency",
    "learning",
    "pipeline_decision",
    "pipeline",
    "backtest",
    "api",
    "dashboard",
)


def main() -> None:
    """Run the named benchmarks (all of them by default)."""
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    failed = []
    for name in chosen:
        print(f"\n=== benchmarks.{name} ===", flush=True)
        started = time.perf_counter()
        sys.argv = [f"benchmarks.{name}"]
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception:  # one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)
        print(f"=== {name}: {time.perf_counter() - started:.1f} s ===", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
