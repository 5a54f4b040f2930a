"""Small durable state (flags, counters, broker snapshots): ``core.ports.KeyValueStore``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import bindparam, delete, select

from trading_bot.adapters.storage._sql import insert_for
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import KeyValueRow
from trading_bot.core.errors import DataError
from trading_bot.core.ports import Clock

MAX_KEY_LENGTH = 200

_BY_KEY: Final = select(KeyValueRow.value).where(KeyValueRow.key == bindparam("key"))
_BY_KEYS: Final = select(KeyValueRow.key, KeyValueRow.value).where(
    KeyValueRow.key.in_(bindparam("keys", expanding=True))
)
_DELETE: Final = delete(KeyValueRow).where(KeyValueRow.key == bindparam("key"))


class SqlKeyValueStore:
    """String values by key in the ``kv_state`` table; a write replaces the value."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        insert = insert_for(database.dialect, KeyValueRow)
        self._upsert = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        )

    async def get(self, key: str) -> str | None:
        """Return the value stored under ``key``, or None."""
        row = await self._db.fetch_one("read state", _BY_KEY, {"key": key})
        return None if row is None else str(row["value"])

    async def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the values stored under ``keys`` in one query; a key never set is left out."""
        if not keys:
            return {}
        rows = await self._db.fetch_all("read state", _BY_KEYS, {"keys": sorted(set(keys))})
        return {row["key"]: row["value"] for row in rows}

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DataError(f"a state key must have 1 to {MAX_KEY_LENGTH} characters: {key!r}")
        values = {"key": key, "value": value, "updated_at": self._clock.now()}
        await self._db.execute("write state", self._upsert, values)

    async def delete(self, key: str) -> bool:
        """Remove ``key``; return False when it was not stored."""
        return await self._db.execute("delete state", _DELETE, {"key": key}) == 1
