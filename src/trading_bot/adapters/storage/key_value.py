"""Small durable state (flags, counters, broker snapshots): ``core.ports.KeyValueStore``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from trading_bot.adapters.storage._sql import affected, insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import KeyValueRow
from trading_bot.core.errors import DataError
from trading_bot.core.ports import Clock

MAX_KEY_LENGTH = 200


class SqlKeyValueStore:
    """String values by key in the ``kv_state`` table; a write replaces the value."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def get(self, key: str) -> str | None:
        """Return the value stored under ``key``, or None."""
        async with self._db.lookup("read state") as session:
            row = await session.get(KeyValueRow, key)
            return None if row is None else row.value

    async def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the values stored under ``keys`` in one query; a key never set is left out."""
        if not keys:
            return {}
        query = select(KeyValueRow.key, KeyValueRow.value).where(KeyValueRow.key.in_(set(keys)))
        async with self._db.lookup("read state") as session:
            return {row.key: row.value for row in await session.execute(query)}

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DataError(f"a state key must have 1 to {MAX_KEY_LENGTH} characters: {key!r}")
        insert = insert_for(self._db.dialect, KeyValueRow).values(
            key=key, value=value, updated_at=self._clock.now()
        )
        statement = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        )
        async with self._db.write("write state") as session:
            await session.execute(statement)

    async def delete(self, key: str) -> bool:
        """Remove ``key``; return False when it was not stored."""
        async with self._db.write("delete state") as session:
            result = await session.execute(delete(KeyValueRow).where(KeyValueRow.key == key))
            return affected(result) == 1
