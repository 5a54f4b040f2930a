"""Dashboard budget: gzipped JavaScript of the first route, and time to first portfolio render.

Builds the dashboard, then measures it in Chromium (``dashboard/e2e/first-render.bench.ts``,
API answered from fixtures). Run: ``.venv/bin/python -m benchmarks.dashboard [runs]``.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
DIST = DASHBOARD / "dist"
BUDGET_KB = 350.0
_ENTRY_SCRIPTS = re.compile(
    r'<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="([^"]+\.js)"'
)


@dataclass(frozen=True)
class Measurement:
    """What one benchmark run found."""

    entry_gzip_kb: float
    portfolio_gzip_kb: float
    portfolio_scripts: int
    first_render_ms: list[float]


def gzip_kb(path: Path) -> float:
    """Return the size of ``path`` after gzip (level 9), in KB."""
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1000


def entry_scripts(index_html: str) -> list[str]:
    """Return the scripts ``index.html`` loads up front (its entry and module preloads)."""
    return sorted(set(_ENTRY_SCRIPTS.findall(index_html)))


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH: install Node 20 to build the dashboard")
    return npm


def measure(runs: int) -> Measurement:
    """Build the dashboard and measure it ``runs`` times in Chromium."""
    subprocess.run([_npm(), "run", "build"], cwd=DASHBOARD, check=True, capture_output=True)  # noqa: S603 -- fixed argv, no shell
    jiti = DASHBOARD / "node_modules" / ".bin" / "jiti"
    result = subprocess.run(  # noqa: S603 -- fixed argv, no shell
        [str(jiti), "e2e/first-render.bench.ts", str(runs)],
        cwd=DASHBOARD,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    entry = entry_scripts((DIST / "index.html").read_text(encoding="utf-8"))
    loaded: list[str] = report["scripts"]
    return Measurement(
        entry_gzip_kb=sum(gzip_kb(DIST / script.lstrip("/")) for script in entry),
        portfolio_gzip_kb=sum(gzip_kb(DIST / script.lstrip("/")) for script in loaded),
        portfolio_scripts=len(loaded),
        first_render_ms=[float(ms) for ms in report["timings_ms"]],
    )


def main() -> None:
    """Print the dashboard's bundle size and first-render times (min / median)."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    result = measure(runs)
    times = result.first_render_ms
    verdict = "within" if result.entry_gzip_kb <= BUDGET_KB else "OVER"
    print(
        f"initial route JS (entry + preloads), gzip: {result.entry_gzip_kb:.1f} KB "
        f"({verdict} {BUDGET_KB:.0f} KB)"
    )
    print(
        f"all JS fetched to render /portfolio incl. lazy chart, gzip: "
        f"{result.portfolio_gzip_kb:.1f} KB in {result.portfolio_scripts} files"
    )
    print(
        f"navigation start -> portfolio value visible, {len(times)} cold runs: "
        f"min {min(times):.0f} ms, median {statistics.median(times):.0f} ms"
    )


if __name__ == "__main__":
    main()
