"""TradeRepository: one trade per client order id, updates tracked, dashboard filters paged."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    Direction,
    OrderSide,
    OrderStatus,
    Page,
    StrategySource,
    TradeExecution,
    TradeRecord,
    TradeSignal,
)
from trading_bot.testing.storage_records import T0, at, make_execution, make_trade_signal


async def _stored(repos: SqlRepositories, signal: TradeSignal) -> TradeSignal:
    await repos.signals.add(signal)
    return signal


def _filled(pending: TradeExecution, *, minutes: float, price: str = "187.31") -> TradeExecution:
    return pending.model_copy(
        update={
            "status": OrderStatus.FILLED,
            "filled_qty": pending.qty,
            "price": Decimal(price),
            "commission": Decimal("0.35"),
            "broker_order_id": "broker-1",
            "executed_at": at(minutes),
        }
    )


async def test_add_when_trade_is_new_reads_back_equal_by_id_and_client_order_id(
    repos: SqlRepositories,
) -> None:
    signal = await _stored(repos, make_trade_signal())
    pending = make_execution(signal)

    added = await repos.trades.add(pending)

    assert added is True
    assert await repos.trades.get(pending.trade_id) == pending
    assert await repos.trades.get_by_client_order_id(pending.client_order_id) == pending


async def test_add_when_client_order_id_exists_keeps_the_first_trade(
    repos: SqlRepositories,
) -> None:
    signal = await _stored(repos, make_trade_signal())
    first = make_execution(signal)
    redelivered = make_execution(signal, qty=Decimal(99))

    await repos.trades.add(first)
    added_again = await repos.trades.add(redelivered)

    assert added_again is False
    stored = await repos.trades.get_by_client_order_id(first.client_order_id)
    assert stored == first
    assert await repos.trades.get(redelivered.trade_id) is None


async def test_add_when_no_strategy_is_given_credits_the_signals_strongest_contributor(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    sources = (
        StrategySource(strategy="momentum", direction=Direction.LONG, strength=0.5, weight=0.3),
        StrategySource(strategy="news_driven", direction=Direction.LONG, strength=0.9, weight=0.3),
        StrategySource(
            strategy="mean_reversion", direction=Direction.SHORT, strength=1.0, weight=0.4
        ),
    )
    signal = await _stored(repos, make_trade_signal(sources=sources))
    trade = make_execution(signal)

    await repos.trades.add(trade)

    record = await repos.trades.record(trade.trade_id)
    assert record is not None
    assert record.strategy == "news_driven"
    assert record.submitted_at == T0


async def test_add_when_strategy_is_named_credits_it(repos: SqlRepositories) -> None:
    await repos.strategies.seed()
    trade = make_execution()

    await repos.trades.add(trade, strategy="mean_reversion")

    record = await repos.trades.record(trade.trade_id)
    assert record is not None
    assert record.strategy == "mean_reversion"


async def test_update_when_order_fills_records_price_fill_time_and_keeps_submission_time(
    repos: SqlRepositories,
) -> None:
    signal = await _stored(repos, make_trade_signal())
    pending = make_execution(signal)
    await repos.trades.add(pending)

    updated = await repos.trades.update(_filled(pending, minutes=2))

    assert updated == _filled(pending, minutes=2)
    record = await repos.trades.record(pending.trade_id)
    assert record is not None
    assert (record.submitted_at, record.filled_at) == (T0, at(2))
    assert record.execution.price == Decimal("187.31")


async def test_update_when_rebuilt_with_a_new_trade_id_keeps_the_stored_id(
    repos: SqlRepositories,
) -> None:
    pending = make_execution()
    await repos.trades.add(pending)
    rebuilt = _filled(pending, minutes=1).model_copy(update={"trade_id": uuid.uuid4()})

    updated = await repos.trades.update(rebuilt)

    assert updated.trade_id == pending.trade_id


async def test_update_when_client_order_id_is_unknown_is_refused(repos: SqlRepositories) -> None:
    with pytest.raises(DataError, match="no trade"):
        await repos.trades.update(make_execution(status=OrderStatus.CANCELLED))


async def test_update_when_ticker_differs_is_refused_and_trade_unchanged(
    repos: SqlRepositories,
) -> None:
    pending = make_execution(ticker="AAPL")
    await repos.trades.add(pending)

    with pytest.raises(DataError, match="cannot make it"):
        await repos.trades.update(_filled(pending, minutes=1).model_copy(update={"ticker": "MSFT"}))

    assert await repos.trades.get(pending.trade_id) == pending


async def test_pending_when_trades_are_mixed_lists_only_unfinished_oldest_first(
    repos: SqlRepositories,
) -> None:
    partial = make_execution(
        status=OrderStatus.PARTIALLY_FILLED,
        filled_qty=Decimal(4),
        price=Decimal(180),
        executed_at=at(2),
    )
    waiting = make_execution(executed_at=at(1))
    done = make_execution(status=OrderStatus.REJECTED, executed_at=at(0))
    for trade in (partial, waiting, done):
        await repos.trades.add(trade)

    pending = await repos.trades.pending()

    assert [trade.trade_id for trade in pending] == [waiting.trade_id, partial.trade_id]


async def test_for_signal_when_entry_and_stop_exit_exist_lists_both_oldest_first(
    repos: SqlRepositories,
) -> None:
    signal = await _stored(repos, make_trade_signal())
    entry = make_execution(signal)
    stop = make_execution(
        signal, side=OrderSide.SELL, is_exit=True, purpose="stop", executed_at=at(30)
    )
    await repos.trades.add(stop)
    await repos.trades.add(entry)

    trades = await repos.trades.for_signal(signal.signal_id)

    assert [trade.client_order_id for trade in trades] == [
        entry.client_order_id,
        stop.client_order_id,
    ]


async def test_latest_entry_when_exit_comes_finds_the_newest_filled_entry_before_it(
    repos: SqlRepositories,
) -> None:
    old_entry = make_execution(status=OrderStatus.FILLED, filled_qty=Decimal(10), executed_at=at(0))
    new_entry = make_execution(status=OrderStatus.FILLED, filled_qty=Decimal(10), executed_at=at(5))
    unfilled = make_execution(status=OrderStatus.REJECTED, executed_at=at(6))
    an_exit = make_execution(
        side=OrderSide.SELL,
        status=OrderStatus.FILLED,
        filled_qty=Decimal(10),
        is_exit=True,
        executed_at=at(7),
    )
    later = make_execution(status=OrderStatus.FILLED, filled_qty=Decimal(10), executed_at=at(9))
    other_ticker = make_execution(
        ticker="MSFT", status=OrderStatus.FILLED, filled_qty=Decimal(1), executed_at=at(8)
    )
    for trade in (old_entry, new_entry, unfilled, an_exit, later, other_ticker):
        await repos.trades.add(trade)

    found = await repos.trades.latest_entry("AAPL", before=at(8))

    assert found is not None
    assert found.trade_id == new_entry.trade_id


async def test_query_when_filtered_returns_matching_trades_newest_first_with_total(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    trades = {
        "win": make_execution(
            status=OrderStatus.FILLED, realized_pnl=Decimal("12.5"), is_exit=True, executed_at=at(1)
        ),
        "loss": make_execution(
            status=OrderStatus.FILLED, realized_pnl=Decimal("-3"), is_exit=True, executed_at=at(2)
        ),
        "flat": make_execution(
            status=OrderStatus.FILLED, realized_pnl=Decimal(0), is_exit=True, executed_at=at(3)
        ),
        "open": make_execution(executed_at=at(4)),
        "msft": make_execution(ticker="MSFT", executed_at=at(5)),
        "news": make_execution(executed_at=at(6)),
    }
    for name, trade in trades.items():
        await repos.trades.add(trade, strategy="news_driven" if name == "news" else "momentum")

    def names(page: Page[TradeRecord]) -> list[str]:
        assert page.total == len(page.items)
        by_id = {trade.trade_id: name for name, trade in trades.items()}
        return [by_id[record.execution.trade_id] for record in page.items]

    assert names(await repos.trades.query(profitable=True)) == ["win"]
    assert names(await repos.trades.query(profitable=False)) == ["flat", "loss"]
    assert names(await repos.trades.query(ticker="MSFT")) == ["msft"]
    assert names(await repos.trades.query(strategy="news_driven")) == ["news"]
    pending_aapl = await repos.trades.query(status=OrderStatus.PENDING, ticker="AAPL")
    assert names(pending_aapl) == ["news", "open"]
    assert names(await repos.trades.query(since=at(2), until=at(4))) == ["flat", "loss"]


async def test_query_when_paged_returns_the_page_and_the_total(repos: SqlRepositories) -> None:
    for minute in range(5):
        await repos.trades.add(make_execution(executed_at=at(minute)))

    page = await repos.trades.query(limit=2, offset=1)

    assert page.total == 5
    assert [record.submitted_at for record in page.items] == [at(3), at(2)]


async def test_update_without_a_pnl_or_broker_order_id_keeps_the_stored_ones(
    repos: SqlRepositories,
) -> None:
    pending = make_execution()
    await repos.trades.add(pending)
    settled = _filled(pending, minutes=1).model_copy(
        update={"realized_pnl": Decimal("12.5"), "broker_order_id": "broker-9"}
    )
    await repos.trades.update(settled)

    later = settled.model_copy(
        update={"realized_pnl": None, "broker_order_id": None, "executed_at": at(3)}
    )
    updated = await repos.trades.update(later)

    assert (updated.realized_pnl, updated.broker_order_id) == (Decimal("12.5"), "broker-9")
    record = await repos.trades.record(pending.trade_id)
    assert record is not None
    assert record.filled_at == at(1), "no new fill: the fill time stays"
    assert record.execution.executed_at == at(3)
