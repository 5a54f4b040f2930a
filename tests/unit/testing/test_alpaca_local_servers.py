"""The local Alpaca servers speak what clients other than our adapters expect too."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.models import BarSet
from alpaca.data.requests import StockBarsRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from websockets.asyncio.client import connect

from trading_bot.core.model import Bar
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.alpaca_stream_server import LocalAlpacaStreamServer

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def bar(ticker: str, minute: int) -> Bar:
    return Bar(
        ticker=ticker,
        timestamp=T0 + timedelta(minutes=minute),
        open=10,
        high=11,
        low=9,
        close=10.5,
        volume=100,
    )


def test_local_alpaca_server_serves_historical_bars_page_by_page() -> None:
    with LocalAlpacaServer(bars_page_size=3) as server:
        server.add_bars([bar("AAPL", m) for m in range(5)] + [bar("MSFT", m) for m in range(2)])
        client = StockHistoricalDataClient("test-key", "test-secret", url_override=server.url)

        bars = client.get_stock_bars(
            StockBarsRequest(
                symbol_or_symbols=["AAPL", "MSFT"],
                timeframe=TimeFrame.Minute,
                start=T0 + timedelta(minutes=1),
            )
        )

        assert isinstance(bars, BarSet)
        assert [b.timestamp for b in bars.data["AAPL"]] == [
            T0 + timedelta(minutes=m) for m in range(1, 5)
        ]
        assert [b.close for b in bars.data["MSFT"]] == [10.5]
        assert server.requests.count(("GET", "/v2/stocks/bars")) == 2


def test_local_alpaca_server_refuses_wrong_keys_with_401() -> None:
    with LocalAlpacaServer() as server:
        client = TradingClient("test-key", "not-the-secret", url_override=server.url)

        with pytest.raises(APIError) as refused:
            client.get_account()

        assert refused.value.status_code == 401
        assert refused.value.code == 40110000


async def test_local_stream_server_speaks_json_to_a_client_that_does_not_ask_for_msgpack() -> None:
    async with LocalAlpacaStreamServer() as server, connect(server.url) as client:
        greeting = json.loads(await client.recv())
        await client.send(
            json.dumps({"action": "auth", "key": "test-key", "secret": "test-secret"})
        )
        authenticated = json.loads(await client.recv())
        await client.send(json.dumps({"action": "subscribe", "bars": ["AAPL"]}))
        subscription = json.loads(await client.recv())
        await server.push_bars([bar("AAPL", 0), bar("MSFT", 0)])
        pushed = json.loads(await client.recv())

    assert greeting == [{"T": "success", "msg": "connected"}]
    assert authenticated == [{"T": "success", "msg": "authenticated"}]
    assert subscription[0]["T"] == "subscription"
    assert subscription[0]["bars"] == ["AAPL"]
    assert [(m["T"], m["S"], m["t"], m["c"]) for m in pushed] == [
        ("b", "AAPL", "2024-01-02T14:30:00Z", 10.5)
    ]


async def test_local_stream_server_with_wrong_keys_answers_auth_failed_and_closes() -> None:
    async with LocalAlpacaStreamServer() as server, connect(server.url) as client:
        await client.recv()
        await client.send(json.dumps({"action": "auth", "key": "test-key", "secret": "nope"}))
        answer = json.loads(await client.recv())
        async with asyncio.timeout(5):
            await client.wait_closed()

    assert answer == [{"T": "error", "code": 402, "msg": "auth failed"}]
    assert server.auth_failures == 1
