"""The market snapshot: per-ticker window and incremental indicators, advanced bar by bar."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trading_bot.core.errors import DataError
from trading_bot.core.indicators import SMA, BarField, IndicatorKind, IndicatorSpec
from trading_bot.core.market_state import MarketState
from trading_bot.testing.bar_series import bars_from_closes, random_walk_closes

SMA_3 = IndicatorSpec(IndicatorKind.SMA, 3)
VOLUME_2 = IndicatorSpec(IndicatorKind.SMA, 2, BarField.VOLUME)
RSI_2 = IndicatorSpec(IndicatorKind.RSI, 2)


def test_market_state_when_bars_arrive_exposes_last_and_previous_close_and_time() -> None:
    bars = bars_from_closes([10.0, 11.0, 12.5])
    state = MarketState([SMA_3])

    first_previous_close = state.update(bars[0]).previous_close
    state.update(bars[1])
    last = state.update(bars[2])

    assert first_previous_close is None
    assert (last.close, last.previous_close, last.timestamp) == (12.5, 11.0, bars[-1].timestamp)
    assert last.bar == bars[-1]
    assert last.bar_count == 3


def test_market_state_maintains_declared_indicators_from_the_first_bar() -> None:
    closes = random_walk_closes(50, seed=1)
    volumes = [float(100 + i) for i in range(50)]
    state = MarketState([SMA_3, VOLUME_2, RSI_2])
    reference = SMA(3)

    for bar in bars_from_closes(closes, volumes=volumes):
        snapshot = state.update(bar)
        expected = reference.update(bar.close)

    assert snapshot.value(SMA_3) == expected
    assert snapshot.previous(SMA_3) == reference.previous
    assert snapshot.value(VOLUME_2) == (148.0 + 149.0) / 2
    assert snapshot.indicators[RSI_2.key].value is not None


def test_market_state_before_an_indicator_is_ready_reports_none() -> None:
    state = MarketState([SMA_3])

    snapshot = state.update(bars_from_closes([10.0])[0])

    assert snapshot.value(SMA_3) is None
    assert snapshot.previous(SMA_3) is None


def test_market_state_when_a_bar_is_older_than_the_last_refuses_it_and_changes_nothing() -> None:
    first, second, third = bars_from_closes([10.0, 11.0, 12.0])
    state = MarketState([SMA_3])
    state.update(first)
    state.update(third)

    with pytest.raises(DataError, match="older than the last one"):
        state.update(second)

    snapshot = state.snapshot("AAPL")
    assert snapshot is not None
    assert (snapshot.bar_count, snapshot.close, snapshot.previous_close) == (2, 12.0, 10.0)
    assert snapshot.bars == (first, third)


def test_market_state_when_a_bar_repeats_refuses_it_so_indicators_do_not_count_it_twice() -> None:
    bars = bars_from_closes([10.0, 11.0, 12.0])
    state = MarketState([SMA_3])
    for bar in bars:
        state.update(bar)

    with pytest.raises(DataError, match="a repeat of"):
        state.update(bars[-1])

    snapshot = state.snapshot("AAPL")
    assert snapshot is not None
    assert snapshot.value(SMA_3) == 11.0


def test_market_state_keeps_tickers_apart() -> None:
    state = MarketState([SMA_3])
    apple = bars_from_closes([10.0, 11.0], ticker="AAPL")
    msft = bars_from_closes([300.0], ticker="MSFT")

    state.update(apple[0])
    state.update(msft[0])
    snapshot = state.update(apple[1])

    assert snapshot.previous_close == 10.0
    assert set(state.tickers) == {"AAPL", "MSFT"}
    assert state.snapshot("TSLA") is None


def test_market_state_keeps_only_the_last_window_of_bars() -> None:
    bars = bars_from_closes([float(100 + i) for i in range(10)])
    state = MarketState([], window=4)

    for bar in bars:
        snapshot = state.update(bar)

    assert snapshot.bars == tuple(bars[-4:])


def test_market_state_when_a_bar_is_missing_goes_on_over_the_gap() -> None:
    bars = bars_from_closes([10.0, 11.0, 12.0, 13.0])
    later = bars[3].model_copy(update={"timestamp": bars[3].timestamp + timedelta(minutes=30)})
    state = MarketState([SMA_3])

    for bar in (*bars[:3], later):
        snapshot = state.update(bar)

    assert snapshot.value(SMA_3) == 12.0
    assert snapshot.timestamp == later.timestamp


def test_market_snapshot_when_asked_for_an_undeclared_indicator_says_what_to_do() -> None:
    state = MarketState([SMA_3])
    snapshot = state.update(bars_from_closes([10.0])[0])

    with pytest.raises(KeyError, match=r"rsi\(close,2\) is not maintained"):
        snapshot.value(RSI_2)


def test_market_state_when_window_is_below_one_refuses_it() -> None:
    with pytest.raises(ValueError, match="window"):
        MarketState([SMA_3], window=0)


def test_market_state_declares_each_indicator_once() -> None:
    state = MarketState([SMA_3, VOLUME_2, SMA_3])

    assert state.indicators == (SMA_3, VOLUME_2)
