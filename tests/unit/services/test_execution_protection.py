"""Trailing stops and bracket orders in the trade-executor.

A trailing stop ratchets with the best price since entry, is kept with the position (so a restart
goes on from it) and exits through the normal order path. With bracket orders the stop and target
travel with the entry as broker-side legs: the broker fills them, the executor records that fill
as the exit instead of placing one of its own, and cancels the legs before any exit it decides.
"""

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
from trading_bot.core.events import (
    BarClosed,
    ClosePosition,
    SignalGenerated,
    Streams,
    TradeExecuted,
)
from trading_bot.core.model import Bar, OrderStatus, TradeExecution, client_order_id_for
from trading_bot.core.risk import RiskConfig
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.trading_rigs import (
    ExecutorRig,
    Storage,
    build_executor,
    copy_database,
    paper_orders,
    read_stream,
    sqlite_template,
)

D = Decimal
TRAILING = RiskConfig(trailing_stop_pct=D("0.05"), stop_loss_pct=D("0.03"))
BRACKETS = RiskConfig(bracket_orders=True, take_profit_pct=D("0.10"))


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


async def enter(rig: ExecutorRig, clock: SimulatedClock, price: float = 100.0) -> str:
    """Enter AAPL on a signal; return the entry's client order id."""
    signal = make_signal("AAPL", price=price, generated_at=clock.now())
    await rig.service.on_signal_generated(SignalGenerated(occurred_at=clock.now(), signal=signal))
    return client_order_id_for(signal.signal_id)


async def bar(clock: SimulatedClock, high: float, low: float, close: float) -> BarClosed:
    opened = clock.now()
    await clock.advance(60)
    candle = Bar(
        ticker="AAPL",
        timestamp=opened,
        open=close,
        high=max(high, close),
        low=min(low, close),
        close=close,
        volume=1_000,
    )
    return BarClosed(occurred_at=clock.now(), bar=candle)


async def exits(rig: ExecutorRig) -> list[TradeExecution]:
    page = await rig.repositories.trades.query(ticker="AAPL")
    return [r.execution for r in page.items if r.execution.is_exit]


async def stop_of(rig: ExecutorRig) -> Decimal | None:
    stored = await rig.repositories.positions.get("AAPL")
    return None if stored is None else stored.position.stop_loss


async def test_trailing_stop_ratchets_up_with_new_highs_and_never_down(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=TRAILING)
    await enter(rig, clock)
    rig.prices.update("AAPL", D(100))

    await rig.service.on_bar_closed(await bar(clock, high=110, low=104, close=108))
    after_high = await stop_of(rig)
    await rig.service.on_bar_closed(await bar(clock, high=107, low=106, close=106.5))
    after_dip = await stop_of(rig)

    assert (after_high, after_dip) == (D("104.50"), D("104.50"))
    assert await exits(rig) == []


async def test_trailing_stop_when_the_price_falls_through_it_exits_once_at_a_profit(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=TRAILING)
    await enter(rig, clock)
    await rig.service.on_bar_closed(await bar(clock, high=110, low=106, close=109))

    falling = await bar(clock, high=109, low=103, close=104)
    await rig.service.on_bar_closed(falling)
    await rig.service.on_bar_closed(falling)  # redelivered

    [exit_trade] = await exits(rig)
    assert exit_trade.status is OrderStatus.FILLED
    assert exit_trade.realized_pnl is not None
    assert exit_trade.realized_pnl > 0
    assert await rig.repositories.positions.get("AAPL") is None


async def test_trailing_stop_when_the_executor_restarts_goes_on_from_the_stored_stop(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    first = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=TRAILING)
    await enter(first, clock)
    await first.service.on_bar_closed(await bar(clock, high=120, low=115, close=118))

    second = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=TRAILING)
    await second.service.start()
    await second.service.on_bar_closed(await bar(clock, high=112, low=111, close=111.5))

    [exit_trade] = await exits(second)
    assert exit_trade.price is not None
    assert exit_trade.price > D(110)


