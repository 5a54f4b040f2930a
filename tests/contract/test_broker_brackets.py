"""Bracket orders, one contract for every broker: the paper broker simulates what Alpaca (here the
local Alpaca server) does with the exit legs of an entry carrying a stop and a target."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.alpaca import AlpacaBroker
from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.model import OrderRequest, OrderResult, OrderStatus
from trading_bot.core.ports import Broker
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.key_value import MemoryKeyValueStore

D = Decimal


@dataclass
class Market:
    broker: Broker
    set_price: Callable[[str, Decimal], None]


@pytest.fixture(params=["paper", "alpaca"])
async def market(request: pytest.FixtureRequest) -> AsyncIterator[Market]:
    if request.param == "paper":
        prices = LatestPrices()
        broker = PaperBroker(
            PaperBrokerConfig(slippage_bps=D(0)),
            prices,
            SimulatedClock(datetime(2024, 1, 2, 15, tzinfo=UTC)),
            MemoryKeyValueStore(),
        )
        yield Market(broker, prices.update)
        return
    with LocalAlpacaServer() as server:
        config = server.broker_config(max_retries=4, backoff_seconds=0.001, jitter_seconds=0)
        async with aclosing(AlpacaBroker(config)) as broker:
            yield Market(broker, server.set_price)


async def bracket_entry(market: Market) -> OrderResult:
    market.set_price("AAPL", D("100"))
    request = OrderRequest.model_validate(
        {
            "client_order_id": "tb-bracket-1",
            "ticker": "AAPL",
            "side": "BUY",
            "qty": "10",
            "stop_loss": "95",
            "take_profit": "110",
        }
    )
    await market.broker.submit_order(request)
    found = await market.broker.get_order_by_client_id("tb-bracket-1")
    assert found is not None
    return found


def leg(order: OrderResult, kind: str) -> OrderResult:
    [found] = [
        leg
        for leg in order.legs
        if (leg.stop_loss is not None) == (kind == "stop")
        and (leg.take_profit is not None) == (kind == "take")
    ]
    return found


async def test_broker_when_a_bracket_entry_fills_holds_a_stop_leg_and_a_target_leg(
    market: Market,
) -> None:
    entry = await bracket_entry(market)

    assert entry.status is OrderStatus.FILLED
    stop, take = leg(entry, "stop"), leg(entry, "take")
    assert (stop.stop_loss, take.take_profit) == (D("95"), D("110"))
    assert {stop.side.value, take.side.value} == {"SELL"}
    assert not stop.status.is_final
    assert not take.status.is_final


async def test_broker_when_the_price_falls_through_the_stop_fills_it_and_cancels_the_target(
    market: Market,
) -> None:
    await bracket_entry(market)

    market.set_price("AAPL", D("94"))

    entry = await market.broker.get_order_by_client_id("tb-bracket-1")
    assert entry is not None
    stop, take = leg(entry, "stop"), leg(entry, "take")
    assert (stop.status, stop.filled_qty, stop.filled_avg_price) == (
        OrderStatus.FILLED,
        D("10"),
        D("94"),
    )
    assert take.status is OrderStatus.CANCELLED
    assert await market.broker.get_positions() == []


async def test_broker_when_the_price_reaches_the_target_fills_it_and_cancels_the_stop(
    market: Market,
) -> None:
    await bracket_entry(market)

    market.set_price("AAPL", D("111"))

    entry = await market.broker.get_order_by_client_id("tb-bracket-1")
    assert entry is not None
    assert leg(entry, "take").status is OrderStatus.FILLED
    assert leg(entry, "stop").status is OrderStatus.CANCELLED
    found = await market.broker.get_order_by_client_id(leg(entry, "take").client_order_id)
    assert found is not None
    assert found.status is OrderStatus.FILLED


async def test_broker_when_a_leg_is_cancelled_cancels_its_sibling_and_keeps_the_position(
    market: Market,
) -> None:
    entry = await bracket_entry(market)

    await market.broker.cancel_order(leg(entry, "stop").broker_order_id)
    market.set_price("AAPL", D("80"))

    after = await market.broker.get_order_by_client_id("tb-bracket-1")
    assert after is not None
    assert {x.status for x in after.legs} == {OrderStatus.CANCELLED}
    [position] = await market.broker.get_positions()
    assert position.qty == D("10")
