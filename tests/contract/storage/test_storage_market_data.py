"""MarketDataRepository: bars stored in idempotent batches and read back in time order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.testing.storage_records import T0, at, make_ohlcv


async def test_add_bars_when_some_are_already_stored_adds_only_the_new_ones(
    repos: SqlRepositories,
) -> None:
    first_batch = [make_ohlcv(timestamp=at(minute)) for minute in range(3)]
    await repos.market_data.add_bars(first_batch)

    added = await repos.market_data.add_bars([*first_batch, make_ohlcv(timestamp=at(3))])

    assert added == 1
    assert len(await repos.market_data.bars("AAPL", T0, at(10))) == 4


async def test_add_bars_when_the_batch_repeats_a_bar_stores_it_once(
    repos: SqlRepositories,
) -> None:
    bar = make_ohlcv()

    added = await repos.market_data.add_bars([bar, bar])

    assert added == 1


async def test_add_bars_when_the_batch_is_larger_than_one_statement_stores_all_of_it(
    repos: SqlRepositories,
) -> None:
    bars = [make_ohlcv(timestamp=T0 + timedelta(minutes=i)) for i in range(2_500)]

    added = await repos.market_data.add_bars(bars)

    stored = await repos.market_data.bars("AAPL", T0, T0 + timedelta(days=2))
    assert added == 2_500
    assert stored == bars


async def test_add_bars_when_empty_adds_nothing(repos: SqlRepositories) -> None:
    assert await repos.market_data.add_bars([]) == 0


async def test_bars_when_asked_for_a_window_returns_that_tickers_bars_from_start_to_before_end(
    repos: SqlRepositories,
) -> None:
    apple = [make_ohlcv(timestamp=at(minute), close=100 + minute) for minute in range(5)]
    await repos.market_data.add_bars(
        [*reversed(apple), make_ohlcv("MSFT", at(2)), make_ohlcv(timestamp=at(2), interval=300)]
    )

    window = await repos.market_data.bars("AAPL", at(1), at(4), interval_seconds=60)

    assert window == apple[1:4]


async def test_bars_when_prices_have_many_digits_read_back_the_same_floats(
    repos: SqlRepositories,
) -> None:
    bar = make_ohlcv(close=187.123456789012)
    await repos.market_data.add_bars([bar])

    [stored] = await repos.market_data.bars("AAPL", T0, at(1))

    assert stored.close == pytest.approx(187.123456789012, rel=0, abs=0)


async def test_tickers_when_bars_are_stored_lists_each_ticker_once_sorted(
    repos: SqlRepositories,
) -> None:
    await repos.market_data.add_bars(
        [make_ohlcv("MSFT"), make_ohlcv("AAPL"), make_ohlcv("MSFT", at(1))]
    )

    assert await repos.market_data.tickers() == ["AAPL", "MSFT"]
