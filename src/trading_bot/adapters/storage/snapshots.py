"""The equity curve and strategy metrics over time: ``core.ports.SnapshotRepository``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select

from trading_bot.adapters.storage._sql import build, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import PortfolioSnapshotRow, StrategyMetricRow, StrategyRow
from trading_bot.core.errors import DataError
from trading_bot.core.model import PortfolioSnapshot, StrategyMetric

_SNAPSHOT_FIELDS = ("equity", "cash", "buying_power", "daily_pnl", "positions_value")
_METRIC_FIELDS = ("weight", "trades", "win_rate", "total_pnl", "sharpe")


class SqlSnapshotRepository:
    """Portfolio snapshots and strategy metrics; a repeated timestamp replaces the point."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_portfolio_snapshot(self, snapshot: PortfolioSnapshot) -> None:
        """Store ``snapshot``, replacing one at the same timestamp."""
        insert = insert_for(self._db.dialect, PortfolioSnapshotRow).values(**snapshot.model_dump())
        updated = {name: insert.excluded[name] for name in (*_SNAPSHOT_FIELDS, "open_positions")}
        statement = insert.on_conflict_do_update(index_elements=["timestamp"], set_=updated)
        async with self._db.transaction("store portfolio snapshot") as session:
            await session.execute(statement)

    async def portfolio_history(
        self, *, since: datetime, until: datetime | None = None
    ) -> list[PortfolioSnapshot]:
        """Return the snapshots taken in [since, until), oldest first."""
        window: list[ColumnElement[bool]] = [PortfolioSnapshotRow.timestamp >= since]
        if until is not None:
            window.append(PortfolioSnapshotRow.timestamp < until)
        statement = (
            select(PortfolioSnapshotRow).where(*window).order_by(PortfolioSnapshotRow.timestamp)
        )
        async with self._db.lookup("read portfolio history") as session:
            return [_snapshot(row) for row in await session.scalars(statement)]

    async def latest_portfolio_snapshot(self) -> PortfolioSnapshot | None:
        """Return the newest snapshot, or None."""
        statement = (
            select(PortfolioSnapshotRow).order_by(PortfolioSnapshotRow.timestamp.desc()).limit(1)
        )
        async with self._db.lookup("read latest portfolio snapshot") as session:
            row = await session.scalar(statement)
            return None if row is None else _snapshot(row)

    async def add_strategy_metric(self, metric: StrategyMetric) -> None:
        """Store ``metric``, replacing the strategy's metric at the same timestamp.

        An unknown strategy raises ``DataError``.
        """
        async with self._db.transaction("store strategy metric") as session:
            strategy_id = await session.scalar(
                select(StrategyRow.id).where(StrategyRow.name == metric.strategy)
            )
            if strategy_id is None:
                raise DataError(f"unknown strategy {metric.strategy!r}")
            insert = insert_for(self._db.dialect, StrategyMetricRow).values(
                strategy_id=strategy_id,
                **metric.model_dump(exclude={"strategy"}),
            )
            updated = {name: insert.excluded[name] for name in _METRIC_FIELDS}
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=["strategy_id", "timestamp"], set_=updated
                )
            )

    async def strategy_metrics(
        self, strategy: str, *, since: datetime, until: datetime | None = None
    ) -> list[StrategyMetric]:
        """Return the metrics of ``strategy`` in [since, until), oldest first."""
        window: list[ColumnElement[bool]] = [StrategyMetricRow.timestamp >= since]
        if until is not None:
            window.append(StrategyMetricRow.timestamp < until)
        statement = (
            select(StrategyMetricRow)
            .join(StrategyRow, StrategyRow.id == StrategyMetricRow.strategy_id)
            .where(StrategyRow.name == strategy, *window)
            .order_by(StrategyMetricRow.timestamp)
        )
        async with self._db.lookup("read strategy metrics") as session:
            return [
                build(
                    StrategyMetric,
                    strategy=strategy,
                    timestamp=row.timestamp,
                    weight=row.weight,
                    trades=row.trades,
                    win_rate=row.win_rate,
                    total_pnl=row.total_pnl,
                    sharpe=row.sharpe,
                )
                for row in await session.scalars(statement)
            ]


def _snapshot(row: PortfolioSnapshotRow) -> PortfolioSnapshot:
    return build(
        PortfolioSnapshot,
        timestamp=row.timestamp,
        equity=row.equity,
        cash=row.cash,
        buying_power=row.buying_power,
        daily_pnl=row.daily_pnl,
        positions_value=row.positions_value,
        open_positions=row.open_positions,
    )
