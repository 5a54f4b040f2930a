"""OutcomeRepository: one outcome per exit trade, credits queryable per strategy."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import OrderSide, OrderStatus, TradeExecution
from trading_bot.testing.storage_records import at, make_execution, make_outcome


async def _round_trip(
    repos: SqlRepositories, minute: float = 0
) -> tuple[TradeExecution, TradeExecution]:
    entry = make_execution(
        status=OrderStatus.FILLED,
        filled_qty=Decimal(10),
        price=Decimal(100),
        executed_at=at(minute),
    )
    exit_ = make_execution(
        side=OrderSide.SELL,
        status=OrderStatus.FILLED,
        filled_qty=Decimal(10),
        price=Decimal("101.25"),
        is_exit=True,
        realized_pnl=Decimal("12.5"),
        executed_at=at(minute + 30),
    )
    await repos.trades.add(entry)
    await repos.trades.add(exit_)
    return entry, exit_


async def test_add_when_round_trip_closes_stores_the_outcome(repos: SqlRepositories) -> None:
    entry, exit_ = await _round_trip(repos)
    outcome = make_outcome(entry, exit_, realized_pnl=Decimal("12.49999999"))

    added = await repos.outcomes.add(outcome)

    assert added is True
    assert await repos.outcomes.recent() == [outcome]
    assert await repos.outcomes.for_trade(entry.trade_id) == outcome
    assert await repos.outcomes.for_trade(exit_.trade_id) == outcome


async def test_add_when_exit_was_already_evaluated_counts_it_once(repos: SqlRepositories) -> None:
    entry, exit_ = await _round_trip(repos)
    first = make_outcome(entry, exit_)
    await repos.outcomes.add(first)

    added_again = await repos.outcomes.add(make_outcome(entry, exit_))

    assert added_again is False
    assert await repos.outcomes.recent() == [first]
    assert await repos.outcomes.closed_trade_counts() == {"momentum": 1, "news_driven": 1}


async def test_add_when_trades_are_not_stored_is_refused(repos: SqlRepositories) -> None:
    outcome = make_outcome(make_execution(), make_execution(side=OrderSide.SELL))

    with pytest.raises(DataError):
        await repos.outcomes.add(outcome)

    assert await repos.outcomes.recent() == []


async def test_recent_when_filtered_by_strategy_returns_its_outcomes_newest_first(
    repos: SqlRepositories,
) -> None:
    credits = [{"momentum": 1.0}, {"news_driven": 1.0}, {"momentum": 0.5, "news_driven": -0.5}]
    outcomes = []
    for index, credit in enumerate(credits):
        entry, exit_ = await _round_trip(repos, minute=index * 60)
        outcomes.append(make_outcome(entry, exit_, credits=credit))
        await repos.outcomes.add(outcomes[-1])

    momentum = await repos.outcomes.recent(strategy="momentum")
    latest = await repos.outcomes.recent(limit=1)

    assert momentum == [outcomes[2], outcomes[0]]
    assert latest == [outcomes[2]]
    assert await repos.outcomes.closed_trade_counts() == {"momentum": 2, "news_driven": 2}


async def test_for_trade_when_trade_has_no_outcome_returns_none(repos: SqlRepositories) -> None:
    assert await repos.outcomes.for_trade(uuid.uuid4()) is None
