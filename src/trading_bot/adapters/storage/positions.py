"""Open positions, one per ticker: ``core.ports.PositionRepository`` on SQLAlchemy."""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import RowMapping, bindparam, delete, func, select

from trading_bot.adapters.storage._sql import build, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import PositionRow
from trading_bot.core.model import Position, PositionRecord
from trading_bot.core.ports import Clock

_POSITIONS: Final = PositionRow.__table__
_ALL: Final = select(_POSITIONS).order_by(_POSITIONS.c.ticker)
_BY_TICKER: Final = select(_POSITIONS).where(_POSITIONS.c.ticker == bindparam("ticker"))
_DELETE: Final = delete(PositionRow).where(PositionRow.ticker == bindparam("ticker"))


class SqlPositionRepository:
    """Open positions and the signals that opened them."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        insert = insert_for(database.dialect, PositionRow)
        new = insert.excluded
        self._upsert = insert.on_conflict_do_update(
            index_elements=["ticker"],
            set_={
                "qty": new.qty,
                "avg_entry": new.avg_entry,
                "unrealized_pnl": new.unrealized_pnl,
                "market_price": new.market_price,
                "stop_loss": new.stop_loss,
                "take_profit": new.take_profit,
                "opened_at": func.coalesce(new.opened_at, PositionRow.opened_at),
                "entry_signal_id": func.coalesce(new.entry_signal_id, PositionRow.entry_signal_id),
                "updated_at": new.updated_at,
            },
        )

    async def all(self) -> list[PositionRecord]:
        """Return every open position, ordered by ticker."""
        return [_record(row) for row in await self._db.fetch_all("list positions", _ALL)]

    async def get(self, ticker: str) -> PositionRecord | None:
        """Return the position in ``ticker``, or None."""
        row = await self._db.fetch_one("get position", _BY_TICKER, {"ticker": ticker})
        return None if row is None else _record(row)

    async def upsert(self, position: Position, *, entry_signal_id: uuid.UUID | None = None) -> None:
        """Store ``position``, replacing the one in its ticker.

        An ``entry_signal_id`` or ``opened_at`` that is None keeps the stored value, so adding
        to a position does not forget what opened it.
        """
        values = {
            "ticker": position.ticker,
            "qty": position.qty,
            "avg_entry": position.avg_entry_price,
            "unrealized_pnl": position.unrealized_pnl,
            "market_price": position.market_price,
            "stop_loss": position.stop_loss,
            "take_profit": position.take_profit,
            "opened_at": position.opened_at,
            "entry_signal_id": entry_signal_id,
            "updated_at": self._clock.now(),
        }
        await self._db.execute("store position", self._upsert, values)

    async def delete(self, ticker: str) -> bool:
        """Remove the position in ``ticker``; return False when there was none."""
        return await self._db.execute("delete position", _DELETE, {"ticker": ticker}) == 1


def _record(row: RowMapping) -> PositionRecord:
    position = build(
        Position,
        ticker=row["ticker"],
        qty=row["qty"],
        avg_entry_price=row["avg_entry"],
        market_price=row["market_price"],
        stop_loss=row["stop_loss"],
        take_profit=row["take_profit"],
        opened_at=row["opened_at"],
    )
    return build(
        PositionRecord,
        position=position,
        entry_signal_id=row["entry_signal_id"],
        updated_at=row["updated_at"],
    )
