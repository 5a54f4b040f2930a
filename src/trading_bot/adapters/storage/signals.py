"""Trade signals and their outcomes: ``core.ports.SignalRepository`` on SQLAlchemy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, RowMapping, bindparam, func, select, update

from trading_bot.adapters.storage._sql import build, check_page, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import SignalRow
from trading_bot.core.model import (
    Direction,
    OrderStatus,
    Page,
    SignalOutcome,
    SignalRecord,
    StrategySource,
    TradeSignal,
)

_SIGNALS: Final = SignalRow.__table__
_BY_ID: Final = select(_SIGNALS).where(_SIGNALS.c.id == bindparam("signal_id"))
_RECORD_OUTCOME: Final = update(SignalRow).where(SignalRow.id == bindparam("signal_id"))


class SqlSignalRepository:
    """Signals with their strategy sources and recorded outcomes."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._insert = insert_for(database.dialect, SignalRow).on_conflict_do_nothing(
            index_elements=["id"]
        )

    async def add(self, signal: TradeSignal) -> bool:
        """Store ``signal``; return False when its id was already stored (nothing changes)."""
        values = {
            "id": signal.signal_id,
            "ticker": signal.ticker,
            "direction": signal.direction,
            "strength": signal.strength,
            "price": signal.price,
            "strategy_sources": [source.model_dump(mode="json") for source in signal.sources],
            "sentiment_score": signal.sentiment_score,
            "article_ids": list(signal.article_ids),
            "generated_at": signal.generated_at,
            "acted_on": False,
            "outcome": None,
            "outcome_reason": "",
        }
        return await self._db.execute("store signal", self._insert, values) == 1

    async def get(self, signal_id: uuid.UUID) -> SignalRecord | None:
        """Return the signal with its outcome, or None."""
        row = await self._db.fetch_one("get signal", _BY_ID, {"signal_id": signal_id})
        return None if row is None else signal_record(row)

    async def record_outcome(
        self, signal_id: uuid.UUID, outcome: SignalOutcome | OrderStatus, reason: str = ""
    ) -> bool:
        """Record how the signal ended; return False when the signal is not stored.

        ``outcome`` may be a final ``OrderStatus``; PENDING or PARTIALLY_FILLED raise
        ``ValueError``. ``acted_on`` becomes True when the outcome is FILLED.
        """
        final = SignalOutcome.from_status(outcome) if isinstance(outcome, OrderStatus) else outcome
        values = {
            "signal_id": signal_id,
            "outcome": final,
            "outcome_reason": reason,
            "acted_on": final is SignalOutcome.FILLED,
        }
        return await self._db.execute("record signal outcome", _RECORD_OUTCOME, values) == 1

    async def query(
        self,
        *,
        ticker: str | None = None,
        direction: Direction | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[SignalRecord]:
        """Return one page of signals matching the filters, newest first, and the total."""
        check_page(limit, offset)
        conditions: list[ColumnElement[bool]] = []
        if ticker is not None:
            conditions.append(SignalRow.ticker == ticker)
        if direction is not None:
            conditions.append(SignalRow.direction == direction)
        if since is not None:
            conditions.append(SignalRow.generated_at >= since)
        if until is not None:
            conditions.append(SignalRow.generated_at < until)
        async with self._db.read("query signals") as session:
            total = await session.scalar(
                select(func.count()).select_from(SignalRow).where(*conditions)
            )
            rows = await session.execute(
                select(_SIGNALS)
                .where(*conditions)
                .order_by(SignalRow.generated_at.desc(), SignalRow.id)
                .limit(limit)
                .offset(offset)
            )
            return Page([signal_record(row) for row in rows.mappings()], total or 0)


def signal_record(row: RowMapping) -> SignalRecord:
    """Return the stored signal ``row`` as a record."""
    signal = build(
        TradeSignal,
        signal_id=row["id"],
        ticker=row["ticker"],
        direction=row["direction"],
        strength=row["strength"],
        price=row["price"],
        sources=tuple(build(StrategySource, **source) for source in row["strategy_sources"]),
        sentiment_score=row["sentiment_score"],
        article_ids=tuple(row["article_ids"]),
        generated_at=row["generated_at"],
    )
    return build(
        SignalRecord,
        signal=signal,
        acted_on=row["acted_on"],
        outcome=row["outcome"],
        outcome_reason=row["outcome_reason"],
    )
