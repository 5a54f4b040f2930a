"""Backtests requested from the dashboard or the CLI: ``core.ports.BacktestRunRepository``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from pydantic import JsonValue
from sqlalchemy import func, select

from trading_bot.adapters.storage._sql import build, check_page
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import BacktestRunRow
from trading_bot.core.errors import DataError
from trading_bot.core.model import BacktestRun, BacktestStatus, Page
from trading_bot.core.ports import Clock


class SqlBacktestRunRepository:
    """Backtest runs: configuration, progress, results."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def create(
        self, config: Mapping[str, JsonValue], *, created_by: str | None = None
    ) -> BacktestRun:
        """Record a new run, QUEUED, and return it."""
        run = build(
            BacktestRun,
            run_id=uuid.uuid4(),
            status=BacktestStatus.QUEUED,
            progress=0.0,
            config=dict(config),
            created_by=created_by,
            created_at=self._clock.now(),
        )
        async with self._db.transaction("create backtest run") as session:
            session.add(
                BacktestRunRow(
                    id=run.run_id,
                    status=run.status,
                    progress=run.progress,
                    config=run.config,
                    metrics=None,
                    result=None,
                    error=None,
                    created_by=run.created_by,
                    created_at=run.created_at,
                )
            )
        return run

    async def get(self, run_id: uuid.UUID) -> BacktestRun | None:
        """Return the run, or None."""
        async with self._db.lookup("get backtest run") as session:
            row = await session.get(BacktestRunRow, run_id)
            return None if row is None else _run(row)

    async def query(self, *, limit: int = 50, offset: int = 0) -> Page[BacktestRun]:
        """Return one page of runs, newest first, and the total."""
        check_page(limit, offset)
        async with self._db.read("list backtest runs") as session:
            total = await session.scalar(select(func.count()).select_from(BacktestRunRow))
            rows = await session.scalars(
                select(BacktestRunRow)
                .order_by(BacktestRunRow.created_at.desc(), BacktestRunRow.id)
                .limit(limit)
                .offset(offset)
            )
            return Page([_run(row) for row in rows], total or 0)

    async def update(
        self,
        run_id: uuid.UUID,
        *,
        status: BacktestStatus | None = None,
        progress: float | None = None,
        metrics: Mapping[str, JsonValue] | None = None,
        result: Mapping[str, JsonValue] | None = None,
        error: str | None = None,
    ) -> BacktestRun:
        """Change the fields given and return the run.

        Moving to RUNNING stamps ``started_at``; to SUCCEEDED or FAILED, ``finished_at`` (and
        progress 1.0 on success). An unknown run id or a progress outside [0, 1] raises
        ``DataError`` and changes nothing.
        """
        async with self._db.transaction("update backtest run") as session:
            row = await session.get(BacktestRunRow, run_id, with_for_update=True)
            if row is None:
                raise DataError(f"no backtest run {run_id}")
            now = self._clock.now()
            if status is not None:
                row.status = status
                if status is BacktestStatus.RUNNING and row.started_at is None:
                    row.started_at = now
                if status.is_final:
                    row.finished_at = now
                    if status is BacktestStatus.SUCCEEDED and progress is None:
                        progress = 1.0
            if progress is not None:
                row.progress = progress
            if metrics is not None:
                row.metrics = dict(metrics)
            if result is not None:
                row.result = dict(result)
            if error is not None:
                row.error = error
            # Validate before the commit, so an invalid change is rolled back.
            return _run(row)


def _run(row: BacktestRunRow) -> BacktestRun:
    return build(
        BacktestRun,
        run_id=row.id,
        status=row.status,
        progress=row.progress,
        config=row.config,
        metrics=row.metrics,
        result=row.result,
        error=row.error,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
