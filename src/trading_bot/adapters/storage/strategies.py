"""Strategies and their weights: ``core.ports.StrategyRepository`` on SQLAlchemy."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select

from trading_bot.adapters.storage._sql import affected, build, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import (
    LearningAdjustmentRow,
    StrategyRow,
    StrategyWeightHistoryRow,
)
from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    DEFAULT_STRATEGY_WEIGHTS,
    LearningAdjustment,
    StrategyRecord,
    WeightChange,
    WeightHistoryEntry,
)
from trading_bot.core.ports import Clock


class SqlStrategyRepository:
    """Strategies, their weights and the history of every change."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def seed(self, weights: Mapping[str, float] | None = None) -> list[str]:
        """Create the strategies that do not exist yet; return the names created."""
        chosen = dict(DEFAULT_STRATEGY_WEIGHTS if weights is None else weights)
        for name, weight in chosen.items():
            if not name or len(name) > 64:
                raise DataError(f"strategy name {name!r} must have 1 to 64 characters")
            if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
                raise DataError(f"weight of {name!r} must be within [0, 1], got {weight}")
        now = self._clock.now()
        created: list[str] = []
        async with self._db.transaction("seed strategies") as session:
            for name, weight in chosen.items():
                statement = (
                    insert_for(self._db.dialect, StrategyRow)
                    .values(
                        id=uuid.uuid4(),
                        name=name,
                        description="",
                        current_weight=weight,
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["name"])
                )
                if affected(await session.execute(statement)):
                    created.append(name)
        return created

    async def weights(self) -> dict[str, float]:
        """Return the weight of every active strategy, by name."""
        async with self._db.lookup("read strategy weights") as session:
            rows = await session.execute(
                select(StrategyRow.name, StrategyRow.current_weight)
                .where(StrategyRow.active.is_(True))
                .order_by(StrategyRow.name)
            )
            return {name: weight for name, weight in rows}

    async def all(self) -> list[StrategyRecord]:
        """Return every strategy, ordered by name."""
        async with self._db.lookup("list strategies") as session:
            rows = await session.scalars(select(StrategyRow).order_by(StrategyRow.name))
            return [_record(row) for row in rows]

    async def get(self, name: str) -> StrategyRecord | None:
        """Return the strategy called ``name``, or None."""
        async with self._db.lookup("get strategy") as session:
            row = await session.scalar(select(StrategyRow).where(StrategyRow.name == name))
            return None if row is None else _record(row)

    async def apply_weight_changes(
        self, changes: Sequence[WeightChange], *, cycle: int, at: datetime
    ) -> None:
        """Set new weights, recording each in the weight history and the learning adjustments.

        Everything is written in one transaction, or nothing is: an unknown strategy or a
        strategy named twice raises ``DataError``.
        """
        names = [change.strategy for change in changes]
        if len(names) != len(set(names)):
            raise DataError(f"a strategy appears twice in one weight update: {names}")
        if cycle < 0:
            raise DataError(f"cycle must not be negative, got {cycle}")
        async with self._db.transaction("apply weight changes") as session:
            found = await session.scalars(
                select(StrategyRow).where(StrategyRow.name.in_(names)).with_for_update()
            )
            rows = {row.name: row for row in found}
            missing = sorted(set(names) - rows.keys())
            if missing:
                raise DataError(f"unknown strategies in weight update: {', '.join(missing)}")
            for change in changes:
                row = rows[change.strategy]
                old_weight = row.current_weight
                row.current_weight = change.new_weight
                row.updated_at = at
                session.add(
                    StrategyWeightHistoryRow(
                        id=uuid.uuid4(),
                        strategy_id=row.id,
                        old_weight=old_weight,
                        new_weight=change.new_weight,
                        timestamp=at,
                        reason=change.reason,
                    )
                )
                session.add(
                    LearningAdjustmentRow(
                        id=uuid.uuid4(),
                        strategy_id=row.id,
                        old_weight=old_weight,
                        new_weight=change.new_weight,
                        reward=change.reward,
                        trades_considered=change.trades_considered,
                        reason=change.reason,
                        cycle=cycle,
                        timestamp=at,
                    )
                )

    async def weight_history(self, name: str, *, limit: int = 100) -> list[WeightHistoryEntry]:
        """Return the weight changes of ``name``, newest first."""
        async with self._db.lookup("read weight history") as session:
            rows = await session.scalars(
                select(StrategyWeightHistoryRow)
                .join(StrategyRow, StrategyRow.id == StrategyWeightHistoryRow.strategy_id)
                .where(StrategyRow.name == name)
                .order_by(StrategyWeightHistoryRow.timestamp.desc())
                .limit(limit)
            )
            return [
                build(
                    WeightHistoryEntry,
                    strategy=name,
                    old_weight=row.old_weight,
                    new_weight=row.new_weight,
                    reason=row.reason,
                    timestamp=row.timestamp,
                )
                for row in rows
            ]

    async def adjustments(self, name: str, *, limit: int = 100) -> list[LearningAdjustment]:
        """Return the learning adjustments of ``name``, newest first."""
        async with self._db.lookup("read learning adjustments") as session:
            rows = await session.scalars(
                select(LearningAdjustmentRow)
                .join(StrategyRow, StrategyRow.id == LearningAdjustmentRow.strategy_id)
                .where(StrategyRow.name == name)
                .order_by(LearningAdjustmentRow.timestamp.desc())
                .limit(limit)
            )
            return [
                build(
                    LearningAdjustment,
                    strategy=name,
                    old_weight=row.old_weight,
                    new_weight=row.new_weight,
                    reward=row.reward,
                    trades_considered=row.trades_considered,
                    reason=row.reason,
                    cycle=row.cycle,
                    timestamp=row.timestamp,
                )
                for row in rows
            ]


def _record(row: StrategyRow) -> StrategyRecord:
    return build(
        StrategyRecord,
        strategy_id=row.id,
        name=row.name,
        description=row.description,
        weight=row.current_weight,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
