"""Closed round trips and their strategy credits: ``core.ports.OutcomeRepository``."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select

from trading_bot.adapters.storage._sql import affected, build, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import TradeOutcomeCreditRow, TradeOutcomeRow
from trading_bot.core.model import TradeOutcome


class SqlOutcomeRepository:
    """Trade outcomes, one per exit trade, with each strategy's credit."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, outcome: TradeOutcome) -> bool:
        """Store ``outcome``; return False when its exit trade already has one.

        Both trades must be stored already (``DataError`` otherwise).
        """
        statement = (
            insert_for(self._db.dialect, TradeOutcomeRow)
            .values(
                id=outcome.outcome_id,
                entry_trade_id=outcome.entry_trade_id,
                exit_trade_id=outcome.exit_trade_id,
                ticker=outcome.ticker,
                realized_pnl=outcome.realized_pnl,
                roi_pct=outcome.roi_pct,
                hold_seconds=outcome.hold_seconds,
                risk_adjusted_return=outcome.risk_adjusted_return,
                strategy_credits=dict(outcome.strategy_credits),
                closed_at=outcome.closed_at,
            )
            .on_conflict_do_nothing(index_elements=["exit_trade_id"])
        )
        async with self._db.transaction("store trade outcome") as session:
            if affected(await session.execute(statement)) == 0:
                return False
            session.add_all(
                TradeOutcomeCreditRow(outcome_id=outcome.outcome_id, strategy=name, credit=credit)
                for name, credit in outcome.strategy_credits.items()
            )
            return True

    async def recent(self, *, strategy: str | None = None, limit: int = 100) -> list[TradeOutcome]:
        """Return the newest outcomes, only those crediting ``strategy`` when given."""
        statement = select(TradeOutcomeRow)
        if strategy is not None:
            statement = statement.join(
                TradeOutcomeCreditRow, TradeOutcomeCreditRow.outcome_id == TradeOutcomeRow.id
            ).where(TradeOutcomeCreditRow.strategy == strategy)
        statement = statement.order_by(TradeOutcomeRow.closed_at.desc(), TradeOutcomeRow.id).limit(
            limit
        )
        async with self._db.lookup("read trade outcomes") as session:
            return [_outcome(row) for row in await session.scalars(statement)]

    async def closed_trade_counts(self) -> dict[str, int]:
        """Return how many outcomes credit each strategy."""
        statement = (
            select(TradeOutcomeCreditRow.strategy, func.count())
            .group_by(TradeOutcomeCreditRow.strategy)
            .order_by(TradeOutcomeCreditRow.strategy)
        )
        async with self._db.lookup("count closed trades") as session:
            return {name: count for name, count in await session.execute(statement)}

    async def for_trade(self, trade_id: uuid.UUID) -> TradeOutcome | None:
        """Return the outcome ``trade_id`` opened or closed, or None."""
        statement = (
            select(TradeOutcomeRow)
            .where(
                or_(
                    TradeOutcomeRow.entry_trade_id == trade_id,
                    TradeOutcomeRow.exit_trade_id == trade_id,
                )
            )
            .order_by(TradeOutcomeRow.closed_at.desc())
            .limit(1)
        )
        async with self._db.lookup("find trade outcome") as session:
            row = await session.scalar(statement)
            return None if row is None else _outcome(row)


def _outcome(row: TradeOutcomeRow) -> TradeOutcome:
    return build(
        TradeOutcome,
        outcome_id=row.id,
        entry_trade_id=row.entry_trade_id,
        exit_trade_id=row.exit_trade_id,
        ticker=row.ticker,
        realized_pnl=row.realized_pnl,
        roi_pct=row.roi_pct,
        hold_seconds=row.hold_seconds,
        risk_adjusted_return=row.risk_adjusted_return,
        strategy_credits=dict(row.strategy_credits),
        closed_at=row.closed_at,
    )
