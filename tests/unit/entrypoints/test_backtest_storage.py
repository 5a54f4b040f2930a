"""The backtest's in-memory repositories keep the SQL repositories' contracts (the golden run
compares whole backtests over both; these pin the rules one at a time)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    OrderSide,
    OrderStatus,
    Position,
    SignalOutcome,
    StrategySource,
    WeightChange,
)
from trading_bot.entrypoints.backtest_storage import BacktestRepositories, MemoryKeyValueStore
from trading_bot.testing.storage_records import (
    T0,
    at,
    make_execution,
    make_outcome,
    make_trade_signal,
)


@pytest.fixture
async def repos() -> BacktestRepositories:
    clock = SimulatedClock(T0)
    # Articles and bars are the throwaway database's; none of these tests reaches them.
    sql = SqlRepositories.create(Database("sqlite+aiosqlite:///:memory:"), clock)
    made = BacktestRepositories.create(clock, articles=sql.articles, market_data=sql.market_data)
    await made.strategies.seed()
    return made


async def test_trades_add_when_the_client_order_id_is_known_keeps_the_first(
    repos: BacktestRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)
    first = make_execution(signal)

    added = await repos.trades.add(first)
    again = await repos.trades.add(first.model_copy(update={"trade_id": uuid.uuid4()}))

    assert (added, again) == (True, False)


async def test_trades_add_when_the_signal_is_not_stored_refuses(
    repos: BacktestRepositories,
) -> None:
    with pytest.raises(DataError, match=r"signal .* is not stored"):
        await repos.trades.add(make_execution(make_trade_signal()))


async def test_trades_add_credits_the_strongest_contributor_of_the_signal(
    repos: BacktestRepositories,
) -> None:
    signal = make_trade_signal()  # momentum 0.8 x 0.4 beats news_driven 0.5 x 0.3
    await repos.signals.add(signal)
    trade = make_execution(signal)
    await repos.trades.add(trade)

    record = await repos.trades.record(trade.trade_id)

    assert record is not None
    assert record.strategy == "momentum"


async def test_trades_add_when_the_strongest_contributor_is_unknown_leaves_it_uncredited(
    repos: BacktestRepositories,
) -> None:
    sources = (StrategySource(strategy="astrology", direction="LONG", strength=1, weight=1),)
    signal = make_trade_signal(sources=sources)
    await repos.signals.add(signal)
    trade = make_execution(signal)
    await repos.trades.add(trade)

    record = await repos.trades.record(trade.trade_id)

    assert record is not None
    assert record.strategy is None


async def test_trades_update_stamps_the_fill_keeps_pnl_and_rounds_as_storage(
    repos: BacktestRepositories,
) -> None:
    trade = make_execution(is_exit=True, side=OrderSide.SELL, realized_pnl=Decimal("5"))
    await repos.trades.add(trade)

    updated = await repos.trades.update(
        trade.model_copy(
            update={
                "status": OrderStatus.FILLED,
                "filled_qty": Decimal(10),
                "price": Decimal("187.123456789"),
                "realized_pnl": None,
                "executed_at": at(2),
            }
        )
    )
    record = await repos.trades.record(trade.trade_id)

    assert updated.price == Decimal("187.12345679")
    assert updated.realized_pnl == Decimal(5)
    assert record is not None
    assert (record.submitted_at, record.filled_at) == (T0, at(2))
    assert await repos.trades.pending() == []


async def test_trades_update_when_unknown_or_changing_side_refuses(
    repos: BacktestRepositories,
) -> None:
    trade = make_execution()
    with pytest.raises(DataError, match="no trade with client order id"):
        await repos.trades.update(trade)
    await repos.trades.add(trade)

    with pytest.raises(DataError, match="an update cannot make it SELL"):
        await repos.trades.update(trade.model_copy(update={"side": OrderSide.SELL}))


async def test_trades_pending_and_latest_entry_order_by_submission_then_insertion(
    repos: BacktestRepositories,
) -> None:
    early, late, tie = (make_execution(executed_at=at(m)) for m in (1, 5, 5))
    for trade in (late, tie, early):
        await repos.trades.add(trade)
    filled = {"status": OrderStatus.FILLED, "filled_qty": Decimal(10), "price": Decimal(1)}
    for trade in (early, late, tie):
        await repos.trades.update(trade.model_copy(update={**filled, "executed_at": at(6)}))
    waiting = make_execution(executed_at=at(3))
    await repos.trades.add(waiting)

    latest = await repos.trades.latest_entry("AAPL", before=at(5))
    before_late = await repos.trades.latest_entry("AAPL", before=at(4))

    assert [t.client_order_id for t in await repos.trades.pending()] == [waiting.client_order_id]
    assert latest is not None
    assert latest.client_order_id == tie.client_order_id
    assert before_late is not None
    assert before_late.client_order_id == early.client_order_id


async def test_outcomes_add_when_a_trade_is_missing_refuses_and_a_repeat_is_ignored(
    repos: BacktestRepositories,
) -> None:
    entry = make_execution(executed_at=at(0))
    exit_ = make_execution(side=OrderSide.SELL, is_exit=True, executed_at=at(9))
    with pytest.raises(DataError, match="is not stored"):
        await repos.outcomes.add(make_outcome(entry, exit_))
    await repos.trades.add(entry)
    await repos.trades.add(exit_)

    first = await repos.outcomes.add(make_outcome(entry, exit_))
    repeat = await repos.outcomes.add(make_outcome(entry, exit_))

    assert (first, repeat) == (True, False)
    assert await repos.outcomes.closed_trade_counts() == {"momentum": 1, "news_driven": 1}
    assert (await repos.outcomes.for_trade(entry.trade_id)) is not None
    assert len(await repos.outcomes.recent(strategy="momentum")) == 1
    assert await repos.outcomes.recent(strategy="mean_reversion") == []


async def test_positions_upsert_keeps_what_opened_the_position(
    repos: BacktestRepositories,
) -> None:
    opened_by = uuid.uuid4()
    first = Position(ticker="AAPL", qty=Decimal(10), avg_entry_price=Decimal(100), opened_at=T0)
    await repos.positions.upsert(first, entry_signal_id=opened_by)

    await repos.positions.upsert(first.model_copy(update={"qty": Decimal(5), "opened_at": None}))
    stored = await repos.positions.get("AAPL")

    assert stored is not None
    assert (stored.position.qty, stored.position.opened_at) == (Decimal(5), T0)
    assert stored.entry_signal_id == opened_by
    assert await repos.positions.delete("AAPL") is True
    assert await repos.positions.delete("AAPL") is False


async def test_strategies_apply_weight_changes_when_a_name_is_unknown_changes_nothing(
    repos: BacktestRepositories,
) -> None:
    before = await repos.strategies.weights()
    changes = [
        WeightChange(strategy="momentum", new_weight=0.5),
        WeightChange(strategy="astrology", new_weight=0.1),
    ]

    with pytest.raises(DataError, match="unknown strategies in weight update: astrology"):
        await repos.strategies.apply_weight_changes(changes, cycle=1, at=at(1))

    assert await repos.strategies.weights() == before
    assert await repos.strategies.weight_history("momentum") == []


async def test_strategies_history_and_adjustments_are_newest_first(
    repos: BacktestRepositories,
) -> None:
    for cycle, weight in enumerate((0.4, 0.5), start=1):
        await repos.strategies.apply_weight_changes(
            [WeightChange(strategy="momentum", new_weight=weight)], cycle=cycle, at=at(cycle)
        )

    history = await repos.strategies.weight_history("momentum")
    adjustments = await repos.strategies.adjustments("momentum", limit=1)

    assert [(h.old_weight, h.new_weight) for h in history] == [
        (0.4, 0.5),
        (pytest.approx(1 / 3), 0.4),
    ]
    assert [a.cycle for a in adjustments] == [2]


async def test_signals_record_outcome_refuses_a_status_that_is_not_final(
    repos: BacktestRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)

    with pytest.raises(ValueError, match="not a final order status"):
        await repos.signals.record_outcome(signal.signal_id, OrderStatus.PENDING)
    await repos.signals.record_outcome(signal.signal_id, OrderStatus.FILLED, "done")

    record = await repos.signals.get(signal.signal_id)
    assert record is not None
    assert (record.outcome, record.acted_on) == (SignalOutcome.FILLED, True)


async def test_query_when_the_page_is_impossible_refuses(repos: BacktestRepositories) -> None:
    with pytest.raises(DataError, match="1 <= limit <= 1000"):
        await repos.trades.query(limit=0)


async def test_key_value_store_refuses_an_empty_or_overlong_key() -> None:
    store = MemoryKeyValueStore()

    with pytest.raises(DataError, match="1 to 200 characters"):
        await store.set("", "x")
    with pytest.raises(DataError, match="1 to 200 characters"):
        await store.set("k" * 201, "x")
