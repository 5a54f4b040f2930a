"""The options `trading-bot backtest` commands share, and how their text becomes a config."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import JsonValue, ValidationError

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import DEFAULT_STRATEGY_WEIGHTS

if TYPE_CHECKING:
    from trading_bot.entrypoints.backtest_config import BacktestConfig

DEFAULT_STRATEGIES = ",".join(DEFAULT_STRATEGY_WEIGHTS)

Bars = Annotated[
    list[Path] | None, typer.Option("--bars", help="CSV or Parquet bar file (repeatable)")
]
FromStorage = Annotated[
    bool, typer.Option("--from-storage", help="read bars and news from the database")
]
News = Annotated[Path | None, typer.Option("--news", help="JSONL news file")]
NewsLatency = Annotated[
    float, typer.Option("--news-latency", help="seconds from publication to availability")
]
Tickers = Annotated[str, typer.Option("--tickers", help="comma-separated; default all")]
Start = Annotated[str | None, typer.Option("--start", help="first bar opening (ISO date/time)")]
End = Annotated[str | None, typer.Option("--end", help="end of the range, exclusive")]
Capital = Annotated[float, typer.Option("--capital", help="starting cash")]
Strategies = Annotated[str, typer.Option("--strategies", help="comma-separated strategy names")]
Weights = Annotated[
    str, typer.Option("--weights", help="starting weights: momentum=0.5,mean_reversion=0.3")
]
Params = Annotated[
    list[str] | None, typer.Option("--param", help="strategy.param=value (repeatable)")
]
Fill = Annotated[str, typer.Option("--fill", help="next_open | close")]
Slippage = Annotated[float, typer.Option("--slippage-bps", help="against the trader, bps")]
CommissionBps = Annotated[float, typer.Option("--commission-bps", help="on the notional, bps")]
PerShare = Annotated[float, typer.Option("--commission-per-share", help="per share filled")]
VolumeCap = Annotated[
    float | None, typer.Option("--volume-cap", help="most of a bar's volume that fills (0-1)")
]
Remainder = Annotated[
    str, typer.Option("--volume-remainder", help="cancel | keep what the cap left unfilled")
]
Sizing = Annotated[
    str, typer.Option("--sizing", help="fixed_qty:N | fraction:F | kelly[:multiplier]")
]
Risk = Annotated[
    list[str] | None,
    typer.Option("--risk", help="RiskConfig overrides: stop_loss_pct=0,cooldown_minutes=off"),
]
Learning = Annotated[bool, typer.Option("--learning/--no-learning", help="adjust weights")]
Benchmark = Annotated[
    str | None, typer.Option("--benchmark", help="buy-and-hold ticker (default: the first)")
]
Seed = Annotated[int, typer.Option("--seed", help="seed of random choices (optuna)")]
Storage = Annotated[str, typer.Option("--storage", help="memory | sqlite (the SQL repositories)")]
Out = Annotated[Path, typer.Option("--out", help="directory for the results")]
Verbose = Annotated[bool, typer.Option("--verbose", help="log what the services do")]


def parse_time(text: str | None) -> datetime | None:
    """Return an ISO date or time as an aware UTC time (a date is its midnight UTC)."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ConfigurationError(f"{text!r} is not an ISO date or time") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_pairs(items: Sequence[str], what: str) -> dict[str, str]:
    """Return ``name=value`` pairs, given comma-separated in one or several items."""
    pairs: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, equals, value = part.partition("=")
            if not equals or not name.strip():
                raise ConfigurationError(f"{what}: {part.strip()!r} is not name=value")
            pairs[name.strip()] = value.strip()
    return pairs


def parse_params(items: Sequence[str]) -> dict[str, dict[str, JsonValue]]:
    """Return ``strategy.param=value`` items as parameters by strategy."""
    from trading_bot.entrypoints.backtest_walk_forward import parse_value  # noqa: PLC0415 - loaded on use

    params: dict[str, dict[str, JsonValue]] = {}
    for name, value in parse_pairs(items, "--param").items():
        strategy, dot, param = name.partition(".")
        if not dot or not strategy or not param:
            raise ConfigurationError(f"--param: {name!r} is not strategy.param")
        params.setdefault(strategy, {})[param] = parse_value(value)
    return params


def config_from_options(**options: Any) -> BacktestConfig:
    """Return the config the command-line options describe; refuse invalid ones clearly."""
    # Imported here, as every backtest module: the other commands start without them.
    from trading_bot.entrypoints.backtest_config import BacktestConfig  # noqa: PLC0415 - loaded on use

    weights = {k: float(v) for k, v in parse_pairs([options["weights"]], "--weights").items()}
    values: dict[str, Any] = {
        "bars": tuple(options["bars"] or ()),
        "from_storage": options["from_storage"],
        "news": options["news"],
        "news_latency_seconds": options["news_latency"],
        "tickers": tuple(t.strip() for t in options["tickers"].split(",") if t.strip()),
        "start": parse_time(options["start"]),
        "end": parse_time(options["end"]),
        "capital": options["capital"],
        "strategies": tuple(s.strip() for s in options["strategies"].split(",") if s.strip()),
        "weights": weights,
        "params": parse_params(options["param"] or []),
        "fill": options["fill"],
        "slippage_bps": options["slippage_bps"],
        "commission_bps": options["commission_bps"],
        "commission_per_share": options["commission_per_share"],
        "volume_cap": options["volume_cap"],
        "volume_remainder": options["volume_remainder"],
        "sizing": options["sizing"],
        "risk": dict(parse_pairs(options["risk"] or [], "--risk")),
        "learning": options["learning"],
        "benchmark": options["benchmark"],
        "seed": options["seed"],
        "storage": options["storage"],
    }
    try:
        return BacktestConfig.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(problems) from None
