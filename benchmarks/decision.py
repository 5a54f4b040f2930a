"""Per-bar decision path: MarketState.update + sandboxed strategies + ensemble + risk manager.

Run: ``.venv/bin/python -m benchmarks.decision [--bars N] [--runs R]``. Prints bar evaluations
per second (min / median of the runs) for one ticker and all three built-in strategies on a
seeded random walk of one-minute bars during NYSE sessions, without and with a news context.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.ensemble import Ensemble
from trading_bot.core.market_state import MarketState
from trading_bot.core.model import Bar, SentimentContext, SentimentObservation
from trading_bot.core.risk import Approved, PortfolioView, RiskConfig, RiskManager, RiskState
from trading_bot.core.strategies.base import required_indicators
from trading_bot.core.strategies.registry import build_strategies
from trading_bot.core.strategies.sandbox import StrategySandbox
from trading_bot.testing.bar_series import bars_from_closes, random_volumes, random_walk_closes

TICKER = "AAPL"
STRATEGIES = ("momentum", "mean_reversion", "news_driven")
WEIGHTS = {"momentum": 0.4, "mean_reversion": 0.3, "news_driven": 0.3}
SEED = 20240305


def session_minutes(calendar: NyseCalendar, count: int, first_day: date) -> list[datetime]:
    """Return the opening times of ``count`` one-minute bars of consecutive NYSE sessions."""
    stamps: list[datetime] = []
    day = first_day
    while len(stamps) < count:
        session = calendar.session_on(day)
        if session is not None:
            at = session.opens_at
            while at < session.closes_at and len(stamps) < count:
                stamps.append(at)
                at += timedelta(minutes=1)
        day += timedelta(days=1)
    return stamps


def make_bars(count: int, calendar: NyseCalendar) -> list[Bar]:
    """Return the seeded series every run replays."""
    return bars_from_closes(
        random_walk_closes(count, seed=SEED),
        ticker=TICKER,
        volumes=random_volumes(count, seed=SEED + 1),
        timestamps=session_minutes(calendar, count, date(2010, 1, 4)),
    )


def news_context(at: datetime) -> SentimentContext:
    """Return five mildly positive observations, so news_driven aggregates but stays quiet."""
    return SentimentContext(
        ticker=TICKER,
        observations=tuple(
            SentimentObservation(
                article_id=f"{index:064d}",
                score=0.4,
                confidence=0.8,
                available_at=at - timedelta(hours=index),
            )
            for index in range(5)
        ),
    )


def run_once(
    bars: Sequence[Bar], calendar: NyseCalendar, sentiment: SentimentContext | None
) -> tuple[float, float, int, int]:
    """Replay ``bars`` once; return (wall seconds, CPU seconds, signals, orders approved)."""
    strategies = build_strategies(STRATEGIES)
    market = MarketState(required_indicators(strategies))
    sandbox = StrategySandbox(strategies)
    ensemble = Ensemble()
    risk = RiskManager(RiskConfig(), calendar)
    portfolio = PortfolioView(
        cash=Decimal(100_000), equity=Decimal(100_000), buying_power=Decimal(100_000)
    )
    state = RiskState()
    clock = SimulatedClock(bars[-1].closes_at if sentiment is not None else bars[0].timestamp)
    signals = approved = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for bar in bars:
        snapshot = market.update(bar)
        opinions = sandbox.evaluate(TICKER, snapshot, sentiment, clock)
        if not opinions:
            continue
        now = bar.closes_at
        signal = ensemble.combine(TICKER, opinions, WEIGHTS, snapshot.close, now)
        if signal is None:
            continue
        signals += 1
        if isinstance(risk.evaluate(signal, portfolio, state, now), Approved):
            approved += 1
    cpu = time.process_time() - cpu_started
    return time.perf_counter() - started, cpu, signals, approved


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print min / median bar evaluations per second."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    calendar = NyseCalendar(date(2010, 1, 1), date(2035, 12, 31))
    bars = make_bars(args.bars, calendar)
    news_at = bars[-1].closes_at
    print(f"{args.bars:,} one-minute bars, {args.runs} runs, strategies: {', '.join(STRATEGIES)}")
    for label, sentiment in (("no news", None), ("news context", news_context(news_at))):
        rates, cpu_rates = [], []
        for _ in range(args.runs):
            seconds, cpu, signals, approved = run_once(bars, calendar, sentiment)
            rates.append(len(bars) / seconds)
            cpu_rates.append(len(bars) / cpu)
        print(
            f"{label:>13}: min {min(rates):>9,.0f}  median {statistics.median(rates):>9,.0f} "
            f"bar evaluations/s wall; median {statistics.median(cpu_rates):>9,.0f} per CPU "
            f"second  ({signals:,} signals, {approved:,} approved)"
        )


if __name__ == "__main__":
    main()
