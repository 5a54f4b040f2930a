"""An in-memory ``core.ports.KeyValueStore`` for tests: a dict that counts its writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType


class MemoryKeyValueStore:
    """Keep values in a dict; share one instance between two components to simulate a restart."""

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = dict(initial or {})
        self.writes = 0

    async def get(self, key: str) -> str | None:
        """Return the value stored under ``key``, or None."""
        return self._values.get(key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the values stored under ``keys``; a key never set is left out."""
        return {key: self._values[key] for key in keys if key in self._values}

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        self._values[key] = value
        self.writes += 1

    @property
    def values(self) -> Mapping[str, str]:
        """Return everything stored, read-only."""
        return MappingProxyType(self._values)
