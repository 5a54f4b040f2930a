"""RedditSource through asyncpraw against a local server speaking Reddit's API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.feeds import FETCH_ERRORS_METRIC
from trading_bot.adapters.news.reddit import RedditConfig, RedditSource
from trading_bot.core.model import RawArticle
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.reddit_server import TOKEN_PATH, RedditPost, RedditServer

NOW = datetime(2025, 11, 3, 15, 0, tzinfo=UTC)
HOUR_AGO = (NOW - timedelta(hours=1)).timestamp()


@pytest.fixture
async def server() -> AsyncIterator[RedditServer]:
    async with RedditServer(client_id="app-id", client_secret="app-secret") as reddit_server:
        yield reddit_server


def config_for(server: RedditServer, **overrides: object) -> RedditConfig:
    values: dict[str, object] = {
        "client_id": SecretStr("app-id"),
        "client_secret": SecretStr("app-secret"),
        "user_agent": SecretStr("trading-bot tests by u/example"),
        "subreddits": ("stocks",),
        "oauth_url": server.base_url,
        "reddit_url": server.base_url,
        **overrides,
    }
    return RedditConfig.model_validate(values)


async def fetch_with(
    config: RedditConfig, metrics: RecordingMetrics | None = None
) -> list[RawArticle]:
    source = RedditSource(config, SimulatedClock(NOW), metrics=metrics)
    try:
        return await source.fetch()
    finally:
        await source.aclose()


async def test_reddit_source_with_credentials_returns_posts_above_the_score_threshold(
    server: RedditServer,
) -> None:
    server.add_posts(
        "stocks",
        "hot",
        RedditPost("a1", "NVDA to the moon", score=450, created_utc=HOUR_AGO, selftext="DD inside"),
        RedditPost("a2", "Low effort post", score=12, created_utc=HOUR_AGO),
    )
    server.add_posts("stocks", "new", RedditPost("a3", "AAPL earnings", 150, HOUR_AGO))

    articles = await fetch_with(config_for(server))

    by_title = {article.title: article for article in articles}
    assert set(by_title) == {"NVDA to the moon", "AAPL earnings"}
    nvda = by_title["NVDA to the moon"]
    assert nvda.content == "NVDA to the moon\n\nDD inside"
    assert nvda.url == "https://www.reddit.com/r/stocks/comments/a1/nvda_to_the_moon/"
    assert nvda.source == "reddit:r/stocks"
    assert nvda.published_at == NOW - timedelta(hours=1)
    assert nvda.available_at == NOW


async def test_reddit_source_authenticates_with_the_client_credentials_grant(
    server: RedditServer,
) -> None:
    server.add_posts("stocks", "hot", RedditPost("a1", "Post", 500, HOUR_AGO))

    await fetch_with(config_for(server, listings=("hot",)))

    [token_request] = server.requests_to(TOKEN_PATH)
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert "trading-bot tests by u/example" in token_request.headers["User-Agent"]
    [listing_request] = server.requests_to("r/stocks/hot")
    assert listing_request.headers["Authorization"] == f"bearer {server.tokens_issued[0]}"
    assert listing_request.query["limit"] == "50"


async def test_reddit_source_when_a_post_is_in_hot_and_new_returns_it_once(
    server: RedditServer,
) -> None:
    post = RedditPost("a1", "Same post twice", 300, HOUR_AGO)
    server.add_posts("stocks", "hot", post)
    server.add_posts("stocks", "new", post)

    articles = await fetch_with(config_for(server))

    assert [article.title for article in articles] == ["Same post twice"]


async def test_reddit_source_skips_stickied_posts(server: RedditServer) -> None:
    server.add_posts(
        "stocks",
        "hot",
        RedditPost("m1", "Daily discussion thread", 5000, HOUR_AGO, stickied=True),
        RedditPost("a1", "TSLA deliveries", 200, HOUR_AGO),
    )

    articles = await fetch_with(config_for(server))

    assert [article.title for article in articles] == ["TSLA deliveries"]


async def test_reddit_source_when_credentials_are_wrong_logs_and_counts_each_listing(
    server: RedditServer,
) -> None:
    metrics = RecordingMetrics()
    config = config_for(server, client_secret=SecretStr("wrong"), listings=("hot",))

    with capture_logs() as logs:
        articles = await fetch_with(config, metrics)

    assert articles == []
    assert metrics.count(FETCH_ERRORS_METRIC, source="reddit", feed="r/stocks/hot") == 1
    assert [log["feed"] for log in logs if log["event"] == "news_feed_failed"] == ["r/stocks/hot"]


async def test_reddit_source_without_credentials_is_off_and_says_so_once() -> None:
    source = RedditSource(RedditConfig(), SimulatedClock(NOW))

    with capture_logs() as logs:
        first = await source.fetch()
        second = await source.fetch()
    await source.aclose()

    assert not source.enabled
    assert first == second == []
    assert [log["event"] for log in logs] == ["reddit_source_off"]


def test_reddit_config_when_a_credential_is_blank_has_no_credentials() -> None:
    config = RedditConfig(
        client_id=SecretStr("id"), client_secret=SecretStr(" "), user_agent=SecretStr("bot by me")
    )

    assert not config.has_credentials


def test_reddit_config_defaults_follow_three_subreddits_above_score_100() -> None:
    config = RedditConfig()

    assert config.subreddits == ("wallstreetbets", "stocks", "investing")
    assert config.listings == ("hot", "new")
    assert config.min_score == 100
