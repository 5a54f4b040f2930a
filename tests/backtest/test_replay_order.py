"""The replay's order of an instant: every bar reaches the strategies at its own close, in time
order, whatever the bar lengths of the tickers (one length, or several in one run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from trading_bot.core.indicators import IndicatorSpec
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.registry import register_strategy
from trading_bot.entrypoints.backtest import BacktestConfig, run_backtest
from trading_bot.testing.signals import ScriptedParams

OPEN = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
shown: list[tuple[datetime, str, datetime]] = []
"""What the recording strategy was shown: (the clock then, ticker, the bar's open)."""


@register_strategy("replay_order_recorder", ScriptedParams)
class RecordingStrategy:
    """Remember when each bar was shown; never hold an opinion."""

    name = "replay_order_recorder"
    params = ScriptedParams()
    indicators: tuple[IndicatorSpec, ...] = ()

    def __init__(self, params: ScriptedParams | None = None) -> None:
        self.params = params or ScriptedParams()

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        shown.append((clock.now(), ticker, market.timestamp))
        return None


def write_bars(path: Path, lengths: dict[str, int], minutes: int = 30) -> Path:
    """Write bars of each ticker every ``lengths[ticker]`` minutes for ``minutes`` minutes."""
    rows = []
    for ticker, length in lengths.items():
        for step in range(0, minutes, length):
            rows.append(
                {
                    "ticker": ticker,
                    "timestamp": (OPEN + timedelta(minutes=step)).isoformat(),
                    "open": 100.0 + step,
                    "high": 101.0 + step,
                    "low": 99.0 + step,
                    "close": 100.5 + step,
                    "volume": 1_000,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "lengths",
    [{"AAPL": 1, "MSFT": 1}, {"AAPL": 1, "MSFT": 5}],
    ids=["one bar length", "one and five minutes"],
)
async def test_replay_shows_each_bar_at_its_close_in_time_order(
    tmp_path: Path, lengths: dict[str, int]
) -> None:
    bars = write_bars(tmp_path / "bars.csv", lengths)
    shown.clear()

    await run_backtest(
        BacktestConfig.model_validate({"bars": (bars,), "strategies": ("replay_order_recorder",)})
    )

    expected = sorted(
        (opens + timedelta(minutes=length), ticker, opens)
        for ticker, length in lengths.items()
        for opens in (OPEN + timedelta(minutes=m) for m in range(0, 30, length))
    )
    assert shown == expected
