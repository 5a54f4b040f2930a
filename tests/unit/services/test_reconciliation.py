"""Reconciling positions with the broker: a difference is adopted once, and a broker's extra
decimal places (storage keeps eight) are no difference at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from decimal import Decimal
from pathlib import Path

import pytest

from trading_bot.adapters.brokers.alpaca import AlpacaBroker
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW
from trading_bot.testing.trading_rigs import Storage, build_executor, copy_database, sqlite_template


@pytest.fixture(scope="module")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture
def alpaca() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer() as server:
        yield server


@pytest.fixture
async def storage(database_template: Path, tmp_path: Path) -> AsyncIterator[Storage]:
    opened = Storage.open(copy_database(database_template, tmp_path), SimulatedClock(DEFAULT_NOW))
    yield opened
    await opened.close()


async def test_sync_when_the_broker_average_has_more_decimals_than_storage_adopts_it_once(
    alpaca: LocalAlpacaServer, storage: Storage
) -> None:
    alpaca.set_price("AAPL", "100")
    alpaca.add_position("AAPL", "10", "100")
    alpaca.add_position("AAPL", "20", "100.01")  # an average of 100.00666666666...
    clock, metrics = SimulatedClock(DEFAULT_NOW), RecordingMetrics()
    bus = MemoryBus(quick_memory_config(), clock=clock)
    async with aclosing(AlpacaBroker(alpaca.broker_config())) as broker:
        rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, broker=broker)
        first = await rig.service.reconciler.sync_positions()
        again = await rig.service.reconciler.sync_positions()

    assert [d.kind for d in first] == ["position_created"]
    assert again == []
    stored = await storage.repositories.positions.get("AAPL")
    assert stored is not None
    assert stored.position.qty == Decimal(30)
    await bus.close()
