"""The plan's news pipeline on the real Redis and PostgreSQL: an article in a (local) RSS feed ->
news-fetcher -> sentiment-analyzer with FinBERT (a tiny model of the same architecture) ->
signal-generator, whose signal names the news_driven strategy and the article.

The services are those `trading-bot service NAME` runs in paper mode (wall clock; bars from
the Alpaca stream protocol, served locally), built by the composition root in this process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from pydantic import SecretStr

from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.storage import upgrade_database
from trading_bot.core.model import Direction, ScoredArticle, TradeSignal
from trading_bot.entrypoints.container import Ports
from trading_bot.entrypoints.service_names import (
    NEWS_FETCHER,
    SENTIMENT_ANALYZER,
    SIGNAL_GENERATOR,
)
from trading_bot.testing.alpaca_stream_server import LocalAlpacaStreamServer
from trading_bot.testing.bar_series import bars_from_closes
from trading_bot.testing.deployment import running_services, settings_for_test
from trading_bot.testing.feed_server import FeedServer
from trading_bot.testing.tiny_bert import write_tiny_bert
from trading_bot.testing.trading_rigs import eventually

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.finbert]

JWT_SECRET = "integration-secret-that-is-long-enough-0123456789"
HEADLINE = "Apple (AAPL) shares surge after record quarterly profit"


def rss(title: str, link: str, published: str) -> bytes:
    """Return a one-item RSS 2.0 feed."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Local wire</title><link>https://news.example.com/</link>"
        "<description>Market news</description>"
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        "<description>Apple beat estimates and raised its outlook.</description>"
        f"<pubDate>{published}</pubDate><guid>{escape(link)}</guid></item>"
        "</channel></rss>"
    ).encode()


@dataclass(frozen=True)
class Outside:
    """The world outside the bot, served locally: a news feed and Alpaca's bar stream."""

    feeds: FeedServer
    stream: LocalAlpacaStreamServer


@pytest.fixture
async def outside() -> AsyncIterator[Outside]:
    async with FeedServer() as feeds, LocalAlpacaStreamServer() as stream:
        yield Outside(feeds, stream)


@pytest.fixture
async def ports(
    tmp_path: Path, outside: Outside, postgres_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[Ports]:
    await upgrade_database(postgres_url)
    feeds, stream = outside.feeds, outside.stream
    published = format_datetime(WallClock().now() - timedelta(minutes=2), usegmt=True)
    feed_url = feeds.serve(
        "markets.xml", rss(HEADLINE, "https://news.example.com/apple-record", published)
    )
    model = write_tiny_bert(tmp_path / "finbert", favour="positive")
    values: dict[str, Any] = {
        "mode": "paper",
        "bus": {"kind": "redis", "url": redis_url, "prefix": redis_prefix},
        "storage": {"url": postgres_url},
        "api": {"jwt_secret": SecretStr(JWT_SECRET)},
        "alpaca": {
            "api_key": SecretStr("test-key"),
            "secret_key": SecretStr("test-secret"),
            "stream_url": stream.url,
        },
        "sources": {
            "rss": True,
            "rss_feeds": {"feeds": [feed_url], "poll_interval_seconds": 1.0},
            "alpaca_news": False,
        },
        "analyzer": {"kind": "finbert", "finbert_model": str(model), "finbert_backend": "torch"},
    }
    names = [NEWS_FETCHER, SENTIMENT_ANALYZER, SIGNAL_GENERATOR]
    async with running_services(settings_for_test(values), names) as running:
        yield running


async def test_news_pipeline_when_the_feed_brings_good_news_scores_it_and_signals_on_it(
    ports: Ports, outside: Outside
) -> None:
    repos = ports.repos
    stream = outside.stream
    await stream.wait_until_subscribed({"AAPL"})
    start = ports.clock.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    await stream.push_bars(bars_from_closes([100.0, 100.05] * 12, ticker="AAPL", start=start))
    scored: list[ScoredArticle] = []
    signals: list[TradeSignal] = []

    async def signalled_on_the_news() -> bool:
        scored[:] = (await repos.articles.query(ticker="AAPL")).items
        found = (await repos.signals.query(ticker="AAPL")).items
        signals[:] = [
            record.signal
            for record in found
            if any(source.strategy == "news_driven" for source in record.signal.sources)
        ]
        return bool(scored and signals)

    await eventually(signalled_on_the_news, timeout_s=60, every_s=0.2)

    (article,) = scored
    assert article.article.title == HEADLINE
    assert article.model_used == "finbert"
    assert [(t.ticker, t.score > 0.7) for t in article.tickers] == [("AAPL", True)]
    (news_signal, *_) = signals
    assert news_signal.direction is Direction.LONG
    assert article.article.article_id in news_signal.article_ids
    assert await repos.articles.has(article.article.article_id)
