"""Bracket legs as the backtest and paper brokers simulate them: a gap through a level fills at
the open, a bar trading through it at the level; legs survive a paper broker's restart."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.brokers.simulated import FillModel, SimulatedBroker, SimulatedBrokerConfig
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.model import Bar, OrderRequest, OrderResult, OrderStatus
from trading_bot.testing.bar_series import DEFAULT_START
from trading_bot.testing.key_value import MemoryKeyValueStore

D = Decimal
ENTRY = OrderRequest.model_validate(
    {
        "client_order_id": "tb-b-1",
        "ticker": "AAPL",
        "side": "BUY",
        "qty": "10",
        "stop_loss": "95",
        "take_profit": "110",
    }
)


def bar(minute: int, open_: float, high: float, low: float, close: float) -> Bar:
    return Bar(
        ticker="AAPL",
        timestamp=DEFAULT_START + timedelta(minutes=minute),
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=10_000,
    )


async def simulated_entry() -> tuple[SimulatedBroker, SimulatedClock]:
    clock = SimulatedClock(DEFAULT_START)
    sim = SimulatedBroker(
        SimulatedBrokerConfig(account=PaperBrokerConfig(slippage_bps=D(0)), fill=FillModel.CLOSE),
        clock,
    )
    sim.on_bar_close(bar(0, 100, 101, 99, 100))
    await sim.submit_order(ENTRY)
    return sim, clock


def legs(order: OrderResult | None) -> dict[str, OrderResult]:
    assert order is not None
    return {"stop" if leg.stop_loss else "take": leg for leg in order.legs}


async def test_simulated_broker_when_a_bar_trades_through_the_stop_fills_it_at_the_stop() -> None:
    sim, _ = await simulated_entry()

    sim.on_bar_open(bar(1, 99, 99.5, 94, 96))
    changed = sim.on_bar_close(bar(1, 99, 99.5, 94, 96))

    found = legs(await sim.get_order_by_client_id("tb-b-1"))
    assert (found["stop"].status, found["stop"].filled_avg_price) == (OrderStatus.FILLED, D(95))
    assert found["take"].status is OrderStatus.CANCELLED
    assert {o.client_order_id for o in changed} == {"tb-b-1-sl", "tb-b-1-tp"}
    assert await sim.get_positions() == []


async def test_simulated_broker_when_a_bar_gaps_below_the_stop_fills_it_at_the_open() -> None:
    sim, _ = await simulated_entry()

    changed = sim.on_bar_open(bar(1, 90, 92, 89, 91))

    stop = legs(await sim.get_order_by_client_id("tb-b-1"))["stop"]
    assert stop.filled_avg_price == D(90)
    assert [o.status for o in changed if o.client_order_id == "tb-b-1-sl"] == [OrderStatus.FILLED]


async def test_simulated_broker_when_a_bar_reaches_the_target_fills_it_at_the_target() -> None:
    sim, _ = await simulated_entry()

    sim.on_bar_open(bar(1, 105, 112, 104, 108))
    sim.on_bar_close(bar(1, 105, 112, 104, 108))

    take = legs(await sim.get_order_by_client_id("tb-b-1"))["take"]
    assert (take.status, take.filled_avg_price) == (OrderStatus.FILLED, D(110))


async def test_paper_broker_when_restarted_keeps_its_working_legs_and_fills_them_later() -> None:
    store, prices = MemoryKeyValueStore(), LatestPrices({"AAPL": D(100)})
    clock = SimulatedClock(DEFAULT_START)
    config = PaperBrokerConfig(slippage_bps=D(0))
    first = PaperBroker(config, prices, clock, store)
    await first.submit_order(ENTRY)

    second = await PaperBroker.restore(config, prices, clock, store)
    prices.update("AAPL", D(94))

    stop = legs(await second.get_order_by_client_id("tb-b-1"))["stop"]
    assert (stop.status, stop.filled_avg_price) == (OrderStatus.FILLED, D(94))
    assert await second.get_positions() == []


async def test_paper_broker_when_its_snapshot_predates_brackets_still_loads_it() -> None:
    store, prices = MemoryKeyValueStore(), LatestPrices({"AAPL": D(100)})
    clock = SimulatedClock(DEFAULT_START)
    first = PaperBroker(PaperBrokerConfig(), prices, clock, store)
    await first.submit_order(ENTRY.model_copy(update={"stop_loss": None, "take_profit": None}))
    key = PaperBrokerConfig().state_key
    snapshot = json.loads(await store.get(key) or "{}")
    del snapshot["brackets"]
    await store.set(key, json.dumps(snapshot))

    restored = await PaperBroker.restore(PaperBrokerConfig(), prices, clock, store)

    [position] = await restored.get_positions()
    assert position.qty == D(10)
