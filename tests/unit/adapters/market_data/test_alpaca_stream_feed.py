"""Alpaca real-time bars through alpaca-py's StockDataStream and a local stream server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from trading_bot.adapters.market_data.alpaca_stream import (
    AlpacaBarStream,
    AlpacaStreamConfig,
    parse_bar,
)
from trading_bot.core.model import Bar
from trading_bot.testing.alpaca_stream_server import LocalAlpacaStreamServer
from trading_bot.testing.metrics import RecordingMetrics

T0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def bar(ticker: str, minute: int, close: float = 100.5) -> Bar:
    return Bar(
        ticker=ticker,
        timestamp=T0 + timedelta(minutes=minute),
        open=100,
        high=101,
        low=99,
        close=close,
        volume=1_200,
    )


@pytest.fixture
async def server() -> AsyncIterator[LocalAlpacaStreamServer]:
    async with LocalAlpacaStreamServer() as running:
        yield running


def stream_for(server: LocalAlpacaStreamServer, *tickers: str) -> AlpacaBarStream:
    config = AlpacaStreamConfig(
        api_key=SecretStr("test-key"),
        secret_key=SecretStr("test-secret"),
        tickers=tickers,
        url_override=server.url,
    )
    return AlpacaBarStream(config, metrics=RecordingMetrics())


async def take(feed: AsyncGenerator[Bar, None], count: int) -> list[Bar]:
    async with asyncio.timeout(10):
        return [await anext(feed) for _ in range(count)]


async def test_alpaca_stream_delivers_bars_of_the_subscribed_tickers(
    server: LocalAlpacaStreamServer,
) -> None:
    feed = stream_for(server, "AAPL", "MSFT").bars()
    first = asyncio.ensure_future(anext(feed))
    async with asyncio.timeout(10):
        await server.wait_until_subscribed({"AAPL", "MSFT"})

    await server.push_bars([bar("AAPL", 0), bar("TSLA", 0), bar("MSFT", 0, close=100.25)])
    received = [await first, *await take(feed, 1)]
    await feed.aclose()

    assert received == [bar("AAPL", 0), bar("MSFT", 0, close=100.25)]
    assert received[0].closes_at == T0 + timedelta(minutes=1)


async def test_alpaca_stream_groups_the_bars_of_one_frame(
    server: LocalAlpacaStreamServer,
) -> None:
    tickers = ("AAPL", "MSFT", "NVDA")
    groups = stream_for(server, *tickers).bar_groups(limit=1_000)
    first = asyncio.ensure_future(anext(groups))
    async with asyncio.timeout(10):
        await server.wait_until_subscribed(set(tickers))

    await server.push_bars([bar(t, 0) for t in tickers])
    async with asyncio.timeout(10):
        one_frame = await first
        await server.push_bars([bar("AAPL", 1)])
        next_frame = await anext(groups)
    await groups.aclose()

    assert one_frame == [bar(t, 0) for t in tickers]
    assert next_frame == [bar("AAPL", 1)]


async def test_alpaca_stream_when_a_message_is_malformed_counts_it_and_keeps_going(
    server: LocalAlpacaStreamServer,
) -> None:
    stream = stream_for(server, "AAPL")
    feed = stream.bars()
    first = asyncio.ensure_future(anext(feed))
    async with asyncio.timeout(10):
        await server.wait_until_subscribed({"AAPL"})

    await server.push_messages(
        [
            {"T": "b", "S": "AAPL", "o": -1, "h": 1, "l": 1, "c": 1, "v": 1, "t": T0},
            {"T": "b", "S": "AAPL", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": "yesterday"},
            {"T": "b", "S": "AAPL", "h": 1, "l": 1, "c": 1, "v": 1, "t": T0},
        ]
    )
    await server.push_frame(b"\xc1 this is not msgpack")
    await server.push_bars([bar("AAPL", 1)])
    received = await first
    await feed.aclose()

    assert received == bar("AAPL", 1)
    assert stream.malformed == 3


async def test_alpaca_stream_when_the_connection_drops_reconnects_and_resubscribes(
    server: LocalAlpacaStreamServer,
) -> None:
    feed = stream_for(server, "AAPL").bars()
    first = asyncio.ensure_future(anext(feed))
    async with asyncio.timeout(10):
        await server.wait_until_subscribed({"AAPL"})
    await server.push_bars([bar("AAPL", 0)])
    await first

    await server.drop_connections()
    async with asyncio.timeout(10):
        await server.wait_until_subscribed({"AAPL"})
    await server.push_bars([bar("AAPL", 1)])
    received = await take(feed, 1)
    await feed.aclose()

    assert received == [bar("AAPL", 1)]
    assert server.connections_accepted == 2


async def test_alpaca_stream_when_closed_by_the_consumer_leaves_no_connection(
    server: LocalAlpacaStreamServer,
) -> None:
    feed = stream_for(server, "AAPL").bars()
    first = asyncio.ensure_future(anext(feed))
    async with asyncio.timeout(10):
        await server.wait_until_subscribed({"AAPL"})
    await server.push_bars([bar("AAPL", 0)])
    await first

    await feed.aclose()
    async with asyncio.timeout(5):
        await server.wait_until_disconnected()

    assert server.subscribed_bars == set()


def test_parse_bar_reads_an_rfc3339_time_as_sent_in_json_frames() -> None:
    message = {
        "T": "b",
        "S": "AAPL",
        "o": 100,
        "h": 101,
        "l": 99,
        "c": 100.5,
        "v": 1200,
        "t": "2024-01-02T14:30:00Z",
        "n": 12,
        "vw": 100.2,
    }

    assert parse_bar(message) == bar("AAPL", 0)


def test_parse_bar_refuses_a_message_that_is_not_a_bar() -> None:
    with pytest.raises(ValueError, match="not a minute bar"):
        parse_bar({"T": "t", "S": "AAPL", "p": 1.0})
