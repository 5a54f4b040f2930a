"""A migrated SQLite database per test, copied from one template per session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.testing.signals import DEFAULT_NOW
from trading_bot.testing.trading_rigs import Storage, copy_database, sqlite_template


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture
async def storage(database_template: Path, tmp_path: Path) -> AsyncIterator[Storage]:
    """Repositories over a fresh database; a module may override it (with its own clock)."""
    opened = Storage.open(copy_database(database_template, tmp_path), SimulatedClock(DEFAULT_NOW))
    yield opened
    await opened.close()