async def test_brackets_on_paper_when_the_stop_leg_fills_record_it_as_the_only_exit(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=BRACKETS)
    await enter(rig, clock)
    [entry] = await paper_orders(rig.repositories.key_value)

    crash = await bar(clock, high=100, low=95, close=96)
    await rig.service.on_bar_closed(crash)
    await rig.service.on_bar_closed(crash)  # redelivered
    await rig.service.reconcile_pending()

    assert (entry.stop_loss, entry.take_profit) == (D("97.00"), D("110.00"))
    [exit_trade] = await exits(rig)
    assert (exit_trade.status, exit_trade.filled_qty) == (OrderStatus.FILLED, D(20))
    assert exit_trade.realized_pnl is not None
    assert exit_trade.realized_pnl < 0
    assert await rig.repositories.positions.get("AAPL") is None
    assert len(await paper_orders(rig.repositories.key_value)) == 1
    published = [m for m in await read_stream(bus, Streams.TRADES) if isinstance(m, TradeExecuted)]
    assert [m.execution.is_exit for m in published] == [False, True]


async def test_brackets_on_paper_when_closed_by_hand_cancel_the_legs_before_selling(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=BRACKETS)
    entry_id = await enter(rig, clock)
    await clock.advance(60)

    await rig.service.on_close_position(
        ClosePosition(occurred_at=clock.now(), ticker="AAPL", requested_by="alice")
    )
    rig.prices.update("AAPL", D(80))
    await rig.service.reconcile_pending()

    [exit_trade] = await exits(rig)
    assert exit_trade.status is OrderStatus.FILLED
    entry = await rig.broker.get_order_by_client_id(entry_id)
    assert entry is not None
    assert {leg.status for leg in entry.legs} == {OrderStatus.CANCELLED}
    assert await rig.repositories.positions.get("AAPL") is None
    assert await rig.broker.get_positions() == []


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
    async with aclosing(AlpacaBroker(alpaca.broker_config())) as broker:
        yield await build_executor(
            storage, bus=bus, clock=clock, metrics=metrics, broker=broker, risk=BRACKETS
        )


async def test_brackets_on_alpaca_send_the_entry_as_a_bracket_order_with_both_legs(
    alpaca: LocalAlpacaServer, alpaca_rig: ExecutorRig, clock: SimulatedClock
) -> None:
    await enter(alpaca_rig, clock)

    [sent] = alpaca.received_orders
    assert sent["order_class"] == "bracket"
    assert sent["stop_loss"] == {"stop_price": 97.0}
    assert sent["take_profit"] == {"limit_price": 110.0}
    assert (sent["side"], sent["type"], sent["time_in_force"]) == ("buy", "market", "day")


async def test_brackets_on_alpaca_when_the_target_leg_fills_record_it_and_place_nothing(
    alpaca: LocalAlpacaServer, alpaca_rig: ExecutorRig, clock: SimulatedClock
) -> None:
    await enter(alpaca_rig, clock)

    alpaca.set_price("AAPL", "111")
    await alpaca_rig.service.on_bar_closed(await bar(clock, high=111, low=101, close=110.5))

    [exit_trade] = await exits(alpaca_rig)
    assert (exit_trade.status, exit_trade.price) == (OrderStatus.FILLED, D(111))
    assert exit_trade.realized_pnl == D(220)
    assert len(alpaca.received_orders) == 1


async def test_brackets_on_alpaca_when_closed_by_hand_cancel_the_legs_so_the_sale_goes_through(
    alpaca: LocalAlpacaServer, alpaca_rig: ExecutorRig, clock: SimulatedClock
) -> None:
    await enter(alpaca_rig, clock)
    await clock.advance(60)

    await alpaca_rig.service.on_close_position(
        ClosePosition(occurred_at=clock.now(), ticker="AAPL", requested_by="alice")
    )

    [exit_trade] = await exits(alpaca_rig)
    assert exit_trade.status is OrderStatus.FILLED
    entry = alpaca.orders[0]
    assert {leg["status"] for leg in entry["legs"]} == {"canceled"}
    assert await alpaca_rig.broker.get_positions() == []
