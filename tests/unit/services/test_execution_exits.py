"""The trade-executor on exits and open orders: stops, targets, manual closes, partial fills.

Exits take the same order path as entries and are never blocked by the pause flag. Partial
fills are played by the local Alpaca server through the real Alpaca broker adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from trading_bot.adapters.brokers.alpaca import AlpacaBroker
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import (
    BarClosed,
    ClosePosition,
    SignalGenerated,
    Streams,
    TradeExecuted,
)
from trading_bot.core.model import Bar, OrderSide, OrderStatus, TradeExecution, TradeSignal
from trading_bot.core.ports import Broker
from trading_bot.core.risk import RiskConfig
from trading_bot.services.execution_state import PAUSED_KEY, last_exit_key
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.broker_faults import SlowBroker
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.trading_rigs import (
    ExecutorRig,
    Storage,
    build_executor,
    copy_database,
    eventually,
    paper_orders,
    read_stream,
    sqlite_template,
)


@pytest.fixture(scope="module")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DEFAULT_NOW)


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
async def storage(
    database_template: Path, tmp_path: Path, clock: SimulatedClock
) -> AsyncIterator[Storage]:
    opened = Storage.open(copy_database(database_template, tmp_path), clock)
    yield opened
    await opened.close()


@pytest.fixture
async def bus(clock: SimulatedClock, metrics: RecordingMetrics) -> AsyncIterator[MemoryBus]:
    memory = MemoryBus(quick_memory_config(), clock=clock, metrics=metrics)
    yield memory
    await memory.close()


@pytest.fixture
async def rig(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> ExecutorRig:
    return await build_executor(storage, bus=bus, clock=clock, metrics=metrics)


async def enter(rig: ExecutorRig, clock: SimulatedClock, ticker: str = "AAPL") -> TradeSignal:
    signal = make_signal(ticker, price=100.0, generated_at=clock.now())
    await rig.service.on_signal_generated(SignalGenerated(occurred_at=clock.now(), signal=signal))
    return signal


async def bar_closing_at(clock: SimulatedClock, close: float, ticker: str = "AAPL") -> BarClosed:
    """Return the next one-minute bar closing at ``close``, with the clock moved to its close."""
    opened = clock.now()
    await clock.advance(60)
    bar = Bar(
        ticker=ticker,
        timestamp=opened,
        open=100.0,
        high=max(100.0, close),
        low=min(100.0, close),
        close=close,
        volume=1_000,
    )
    return BarClosed(occurred_at=clock.now(), bar=bar)


async def exits(rig: ExecutorRig, ticker: str = "AAPL") -> list[TradeExecution]:
    page = await rig.repositories.trades.query(ticker=ticker)
    return [record.execution for record in page.items if record.execution.is_exit]


async def test_executor_when_a_bar_falls_through_the_stop_exits_the_position_once(
    rig: ExecutorRig, clock: SimulatedClock, bus: MemoryBus
) -> None:
    await enter(rig, clock)
    above_stop = await bar_closing_at(clock, 98.0)
    falling = await bar_closing_at(clock, 96.5)

    await rig.service.on_bar_closed(above_stop)
    await rig.service.on_bar_closed(falling)
    await rig.service.on_bar_closed(falling)  # redelivered

    [exit_trade] = await exits(rig)
    assert (exit_trade.status, exit_trade.side) == (OrderStatus.FILLED, OrderSide.SELL)
    assert exit_trade.signal_id is None
    assert exit_trade.realized_pnl is not None
    assert exit_trade.realized_pnl < 0
    assert await rig.repositories.positions.get("AAPL") is None
    assert await rig.repositories.key_value.get(last_exit_key("AAPL")) == clock.now().isoformat()
    assert len(await paper_orders(rig.repositories.key_value)) == 2
    published = [m for m in await read_stream(bus, Streams.TRADES) if isinstance(m, TradeExecuted)]
    assert [m.execution.is_exit for m in published] == [False, True]
    assert published[-1].execution.realized_pnl == exit_trade.realized_pnl


async def test_executor_while_a_decision_waits_on_the_broker_handles_bars_that_change_nothing(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    slow: list[SlowBroker] = []

    def slowed(paper: Broker) -> SlowBroker:
        slow.append(SlowBroker(paper))
        return slow[-1]

    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, wrap_broker=slowed)
    await enter(rig, clock)
    [broker] = slow
    broker.hold()
    broker.at_broker.clear()
    deciding = asyncio.create_task(enter(rig, clock, "MSFT"))
    await asyncio.wait_for(broker.at_broker.wait(), timeout=5)

    # Neither waits for the decision: one is not held, the other is far from its stop.
    await asyncio.wait_for(rig.service.on_bar_closed(await bar_closing_at(clock, 99.5)), 5)
    await asyncio.wait_for(rig.service.on_bar_closed(await bar_closing_at(clock, 50, "NVDA")), 5)
    through_stop = asyncio.create_task(rig.service.on_bar_closed(await bar_closing_at(clock, 96)))
    await asyncio.sleep(0.05)
    exit_waited = not through_stop.done()
    broker.release()
    await asyncio.wait_for(asyncio.gather(deciding, through_stop), timeout=5)

    assert exit_waited, "an exit is decided after the decision in flight, not beside it"
    [exit_trade] = await exits(rig)
    assert exit_trade.status is OrderStatus.FILLED
    assert await rig.repositories.positions.get("MSFT") is not None
    assert rig.prices.last_price("NVDA") == Decimal(50)


async def test_executor_when_a_bar_reaches_the_target_takes_the_profit(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    risk = RiskConfig(take_profit_pct=Decimal("0.05"))
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=risk)
    await enter(rig, clock)
    stored = await storage.repositories.positions.get("AAPL")

    await rig.service.on_bar_closed(await bar_closing_at(clock, 105.5))

    assert stored is not None
    assert stored.position.take_profit == Decimal("105.00")
    [exit_trade] = await exits(rig)
    assert exit_trade.status is OrderStatus.FILLED
    assert exit_trade.realized_pnl is not None
    assert exit_trade.realized_pnl > 0


async def test_executor_when_a_bar_predates_the_position_leaves_the_stop_alone(
    rig: ExecutorRig, clock: SimulatedClock
) -> None:
    early = await bar_closing_at(clock, 90.0)
    await enter(rig, clock)

    await rig.service.on_bar_closed(early)

    assert await exits(rig) == []
    assert await rig.repositories.positions.get("AAPL") is not None


async def test_executor_with_bracket_orders_leaves_the_stop_to_the_broker_and_records_its_fill(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    risk = RiskConfig(bracket_orders=True)
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=risk)
    await enter(rig, clock)

    await rig.service.on_bar_closed(await bar_closing_at(clock, 90.0))

    [exit_trade] = await exits(rig)
    assert exit_trade.client_order_id.endswith("-sl")
    assert rig.prices.last_price("AAPL") == Decimal("90.0")
    assert len(await paper_orders(rig.repositories.key_value)) == 1


async def test_executor_when_a_bar_is_outside_the_universe_ignores_and_counts_it(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    await rig.service.on_bar_closed(await bar_closing_at(clock, 90.0, ticker="ZZZZ"))

    assert metrics.count("executor_bars_ignored", reason="unknown_ticker") == 1
    assert rig.prices.last_price("ZZZZ") is None


async def test_executor_when_asked_to_close_a_position_exits_it_even_while_paused(
    rig: ExecutorRig, clock: SimulatedClock
) -> None:
    await enter(rig, clock)
    await rig.repositories.key_value.set(PAUSED_KEY, "true")
    await clock.advance(60)
    command = ClosePosition(occurred_at=clock.now(), ticker="AAPL", requested_by="alice")

    await rig.service.on_close_position(command)
    await rig.service.on_close_position(command)  # redelivered

    [exit_trade] = await exits(rig)
    assert (exit_trade.status, exit_trade.qty) == (OrderStatus.FILLED, Decimal(20))
    assert await rig.repositories.positions.get("AAPL") is None
    assert len(await paper_orders(rig.repositories.key_value)) == 2


async def test_executor_when_asked_to_close_a_position_it_does_not_hold_refuses_with_a_reason(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    command = ClosePosition(occurred_at=clock.now(), ticker="MSFT", requested_by="alice")

    await rig.service.on_close_position(command)

    assert metrics.count("risk_rejections", reason="NO_POSITION_TO_EXIT") == 1
    assert await paper_orders(rig.repositories.key_value) == []
    counts = await rig.repositories.risk_decisions.counts_by_reason()
    assert counts == {"NO_POSITION_TO_EXIT": 1}


async def test_executor_when_running_exits_on_a_bar_from_the_bus(
    rig: ExecutorRig, clock: SimulatedClock, bus: MemoryBus
) -> None:
    await enter(rig, clock)
    running = asyncio.create_task(rig.service.run())

    await bus.publish(await bar_closing_at(clock, 95.0))

    async def exited() -> bool:
        return [e.status for e in await exits(rig)] == [OrderStatus.FILLED]

    await eventually(exited)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    assert await rig.repositories.positions.get("AAPL") is None


@pytest.fixture
def alpaca() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer() as server:
        server.set_price("AAPL", "100")
        yield server


@pytest.fixture
async def alpaca_rig(
    alpaca: LocalAlpacaServer,
    storage: Storage,
    bus: MemoryBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
) -> AsyncIterator[ExecutorRig]:
    async with contextlib.aclosing(AlpacaBroker(alpaca.broker_config())) as broker:
        yield await build_executor(storage, bus=bus, clock=clock, metrics=metrics, broker=broker)


async def test_executor_when_the_broker_fills_in_parts_tracks_each_part_until_filled(
    bus: MemoryBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
    alpaca: LocalAlpacaServer,
    alpaca_rig: ExecutorRig,
) -> None:
    storage = alpaca_rig.storage
    alpaca.hold_orders()
    signal = await enter(alpaca_rig, clock)
    [pending] = await storage.repositories.trades.for_signal(signal.signal_id)
    order_id = pending.broker_order_id
    assert order_id is not None

    alpaca.fill_order(order_id, qty="8")
    await clock.advance(5)
    await alpaca_rig.service.reconcile_pending()
    [partial] = await storage.repositories.trades.for_signal(signal.signal_id)
    held = await storage.repositories.positions.get("AAPL")
    alpaca.fill_order(order_id)
    await clock.advance(5)
    await alpaca_rig.service.reconcile_pending()

    assert pending.status is OrderStatus.PENDING
    assert (partial.status, partial.filled_qty) == (OrderStatus.PARTIALLY_FILLED, Decimal(8))
    assert held is not None
    assert held.position.qty == Decimal(8)
    assert held.position.stop_loss == Decimal("97.00")
    [filled] = await storage.repositories.trades.for_signal(signal.signal_id)
    assert (filled.status, filled.filled_qty) == (OrderStatus.FILLED, Decimal(20))
    record = await storage.repositories.signals.get(signal.signal_id)
    assert record is not None
    assert record.acted_on
    published = [m for m in await read_stream(bus, Streams.TRADES) if isinstance(m, TradeExecuted)]
    assert [m.execution.status for m in published] == [OrderStatus.FILLED]
    assert metrics.count("trades_executed", status="PARTIALLY_FILLED") == 1
    assert metrics.count("trades_executed", status="FILLED") == 1
    assert [o["client_order_id"] for o in alpaca.received_orders] == [pending.client_order_id]
