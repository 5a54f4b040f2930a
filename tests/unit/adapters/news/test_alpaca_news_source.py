"""AlpacaNewsSource through alpaca-py against a local server speaking Alpaca's News API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.alpaca_news import (
    SKIPPED_METRIC,
    AlpacaNewsConfig,
    AlpacaNewsSource,
)
from trading_bot.core.errors import ConfigurationError, TemporaryError
from trading_bot.core.model import RawArticle
from trading_bot.testing.alpaca_news_server import NEWS_PATH, AlpacaNewsItem, AlpacaNewsServer
from trading_bot.testing.metrics import RecordingMetrics

DAY = datetime(2025, 11, 3, tzinfo=UTC)
NOW = datetime(2025, 11, 3, 15, 30, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[AlpacaNewsServer]:
    async with AlpacaNewsServer(api_key="key-id", secret_key="key-secret", page_size=3) as alpaca:
        yield alpaca


def make_source(
    server: AlpacaNewsServer, *, metrics: RecordingMetrics | None = None, **overrides: object
) -> AlpacaNewsSource:
    values: dict[str, object] = {
        "api_key": SecretStr("key-id"),
        "secret_key": SecretStr("key-secret"),
        "rest_url": server.rest_url,
        "stream_url": server.stream_url,
        **overrides,
    }
    return AlpacaNewsSource(
        AlpacaNewsConfig.model_validate(values), SimulatedClock(NOW), metrics=metrics
    )


def item(number: int, at: datetime, *symbols: str) -> AlpacaNewsItem:
    return AlpacaNewsItem(
        id=number,
        headline=f"Headline {number}",
        created_at=at,
        symbols=symbols,
        summary=f"Summary {number}",
        content=f"<p>Body <b>{number}</b></p>",
        url=f"https://www.benzinga.com/news/{number}",
    )


async def collect(
    source: AlpacaNewsSource, start: datetime, end: datetime, symbols: tuple[str, ...] = ()
) -> list[RawArticle]:
    return [article async for article in source.history(start, end, symbols)]


async def test_alpaca_news_history_follows_page_tokens_and_yields_in_time_order(
    server: AlpacaNewsServer,
) -> None:
    server.add_news(*(item(n, DAY + timedelta(hours=n), "AAPL") for n in range(7, 0, -1)))
    source = make_source(server)

    articles = await collect(source, DAY, DAY + timedelta(hours=23))

    assert [article.title for article in articles] == [f"Headline {n}" for n in range(1, 8)]
    page_tokens = [request.query.get("page_token") for request in server.requests_to(NEWS_PATH)]
    assert page_tokens == [None, "3", "6"]
    assert server.requests_to(NEWS_PATH)[0].headers["APCA-API-KEY-ID"] == "key-id"


async def test_alpaca_news_history_makes_articles_available_when_they_were_created(
    server: AlpacaNewsServer,
) -> None:
    created = DAY + timedelta(hours=9, minutes=31)
    server.add_news(item(1, created, "AAPL", "BTC/USD", "MSFT"))
    source = make_source(server)

    [article] = await collect(source, DAY, DAY + timedelta(days=1))

    assert article.published_at == article.available_at == created
    assert article.provider_tickers == ("AAPL", "MSFT")  # the crypto pair is not a ticker
    assert article.content == "Body 1"
    assert article.source == "alpaca:benzinga"
    assert article.url == "https://www.benzinga.com/news/1"


async def test_alpaca_news_history_over_several_windows_returns_each_article_once(
    server: AlpacaNewsServer,
) -> None:
    boundary = DAY + timedelta(hours=6)
    server.add_news(
        item(1, DAY + timedelta(hours=1)), item(2, boundary), item(3, DAY + timedelta(hours=11))
    )
    source = make_source(server, history_chunk_hours=6)

    articles = await collect(source, DAY, DAY + timedelta(hours=12))

    assert [article.title for article in articles] == ["Headline 1", "Headline 2", "Headline 3"]
    windows = [(r.query["start"], r.query["end"]) for r in server.requests_to(NEWS_PATH)]
    assert windows == [
        ("2025-11-03T00:00:00+00:00", "2025-11-03T06:00:00+00:00"),
        ("2025-11-03T06:00:00+00:00", "2025-11-03T12:00:00+00:00"),
    ]


async def test_alpaca_news_history_filters_by_symbols(server: AlpacaNewsServer) -> None:
    server.add_news(item(1, DAY, "AAPL"), item(2, DAY, "TSLA"))
    source = make_source(server)

    articles = await collect(source, DAY, DAY + timedelta(days=1), ("TSLA",))

    assert [article.title for article in articles] == ["Headline 2"]
    assert server.requests_to(NEWS_PATH)[0].query["symbols"] == "TSLA"


async def test_alpaca_news_history_when_keys_are_refused_raises_configuration_error(
    server: AlpacaNewsServer,
) -> None:
    source = make_source(server, secret_key=SecretStr("wrong"))

    with pytest.raises(ConfigurationError, match="refused the API keys"):
        await collect(source, DAY, DAY + timedelta(days=1))


async def test_alpaca_news_history_when_server_fails_raises_temporary_error(
    server: AlpacaNewsServer,
) -> None:
    server.rest_status = 500
    source = make_source(server)

    with pytest.raises(TemporaryError, match="HTTP 500"):
        await collect(source, DAY, DAY + timedelta(days=1))


async def test_alpaca_news_history_when_server_is_too_slow_raises_temporary_error(
    server: AlpacaNewsServer,
) -> None:
    server.rest_delay_seconds = 1.0
    source = make_source(server, history_timeout_seconds=0.2)

    with pytest.raises(TemporaryError, match=r"no answer within 0\.2 s"):
        await collect(source, DAY, DAY + timedelta(days=1))


async def test_alpaca_news_stream_delivers_published_articles_on_the_next_fetch(
    server: AlpacaNewsServer,
) -> None:
    source = make_source(server)
    before = await source.fetch()
    await asyncio.wait_for(server.wait_for_subscriber(), timeout=10)

    await server.publish(item(42, NOW - timedelta(minutes=1), "NVDA"))
    articles = await _fetch_until_some(source)
    after = await source.fetch()
    await source.aclose()

    assert before == []
    assert [article.title for article in articles] == ["Headline 42"]
    assert articles[0].available_at == NOW
    assert articles[0].published_at == NOW - timedelta(minutes=1)
    assert articles[0].provider_tickers == ("NVDA",)
    assert after == []


async def test_alpaca_news_stream_when_message_is_malformed_skips_it_and_keeps_streaming(
    server: AlpacaNewsServer,
) -> None:
    metrics = RecordingMetrics()
    source = make_source(server, metrics=metrics)
    await source.fetch()
    await asyncio.wait_for(server.wait_for_subscriber(), timeout=10)

    with capture_logs() as logs:
        await server.publish({"T": "n", "id": "not-a-number", "symbols": ["AAPL"]})
        await server.publish(item(7, NOW, "AAPL"))
        articles = await _fetch_until_some(source)
    await source.aclose()

    assert [article.title for article in articles] == ["Headline 7"]
    assert metrics.count(SKIPPED_METRIC, source="alpaca-news") == 1
    assert any(log["event"] == "news_message_skipped" for log in logs)


async def test_alpaca_news_without_keys_is_off_and_says_so_once() -> None:
    source = AlpacaNewsSource(AlpacaNewsConfig(), SimulatedClock(NOW))

    with capture_logs() as logs:
        first = await source.fetch()
        second = await source.fetch()
    await source.aclose()

    assert not source.enabled
    assert first == second == []
    assert [log["event"] for log in logs] == ["alpaca_news_off"]


async def test_alpaca_news_history_without_keys_raises_configuration_error() -> None:
    source = AlpacaNewsSource(AlpacaNewsConfig(), SimulatedClock(NOW))

    with pytest.raises(ConfigurationError, match="needs the Alpaca api_key"):
        await collect(source, DAY, DAY + timedelta(days=1))


async def _fetch_until_some(source: AlpacaNewsSource) -> list[RawArticle]:
    for _ in range(500):
        if articles := await source.fetch():
            return articles
        await asyncio.sleep(0.01)
    return []
