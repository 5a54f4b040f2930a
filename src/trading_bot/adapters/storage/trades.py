"""Trades, keyed by their idempotent client order id: ``core.ports.TradeRepository``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trading_bot.adapters.storage._sql import Insert, affected, build, check_page, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import SignalRow, StrategyRow, TradeRow
from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    OrderStatus,
    Page,
    StrategySource,
    TradeExecution,
    TradeRecord,
    credited_strategy,
)
from trading_bot.core.pdt import DayTrade, Fill, find_day_trades

_OPEN_STATUSES = (OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED)


class SqlTradeRepository:
    """Orders the executor placed and what became of them."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add(self, execution: TradeExecution, *, strategy: str | None = None) -> bool:
        """Record a trade; return False when its client order id is already stored.

        ``strategy`` credits the trade to a strategy by name; when left out, the linked
        signal's strongest contributor (largest weight x strength in the signal's direction)
        is used. A name not in the strategies table leaves the trade uncredited.
        """
        values = _insert_values(execution)
        if strategy is not None:
            # Named by the caller: its id is looked up by the INSERT itself, one statement.
            values["strategy_id"] = (
                select(StrategyRow.id).where(StrategyRow.name == strategy).scalar_subquery()
            )
            async with self._db.write("record trade") as session:
                return affected(await session.execute(_insert_trade(self._db.dialect, values))) == 1
        async with self._db.transaction("record trade") as session:
            values["strategy_id"] = await _credited_strategy_id(session, execution.signal_id)
            return affected(await session.execute(_insert_trade(self._db.dialect, values))) == 1

    async def update(self, execution: TradeExecution) -> TradeExecution:
        """Apply what changed about the trade with ``execution.client_order_id``; return it.

        Status, fills, price, commission, reason and the broker order id are overwritten;
        a realised P&L or broker order id that is None keeps the stored one. ``executed_at``
        stamps the change (and the fill, when ``filled_qty`` grew). An unknown client order
        id, or a different ticker or side, raises ``DataError``.
        """
        # Any: column values of several types (a CASE among them), keyed by column name.
        changes: dict[str, Any] = {
            "status": execution.status,
            "filled_qty": execution.filled_qty,
            "price": execution.price,
            "commission": execution.commission,
            "reason": execution.reason,
            "is_exit": execution.is_exit,
            # Each SET expression reads the row as it was: the fill time moves only with a fill.
            "filled_at": case(
                (TradeRow.filled_qty < execution.filled_qty, execution.executed_at),
                else_=TradeRow.filled_at,
            ),
            "updated_at": execution.executed_at,
        }
        if execution.broker_order_id:
            changes["broker_order_id"] = execution.broker_order_id
        if execution.realized_pnl is not None:
            changes["pnl"] = execution.realized_pnl
        # One statement, atomic on its own: no transaction around a read and a write.
        statement = (
            update(TradeRow)
            .where(
                TradeRow.client_order_id == execution.client_order_id,
                TradeRow.ticker == execution.ticker,
                TradeRow.side == execution.side,
            )
            .values(changes)
            .returning(TradeRow)
            .execution_options(synchronize_session=False)
        )
        async with self._db.write("update trade") as session:
            row = await session.scalar(statement)
            if row is not None:
                return trade_execution(row)
        stored = await self.get_by_client_order_id(execution.client_order_id)
        if stored is None:
            raise DataError(f"no trade with client order id {execution.client_order_id!r}")
        raise DataError(
            f"trade {execution.client_order_id!r} is {stored.side} {stored.ticker}; "
            f"an update cannot make it {execution.side} {execution.ticker}"
        )

    async def get(self, trade_id: uuid.UUID) -> TradeExecution | None:
        """Return the trade with this id, or None."""
        async with self._db.lookup("get trade") as session:
            row = await session.get(TradeRow, trade_id)
            return None if row is None else trade_execution(row)

    async def get_by_client_order_id(self, client_order_id: str) -> TradeExecution | None:
        """Return the trade placed with this client order id, or None."""
        async with self._db.lookup("get trade by client order id") as session:
            row = await session.scalar(
                select(TradeRow).where(TradeRow.client_order_id == client_order_id)
            )
            return None if row is None else trade_execution(row)

    async def record(self, trade_id: uuid.UUID) -> TradeRecord | None:
        """Return the trade with its strategy and timestamps, or None."""
        async with self._db.lookup("get trade record") as session:
            found = (await session.execute(_with_strategy().where(TradeRow.id == trade_id))).first()
            return None if found is None else trade_record(found[0], found[1])

    async def pending(self) -> list[TradeExecution]:
        """Return the trades not yet final, oldest first."""
        async with self._db.lookup("list pending trades") as session:
            rows = await session.scalars(
                select(TradeRow)
                .where(TradeRow.status.in_(_OPEN_STATUSES))
                .order_by(TradeRow.timestamp, TradeRow.id)
            )
            return [trade_execution(row) for row in rows]

    async def for_signal(self, signal_id: uuid.UUID) -> list[TradeExecution]:
        """Return the trades placed for ``signal_id``, oldest first."""
        async with self._db.lookup("list trades of a signal") as session:
            rows = await session.scalars(
                select(TradeRow)
                .where(TradeRow.signal_id == signal_id)
                .order_by(TradeRow.timestamp, TradeRow.id)
            )
            return [trade_execution(row) for row in rows]

    async def latest_entry(self, ticker: str, *, before: datetime) -> TradeExecution | None:
        """Return the newest filled entry (not exit) in ``ticker`` submitted at or before
        ``before``: the trade an exit closes."""
        async with self._db.lookup("find entry trade") as session:
            row = await session.scalar(
                select(TradeRow)
                .where(
                    TradeRow.ticker == ticker,
                    TradeRow.is_exit.is_(False),
                    TradeRow.filled_qty > 0,
                    TradeRow.timestamp <= before,
                )
                .order_by(TradeRow.timestamp.desc(), TradeRow.id.desc())
                .limit(1)
            )
            return None if row is None else trade_execution(row)

    async def day_trades(self, *, since: datetime) -> list[DayTrade]:
        """Return the round trips opened and closed on the same New York trading day among the
        trades filled from ``since`` on, oldest first (``core.pdt.find_day_trades``)."""
        async with self._db.lookup("list fills for day trades") as session:
            rows = await session.execute(
                select(TradeRow.ticker, TradeRow.is_exit, TradeRow.filled_at)
                .where(TradeRow.filled_qty > 0, TradeRow.filled_at >= since)
                .order_by(TradeRow.filled_at, TradeRow.id)
            )
            fills = [
                Fill(ticker, is_exit, filled_at)
                for ticker, is_exit, filled_at in rows
                if filled_at is not None
            ]
        return find_day_trades(fills)

    async def query(
        self,
        *,
        ticker: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        strategy: str | None = None,
        profitable: bool | None = None,
        status: OrderStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[TradeRecord]:
        """Return one page of trades matching the filters, newest first, and the total.

        ``since``/``until`` bound the submission time (``until`` excluded); ``profitable``
        True keeps trades with a realised P&L above zero, False those at or below zero.
        """
        check_page(limit, offset)
        conditions: list[ColumnElement[bool]] = []
        if ticker is not None:
            conditions.append(TradeRow.ticker == ticker)
        if since is not None:
            conditions.append(TradeRow.timestamp >= since)
        if until is not None:
            conditions.append(TradeRow.timestamp < until)
        if strategy is not None:
            conditions.append(StrategyRow.name == strategy)
        if profitable is not None:
            conditions.append(TradeRow.pnl > 0 if profitable else TradeRow.pnl <= 0)
        if status is not None:
            conditions.append(TradeRow.status == status)
        async with self._db.read("query trades") as session:
            total = await session.scalar(
                select(func.count())
                .select_from(TradeRow)
                .outerjoin(StrategyRow, StrategyRow.id == TradeRow.strategy_id)
                .where(*conditions)
            )
            rows = await session.execute(
                _with_strategy()
                .where(*conditions)
                .order_by(TradeRow.timestamp.desc(), TradeRow.id)
                .limit(limit)
                .offset(offset)
            )
            return Page([trade_record(row, name) for row, name in rows], total or 0)


def _with_strategy() -> Select[TradeRow, str]:
    return select(TradeRow, StrategyRow.name).outerjoin(
        StrategyRow, StrategyRow.id == TradeRow.strategy_id
    )


# Any: column values of several types (a subquery among them), keyed by column name.
def _insert_trade(dialect: str, values: dict[str, Any]) -> Insert:
    return (
        insert_for(dialect, TradeRow.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["client_order_id"])
    )


def _insert_values(execution: TradeExecution) -> dict[str, Any]:
    # Any: column values of several types, keyed by column name.
    return {
        "id": execution.trade_id,
        "signal_id": execution.signal_id,
        "client_order_id": execution.client_order_id,
        "broker_order_id": execution.broker_order_id,
        "ticker": execution.ticker,
        "side": execution.side,
        "qty": execution.qty,
        "filled_qty": execution.filled_qty,
        "price": execution.price,
        "commission": execution.commission,
        "status": execution.status,
        "reason": execution.reason,
        "is_exit": execution.is_exit,
        "pnl": execution.realized_pnl,
        "timestamp": execution.executed_at,
        "filled_at": execution.executed_at if execution.filled_qty > 0 else None,
        "updated_at": execution.executed_at,
    }


async def _credited_strategy_id(
    session: AsyncSession, signal_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Return the id of the strategy a trade on the linked signal is credited to, or None."""
    signal = None if signal_id is None else await session.get(SignalRow, signal_id)
    strategy = None
    if signal is not None:
        sources = (build(StrategySource, **source) for source in signal.strategy_sources)
        strategy = credited_strategy(signal.direction, sources)
    if strategy is None:
        return None
    return await session.scalar(select(StrategyRow.id).where(StrategyRow.name == strategy))


def trade_execution(row: TradeRow) -> TradeExecution:
    """Return the stored trade ``row`` as an execution (``executed_at`` = its latest change)."""
    return build(
        TradeExecution,
        trade_id=row.id,
        signal_id=row.signal_id,
        client_order_id=row.client_order_id,
        broker_order_id=row.broker_order_id,
        ticker=row.ticker,
        side=row.side,
        qty=row.qty,
        price=row.price,
        filled_qty=row.filled_qty,
        commission=row.commission,
        status=row.status,
        reason=row.reason,
        is_exit=row.is_exit,
        realized_pnl=row.pnl,
        executed_at=row.updated_at,
    )


def trade_record(row: TradeRow, strategy: str | None) -> TradeRecord:
    """Return the stored trade ``row`` with its strategy's name and timestamps."""
    return build(
        TradeRecord,
        execution=trade_execution(row),
        strategy=strategy,
        submitted_at=row.timestamp,
        filled_at=row.filled_at,
    )
