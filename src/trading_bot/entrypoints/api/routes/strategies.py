"""Strategies: weights and performance, weight history with reasons, metrics over time.

A strategy is addressed by its name (``momentum``) or its id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query

from trading_bot.adapters.storage.queries import OutcomeSummary
from trading_bot.core.model import StrategyRecord
from trading_bot.entrypoints.api.deps import GatewayDep, ReadScope
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.schemas.strategies import (
    AdjustmentOut,
    StrategyHistory,
    StrategyMetricPoint,
    StrategyMetrics,
    StrategyOut,
    WeightPoint,
)

StrategyKey = Annotated[
    str, Path(min_length=1, max_length=64, description="the strategy's name or id")
]
_NONE = OutcomeSummary(0, 0, Decimal(0))
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)

router = APIRouter(
    prefix="/api/strategies",
    tags=["strategies"],
    responses={**ERROR_RESPONSES, 404: {"model": ErrorBody}},
)


@router.get("", response_model=list[StrategyOut])
async def strategies(_: ReadScope, gateway: GatewayDep) -> list[StrategyOut]:
    """List the strategies with their weights and how the trades they argued for went."""
    container = gateway.container
    summaries = await container.queries.strategy_summaries()
    records = sorted(await container.repositories.strategies.all(), key=lambda r: r.name)
    return [_strategy_out(record, summaries.get(record.name, _NONE)) for record in records]


@router.get("/{strategy_id}/history", response_model=StrategyHistory)
async def strategy_history(
    strategy_id: StrategyKey,
    _: ReadScope,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 100,
) -> StrategyHistory:
    """Return the strategy's weight changes and learning adjustments, newest first."""
    record = await _strategy(gateway, strategy_id)
    repository = gateway.container.repositories.strategies
    weights = await repository.weight_history(record.name, limit=limit)
    adjustments = await repository.adjustments(record.name, limit=limit)
    return StrategyHistory(
        strategy=record.name,
        weights=[
            WeightPoint(
                timestamp=entry.timestamp,
                old_weight=entry.old_weight,
                new_weight=entry.new_weight,
                reason=entry.reason,
            )
            for entry in weights
        ],
        adjustments=[
            AdjustmentOut(
                timestamp=entry.timestamp,
                cycle=entry.cycle,
                old_weight=entry.old_weight,
                new_weight=entry.new_weight,
                reward=entry.reward,
                trades_considered=entry.trades_considered,
                reason=entry.reason,
            )
            for entry in adjustments
        ],
    )


@router.get("/{strategy_id}/metrics", response_model=StrategyMetrics)
async def strategy_metrics(
    strategy_id: StrategyKey, _: ReadScope, gateway: GatewayDep
) -> StrategyMetrics:
    """Return the strategy's performance now and the stored metrics over time."""
    record = await _strategy(gateway, strategy_id)
    container = gateway.container
    summary = (await container.queries.strategy_summaries()).get(record.name, _NONE)
    series = await container.repositories.snapshots.strategy_metrics(
        record.name, since=_EPOCH_START
    )
    return StrategyMetrics(
        strategy=record.name,
        trades=summary.trades,
        wins=summary.wins,
        win_rate=summary.win_rate,
        total_pnl=summary.total_pnl,
        series=[
            StrategyMetricPoint(
                timestamp=metric.timestamp,
                weight=metric.weight,
                trades=metric.trades,
                win_rate=metric.win_rate,
                total_pnl=metric.total_pnl,
                sharpe=metric.sharpe,
            )
            for metric in series
        ],
    )


async def _strategy(gateway: Gateway, key: str) -> StrategyRecord:
    repository = gateway.container.repositories.strategies
    record = await repository.get(key)
    if record is None:
        try:
            wanted = uuid.UUID(key)
        except ValueError:
            wanted = None
        record = next((r for r in await repository.all() if r.strategy_id == wanted), None)
    if record is None:
        raise ApiError(404, "not_found", f"no strategy {key!r}")
    return record


def _strategy_out(record: StrategyRecord, summary: OutcomeSummary) -> StrategyOut:
    return StrategyOut(
        id=record.strategy_id,
        name=record.name,
        description=record.description,
        weight=record.weight,
        active=record.active,
        trades=summary.trades,
        wins=summary.wins,
        win_rate=summary.win_rate,
        total_pnl=summary.total_pnl,
        updated_at=record.updated_at,
    )
