"""The executor's positions in memory, written through to storage.

The trade-executor is the only writer of positions (one instance per consumer group, decisions
under one lock), so after one read of every stored position it can answer ``get`` from memory:
that is the question every bar asks (is this ticker held, and where are its stop and target?),
and with a hundred tickers a minute the answer must not cost a database round trip. Writes go to
storage first and then to memory, so storage is never behind what the executor believes; a write
that fails forgets everything, and the next question reads storage again.
"""

from __future__ import annotations

import uuid

from trading_bot.core.model import Position, PositionRecord
from trading_bot.core.ports import PositionRepository


class CachedPositions:
    """A ``PositionRepository`` that reads storage once and then serves ``get`` from memory."""

    def __init__(self, stored: PositionRepository) -> None:
        self._stored = stored
        self._held: dict[str, PositionRecord] | None = None

    async def all(self) -> list[PositionRecord]:
        """Return every open position (from memory once loaded), in storage's order."""
        return list((await self._load()).values())

    async def get(self, ticker: str) -> PositionRecord | None:
        """Return the open position in ``ticker``, or None when none is held."""
        return (await self._load()).get(ticker)

    def known_unheld(self, ticker: str) -> bool:
        """Return True when memory holds every position and none in ``ticker``: a question
        answered without awaiting anything."""
        return self._held is not None and ticker not in self._held

    def remembered(self, ticker: str) -> PositionRecord | None:
        """Return the position in ``ticker`` as memory holds it, without awaiting anything:
        None when none is held or nothing is loaded yet (``known_unheld`` tells which)."""
        return None if self._held is None else self._held.get(ticker)

    async def upsert(self, position: Position, *, entry_signal_id: uuid.UUID | None = None) -> None:
        """Store the position, then remember what storage now holds (it merges kept fields)."""
        try:
            await self._stored.upsert(position, entry_signal_id=entry_signal_id)
            record = await self._stored.get(position.ticker)
        except BaseException:
            self.forget()
            raise
        held = await self._load()
        if record is None:
            held.pop(position.ticker, None)
        else:
            held[position.ticker] = record

    async def delete(self, ticker: str) -> bool:
        """Delete the position in storage and memory; False when none was stored."""
        try:
            deleted = await self._stored.delete(ticker)
        except BaseException:
            self.forget()
            raise
        if self._held is not None:
            self._held.pop(ticker, None)
        return deleted

    def forget(self) -> None:
        """Drop what is in memory: the next read goes to storage."""
        self._held = None

    async def _load(self) -> dict[str, PositionRecord]:
        if self._held is None:
            records = await self._stored.all()
            self._held = {record.position.ticker: record for record in records}
        return self._held
