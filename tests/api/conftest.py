"""Fixtures of the api-gateway tests: a gateway over a migrated SQLite file and the memory bus.

The database is migrated once per module and emptied after each test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database
from trading_bot.testing.api import gateway_app, gateway_container, running
from trading_bot.testing.storage import clear_tables, migrated_sqlite
from trading_bot.testing.storage_records import T0


@pytest.fixture(scope="module")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database migrated to head, shared by one test module."""
    return asyncio.run(migrated_sqlite(tmp_path_factory.mktemp("api")))


@pytest.fixture
async def database_url(migrated_url: str) -> AsyncIterator[str]:
    """The migrated database, emptied after the test."""
    yield migrated_url
    async with Database(migrated_url) as database:
        await clear_tables(database)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
def bus(clock: SimulatedClock) -> MemoryBus:
    return MemoryBus(clock=clock)


@pytest.fixture
def app(database_url: str, clock: SimulatedClock, bus: MemoryBus) -> FastAPI:
    return gateway_app(gateway_container(database_url, clock=clock, bus=bus))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as test_client:
        yield test_client
