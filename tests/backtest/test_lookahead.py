"""No look-ahead: a bar is seen once it closed, an article once it is available; the look-ahead
check re-runs with the future cut off and finds any decision the future changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from trading_bot.core.indicators import IndicatorSpec
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Direction, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.base import StrategyParams
from trading_bot.core.strategies.registry import register_strategy
from trading_bot.entrypoints.backtest import BacktestConfig, load_inputs, run_backtest
from trading_bot.entrypoints.backtest_lookahead import check_lookahead
from trading_bot.entrypoints.cli import app
from trading_bot.testing.backtest import FIXTURES, news_line, write_news

CUT = datetime(2024, 3, 4, 17, 0, tzinfo=UTC)
SEEN: dict[tuple[str, datetime], float] = {}
"""Every bar the peeking strategy was ever shown, across runs: how it peeks at the future."""


class PeekingParams(StrategyParams):
    """No parameters."""


@register_strategy("peeking", PeekingParams)
class PeekingStrategy:
    """Trade towards the close five bars ahead, when it remembers one from an earlier run.

    A backtest cannot show a strategy a bar before it closes, so this one keeps the bars of
    earlier runs in ``SEEN``, as a cache or a model fitted on the whole history would: the
    look-ahead check must catch it.
    """

    name = "peeking"
    params = PeekingParams()
    indicators: tuple[IndicatorSpec, ...] = ()

    def __init__(self, params: PeekingParams | None = None) -> None:
        self.params = params or PeekingParams()

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        SEEN[(ticker, market.timestamp)] = market.close
        later = SEEN.get((ticker, market.timestamp + timedelta(minutes=5)))
        if later is None or later == market.close:
            return None
        up = later > market.close
        return StrategyOpinion(
            strategy=self.name,
            direction=Direction.LONG if up else Direction.SHORT,
            strength=1.0,
        )


def one_day(directory: Path) -> Path:
    """Write NVDA's first session of the golden data; return the file."""
    frame = pd.read_csv(FIXTURES / "bars.csv", dtype=str)
    chosen = frame[(frame["ticker"] == "NVDA") & (frame["timestamp"] < "2024-03-05")]
    target = directory / "nvda.csv"
    chosen.to_csv(target, index=False)
    return target


def config(bars: Path, news: Path | None = None, **changes: object) -> BacktestConfig:
    values: dict[str, object] = {
        "bars": (bars,),
        "news": news,
        "risk": {"cooldown_minutes": 0, "stop_loss_pct": "0.004"},
    }
    return BacktestConfig.model_validate({**values, **changes})


def signals_until(rows: Sequence[Mapping[str, object]], cut: datetime) -> list[tuple[object, ...]]:
    stamp = cut.isoformat()
    return [
        (r["at"], r["ticker"], r["direction"], r["strength"], r["outcome"])
        for r in rows
        if str(r["at"]) <= stamp
    ]


async def test_backtest_when_a_future_bar_and_article_are_planted_decides_the_same_before(
    tmp_path: Path,
) -> None:
    day = one_day(tmp_path)
    frame = pd.read_csv(day, dtype=str)
    before = tmp_path / "before.csv"
    frame[frame["timestamp"] < "2024-03-04T17:00:00Z"].to_csv(before, index=False)
    planted = tmp_path / "planted.csv"
    wild = frame.iloc[[-1]].copy()
    wild[["timestamp", "open", "high", "low", "close", "volume"]] = [
        "2024-03-04T17:05:00Z",
        "29.0",
        "400.0",
        "29.0",
        "390.0",
        "9000000",
    ]
    pd.concat([frame[frame["timestamp"] < "2024-03-04T17:05:00Z"], wild]).to_csv(
        planted, index=False
    )
    news_before = write_news(tmp_path / "before.jsonl", [])
    news_planted = write_news(
        tmp_path / "planted.jsonl",
        [
            news_line(
                "Nvidia (NVDA) surges on blowout earnings and raised guidance",
                CUT + timedelta(minutes=1),
                content="Nvidia beat estimates by a wide margin and raised its forecast.",
            )
        ],
    )

    without_future = await run_backtest(config(before, news_before))
    with_future = await run_backtest(config(planted, news_planted))

    assert signals_until(with_future.signals, CUT) == signals_until(without_future.signals, CUT)
    assert signals_until(with_future.signals, CUT), "the morning must signal to compare"
    assert len(with_future.signals) > len(without_future.signals), "the future did matter later"


async def test_lookahead_check_when_strategies_only_see_the_past_finds_no_change(
    tmp_path: Path,
) -> None:
    chosen = config(one_day(tmp_path), FIXTURES / "news.jsonl", tickers=("NVDA",))
    inputs = await load_inputs(chosen)

    report = await check_lookahead(chosen, inputs, (0.3, 0.6))

    assert report.clean
    assert report.signals_compared > 0
    assert len(report.cuts) == 2


async def test_lookahead_check_when_a_strategy_remembers_the_future_reports_the_changes(
    tmp_path: Path,
) -> None:
    SEEN.clear()
    chosen = config(one_day(tmp_path), strategies=("peeking",))
    inputs = await load_inputs(chosen)

    report = await check_lookahead(chosen, inputs, (0.5,))

    assert not report.clean
    assert all(change.at <= report.cuts[0].isoformat() for change in report.changes)
    assert {change.with_future for change in report.changes} == {"none"}


@pytest.mark.parametrize(("strategies", "exit_code"), [("peeking", 1), ("momentum", 0)])
def test_lookahead_command_exits_1_only_when_a_signal_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategies: str, exit_code: int
) -> None:
    SEEN.clear()
    monkeypatch.chdir(tmp_path)
    day = one_day(tmp_path)

    result = CliRunner().invoke(
        app,
        ["backtest", "lookahead", "--bars", str(day), "--strategies", strategies, "--cuts", "0.5"],
        env={"TRADING_MODE": "demo"},
    )

    assert result.exit_code == exit_code, result.output
    assert ("look-ahead:" in result.stderr) == (exit_code == 1)
