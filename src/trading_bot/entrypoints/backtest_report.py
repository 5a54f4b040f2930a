"""The backtest report: one self-contained HTML page that opens offline.

Charts are drawn here as inline SVG (equity against the benchmark, drawdown, strategy
weights), so the page needs no script and fetches nothing; the layout is the Jinja2 template
``report_template.html`` beside this module, rendered with autoescaping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup
from pydantic import JsonValue

from trading_bot.entrypoints.backtest_results import BacktestResult

WIDTH = 960
HEIGHT = 260
_PAD_LEFT = 72
_PAD_RIGHT = 16
_PAD_TOP = 14
_PAD_BOTTOM = 28
_COLOURS = ("#2563eb", "#9ca3af", "#16a34a", "#db2777", "#ea580c", "#7c3aed", "#0891b2")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TRADES_SHOWN = 1_000
_LEAST_SPAN = 0.02
"""The smallest vertical span of a chart, relative to its values' magnitude."""

Series = tuple[str, Sequence[tuple[float, float]]]


def render_report(result: BacktestResult) -> str:
    """Return the report of ``result`` as a complete HTML document."""
    template = (
        resources.files("trading_bot.entrypoints")
        .joinpath("report_template.html")
        .read_text("utf-8")
    )
    environment = Environment(
        autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True
    )
    environment.filters["pct"] = _pct
    environment.filters["num"] = _num
    return environment.from_string(template).render(**_context(result))


def line_chart(
    series: Sequence[Series], *, title: str, y_format: str = "money", step: bool = False
) -> Markup:
    """Return an SVG chart of ``series`` (x: Unix seconds, y: values), one line each."""
    points = [p for _, values in series for p in values]
    if not points:
        return Markup('<p class="empty">{}: nothing to draw.</p>').format(title)
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys)
    # A flat or nearly flat line gets a readable span (a weight moving by 1e-16 is no move).
    least = max(abs(y0), abs(y1), 1.0) * _LEAST_SPAN
    if y1 - y0 < least:
        middle = (y0 + y1) / 2
        y0, y1 = middle - least / 2, middle + least / 2
    plot_w = WIDTH - _PAD_LEFT - _PAD_RIGHT
    plot_h = HEIGHT - _PAD_TOP - _PAD_BOTTOM

    def sx(x: float) -> float:
        return _PAD_LEFT + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return _PAD_TOP + (y1 - y) / (y1 - y0) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = y0 + (y1 - y0) * i / 4
        y = sy(value)
        parts.append(
            f'<line x1="{_PAD_LEFT}" x2="{WIDTH - _PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'class="grid"/>'
            f'<text x="{_PAD_LEFT - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{escape(_axis(value, y_format))}</text>"
        )
    for i in range(5):
        x = x0 + (x1 - x0) * i / 4
        label = datetime.fromtimestamp(x, tz=UTC).strftime("%Y-%m-%d")
        parts.append(
            f'<text x="{sx(x):.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="middle">'
            f"{label}</text>"
        )
    for index, (name, values) in enumerate(series):
        colour = _COLOURS[index % len(_COLOURS)]
        coords = _stepped(values) if step else values
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in coords)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}">'
            f"<title>{escape(name)}</title></polyline>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<span class="key"><i style="background:{_COLOURS[i % len(_COLOURS)]}"></i>'
        f"{escape(name)}</span>"
        for i, (name, _) in enumerate(series)
    )
    svg = f"<figure><figcaption>{escape(title)} {legend}</figcaption>{''.join(parts)}</figure>"
    return Markup(svg)  # noqa: S704 - built here; every text in it went through html.escape


def _context(result: BacktestResult) -> dict[str, Any]:
    curve = result.equity_curve
    equity = [(_seconds(p["timestamp"]), _float(p["equity"])) for p in curve]
    drawdown = [(_seconds(p["timestamp"]), 100 * _float(p["drawdown"])) for p in curve]
    benchmark_ticker = str(result.benchmark.get("ticker", ""))
    total = result.benchmark.get("total_return")
    charts = {
        "equity": line_chart(
            [("strategy equity", equity), *_benchmark_line(curve, benchmark_ticker)],
            title=f"Equity (benchmark: buy and hold {benchmark_ticker})",
        ),
        "drawdown": line_chart([("drawdown %", drawdown)], title="Drawdown", y_format="pct"),
        "weights": line_chart(
            _weight_lines(result), title="Strategy weights", y_format="unit", step=True
        ),
    }
    return {
        "r": result,
        "m": result.metrics,
        "charts": charts,
        "benchmark_total": total,
        "months": _MONTHS,
        "monthly": _monthly_grid(result.monthly_returns),
        "trades": result.trades[:_TRADES_SHOWN],
        "trades_hidden": max(0, len(result.trades) - _TRADES_SHOWN),
        "strategies": sorted(result.per_strategy.items()),
    }


def _benchmark_line(curve: Sequence[Mapping[str, JsonValue]], ticker: str) -> list[Series]:
    """Return buy-and-hold of the benchmark with the same capital, as an equity line."""
    points = [(_seconds(p["timestamp"]), _float(p["benchmark"])) for p in curve]
    return [(f"buy and hold {ticker}", points)] if points else []


def _weight_lines(result: BacktestResult) -> list[Series]:
    lines: dict[str, list[tuple[float, float]]] = {}
    first = _seconds(result.equity_curve[0]["timestamp"]) if result.equity_curve else 0.0
    last = _seconds(result.equity_curve[-1]["timestamp"]) if result.equity_curve else 0.0
    for row in result.weight_history:
        name = str(row["strategy"])
        line = lines.setdefault(name, [(first, _float(row["old_weight"]))])
        line.append((_seconds(row["at"]), _float(row["new_weight"])))
    for line in lines.values():
        line.append((last, line[-1][1]))
    return sorted(lines.items())


def _monthly_grid(rows: Sequence[Mapping[str, JsonValue]]) -> list[tuple[str, list[Any], Any]]:
    years: dict[str, list[float | None]] = {}
    for row in rows:
        year, month = str(row["month"]).split("-")
        years.setdefault(year, [None] * 12)[int(month) - 1] = _float(row["return"])
    grid = []
    for year, cells in sorted(years.items()):
        growth = 1.0
        for cell in cells:
            growth *= 1 + (cell or 0.0)
        grid.append((year, cells, growth - 1))
    return grid


def _stepped(values: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for x, y in values:
        if out:
            out.append((x, out[-1][1]))
        out.append((x, y))
    return out


def _seconds(value: JsonValue) -> float:
    return datetime.fromisoformat(str(value)).timestamp()


def _float(value: JsonValue) -> float:
    return float(value) if isinstance(value, int | float | str) else 0.0


def _axis(value: float, kind: str) -> str:
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "unit":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _pct(value: object, digits: int = 2) -> str:
    return f"{value * 100:.{digits}f}%" if isinstance(value, int | float) else "n/a"


def _num(value: object, digits: int = 2) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)
