"""Backtests: start one (it runs in a worker), follow its progress, read its results."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from trading_bot.core.model import BacktestRun
from trading_bot.entrypoints.api.deps import ControlScope, GatewayDep, Limit, Offset, ReadScope
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from trading_bot.entrypoints.api.schemas.backtest import (
    BacktestAccepted,
    BacktestDetail,
    BacktestPage,
    BacktestRequest,
    BacktestSummary,
)

router = APIRouter(prefix="/api/backtest", tags=["backtest"], responses=ERROR_RESPONSES)


@router.post("/run", response_model=BacktestAccepted, status_code=202)
async def run(
    body: BacktestRequest, principal: ControlScope, gateway: GatewayDep
) -> BacktestAccepted:
    """Queue a backtest; poll ``GET /api/backtest/{run_id}`` for progress and results."""
    started = await gateway.jobs.submit(body, created_by=principal.actor)
    await gateway.container.repositories.audit.add(
        principal.actor, "backtest.run", {"run_id": str(started.run_id)}
    )
    return BacktestAccepted(run_id=started.run_id, status=started.status)


@router.get("", response_model=BacktestPage)
async def runs(
    _: ReadScope, gateway: GatewayDep, limit: Limit = 50, offset: Offset = 0
) -> BacktestPage:
    """List backtests, newest first."""
    page = await gateway.container.repositories.backtests.query(limit=limit, offset=offset)
    return BacktestPage(
        items=[_summary(item) for item in page.items], total=page.total, limit=limit, offset=offset
    )


@router.get("/{run_id:uuid}", response_model=BacktestDetail, responses={404: {"model": ErrorBody}})
async def run_detail(run_id: uuid.UUID, _: ReadScope, gateway: GatewayDep) -> BacktestDetail:
    """Return a backtest's status and progress and, once finished, metrics, trades and the
    equity curve."""
    found = await gateway.container.repositories.backtests.get(run_id)
    if found is None:
        raise ApiError(404, "not_found", f"no backtest {run_id}")
    result = found.result or {}
    return BacktestDetail(
        **_summary(found).model_dump(),
        config=found.config,
        metrics=found.metrics,
        trades=_list_of_objects(result.get("trades")),
        equity_curve=_list_of_objects(result.get("equity_curve")),
        per_strategy=_object(result.get("per_strategy")),
    )


def _summary(found: BacktestRun) -> BacktestSummary:
    return BacktestSummary(
        run_id=found.run_id,
        status=found.status,
        progress=found.progress,
        created_by=found.created_by,
        created_at=found.created_at,
        started_at=found.started_at,
        finished_at=found.finished_at,
        error=found.error,
    )


def _list_of_objects(value: object) -> list[dict[str, object]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _object(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}
