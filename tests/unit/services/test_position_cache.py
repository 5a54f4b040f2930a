"""The executor's in-memory positions: what storage holds, without a read per bar."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from trading_bot.core.model import Position, PositionRecord
from trading_bot.core.ports import PositionRepository
from trading_bot.services.position_cache import CachedPositions
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.trading_rigs import Storage


class CountedReads:
    """The real repository, counting the reads that reach it."""

    def __init__(self, stored: PositionRepository, *, fail_writes: bool = False) -> None:
        self.stored = stored
        self.reads = 0
        self.fail_writes = fail_writes

    async def all(self) -> list[PositionRecord]:
        self.reads += 1
        return await self.stored.all()

    async def get(self, ticker: str) -> PositionRecord | None:
        self.reads += 1
        return await self.stored.get(ticker)

    async def upsert(self, position: Position, *, entry_signal_id: uuid.UUID | None = None) -> None:
        if self.fail_writes:
            raise ConnectionError("storage went away")
        await self.stored.upsert(position, entry_signal_id=entry_signal_id)

    async def delete(self, ticker: str) -> bool:
        if self.fail_writes:
            raise ConnectionError("storage went away")
        return await self.stored.delete(ticker)


def position(ticker: str = "AAPL", qty: str = "10", stop: str | None = "95") -> Position:
    return Position(
        ticker=ticker,
        qty=Decimal(qty),
        avg_entry_price=Decimal("100"),
        stop_loss=None if stop is None else Decimal(stop),
        opened_at=DEFAULT_NOW,
    )


async def test_bars_of_unheld_tickers_cost_one_read_in_all(storage: Storage) -> None:
    await storage.repositories.positions.upsert(position("MSFT"))
    counted = CountedReads(storage.repositories.positions)
    cache = CachedPositions(counted)

    for _ in range(100):
        assert await cache.get("AAPL") is None
        held = await cache.get("MSFT")
        assert held is not None
        assert held.position.qty == Decimal("10")

    assert counted.reads == 1


async def test_writes_reach_storage_and_memory_with_stored_fields_kept(storage: Storage) -> None:
    cache = CachedPositions(storage.repositories.positions)
    opening = make_signal()
    await storage.repositories.signals.add(opening)
    opened_by = opening.signal_id
    await cache.upsert(position(), entry_signal_id=opened_by)

    # A later update without the signal keeps the one storage holds, in memory too.
    await cache.upsert(position(qty="15", stop="97"))

    remembered = await cache.get("AAPL")
    stored = await storage.repositories.positions.get("AAPL")
    assert remembered == stored
    assert remembered is not None
    assert remembered.entry_signal_id == opened_by
    assert remembered.position.qty == Decimal("15")
    assert remembered.position.stop_loss == Decimal("97")

    assert await cache.delete("AAPL") is True
    assert await cache.get("AAPL") is None
    assert await storage.repositories.positions.get("AAPL") is None
    assert await cache.delete("AAPL") is False


async def test_a_failed_write_makes_the_next_read_go_to_storage(storage: Storage) -> None:
    counted = CountedReads(storage.repositories.positions)
    cache = CachedPositions(counted)
    assert await cache.all() == []

    counted.fail_writes = True
    with pytest.raises(ConnectionError):
        await cache.upsert(position())
    # Storage may or may not hold what was being written; memory no longer claims to know.
    await storage.repositories.positions.upsert(position("NVDA"))
    counted.fail_writes = False

    reads_before = counted.reads
    assert [record.position.ticker for record in await cache.all()] == ["NVDA"]
    assert counted.reads == reads_before + 1


async def test_memory_answers_without_storage_only_once_it_holds_every_position(
    storage: Storage,
) -> None:
    await storage.repositories.positions.upsert(position("MSFT"))
    counted = CountedReads(storage.repositories.positions)
    cache = CachedPositions(counted)

    before = (cache.remembered("MSFT"), cache.known_unheld("AAPL"))
    await cache.get("AAPL")
    after = (cache.remembered("MSFT"), cache.known_unheld("AAPL"), cache.known_unheld("MSFT"))

    assert before == (None, False)
    held, unheld_aapl, unheld_msft = after
    assert held is not None
    assert held.position.qty == Decimal(10)
    assert (unheld_aapl, unheld_msft) == (True, False)
    assert counted.reads == 1
