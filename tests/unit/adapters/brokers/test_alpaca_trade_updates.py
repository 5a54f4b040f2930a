"""Alpaca's trade-updates stream through alpaca-py's TradingStream, against the local Alpaca
server's stream: fills and bracket legs arrive as orders; bad keys and malformed updates do not
end the stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.alpaca import AlpacaBroker, AlpacaConfig
from trading_bot.adapters.brokers.alpaca_trade_updates import AlpacaTradeUpdates
from trading_bot.core.model import OrderRequest, OrderResult, OrderStatus
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.alpaca_trade_stream import LocalAlpacaTradeStream
from trading_bot.testing.metrics import RecordingMetrics

D = Decimal
WAIT = 10.0


def config(server: LocalAlpacaServer) -> AlpacaConfig:
    return server.broker_config(max_retries=4, backoff_seconds=0.001, jitter_seconds=0)


@pytest.fixture
def server() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer() as running:
        running.set_price("AAPL", "100")
        yield running


@pytest.fixture
async def broker(server: LocalAlpacaServer) -> AsyncIterator[AlpacaBroker]:
    async with aclosing(AlpacaBroker(config(server))) as opened:
        yield opened


@pytest.fixture
async def stream(server: LocalAlpacaServer) -> AsyncIterator[LocalAlpacaTradeStream]:
    async with LocalAlpacaTradeStream(server) as running:
        yield running


async def collect(
    updates: AlpacaTradeUpdates,
    stream: LocalAlpacaTradeStream,
    count: int,
    act: Callable[[], Awaitable[None]],
) -> list[OrderResult]:
    received: list[OrderResult] = []

    async def follow() -> None:
        async for result in updates.order_updates():
            received.append(result)
            if len(received) == count:
                return

    follower = asyncio.create_task(follow())
    async with asyncio.timeout(WAIT):
        await stream.wait_until_listening()
        await act()
        await follower
    return received


async def test_trade_updates_when_an_order_fills_yield_it_filled_with_its_price(
    server: LocalAlpacaServer, stream: LocalAlpacaTradeStream, broker: AlpacaBroker
) -> None:
    updates = AlpacaTradeUpdates(config(server), stream_url=stream.url)

    async def buy() -> None:
        await broker.submit_order(
            OrderRequest(client_order_id="tb-u-1", ticker="AAPL", side="BUY", qty=D(5))
        )

    new, filled = await collect(updates, stream, 2, buy)

    assert (new.client_order_id, new.status) == ("tb-u-1", OrderStatus.PENDING)
    assert (filled.status, filled.filled_qty, filled.filled_avg_price) == (
        OrderStatus.FILLED,
        D(5),
        D(100),
    )


async def test_trade_updates_when_a_bracket_stop_leg_fills_yield_the_leg_and_its_fill(
    server: LocalAlpacaServer, stream: LocalAlpacaTradeStream, broker: AlpacaBroker
) -> None:
    await broker.submit_order(
        OrderRequest(
            client_order_id="tb-u-2",
            ticker="AAPL",
            side="BUY",
            qty=D(5),
            stop_loss=D(95),
            take_profit=D(110),
        )
    )
    updates = AlpacaTradeUpdates(config(server), stream_url=stream.url)

    async def crash() -> None:
        await asyncio.to_thread(server.set_price, "AAPL", "94")

    cancelled, filled = await collect(updates, stream, 2, crash)

    assert (cancelled.status, cancelled.take_profit) == (OrderStatus.CANCELLED, D(110))
    assert (filled.status, filled.stop_loss, filled.filled_avg_price) == (
        OrderStatus.FILLED,
        D(95),
        D(94),
    )
    assert filled.side.value == "SELL"


async def test_trade_updates_when_an_update_is_malformed_skip_it_and_keep_following(
    server: LocalAlpacaServer, stream: LocalAlpacaTradeStream, broker: AlpacaBroker
) -> None:
    metrics = RecordingMetrics()
    updates = AlpacaTradeUpdates(config(server), stream_url=stream.url, metrics=metrics)

    async def garbage_then_buy() -> None:
        stream.push({"stream": "trade_updates", "data": {"event": "fill", "order": 7}})
        await broker.submit_order(
            OrderRequest(client_order_id="tb-u-3", ticker="AAPL", side="BUY", qty=D(1))
        )

    results = await collect(updates, stream, 2, garbage_then_buy)

    assert [r.client_order_id for r in results] == ["tb-u-3", "tb-u-3"]
    assert metrics.count("order_updates_malformed") == 1
