"""Reconciliation after a crash, on the real PostgreSQL against the local Alpaca server.

While the executor was down the broker moved on: it filled an order storage still calls PENDING,
holds a position and an open order storage never heard of, closed a position storage still lists,
and never received an order storage recorded. On start-up, before any signal, the executor must
adopt all of it (the broker is the truth) and record each difference: an audit row by the
reconciler, a ``BrokerReconciled`` event and a notification. Fills then keep arriving through
Alpaca's trade-updates stream, with polling as the fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.alpaca import AlpacaBroker, AlpacaConfig
from trading_bot.adapters.brokers.alpaca_trade_updates import AlpacaTradeUpdates
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import upgrade_database
from trading_bot.core.events import BrokerReconciled, SignalGenerated, Streams
from trading_bot.core.model import OrderSide, OrderStatus, Position, client_order_id_for
from trading_bot.core.operations import NotificationKind
from trading_bot.core.risk import RiskConfig
from trading_bot.services.operations_journal import OperationsJournal
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.alpaca_trade_stream import LocalAlpacaTradeStream
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.operations import CollectingNotifier
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.storage_records import make_execution
from trading_bot.testing.trading_rigs import (
    ExecutorRig,
    Storage,
    build_executor,
    eventually,
    read_stream,
)

pytestmark = pytest.mark.postgres
D = Decimal


@pytest.fixture
def alpaca() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer() as server:
        for symbol, price in (("AAPL", "190"), ("MSFT", "410"), ("TSLA", "200"), ("AMZN", "180")):
            server.set_price(symbol, price)
        yield server


@pytest.fixture
async def storage(postgres_url: str) -> AsyncIterator[Storage]:
    await upgrade_database(postgres_url)
    opened = Storage.open(postgres_url, SimulatedClock(DEFAULT_NOW))
    yield opened
    await opened.close()


def alpaca_config(server: LocalAlpacaServer) -> AlpacaConfig:
    return server.broker_config(max_retries=4, backoff_seconds=0.001, jitter_seconds=0)


@pytest.fixture
async def alpaca_broker(alpaca: LocalAlpacaServer) -> AsyncIterator[AlpacaBroker]:
    async with aclosing(AlpacaBroker(alpaca_config(alpaca))) as broker:
        yield broker


async def executor(
    broker: AlpacaBroker,
    storage: Storage,
    *,
    notifier: CollectingNotifier,
    bus: MemoryBus,
    metrics: RecordingMetrics,
    updates: AlpacaTradeUpdates | None = None,
) -> ExecutorRig:
    clock = SimulatedClock(DEFAULT_NOW)
    journal = OperationsJournal(
        bus=bus, metrics=metrics, audit=storage.repositories.audit, notifier=notifier
    )
    return await build_executor(
        storage,
        bus=bus,
        clock=clock,
        metrics=metrics,
        broker=broker,
        risk=RiskConfig(bracket_orders=True, take_profit_pct=D("0.10")),
        journal=journal,
        order_updates=updates,
    )


async def test_executor_after_a_crash_adopts_what_the_broker_did_and_records_every_difference(
    alpaca: LocalAlpacaServer, alpaca_broker: AlpacaBroker, storage: Storage
) -> None:
    repos = storage.repositories
    # Storage before the crash: an AAPL order in flight, an MSFT position, a NVDA order unsent.
    filled_while_down = make_execution(ticker="AAPL", qty=D(10), executed_at=DEFAULT_NOW)
    never_sent = make_execution(ticker="NVDA", qty=D(3), executed_at=DEFAULT_NOW)
    for trade in (filled_while_down, never_sent):
        await repos.trades.add(trade)
    await repos.positions.upsert(
        Position(ticker="MSFT", qty=D(5), avg_entry_price=D(400), opened_at=DEFAULT_NOW)
    )
    # The broker meanwhile: it filled AAPL, holds TSLA and a working AMZN order, no MSFT.
    alpaca.hold_orders()
    placed = alpaca.add_order(
        "AAPL", "buy", "10", client_order_id=filled_while_down.client_order_id
    )
    alpaca.fill_order(placed["id"], price="190.25")
    alpaca.add_position("TSLA", "7", "195")
    alpaca.add_order("AMZN", "buy", "4", limit_price="170", client_order_id="manual-amzn-1")
    notifier, bus, metrics = (
        CollectingNotifier(),
        MemoryBus(quick_memory_config(), clock=SimulatedClock(DEFAULT_NOW)),
        RecordingMetrics(),
    )
    rig = await executor(alpaca_broker, storage, notifier=notifier, bus=bus, metrics=metrics)

    await rig.service.start()

    aapl = await repos.trades.get_by_client_order_id(filled_while_down.client_order_id)
    nvda = await repos.trades.get_by_client_order_id(never_sent.client_order_id)
    amzn = await repos.trades.get_by_client_order_id("manual-amzn-1")
    assert aapl is not None
    assert (aapl.status, aapl.filled_qty, aapl.price) == (OrderStatus.FILLED, D(10), D("190.25"))
    assert nvda is not None
    assert nvda.status is OrderStatus.CANCELLED
    assert "unknown to the broker" in nvda.reason
    assert amzn is not None
    assert (amzn.status, amzn.side) == (OrderStatus.PENDING, OrderSide.BUY)
    stored = {r.position.ticker: r.position.qty for r in await repos.positions.all()}
    held = {p.ticker: p.qty for p in await rig.broker.get_positions()}
    assert stored == held == {"AAPL": D(10), "TSLA": D(7)}
    page = await repos.audit.query(actor="reconciler")
    assert sorted(entry.action for entry in page.items) == [
        "reconcile.order_adopted",
        "reconcile.order_filled",
        "reconcile.order_unknown_cancelled",
        "reconcile.position_created",
        "reconcile.position_removed",
    ]
    events = [
        m for m in await read_stream(bus, Streams.OPERATIONS) if isinstance(m, BrokerReconciled)
    ]
    assert {(e.kind, e.ticker) for e in events} == {
        ("order_filled", "AAPL"),
        ("order_unknown_cancelled", "NVDA"),
        ("order_adopted", "AMZN"),
        ("position_created", "TSLA"),
        ("position_removed", "MSFT"),
    }
    assert len(notifier.of_kind(NotificationKind.RECONCILIATION)) == 5

    # The adopted order is polled again, and adopted as a position once it fills.
    alpaca.fill_order(alpaca.orders[-1]["id"], price="170")
    await rig.service.reconcile_pending()
    amzn = await repos.trades.get_by_client_order_id("manual-amzn-1")
    assert amzn is not None
    assert amzn.status is OrderStatus.FILLED
    assert (await repos.positions.get("AMZN")) is not None
    await bus.close()


async def test_executor_when_a_bracket_leg_fills_learns_it_from_the_trade_updates_stream(
    alpaca: LocalAlpacaServer, alpaca_broker: AlpacaBroker, storage: Storage
) -> None:
    notifier, bus, metrics = (
        CollectingNotifier(),
        MemoryBus(quick_memory_config(), clock=SimulatedClock(DEFAULT_NOW)),
        RecordingMetrics(),
    )
    async with LocalAlpacaTradeStream(alpaca) as stream:
        updates = AlpacaTradeUpdates(alpaca_config(alpaca), stream_url=stream.url)
        rig = await executor(
            alpaca_broker, storage, notifier=notifier, bus=bus, metrics=metrics, updates=updates
        )
        running = asyncio.create_task(rig.service.run())
        try:
            async with asyncio.timeout(10):
                await stream.wait_until_listening()
            signal = make_signal("AAPL", price=190.0, generated_at=DEFAULT_NOW)
            await bus.publish(SignalGenerated(occurred_at=DEFAULT_NOW, signal=signal))
            entry_id = client_order_id_for(signal.signal_id)

            async def entered() -> bool:
                trade = await storage.repositories.trades.get_by_client_order_id(entry_id)
                return trade is not None and trade.status is OrderStatus.FILLED

            await eventually(entered)
            await asyncio.to_thread(alpaca.set_price, "AAPL", "150")

            async def exited() -> bool:
                page = await storage.repositories.trades.query(ticker="AAPL")
                return any(r.execution.is_exit and r.execution.status.is_final for r in page.items)

            await eventually(exited)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    page = await storage.repositories.trades.query(ticker="AAPL")
    [exit_trade] = [r.execution for r in page.items if r.execution.is_exit]
    assert (exit_trade.status, exit_trade.price) == (OrderStatus.FILLED, D(150))
    assert exit_trade.realized_pnl is not None
    assert exit_trade.realized_pnl < 0
    assert await storage.repositories.positions.get("AAPL") is None
    assert len(alpaca.received_orders) == 1
    await bus.close()
