"""The backtest's bar tape: every row checked as ``Bar`` would check it, bad rows left out with
their reason, the rest in time order."""

from __future__ import annotations

import copy
from array import array
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from trading_bot.core.errors import DataError
from trading_bot.core.model import Bar
from trading_bot.entrypoints.backtest_bar_files import load_bar_files, tape_from_frame
from trading_bot.entrypoints.backtest_data import (
    BarTape,
    from_micros,
    micros,
    trusted_bar,
    utc_datetimes,
)
from trading_bot.entrypoints.backtest_replay import benchmark_closes
from trading_bot.testing.backtest import write_market

HEADER = "timestamp,ticker,open,high,low,close,volume"
GOOD = "2024-03-04T14:30:00Z,AAPL,10,11,9,10.5,100"


def tape_of(*rows: str, tmp_path: Path) -> tuple[pd.DataFrame, Path]:
    path = tmp_path / "bars.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return pd.read_csv(path, dtype=str), path


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("not-a-time,AAPL,10,11,9,10.5,100", "timestamp is missing or not ISO-8601"),
        ("2024-03-04T14:31:00Z,,10,11,9,10.5,100", "ticker is missing"),
        ("2024-03-04T14:31:00Z,aapl!,10,11,9,10.5,100", "ticker is not an upper-case symbol"),
        ("2024-03-04T14:31:00Z,AAPL,ten,11,9,10.5,100", "a price is missing or not a number"),
        ("2024-03-04T14:31:00Z,AAPL,10,inf,9,10.5,100", "a price is infinite"),
        ("2024-03-04T14:31:00Z,AAPL,10,11,0,10.5,100", "a price is zero or negative"),
        ("2024-03-04T14:31:00Z,AAPL,10,9,11,10.5,100", "high is below low"),
        ("2024-03-04T14:31:00Z,AAPL,12,11,9,10.5,100", "open or close lies outside [low, high]"),
        ("2024-03-04T14:31:00Z,AAPL,10,11,9,10.5,-5", "volume is missing, negative or infinite"),
        ("2024-03-04T14:30:00Z,AAPL,10,11,9,10.5,100", "duplicate of an earlier bar"),
    ],
)
def test_tape_when_a_row_is_malformed_leaves_it_out_with_its_reason_and_line(
    tmp_path: Path, row: str, reason: str
) -> None:
    frame, path = tape_of(GOOD, row, tmp_path=tmp_path)

    tape = tape_from_frame(frame, source=str(path))

    assert len(tape) == 1, "the good row is kept"
    assert tape.skipped.total == 1
    assert next(iter(tape.skipped.by_reason)).startswith(reason.partition(" [")[0])
    assert tape.skipped.examples[0].startswith(f"{path}: line 3: ")


def test_tape_when_a_row_is_refused_a_later_good_one_at_that_time_is_kept(
    tmp_path: Path,
) -> None:
    frame, path = tape_of("2024-03-04T14:30:00Z,AAPL,-10,11,9,10.5,100", GOOD, tmp_path=tmp_path)

    tape = tape_from_frame(frame, source=str(path))

    assert len(tape) == 1
    assert tape.skipped.by_reason == {"a price is zero or negative": 1}


def test_tape_orders_bars_by_time_then_ticker_and_builds_the_same_bars_as_the_model(
    tmp_path: Path,
) -> None:
    frame, path = tape_of(
        "2024-03-04T14:31:00Z,MSFT,20,21,19,20.5,50",
        "2024-03-04T14:31:00Z,AAPL,10.5,11,10,10.75,70",
        GOOD,
        tmp_path=tmp_path,
    )

    bars = list(tape_from_frame(frame, source=str(path)).bars())

    assert [(b.ticker, b.timestamp.minute) for b in bars] == [
        ("AAPL", 30),
        ("AAPL", 31),
        ("MSFT", 31),
    ]
    assert bars[0] == Bar(
        ticker="AAPL",
        timestamp=datetime(2024, 3, 4, 14, 30, tzinfo=UTC),
        open=10.0,
        high=11.0,
        low=9.0,
        close=10.5,
        volume=100.0,
        interval_seconds=60,
    )
    assert bars[0].closes_at == datetime(2024, 3, 4, 14, 31, tzinfo=UTC)


def test_tape_takes_each_tickers_most_common_gap_as_its_interval(tmp_path: Path) -> None:
    frame, path = tape_of(
        "2024-03-04T14:30:00Z,AAPL,10,11,9,10.5,100",
        "2024-03-04T14:35:00Z,AAPL,10,11,9,10.5,100",
        "2024-03-04T14:40:00Z,AAPL,10,11,9,10.5,100",
        "2024-03-04T15:40:00Z,AAPL,10,11,9,10.5,100",
        tmp_path=tmp_path,
    )

    tape = tape_from_frame(frame, source=str(path))

    assert set(tape.interval.tolist()) == {300}


