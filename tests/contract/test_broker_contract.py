"""One contract for every broker: the paper broker, and Alpaca against a local Alpaca server."""

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
from trading_bot.core.errors import (
    BrokerError,
    DuplicateOrderError,
    InsufficientBuyingPowerError,
    OrderRejectedError,
)
from trading_bot.core.model import OrderRequest, OrderSide, OrderStatus, OrderType
from trading_bot.core.ports import Broker
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.key_value import MemoryKeyValueStore

D = Decimal


@dataclass
class Market:
    """A broker under test and the lever that moves its prices."""

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


def buy(client_order_id: str, qty: str, **extra: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"client_order_id": client_order_id, "ticker": "AAPL", "side": "BUY", "qty": qty, **extra}
    )


async def test_broker_when_a_market_buy_is_submitted_fills_it_at_the_market_price(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))

    result = await market.broker.submit_order(buy("tb-c-1", "10"))

    assert result.status is OrderStatus.FILLED
    assert (result.filled_qty, result.filled_avg_price) == (D("10"), D("100"))
    assert (result.client_order_id, result.ticker, result.side) == ("tb-c-1", "AAPL", OrderSide.BUY)


async def test_broker_get_order_by_client_id_finds_the_order_and_returns_none_for_unknown(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))
    placed = await market.broker.submit_order(buy("tb-c-2", "1"))

    found = await market.broker.get_order_by_client_id("tb-c-2")
    missing = await market.broker.get_order_by_client_id("tb-never-sent")

    assert found is not None
    assert found.broker_order_id == placed.broker_order_id
    assert found.status is OrderStatus.FILLED
    assert missing is None


async def test_broker_when_a_client_order_id_is_reused_raises_duplicate_order(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))
    await market.broker.submit_order(buy("tb-c-3", "1"))

    with pytest.raises(DuplicateOrderError):
        await market.broker.submit_order(buy("tb-c-3", "1"))

    positions = await market.broker.get_positions()
    assert [p.qty for p in positions] == [D("1")]


async def test_broker_positions_reflect_fills_at_their_average_price(market: Market) -> None:
    market.set_price("AAPL", D("100"))
    await market.broker.submit_order(buy("tb-c-4", "10"))
    market.set_price("AAPL", D("110"))
    await market.broker.submit_order(buy("tb-c-5", "10"))

    positions = await market.broker.get_positions()

    assert len(positions) == 1
    assert (positions[0].ticker, positions[0].qty) == ("AAPL", D("20"))
    assert positions[0].avg_entry_price == D("105")
    assert positions[0].market_price == D("110")


async def test_broker_account_cash_and_equity_move_with_fills_and_prices(market: Market) -> None:
    market.set_price("AAPL", D("100"))
    before = await market.broker.get_account()

    await market.broker.submit_order(buy("tb-c-6", "10"))
    market.set_price("AAPL", D("120"))
    after = await market.broker.get_account()

    assert (before.cash, before.equity) == (D("100000"), D("100000"))
    assert after.cash == D("99000")
    assert after.equity == D("100200")
    assert after.buying_power == D("99000")


async def test_broker_when_the_cash_cannot_pay_refuses_with_insufficient_buying_power(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))

    with pytest.raises(InsufficientBuyingPowerError):
        await market.broker.submit_order(buy("tb-c-7", "2000"))

    assert await market.broker.get_order_by_client_id("tb-c-7") is None
    assert (await market.broker.get_account()).cash == D("100000")


async def test_broker_when_selling_more_than_held_without_shorting_rejects_the_order(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))
    await market.broker.submit_order(buy("tb-c-8", "5"))

    with pytest.raises(OrderRejectedError) as refused:
        await market.broker.submit_order(
            OrderRequest(client_order_id="tb-c-9", ticker="AAPL", side=OrderSide.SELL, qty=D("6"))
        )

    assert not isinstance(refused.value, InsufficientBuyingPowerError)
    assert [p.qty for p in await market.broker.get_positions()] == [D("5")]


async def test_broker_cancel_of_an_open_order_cancels_it_and_a_second_cancel_is_harmless(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))
    placed = await market.broker.submit_order(
        buy("tb-c-10", "3", order_type=OrderType.LIMIT, limit_price="90")
    )
    open_before = await market.broker.list_open_orders()

    await market.broker.cancel_order(placed.broker_order_id)
    await market.broker.cancel_order(placed.broker_order_id)

    assert placed.status is OrderStatus.PENDING
    assert [o.broker_order_id for o in open_before] == [placed.broker_order_id]
    assert (await market.broker.get_order(placed.broker_order_id)).status is OrderStatus.CANCELLED
    assert await market.broker.list_open_orders() == []


async def test_broker_when_a_limit_order_is_marketable_fills_it_no_worse_than_the_limit(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))

    result = await market.broker.submit_order(
        buy("tb-c-11", "2", order_type=OrderType.LIMIT, limit_price="101")
    )

    assert result.status is OrderStatus.FILLED
    assert result.filled_avg_price is not None
    assert result.filled_avg_price <= D("101")


async def test_broker_when_an_order_carries_stops_records_them_on_the_order(
    market: Market,
) -> None:
    market.set_price("AAPL", D("100"))

    placed = await market.broker.submit_order(
        buy("tb-c-12", "1", stop_loss="95", take_profit="110")
    )

    assert (placed.stop_loss, placed.take_profit) == (D("95"), D("110"))
    found = await market.broker.get_order_by_client_id("tb-c-12")
    assert found is not None
    assert (found.stop_loss, found.take_profit) == (D("95"), D("110"))


async def test_broker_when_an_order_id_is_unknown_raises_a_broker_error(market: Market) -> None:
    with pytest.raises(BrokerError):
        await market.broker.get_order("0d6f3a52-9a8e-4c1b-8f7e-2b5d4c3a1e09")
