"""Values survive storage exactly: Decimal to the 8th place, times aware UTC; bad values are
refused with a DataError and nothing is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import OrderStatus, Position, WeightChange
from trading_bot.testing.storage_records import make_execution, make_trade_signal


async def test_trade_when_amounts_have_eight_decimals_reads_back_exactly(
    repos: SqlRepositories,
) -> None:
    execution = make_execution(
        status=OrderStatus.FILLED,
        qty=Decimal("123.45678901"),
        filled_qty=Decimal("123.45678901"),
        price=Decimal("9999999999.99999999"),
        commission=Decimal("0.00000001"),
        realized_pnl=Decimal("-42.10000001"),
        is_exit=True,
    )
    await repos.trades.add(execution)

    stored = await repos.trades.get(execution.trade_id)

    assert stored == execution
    assert stored is not None
    assert str(stored.qty) == "123.45678901"


async def test_position_when_amounts_have_more_than_eight_decimals_rounds_half_even(
    repos: SqlRepositories,
) -> None:
    await repos.positions.upsert(
        Position(ticker="MSFT", qty=Decimal("1.000000005"), avg_entry_price=Decimal("2.000000015"))
    )

    stored = await repos.positions.get("MSFT")

    assert stored is not None
    assert stored.position.qty == Decimal("1.00000000")
    assert stored.position.avg_entry_price == Decimal("2.00000002")


async def test_position_when_amount_is_too_large_is_refused_and_nothing_is_stored(
    repos: SqlRepositories,
) -> None:
    huge = Position(ticker="MSFT", qty=Decimal(1), avg_entry_price=Decimal("10000000000"))

    with pytest.raises(DataError, match="too large"):
        await repos.positions.upsert(huge)

    assert await repos.positions.all() == []


async def test_signal_when_generated_in_another_time_zone_reads_back_the_same_instant_in_utc(
    repos: SqlRepositories,
) -> None:
    new_york_morning = datetime(2024, 3, 5, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5)))
    signal = make_trade_signal(generated_at=new_york_morning)
    await repos.signals.add(signal)

    stored = await repos.signals.get(signal.signal_id)

    assert stored is not None
    assert stored.signal.generated_at == new_york_morning
    assert stored.signal.generated_at.tzinfo is UTC
    assert stored.signal.generated_at.hour == 15


async def test_backtest_update_when_progress_is_out_of_range_is_refused_and_run_unchanged(
    repos: SqlRepositories,
) -> None:
    run = await repos.backtests.create({"capital": 100_000})

    with pytest.raises(DataError):
        await repos.backtests.update(run.run_id, progress=1.5)

    assert await repos.backtests.get(run.run_id) == run


async def test_weight_change_when_time_is_naive_is_refused_and_nothing_is_written(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    naive = datetime(2024, 3, 5, 15, 0)  # noqa: DTZ001 - the naive time is what is under test

    with pytest.raises(DataError, match="naive"):
        await repos.strategies.apply_weight_changes(
            [WeightChange(strategy="momentum", new_weight=0.5)], cycle=1, at=naive
        )

    assert await repos.strategies.weight_history("momentum") == []
    assert (await repos.strategies.weights())["momentum"] == pytest.approx(1 / 3)


async def test_trade_when_its_signal_does_not_exist_is_refused_and_nothing_is_stored(
    repos: SqlRepositories,
) -> None:
    orphan = make_execution(make_trade_signal())

    with pytest.raises(DataError, match="refused by the database"):
        await repos.trades.add(orphan)

    assert await repos.trades.get_by_client_order_id(orphan.client_order_id) is None


async def test_position_when_its_entry_signal_does_not_exist_is_refused(
    repos: SqlRepositories,
) -> None:
    position = Position(ticker="AAPL", qty=Decimal(5), avg_entry_price=Decimal(180))

    with pytest.raises(DataError):
        await repos.positions.upsert(position, entry_signal_id=uuid.uuid4())

    assert await repos.positions.get("AAPL") is None
