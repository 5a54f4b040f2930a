"""Stored OHLCV bars: ``core.ports.MarketDataRepository`` on SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from trading_bot.adapters.storage._sql import build, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import MarketDataRow
from trading_bot.core.model import Bar


class SqlMarketDataRepository:
    """OHLCV bars, unique per ticker, timestamp and interval."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_bars(self, bars: Sequence[Bar]) -> int:
        """Store ``bars`` in one transaction, skipping those already stored; return how many
        were new."""
        if not bars:
            return 0
        table = MarketDataRow.__table__
        # One compiled statement run over all rows: SQLAlchemy batches it into multi-row
        # INSERTs ("insertmanyvalues"); RETURNING counts the rows that were really new.
        statement = (
            insert_for(self._db.dialect, table)
            .on_conflict_do_nothing(index_elements=["ticker", "timestamp", "interval_seconds"])
            .returning(table.c.ticker)
        )
        async with self._db.transaction("store bars") as session:
            connection = await session.connection()
            result = await connection.execute(statement, [_values(bar) for bar in bars])
            return len(result.all())

    async def bars(
        self, ticker: str, start: datetime, end: datetime, *, interval_seconds: int | None = None
    ) -> list[Bar]:
        """Return the bars of ``ticker`` with ``start <= timestamp < end``, in time order."""
        statement = select(MarketDataRow).where(
            MarketDataRow.ticker == ticker,
            MarketDataRow.timestamp >= start,
            MarketDataRow.timestamp < end,
        )
        if interval_seconds is not None:
            statement = statement.where(MarketDataRow.interval_seconds == interval_seconds)
        statement = statement.order_by(MarketDataRow.timestamp, MarketDataRow.interval_seconds)
        async with self._db.lookup("read bars") as session:
            return [_bar(row) for row in await session.scalars(statement)]

    async def tickers(self) -> list[str]:
        """Return every ticker with stored bars, sorted."""
        async with self._db.lookup("list bar tickers") as session:
            found = await session.scalars(
                select(MarketDataRow.ticker).distinct().order_by(MarketDataRow.ticker)
            )
            return list(found)


def _values(bar: Bar) -> dict[str, object]:
    return {
        "ticker": bar.ticker,
        "timestamp": bar.timestamp,
        "interval_seconds": bar.interval_seconds,
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
    }


def _bar(row: MarketDataRow) -> Bar:
    return build(
        Bar,
        ticker=row.ticker,
        timestamp=row.timestamp,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        interval_seconds=row.interval_seconds,
    )
