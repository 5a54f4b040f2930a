"""The signal-generator and the trade-executor wired to real adapters, for tests and benchmarks.

A rig is what the composition root would build: a bus (memory or Redis), SQLAlchemy storage on
SQLite or PostgreSQL, the paper broker (its account in the key-value store, filling at a
``LatestPrices`` book the executor feeds) and a clock. ``sqlite_template`` migrates one database
file that each test copies, which is much faster than migrating per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.paper_state import PaperAccount
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.events import Message
from trading_bot.core.model import OrderRequest
from trading_bot.core.ports import (
    Broker,
    Clock,
    EventBus,
    KeyValueStore,
    MarketDataFeed,
    MarketHours,
    OrderUpdates,
)
from trading_bot.core.risk import RiskConfig
from trading_bot.core.strategies.base import Strategy
from trading_bot.services.execution import BarObserver, ExecutionConfig, TradeExecutorService
from trading_bot.services.operations_journal import OperationsJournal
from trading_bot.services.signals import SignalGeneratorService, SignalsConfig
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.storage import migrated_sqlite, sqlite_url

TEST_CALENDAR = NyseCalendar(date(2023, 1, 1), date(2026, 12, 31))
"""The real NYSE calendar over a short range (built faster than the default one)."""

BrokerWrapper = Callable[[PaperBroker], Broker]
"""Puts a decorator (a fault injector) around the paper broker."""


async def sqlite_template(directory: Path) -> Path:
    """Migrate a SQLite database file in ``directory`` once; return its path, to copy per test."""
    url = await migrated_sqlite(directory, "template.db")
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


def copy_database(template: Path, directory: Path, name: str = "trading.db") -> str:
    """Copy a migrated database file into ``directory``; return its URL."""
    target = directory / name
    shutil.copyfile(template, target)
    return sqlite_url(target)


@dataclass(slots=True)
class Storage:
    """One database and every repository over it."""

    database: Database
    repositories: SqlRepositories

    @classmethod
    def open(cls, url: str, clock: Clock) -> Storage:
        """Open the database at ``url`` (already migrated)."""
        database = Database(url)
        return cls(database, SqlRepositories.create(database, clock))

    async def close(self) -> None:
        """Release the connections."""
        await self.database.dispose()


@dataclass(slots=True)
class ExecutorRig:
    """A trade-executor and the adapters behind it."""

    service: TradeExecutorService
    broker: Broker
    paper: PaperBroker | None
    prices: LatestPrices
    storage: Storage

    @property
    def repositories(self) -> SqlRepositories:
        """Return the repositories of the executor's database."""
        return self.storage.repositories


async def build_executor(
    storage: Storage,
    *,
    bus: EventBus,
    clock: Clock,
    metrics: RecordingMetrics,
    config: ExecutionConfig | None = None,
    risk: RiskConfig | None = None,
    paper: PaperBrokerConfig | None = None,
    market_hours: MarketHours = TEST_CALENDAR,
    wrap_broker: BrokerWrapper | None = None,
    broker: Broker | None = None,
    journal: OperationsJournal | None = None,
    order_updates: OrderUpdates | None = None,
    on_bar: BarObserver | None = None,
) -> ExecutorRig:
    """Return an executor trading through ``broker``, by default a paper broker whose account
    lives in ``storage`` (wrapped by ``wrap_broker`` when given), with the operations hooks
    given (journal, pushed order updates, a bar observer)."""
    prices = LatestPrices()
    repositories = storage.repositories
    paper_broker = None
    if broker is None:
        paper_broker = await PaperBroker.restore(
            paper or PaperBrokerConfig(), prices, clock, repositories.key_value
        )
        broker = paper_broker if wrap_broker is None else wrap_broker(paper_broker)
    service = TradeExecutorService(
        config or ExecutionConfig(),
        risk=risk or RiskConfig(),
        market_hours=market_hours,
        bus=bus,
        broker=broker,
        prices=prices,
        trades=repositories.trades,
        signals=repositories.signals,
        positions=repositories.positions,
        risk_decisions=repositories.risk_decisions,
        state=repositories.key_value,
        clock=clock,
        metrics=metrics,
        outcomes=repositories.outcomes,
        journal=journal,
        order_updates=order_updates,
        on_bar=on_bar,
    )
    return ExecutorRig(service, broker, paper_broker, prices, storage)


async def build_signal_generator(
    storage: Storage,
    strategies: Sequence[Strategy],
    *,
    bus: EventBus,
    clock: Clock,
    metrics: RecordingMetrics,
    config: SignalsConfig | None = None,
    feed: MarketDataFeed | None = None,
    weights: dict[str, float] | None = None,
) -> SignalGeneratorService:
    """Return a signal-generator over ``storage``, with ``weights`` seeded in its strategies."""
    repositories = storage.repositories
    await repositories.strategies.seed(weights)
    return SignalGeneratorService(
        config or SignalsConfig(),
        strategies=strategies,
        bus=bus,
        signals=repositories.signals,
        weights=repositories.strategies,
        clock=clock,
        metrics=metrics,
        feed=feed,
        market_data=repositories.market_data,
    )


async def read_stream(bus: MemoryBus, stream: str) -> list[Message]:
    """Return every message on ``stream`` so far, through a consumer group of its own."""
    received: list[Message] = []

    async def keep(message: Message) -> None:
        received.append(message)

    reader = asyncio.create_task(bus.consume(stream, f"reader-{uuid.uuid4().hex[:8]}", keep))
    await asyncio.sleep(0)  # let the reader join its group before waiting for it to catch up
    try:
        await bus.drain()
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return received


async def paper_orders(
    store: KeyValueStore, key: str = PaperBrokerConfig().state_key
) -> list[OrderRequest]:
    """Return every order the paper account saved in ``store`` holds, as it was requested."""
    raw = await store.get(key)
    if raw is None:
        return []
    account = PaperAccount.decode(raw, key, max_finished=sys.maxsize)
    return [order.request for order in account.orders.values()]


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 10.0, every_s: float = 0.02
) -> None:
    """Return once ``condition()`` holds; fail with ``AssertionError`` after ``timeout_s``.

    For processes and consumers that run on their own: the test waits for an effect rather than
    for a fixed time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(every_s)
