"""Every approval and rejection of the risk manager: ``core.ports.RiskDecisionRepository``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from trading_bot.adapters.storage._sql import build, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import RiskDecisionRow
from trading_bot.core.model import RiskDecision


class SqlRiskDecisionRepository:
    """Risk decisions, kept whether approved or rejected."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._insert = insert_for(database.dialect, RiskDecisionRow).on_conflict_do_nothing(
            index_elements=["id"]
        )

    async def add(self, decision: RiskDecision) -> None:
        """Store ``decision``; a decision id already stored is ignored."""
        values = {
            "id": decision.decision_id,
            "signal_id": decision.signal_id,
            "ticker": decision.ticker,
            "approved": decision.approved,
            "reason_code": decision.reason_code,
            "detail": decision.detail,
            "qty": decision.qty,
            "timestamp": decision.timestamp,
        }
        await self._db.execute("store risk decision", self._insert, values)

    async def counts_by_reason(self, *, since: datetime | None = None) -> dict[str, int]:
        """Return how many orders were rejected for each reason code (since ``since``)."""
        conditions: list[ColumnElement[bool]] = [RiskDecisionRow.approved.is_(False)]
        if since is not None:
            conditions.append(RiskDecisionRow.timestamp >= since)
        statement = (
            select(RiskDecisionRow.reason_code, func.count())
            .where(*conditions)
            .group_by(RiskDecisionRow.reason_code)
            .order_by(RiskDecisionRow.reason_code)
        )
        async with self._db.lookup("count risk rejections") as session:
            return {reason: count for reason, count in await session.execute(statement)}

    async def for_signal(self, signal_id: uuid.UUID) -> list[RiskDecision]:
        """Return the decisions taken about ``signal_id``, oldest first."""
        statement = (
            select(RiskDecisionRow)
            .where(RiskDecisionRow.signal_id == signal_id)
            .order_by(RiskDecisionRow.timestamp, RiskDecisionRow.id)
        )
        async with self._db.lookup("read risk decisions") as session:
            return [
                build(
                    RiskDecision,
                    decision_id=row.id,
                    signal_id=row.signal_id,
                    ticker=row.ticker,
                    approved=row.approved,
                    reason_code=row.reason_code,
                    detail=row.detail,
                    qty=row.qty,
                    timestamp=row.timestamp,
                )
                for row in await session.scalars(statement)
            ]
