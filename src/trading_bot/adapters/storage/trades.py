"""Trades, keyed by their idempotent client order id: ``core.ports.TradeRepository``.

The statements of the order path are built once, with bound parameters, and run as Core
statements (``Database.fetch_one`` and friends): building a statement and loading ORM objects
cost more CPU than the database round trip.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, RowMapping, Select, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trading_bot.adapters.storage._sql import affected, build, check_page, insert_for
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

_TRADES: Final = TradeRow.__table__
_COLUMNS: Final = _TRADES.c
_BY_ID: Final = select(_TRADES).where(_COLUMNS.id == bindparam("trade_id"))
_BY_CLIENT_ORDER_ID: Final = select(_TRADES).where(
    _COLUMNS.client_order_id == bindparam("client_order_id")
)
_PENDING: Final = (
    select(_TRADES)
    .where(_COLUMNS.status.in_(_OPEN_STATUSES))
    .order_by(_COLUMNS.timestamp, _COLUMNS.id)
)
_LATEST_ENTRY: Final = (
    select(_TRADES)
    .where(
        _COLUMNS.ticker == bindparam("ticker"),
        _COLUMNS.is_exit.is_(False),
        _COLUMNS.filled_qty > 0,
        _COLUMNS.timestamp <= bindparam("before"),
    )
    .order_by(_COLUMNS.timestamp.desc(), _COLUMNS.id.desc())
    .limit(1)
)
_STRATEGY_NAMED: Final = (
    select(StrategyRow.id).where(StrategyRow.name == bindparam("strategy")).scalar_subquery()
)
_UPDATE: Final = (
    update(TradeRow)
    .where(
        _COLUMNS.client_order_id == bindparam("match_client_order_id"),
        _COLUMNS.ticker == bindparam("match_ticker"),
        _COLUMNS.side == bindparam("match_side"),
    )
    # Each SET expression reads the row as it was: the fill time moves only with a fill.
    .values(
        filled_at=case(
            (
                _COLUMNS.filled_qty < bindparam("new_filled_qty", type_=_COLUMNS.filled_qty.type),
                bindparam("changed_at", type_=_COLUMNS.updated_at.type),
            ),
            else_=_COLUMNS.filled_at,
        )
    )
    .returning(*_COLUMNS)
)


class SqlTradeRepository:
    """Orders the executor placed and what became of them."""

    def __init__(self, database: Database) -> None:
        self._db = database
        insert = insert_for(database.dialect, _TRADES).on_conflict_do_nothing(
            index_elements=["client_order_id"]
        )
        self._insert = insert
        # The strategy's id looked up by the INSERT itself: one statement.
        self._insert_named = insert.values(strategy_id=_STRATEGY_NAMED)

    async def add(self, execution: TradeExecution, *, strategy: str | None = None) -> bool:
        """Record a trade; return False when its client order id is already stored.

        ``strategy`` credits the trade to a strategy by name; when left out, the linked
        signal's strongest contributor (largest weight x strength in the signal's direction)
        is used. A name not in the strategies table leaves the trade uncredited.
        """
        values = _insert_values(execution)
        if strategy is not None:
            values["strategy"] = strategy
            return await self._db.execute("record trade", self._insert_named, values) == 1
        async with self._db.transaction("record trade") as session:
            values["strategy_id"] = await _credited_strategy_id(session, execution.signal_id)
            return affected(await session.execute(self._insert, values)) == 1

    async def update(self, execution: TradeExecution) -> TradeExecution:
        """Apply what changed about the trade with ``execution.client_order_id``; return it.

        Status, fills, price, commission, reason and the broker order id are overwritten;
        a realised P&L or broker order id that is None keeps the stored one. ``executed_at``
        stamps the change (and the fill, when ``filled_qty`` grew). An unknown client order
        id, or a different ticker or side, raises ``DataError``.
        """
        # Any: column values of several types, keyed by column or parameter name.
        changes: dict[str, Any] = {
            "status": execution.status,
            "filled_qty": execution.filled_qty,
            "price": execution.price,
            "commission": execution.commission,
            "reason": execution.reason,
            "is_exit": execution.is_exit,
            "updated_at": execution.executed_at,
            "new_filled_qty": execution.filled_qty,
            "changed_at": execution.executed_at,
            "match_client_order_id": execution.client_order_id,
            "match_ticker": execution.ticker,
            "match_side": execution.side,
        }
        if execution.broker_order_id:
            changes["broker_order_id"] = execution.broker_order_id
        if execution.realized_pnl is not None:
            changes["pnl"] = execution.realized_pnl
        # One statement, atomic on its own: no transaction around a read and a write.
        row = await self._db.execute_returning("update trade", _UPDATE, changes)
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
        row = await self._db.fetch_one("get trade", _BY_ID, {"trade_id": trade_id})
        return None if row is None else trade_execution(row)

    async def get_by_client_order_id(self, client_order_id: str) -> TradeExecution | None:
        """Return the trade placed with this client order id, or None."""
        row = await self._db.fetch_one(
            "get trade by client order id",
            _BY_CLIENT_ORDER_ID,
            {"client_order_id": client_order_id},
        )
        return None if row is None else trade_execution(row)

    async def record(self, trade_id: uuid.UUID) -> TradeRecord | None:
        """Return the trade with its strategy and timestamps, or None."""
        found = await self._db.fetch_one(
            "get trade record", _with_strategy().where(_COLUMNS.id == trade_id)
        )
        return None if found is None else trade_record(found)

    async def pending(self) -> list[TradeExecution]:
        """Return the trades not yet final, oldest first."""
        rows = await self._db.fetch_all("list pending trades", _PENDING)
        return [trade_execution(row) for row in rows]

    async def for_signal(self, signal_id: uuid.UUID) -> list[TradeExecution]:
        """Return the trades placed for ``signal_id``, oldest first."""
        rows = await self._db.fetch_all(
            "list trades of a signal",
            select(_TRADES)
            .where(_COLUMNS.signal_id == signal_id)
            .order_by(_COLUMNS.timestamp, _COLUMNS.id),
        )
        return [trade_execution(row) for row in rows]

    async def latest_entry(self, ticker: str, *, before: datetime) -> TradeExecution | None:
        """Return the newest filled entry (not exit) in ``ticker`` submitted at or before
        ``before``: the trade an exit closes."""
        row = await self._db.fetch_one(
            "find entry trade", _LATEST_ENTRY, {"ticker": ticker, "before": before}
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
            return Page([trade_record(row) for row in rows.mappings()], total or 0)


def _with_strategy() -> Select[Any]:
    """Every column of a trade and its strategy's name (``strategy``), None when uncredited."""
    return select(_TRADES, StrategyRow.name.label("strategy")).outerjoin(
        StrategyRow, StrategyRow.id == _COLUMNS.strategy_id
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


def trade_execution(row: RowMapping) -> TradeExecution:
    """Return the stored trade ``row`` as an execution (``executed_at`` = its latest change)."""
    return build(
        TradeExecution,
        trade_id=row["id"],
        signal_id=row["signal_id"],
        client_order_id=row["client_order_id"],
        broker_order_id=row["broker_order_id"],
        ticker=row["ticker"],
        side=row["side"],
        qty=row["qty"],
        price=row["price"],
        filled_qty=row["filled_qty"],
        commission=row["commission"],
        status=row["status"],
        reason=row["reason"],
        is_exit=row["is_exit"],
        realized_pnl=row["pnl"],
        executed_at=row["updated_at"],
    )


def trade_record(row: RowMapping) -> TradeRecord:
    """Return the stored trade ``row`` (of ``_with_strategy``) with its strategy's name and
    timestamps."""
    return build(
        TradeRecord,
        execution=trade_execution(row),
        strategy=row["strategy"],
        submitted_at=row["timestamp"],
        filled_at=row["filled_at"],
    )
