"""The synthetic market: determinism, market hours, news shocks, clocks, and its files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.market_data.frames import write_csv, write_parquet
from trading_bot.adapters.market_data.replay import ReplayFeed
from trading_bot.adapters.market_data.synthetic import (
    SyntheticMarket,
    SyntheticMarketConfig,
    generate_bars,
    generate_frame,
)
from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.model import Bar

START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def nyse() -> NyseCalendar:
    return NyseCalendar(date(2023, 12, 1), date(2024, 12, 31))


def test_generate_bars_when_given_the_same_seed_gives_the_same_bars() -> None:
    first = generate_bars(["AAPL", "MSFT"], START, 500, seed=11)
    again = generate_bars(["AAPL", "MSFT"], START, 500, seed=11)
    other = generate_bars(["AAPL", "MSFT"], START, 500, seed=12)

    assert first == again
    assert [b.close for b in first] != [b.close for b in other]


def test_generate_bars_without_market_hours_trades_around_the_clock_back_to_back() -> None:
    bars = generate_bars(["AAPL"], datetime(2024, 1, 6, 23, 0, tzinfo=UTC), 120, seed=1)

    assert len(bars) == 120
    assert all(b.timestamp - a.timestamp == timedelta(minutes=1) for a, b in pairwise(bars))


def test_synthetic_market_with_nyse_hours_has_bars_only_inside_sessions(nyse: NyseCalendar) -> None:
    # Friday 12 January 2024, then the Martin Luther King Day weekend (Monday 15th closed)
    start = datetime(2024, 1, 12, 14, 30, tzinfo=UTC)
    bars = generate_bars(["AAPL", "MSFT"], start, 390 * 2, seed=3, hours=nyse)

    days = sorted({b.timestamp.date() for b in bars})
    assert days == [date(2024, 1, 12), date(2024, 1, 16)]
    assert all(nyse.is_open(b.timestamp) for b in bars)
    assert all(b.closes_at <= nyse.next_close(b.timestamp) for b in bars)
    assert len(bars) == 2 * 390 * 2


def test_synthetic_market_on_a_half_day_stops_at_the_early_close(nyse: NyseCalendar) -> None:
    # the day after Thanksgiving 2024 closes at 13:00 New York time (18:00 UTC)
    start = datetime(2024, 11, 29, 14, 30, tzinfo=UTC)

    bars = generate_bars(["AAPL"], start, 300, seed=3, hours=nyse)

    on_half_day = [b for b in bars if b.timestamp.date() == date(2024, 11, 29)]
    assert len(on_half_day) == 210
    assert on_half_day[-1].closes_at == datetime(2024, 11, 29, 18, 0, tzinfo=UTC)


def test_synthetic_market_when_started_before_the_open_waits_for_it(nyse: NyseCalendar) -> None:
    bars = generate_bars(["AAPL"], datetime(2024, 1, 2, 5, 0, tzinfo=UTC), 5, seed=3, hours=nyse)

    assert bars[0].timestamp == datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def test_synthetic_market_each_shock_moves_its_ticker_the_announced_way() -> None:
    market = SyntheticMarket(
        SyntheticMarketConfig(n_bars=2_000, shock_count=8, seed=5), SimulatedClock(START)
    )
    by_key = {(b.ticker, b.timestamp): b for b in market.all_bars()}

    shocks = market.shocks()

    assert len(shocks) == 8
    assert [s.at for s in shocks] == sorted(s.at for s in shocks)
    for shock in shocks:
        bar = by_key[(shock.ticker, shock.at)]
        move = bar.close / bar.open - 1
        assert shock.direction * move > shock.magnitude / 2
        assert 0.02 <= shock.magnitude <= 0.06


def test_synthetic_market_shocks_are_the_same_for_the_same_seed() -> None:
    config = SyntheticMarketConfig(n_bars=600, seed=9)

    first = SyntheticMarket(config, SimulatedClock(START)).shocks()
    again = SyntheticMarket(config, SimulatedClock(START)).shocks()

    assert first == again


async def test_synthetic_market_on_a_simulated_clock_advances_it_to_each_close() -> None:
    clock = SimulatedClock(START)
    market = SyntheticMarket(SyntheticMarketConfig(tickers=("AAPL", "MSFT"), n_bars=30), clock)
    seen: list[tuple[str, datetime, datetime]] = []

    async for bar in market.bars():
        seen.append((bar.ticker, bar.closes_at, clock.now()))

    assert len(seen) == 60
    assert all(closes == now for _, closes, now in seen)
    assert [t for t, _, _ in seen[:4]] == ["AAPL", "MSFT", "AAPL", "MSFT"]


class RecordingClock:
    """A clock that only says what it was asked to wait for (it is not a SimulatedClock)."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self.waited_for: list[datetime] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    async def sleep_until(self, when: datetime) -> None:
        self.waited_for.append(when)
        self._now = when


async def test_synthetic_market_on_another_clock_waits_for_each_close_in_its_time() -> None:
    clock = RecordingClock(START)
    market = SyntheticMarket(SyntheticMarketConfig(tickers=("AAPL",), n_bars=3), clock)

    bars = [bar async for bar in market.bars()]

    assert clock.waited_for == [b.closes_at for b in bars]


@pytest.mark.parametrize(
    ("name", "write"), [("bars.csv", write_csv), ("bars.parquet", write_parquet)]
)
async def test_synthetic_bars_written_to_a_file_replay_identically(
    tmp_path: Path, name: str, write: Callable[[Sequence[Bar], Path], Path]
) -> None:
    bars = generate_bars(["AAPL", "TSLA"], START, 50, seed=4)
    path = write(bars, tmp_path / name)

    replayed: list[Bar] = [b async for b in ReplayFeed(path, SimulatedClock(START)).bars()]

    assert replayed == bars


def test_generate_frame_has_the_bar_file_columns_and_one_row_per_bar() -> None:
    frame = generate_frame(["AAPL", "MSFT"], START, 10, seed=2)

    assert list(frame.columns) == ["timestamp", "ticker", "open", "high", "low", "close", "volume"]
    assert len(frame) == 20
    assert str(frame["timestamp"].dt.tz) == "UTC"