def test_tape_chunks_carry_each_bars_close_time_as_the_model_computes_it(
    tmp_path: Path,
) -> None:
    frame, path = tape_of(
        "2024-03-04T14:30:00Z,AAPL,10,11,9,10.5,100",
        "2024-03-04T14:35:00Z,AAPL,10,11,9,10.5,100",
        "2024-03-04T14:31:00Z,MSFT,20,21,19,20.5,50",
        "2024-03-04T14:32:00Z,MSFT,20,21,19,20.5,50",
        "2024-03-05T14:30:00Z,MSFT,20,21,19,20.5,50",
        tmp_path=tmp_path,
    )
    tape = tape_from_frame(frame, source=str(path))

    closes = [when for chunk in tape.chunks(size=2) for when in chunk.closes]

    assert closes == [bar.closes_at for bar in tape.bars()]
    assert [when.minute for when in closes] == [35, 32, 33, 40, 31]


def test_tape_closed_by_keeps_only_bars_closed_at_the_cut(tmp_path: Path) -> None:
    path = write_market(tmp_path / "m.csv", ("AAPL",), bars=10)
    tape = load_bar_files([path])
    cut = datetime(2024, 3, 5, 14, 35, tzinfo=UTC)

    kept = tape.closed_by(cut)

    assert len(kept) == 5
    assert max(kept.closes_at.tolist()) == 1_709_649_300_000_000  # 14:35 UTC


def test_load_bar_files_reads_parquet_as_csv(tmp_path: Path) -> None:
    csv = write_market(tmp_path / "m.csv", ("AAPL", "MSFT"), bars=50)
    parquet = write_market(tmp_path / "m.parquet", ("AAPL", "MSFT"), bars=50)

    assert list(load_bar_files([csv]).bars()) == list(load_bar_files([parquet]).bars())


def test_load_bar_files_when_a_column_is_missing_raises_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text("timestamp,ticker,open,high,low,close\n", encoding="utf-8")

    with pytest.raises(DataError, match="missing required column"):
        load_bar_files([path])


def test_utc_datetimes_match_one_by_one_conversion_across_gaps_repeats_and_reversals() -> None:
    minute = 60_000_000
    start = micros(datetime(2024, 3, 1, 20, 59, tzinfo=UTC))
    times = [start, start, start + minute, start + 3 * 86_400_000_000, start + minute, start + 7]

    converted = utc_datetimes(times)

    assert converted == [from_micros(at) for at in times]
    assert all(at.tzinfo is UTC for at in converted)
    assert converted[0] is converted[1]  # bars opening together share their time
    assert utc_datetimes([]) == []


def test_replay_benchmark_column_is_the_tickers_latest_close_at_each_point(
    tmp_path: Path,
) -> None:
    frame, path = tape_of(
        "2024-03-04T14:31:00Z,MSFT,20,21,19,20.5,50",
        "2024-03-04T14:31:00Z,AAPL,10.5,11,10,10.75,70",
        "2024-03-04T14:33:00Z,AAPL,10.5,11,10,10.25,70",
        GOOD,
        tmp_path=tmp_path,
    )
    tape = tape_from_frame(frame, source=str(path))
    aapl = tape.names.index("AAPL")
    at = [micros(datetime(2024, 3, 4, 14, minute, tzinfo=UTC)) for minute in (30, 31, 32, 35)]

    closes = benchmark_closes(tape, aapl, array("q", at))

    # 14:30 is before AAPL's first close (14:31); its 14:31 bar closes at 14:32, 14:33's at 14:34.
    assert closes.tolist() == [0.0, 10.5, 10.75, 10.25]


def test_replay_benchmark_column_follows_the_closing_order_of_bars_of_several_lengths() -> None:
    minute = 60_000_000
    start = micros(datetime(2024, 3, 4, 14, 30, tzinfo=UTC))
    tape = BarTape(
        names=("AAPL",),
        ticker=np.zeros(2, dtype=np.int32),
        opens_at=np.array([start, start + minute], dtype=np.int64),
        interval=np.array([300, 60], dtype=np.int64),  # closes at 14:35, then at 14:32
        open=np.array([10.0, 11.0]),
        high=np.array([10.0, 11.0]),
        low=np.array([10.0, 11.0]),
        close=np.array([10.0, 11.0]),
        volume=np.array([1.0, 1.0]),
    )
    at = [start + 2 * minute, start + 3 * minute, start + 5 * minute]

    closes = benchmark_closes(tape, 0, array("q", at))

    assert closes.tolist() == [11.0, 11.0, 10.0]


def test_trusted_bar_is_indistinguishable_from_a_validated_bar() -> None:
    at = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
    validated = Bar(
        ticker="AAPL",
        timestamp=at,
        open=10,
        high=11,
        low=9,
        close=10.5,
        volume=100,
        interval_seconds=60,  # a tape's bars always carry their interval
    )

    trusted = trusted_bar("AAPL", at, 10.0, 11.0, 9.0, 10.5, 100.0, 60)

    assert trusted == validated
    assert hash(trusted) == hash(validated)
    assert repr(trusted) == repr(validated)
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert trusted.model_fields_set == validated.model_fields_set
    assert trusted.model_copy(update={"close": 10.0}).close == 10.0
    assert copy.deepcopy(trusted) == validated
    with pytest.raises(ValidationError):
        trusted.close = 1.0  # type: ignore[misc]  # frozen, as every Bar
