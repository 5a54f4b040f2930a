"""StrategyRepository: idempotent seeding and weight changes written all together or not at all."""

from __future__ import annotations

import asyncio

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import WeightChange
from trading_bot.testing.storage_records import T0, at


async def test_seed_when_database_is_empty_creates_the_three_strategies_with_equal_weights(
    repos: SqlRepositories,
) -> None:
    created = await repos.strategies.seed()

    assert sorted(created) == ["mean_reversion", "momentum", "news_driven"]
    assert await repos.strategies.weights() == pytest.approx(
        {"mean_reversion": 1 / 3, "momentum": 1 / 3, "news_driven": 1 / 3}
    )
    records = await repos.strategies.all()
    assert [record.name for record in records] == ["mean_reversion", "momentum", "news_driven"]
    assert all(record.active and record.created_at == T0 for record in records)


async def test_seed_when_strategies_exist_keeps_their_learned_weights(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    await repos.strategies.apply_weight_changes(
        [WeightChange(strategy="momentum", new_weight=0.5)], cycle=1, at=at(60)
    )

    created = await repos.strategies.seed()

    assert created == []
    assert (await repos.strategies.weights())["momentum"] == pytest.approx(0.5)


async def test_seed_when_a_weight_is_outside_zero_to_one_is_refused(
    repos: SqlRepositories,
) -> None:
    with pytest.raises(DataError, match="within"):
        await repos.strategies.seed({"momentum": 1.5})

    assert await repos.strategies.all() == []


async def test_apply_weight_changes_when_strategies_exist_writes_weights_history_and_adjustments(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    changes = [
        WeightChange(
            strategy="momentum",
            new_weight=0.4,
            reason="won 14 of 20",
            reward=0.7,
            trades_considered=20,
        ),
        WeightChange(strategy="mean_reversion", new_weight=0.26666667, reason="lost 12 of 20"),
    ]

    await repos.strategies.apply_weight_changes(changes, cycle=3, at=at(60))

    momentum = await repos.strategies.get("momentum")
    assert momentum is not None
    assert momentum.weight == pytest.approx(0.4)
    assert momentum.updated_at == at(60)
    [history] = await repos.strategies.weight_history("momentum")
    assert (history.old_weight, history.new_weight) == pytest.approx((1 / 3, 0.4))
    assert history.reason == "won 14 of 20"
    assert history.timestamp == at(60)
    [adjustment] = await repos.strategies.adjustments("momentum")
    assert adjustment.cycle == 3
    assert adjustment.reward == pytest.approx(0.7)
    assert adjustment.trades_considered == 20
    assert adjustment.old_weight == pytest.approx(1 / 3)


async def test_apply_weight_changes_when_one_strategy_is_unknown_writes_nothing(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    changes = [
        WeightChange(strategy="momentum", new_weight=0.5),
        WeightChange(strategy="astrology", new_weight=0.5),
    ]

    with pytest.raises(DataError, match="astrology"):
        await repos.strategies.apply_weight_changes(changes, cycle=1, at=at(60))

    assert (await repos.strategies.weights())["momentum"] == pytest.approx(1 / 3)
    assert await repos.strategies.weight_history("momentum") == []
    assert await repos.strategies.adjustments("momentum") == []


async def test_weight_history_when_changed_several_times_is_newest_first_and_chained(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    for cycle, weight in enumerate((0.3, 0.25, 0.2), start=1):
        await repos.strategies.apply_weight_changes(
            [WeightChange(strategy="news_driven", new_weight=weight)], cycle=cycle, at=at(cycle)
        )

    history = await repos.strategies.weight_history("news_driven", limit=2)

    assert [entry.new_weight for entry in history] == pytest.approx([0.2, 0.25])
    assert history[0].old_weight == pytest.approx(history[1].new_weight)


async def test_apply_weight_changes_when_run_concurrently_loses_no_change(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    weights = [round(0.1 + i / 100, 2) for i in range(8)]

    await asyncio.gather(
        *(
            repos.strategies.apply_weight_changes(
                [WeightChange(strategy="momentum", new_weight=weight)], cycle=i, at=at(i)
            )
            for i, weight in enumerate(weights)
        )
    )

    history = await repos.strategies.weight_history("momentum")
    assert sorted(entry.new_weight for entry in history) == pytest.approx(weights)
    old_weights = {entry.old_weight for entry in history}
    assert len(old_weights) == len(weights)


async def test_get_when_strategy_is_unknown_returns_none(repos: SqlRepositories) -> None:
    assert await repos.strategies.get("astrology") is None
