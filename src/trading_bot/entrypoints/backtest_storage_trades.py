"""The backtest's trades and signals, kept in memory with the semantics of the SQL repositories.

Values are stored as storage would keep them (money and quantities rounded to its 8 decimal
places, ``to_exact_decimal``), so a backtest decides exactly as it would on SQLite or
PostgreSQL. Where the SQL repositories break ties by a random id, these break them by insertion
order, which makes a backtest repeatable to the byte.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from trading_bot.adapters.storage.types import to_exact_decimal
from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    Direction,
    OrderStatus,
    Page,
    SignalOutcome,
    SignalRecord,
    TradeExecution,
    TradeRecord,
    TradeSignal,
)
from trading_bot.core.pdt import DayTrade, Fill, find_day_trades

_OPEN = frozenset({OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED})


def stored_decimal(value: Decimal | None, what: str) -> Decimal | None:
    """Return ``value`` as storage keeps it; a value it cannot hold raises ``DataError``."""
    if value is None:
        return None
    try:
        return to_exact_decimal(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what}: {exc}") from exc


MAX_PAGE_SIZE = 1_000
"""The most rows one page may hold, as in the SQL repositories."""


def check_page(limit: int, offset: int) -> None:
    """Refuse a page size or offset the SQL repositories would refuse."""
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        raise DataError(
            f"a page needs 1 <= limit <= {MAX_PAGE_SIZE} and offset >= 0, got {limit}, {offset}"
        )


class MemorySignals:
    """``core.ports.SignalRepository`` in memory."""

    def __init__(self) -> None:
        self._records: dict[uuid.UUID, SignalRecord] = {}

    async def add(self, signal: TradeSignal) -> bool:
        """Store ``signal``; return False when its id was already stored."""
        if signal.signal_id in self._records:
            return False
        self._records[signal.signal_id] = SignalRecord(signal=signal)
        return True

    async def get(self, signal_id: uuid.UUID) -> SignalRecord | None:
        """Return the signal with its outcome, or None."""
        return self._records.get(signal_id)

    def known(self, signal_id: uuid.UUID) -> TradeSignal | None:
        """Return the stored signal ``signal_id`` without awaiting, or None."""
        record = self._records.get(signal_id)
        return None if record is None else record.signal

    async def record_outcome(
        self, signal_id: uuid.UUID, outcome: SignalOutcome | OrderStatus, reason: str = ""
    ) -> bool:
        """Record how the signal ended; return False when it is not stored."""
        final = SignalOutcome.from_status(outcome) if isinstance(outcome, OrderStatus) else outcome
        record = self._records.get(signal_id)
        if record is None:
            return False
        self._records[signal_id] = record.model_copy(
            update={
                "outcome": final,
                "outcome_reason": reason,
                "acted_on": final is SignalOutcome.FILLED,
            }
        )
        return True

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
        found = [
            (position, record)
            for position, record in enumerate(self._records.values())
            if (ticker is None or record.signal.ticker == ticker)
            and (direction is None or record.signal.direction is direction)
            and (since is None or record.signal.generated_at >= since)
            and (until is None or record.signal.generated_at < until)
        ]
        found.sort(key=lambda item: (-item[1].signal.generated_at.timestamp(), item[0]))
        return Page([record for _, record in found[offset : offset + limit]], len(found))

    def all(self) -> list[SignalRecord]:
        """Return every signal, in the order they were stored."""
        return list(self._records.values())


@dataclass(frozen=True, slots=True)
class _TradeRow:
    sequence: int
    execution: TradeExecution
    strategy: str | None
    submitted_at: datetime
    filled_at: datetime | None


class MemoryTrades:
    """``core.ports.TradeRepository`` in memory.

    ``is_strategy`` is asked when a trade is credited to a strategy: as in SQL, a name not
    among the stored strategies leaves the trade uncredited.
    """

    def __init__(self, signals: MemorySignals, is_strategy: Callable[[str], bool]) -> None:
        self._signals = signals
        self._is_strategy = is_strategy
        self._rows: dict[str, _TradeRow] = {}
        self._by_id: dict[uuid.UUID, str] = {}
        self._open: dict[str, None] = {}
        self._entries: dict[str, list[tuple[datetime, int, str]]] = {}
        """Entries (not exits) per ticker, in submission order (time, then insertion)."""
        self._fill_log: list[tuple[datetime, int, str]] = []

    async def add(self, execution: TradeExecution, *, strategy: str | None = None) -> bool:
        """Record a trade; return False when its client order id is already stored."""
        key = execution.client_order_id
        if key in self._rows or execution.trade_id in self._by_id:
            return False
        if execution.signal_id is not None and self._signals.known(execution.signal_id) is None:
            raise DataError(f"record trade: signal {execution.signal_id} is not stored")
        stored = _stored(execution)
        if strategy is None and execution.signal_id is not None:
            signal = self._signals.known(execution.signal_id)
            strategy = None if signal is None else signal.credited_strategy
        self._rows[key] = _TradeRow(
            sequence=len(self._by_id),
            execution=stored,
            strategy=strategy if strategy is not None and self._is_strategy(strategy) else None,
            submitted_at=stored.executed_at,
            filled_at=stored.executed_at if stored.filled_qty > 0 else None,
        )
        self._by_id[stored.trade_id] = key
        if stored.filled_qty > 0:
            self._log_fill(stored.executed_at, key)
        if stored.status in _OPEN:
            self._open[key] = None
        if not stored.is_exit:
            entry = (stored.executed_at, self._rows[key].sequence, key)
            bisect.insort(self._entries.setdefault(stored.ticker, []), entry)
        return True

    async def update(self, execution: TradeExecution) -> TradeExecution:
        """Apply what changed about the trade with ``execution.client_order_id``; return it."""
        key = execution.client_order_id
        row = self._rows.get(key)
        if row is None:
            raise DataError(f"no trade with client order id {key!r}")
        before = row.execution
        if (before.ticker, before.side) != (execution.ticker, execution.side):
            raise DataError(
                f"trade {key!r} is {before.side} {before.ticker}; "
                f"an update cannot make it {execution.side} {execution.ticker}"
            )
        incoming = _stored(execution)
        updated = before.model_copy(
            update={
                "status": incoming.status,
                "filled_qty": incoming.filled_qty,
                "price": incoming.price,
                "commission": incoming.commission,
                "reason": incoming.reason,
                "is_exit": incoming.is_exit,
                "broker_order_id": incoming.broker_order_id or before.broker_order_id,
                "realized_pnl": (
                    before.realized_pnl if incoming.realized_pnl is None else incoming.realized_pnl
                ),
                "executed_at": incoming.executed_at,
            }
        )
        filled_at = (
            incoming.executed_at if incoming.filled_qty > before.filled_qty else row.filled_at
        )
        self._rows[key] = replace(row, execution=updated, filled_at=filled_at)
        if filled_at is not None and filled_at != row.filled_at:
            self._log_fill(filled_at, key)
        if updated.status in _OPEN:
            self._open[key] = None
        else:
            self._open.pop(key, None)
        if before.is_exit != updated.is_exit:
            self._reindex_entries(updated.ticker)
        return updated

    async def get(self, trade_id: uuid.UUID) -> TradeExecution | None:
        """Return the trade with this id, or None."""
        key = self._by_id.get(trade_id)
        return None if key is None else self._rows[key].execution

    async def get_by_client_order_id(self, client_order_id: str) -> TradeExecution | None:
        """Return the trade placed with this client order id, or None."""
        row = self._rows.get(client_order_id)
        return None if row is None else row.execution

    async def record(self, trade_id: uuid.UUID) -> TradeRecord | None:
        """Return the trade with its strategy and timestamps, or None."""
        key = self._by_id.get(trade_id)
        return None if key is None else _record(self._rows[key])

    async def pending(self) -> list[TradeExecution]:
        """Return the trades not yet final, oldest first."""
        if not self._open:
            return []
        rows = sorted((self._rows[key] for key in self._open), key=_submission_order)
        return [row.execution for row in rows]

    async def for_signal(self, signal_id: uuid.UUID) -> list[TradeExecution]:
        """Return the trades placed for ``signal_id``, oldest first."""
        rows = [row for row in self._rows.values() if row.execution.signal_id == signal_id]
        return [row.execution for row in sorted(rows, key=_submission_order)]

    async def latest_entry(self, ticker: str, *, before: datetime) -> TradeExecution | None:
        """Return the newest filled entry in ``ticker`` submitted at or before ``before``."""
        # Entries are kept in submission order, so the newest that qualifies is found by
        # walking back from the end: usually the last one.
        for _, _, key in reversed(self._entries.get(ticker, ())):
            row = self._rows[key]
            if row.execution.filled_qty > 0 and row.submitted_at <= before:
                return row.execution
        return None

    async def day_trades(self, *, since: datetime) -> list[DayTrade]:
        """Return the same-day round trips among the trades filled from ``since`` on."""
        # Fill times only move forward in a run, so the log is in time order: the window is
        # its tail. A trade filled again later appears twice; its row holds the latest time.
        first = bisect.bisect_left(self._fill_log, (since, -1))
        recent = dict.fromkeys(key for _, _, key in self._fill_log[first:])
        fills = [
            Fill(row.execution.ticker, row.execution.is_exit, row.filled_at)
            for row in (self._rows[key] for key in recent)
            if row.filled_at is not None and row.filled_at >= since and row.execution.filled_qty > 0
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
        """Return one page of trades matching the filters, newest first, and the total."""
        check_page(limit, offset)
        found = [row for row in self._rows.values() if _matches(row, ticker, since, until)]
        found = [
            row
            for row in found
            if (strategy is None or row.strategy == strategy)
            and (status is None or row.execution.status is status)
            and (profitable is None or _profitable(row.execution) is profitable)
        ]
        found.sort(key=lambda row: (-row.submitted_at.timestamp(), row.sequence))
        return Page([_record(row) for row in found[offset : offset + limit]], len(found))

    def records(self) -> list[TradeRecord]:
        """Return every trade with its strategy and timestamps, in submission order."""
        return [_record(row) for row in sorted(self._rows.values(), key=_submission_order)]

    def _log_fill(self, at: datetime, key: str) -> None:
        if self._fill_log and at < self._fill_log[-1][0]:
            # Out of order (a trade recorded with an earlier time): keep the log sorted.
            bisect.insort(self._fill_log, (at, len(self._fill_log), key))
        else:
            self._fill_log.append((at, len(self._fill_log), key))

    def _reindex_entries(self, ticker: str) -> None:
        rows = [
            row
            for row in self._rows.values()
            if row.execution.ticker == ticker and not row.execution.is_exit
        ]
        self._entries[ticker] = sorted(
            (row.submitted_at, row.sequence, row.execution.client_order_id) for row in rows
        )


def _stored(execution: TradeExecution) -> TradeExecution:
    what = f"trade {execution.client_order_id}"
    return execution.model_copy(
        update={
            "qty": stored_decimal(execution.qty, what),
            "filled_qty": stored_decimal(execution.filled_qty, what),
            "price": stored_decimal(execution.price, what),
            "commission": stored_decimal(execution.commission, what),
            "realized_pnl": stored_decimal(execution.realized_pnl, what),
        }
    )


def _submission_order(row: _TradeRow) -> tuple[datetime, int]:
    return row.submitted_at, row.sequence


def _matches(
    row: _TradeRow, ticker: str | None, since: datetime | None, until: datetime | None
) -> bool:
    return (
        (ticker is None or row.execution.ticker == ticker)
        and (since is None or row.submitted_at >= since)
        and (until is None or row.submitted_at < until)
    )


def _profitable(execution: TradeExecution) -> bool | None:
    pnl = execution.realized_pnl
    return None if pnl is None else pnl > 0


def _record(row: _TradeRow) -> TradeRecord:
    return TradeRecord(
        execution=row.execution,
        strategy=row.strategy,
        submitted_at=row.submitted_at,
        filled_at=row.filled_at,
    )
