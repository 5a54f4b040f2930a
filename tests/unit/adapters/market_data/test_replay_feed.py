"""Replaying bar files: order, the simulated clock, pacing, and what happens to bad rows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.market_data.frames import write_parquet
from trading_bot.adapters.market_data.replay import ReplayFeed
from trading_bot.core.errors import DataError
from trading_bot.core.model import Bar
from trading_bot.testing.metrics import RecordingMetrics

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
HEADER = "timestamp,ticker,open,high,low,close,volume\n"


def write(tmp_path: Path, body: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body)
    return path


async def collect(feed: ReplayFeed, clock: SimulatedClock | None = None) -> list[Bar]:
    seen = []
    async for bar in feed.bars():
        if clock is not None:
            assert clock.now() == bar.closes_at
        seen.append(bar)
    return seen


async def test_replay_yields_bars_of_all_tickers_in_close_time_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "2024-01-02T14:31:00Z,MSFT,10,11,9,10.5,100\n"
        "2024-01-02T14:30:00Z,AAPL,20,21,19,20.5,100\n"
        "2024-01-02T14:30:00Z,MSFT,10,11,9,10,100\n"
        "2024-01-02T14:31:00Z,AAPL,20.5,21,20,21,100\n",
    )
    clock = SimulatedClock(T0)

    bars = await collect(ReplayFeed(path, clock), clock)

    assert [(b.ticker, b.timestamp.minute) for b in bars] == [
        ("AAPL", 30),
        ("MSFT", 30),
        ("AAPL", 31),
        ("MSFT", 31),
    ]
    assert clock.now() == datetime(2024, 1, 2, 14, 32, tzinfo=UTC)


async def test_replay_wakes_a_sleeper_only_once_the_bar_it_waits_for_has_closed(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "2024-01-02T14:30:00Z,AAPL,20,21,19,20.5,100\n")
    clock = SimulatedClock(T0)
    woke_at: list[datetime] = []

    async def sleeper() -> None:
        await clock.sleep(30)
        woke_at.append(clock.now())

    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0)
    bars = await collect(ReplayFeed(path, clock))
    await task

    assert woke_at == [T0 + timedelta(seconds=30)]
    assert clock.now() == bars[0].closes_at


async def test_replay_reads_times_with_offsets_and_without_as_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "2024-01-02T09:30:00-05:00,AAPL,20,21,19,20.5,100\n"
        "2024-01-02 14:31:00,AAPL,20,21,19,20.5,100\n",
    )

    bars = await collect(ReplayFeed(path, SimulatedClock(T0)))

    assert [b.timestamp for b in bars] == [T0, T0 + timedelta(minutes=1)]


async def test_replay_infers_each_tickers_interval_from_its_most_common_gap(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "2024-01-02T14:30:00Z,AAPL,1,1,1,1,1\n"
        "2024-01-02T14:35:00Z,AAPL,1,1,1,1,1\n"
        "2024-01-02T14:40:00Z,AAPL,1,1,1,1,1\n"
        "2024-01-03T14:30:00Z,AAPL,1,1,1,1,1\n"
        "2024-01-02T14:30:00Z,MSFT,1,1,1,1,1\n",
    )

    bars = await collect(ReplayFeed(path, SimulatedClock(T0)))

    assert {b.ticker: b.interval_seconds for b in bars} == {"AAPL": 300, "MSFT": 60}


async def test_replay_when_rows_are_malformed_skips_and_counts_each_with_its_reason(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "2024-01-02T14:30:00Z,AAPL,20,21,19,20.5,100\n"
        "2024-01-02T14:31:00Z,AAPL,NaN,21,19,20.5,100\n"
        "2024-01-02T14:32:00Z,AAPL,-20,21,19,20.5,100\n"
        "2024-01-02T14:33:00Z,AAPL,20,19,21,20,100\n"
        "not-a-time,AAPL,20,21,19,20.5,100\n"
        "2024-01-02T14:34:00Z,AAPL,20,21,19,20.5,-5\n"
        "2024-01-02T14:35:00Z,,20,21,19,20.5,100\n"
        "2024-01-02T14:36:00Z,aapl!,20,21,19,20.5,100\n"
        "2024-01-02T14:37:00Z,AAPL,20,21,19,25,100\n"
        "2024-01-02T14:30:00Z,AAPL,20,21,19,20.5,100\n"
        "2024-01-02T14:38:00Z,AAPL,abc,21,19,20.5,100\n"
        "2024-01-02T14:39:00Z,AAPL,20,21,19,20.5,100\n",
    )
    metrics = RecordingMetrics()
    feed = ReplayFeed(path, SimulatedClock(T0), metrics=metrics)

    bars = await collect(feed)

    assert [b.timestamp.minute for b in bars] == [30, 39]
    assert {(s.row, s.reason) for s in feed.skipped} == {
        (3, "a price is missing or not a number"),
        (4, "a price is zero or negative"),
        (5, "high is below low"),
        (6, "timestamp is missing or not ISO-8601"),
        (7, "volume is missing or negative"),
        (8, "ticker is missing"),
        (
            9,
            "invalid bar: Value error, ticker 'aapl!' must be an upper-case symbol"
            " such as AAPL or BRK.B",
        ),
        (10, "open or close lies outside [low, high]"),
        (11, "duplicate of an earlier bar"),
        (12, "a price is missing or not a number"),
    }
    assert metrics.count("market_data_rows_skipped") == 10
    assert metrics.count("market_data_rows_skipped", reason="high is below low") == 1


async def test_replay_when_a_required_column_is_missing_raises_a_clear_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bars.csv"
    path.write_text("timestamp,ticker,open,close,volume\n2024-01-02T14:30:00Z,AAPL,1,1,1\n")

    with pytest.raises(DataError, match="missing required column\\(s\\) high, low"):
        await collect(ReplayFeed(path, SimulatedClock(T0)))


async def test_replay_when_the_file_does_not_exist_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot be read"):
        await collect(ReplayFeed(tmp_path / "nope.csv", SimulatedClock(T0)))


async def test_replay_merges_csv_and_parquet_files(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "2024-01-02T14:31:00Z,AAPL,20,21,19,20.5,100\n")
    parquet_path = write_parquet(
        [
            Bar(ticker="MSFT", timestamp=T0, open=10, high=11, low=9, close=10, volume=5),
            Bar(
                ticker="MSFT",
                timestamp=T0 + timedelta(minutes=2),
                open=10,
                high=11,
                low=9,
                close=10,
                volume=5,
            ),
        ],
        tmp_path / "bars.parquet",
    )

    bars = await collect(
        ReplayFeed([csv_path, parquet_path], SimulatedClock(T0), interval_seconds=60)
    )

    assert [(b.ticker, b.timestamp.minute) for b in bars] == [
        ("MSFT", 30),
        ("AAPL", 31),
        ("MSFT", 32),
    ]


async def test_replay_with_a_speed_sleeps_each_gap_scaled_down_on_the_real_loop(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "2024-01-02T14:30:00Z,AAPL,1,1,1,1,1\n"
        "2024-01-02T14:31:00Z,AAPL,1,1,1,1,1\n"
        "2024-01-02T14:36:00Z,AAPL,1,1,1,1,1\n",
    )
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    feed = ReplayFeed(path, SimulatedClock(T0), speed=60, max_pause_seconds=3, sleep=record)

    await collect(feed)

    # 60 s to the first close, 60 s, then 300 s capped at 3 real seconds
    assert pauses == [1.0, 1.0, 3]


def test_replay_refuses_a_speed_that_is_not_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        ReplayFeed(tmp_path / "bars.csv", SimulatedClock(T0), speed=0)
