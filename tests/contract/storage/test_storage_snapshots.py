"""SnapshotRepository: the equity curve and strategy metrics, a repeated instant replaced."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.testing.storage_records import (
    T0,
    at,
    make_portfolio_snapshot,
    make_strategy_metric,
)


async def test_portfolio_history_when_snapshots_exist_returns_the_window_oldest_first(
    repos: SqlRepositories,
) -> None:
    snapshots = [make_portfolio_snapshot(at(60 * hour)) for hour in (2, 0, 1, 3)]
    for snapshot in snapshots:
        await repos.snapshots.add_portfolio_snapshot(snapshot)

    history = await repos.snapshots.portfolio_history(since=at(60), until=at(180))

    assert [snapshot.timestamp for snapshot in history] == [at(60), at(120)]
    assert await repos.snapshots.latest_portfolio_snapshot() == snapshots[3]


async def test_add_portfolio_snapshot_when_instant_exists_replaces_it(
    repos: SqlRepositories,
) -> None:
    await repos.snapshots.add_portfolio_snapshot(make_portfolio_snapshot(T0))
    corrected = make_portfolio_snapshot(T0, equity=Decimal("100123.45678901"))

    await repos.snapshots.add_portfolio_snapshot(corrected)

    assert await repos.snapshots.portfolio_history(since=T0) == [corrected]


async def test_latest_portfolio_snapshot_when_none_exists_is_none(repos: SqlRepositories) -> None:
    assert await repos.snapshots.latest_portfolio_snapshot() is None


async def test_strategy_metrics_when_recorded_read_back_per_strategy_oldest_first(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    metrics = [make_strategy_metric("momentum", at(60 * hour)) for hour in (1, 0)]
    for metric in [*metrics, make_strategy_metric("news_driven", T0)]:
        await repos.snapshots.add_strategy_metric(metric)

    found = await repos.snapshots.strategy_metrics("momentum", since=T0)

    assert found == [metrics[1], metrics[0]]


async def test_add_strategy_metric_when_instant_exists_replaces_it(
    repos: SqlRepositories,
) -> None:
    await repos.strategies.seed()
    await repos.snapshots.add_strategy_metric(make_strategy_metric(trades=20))

    await repos.snapshots.add_strategy_metric(make_strategy_metric(trades=21))

    [metric] = await repos.snapshots.strategy_metrics("momentum", since=T0)
    assert metric.trades == 21


async def test_add_strategy_metric_when_strategy_is_unknown_is_refused(
    repos: SqlRepositories,
) -> None:
    with pytest.raises(DataError, match="unknown strategy"):
        await repos.snapshots.add_strategy_metric(make_strategy_metric("astrology"))
