"""RssSource against a local feed server: formats, bad input, conditional GET, backoff."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.entries import SKIPPED_ENTRIES_METRIC
from trading_bot.adapters.news.feeds import FETCH_ERRORS_METRIC
from trading_bot.adapters.news.rss import DEFAULT_FEEDS, RssConfig, RssSource
from trading_bot.core.model import RawArticle
from trading_bot.core.model.news import MAX_CONTENT_CHARS, content_hash
from trading_bot.testing.feed_server import FeedResponse, FeedServer
from trading_bot.testing.metrics import RecordingMetrics

FEEDS = Path(__file__).parents[3] / "fixtures" / "feeds"
START = datetime(2025, 11, 3, 18, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


def make_source(
    clock: SimulatedClock,
    *feeds: str,
    metrics: RecordingMetrics | None = None,
    **overrides: float,
) -> RssSource:
    config = RssConfig(feeds=feeds, backoff_base_seconds=60, backoff_max_seconds=600, **overrides)
    return RssSource(config, clock, metrics=metrics, rng=random.Random(7))


async def fetch_once(source: RssSource) -> list[RawArticle]:
    try:
        return await source.fetch()
    finally:
        await source.aclose()


async def test_rss_source_when_feed_is_rss2_returns_plain_text_articles(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("rss2.xml", fixture("rss2.xml"))

    articles = await fetch_once(make_source(clock, url))

    by_title = {article.title: article for article in articles}
    assert set(by_title) == {
        "Apple beats earnings expectations",
        "Tesla & Ford cut prices",
        "Nvidia shares slip",
    }
    apple = by_title["Apple beats earnings expectations"]
    assert apple.content == "Apple AAPL reported revenue of $94.9 billion."  # script dropped
    assert apple.url == "https://news.example.com/markets/apple-beats"
    assert apple.article_id == content_hash(apple.url, apple.title)
    assert apple.published_at == datetime(2025, 10, 30, 20, 35, tzinfo=UTC)
    assert apple.available_at == START
    assert apple.source == "rss:127.0.0.1"


async def test_rss_source_when_entry_has_full_content_prefers_it_over_summary(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("rss2.xml", fixture("rss2.xml"))

    articles = await fetch_once(make_source(clock, url))

    tesla = next(article for article in articles if article.title.startswith("Tesla"))
    assert tesla.content == "Tesla and Ford cut prices on their best-selling models."
    assert tesla.published_at == datetime(2025, 10, 31, 13, 0, tzinfo=UTC)


async def test_rss_source_when_feed_is_atom_reads_titles_links_and_dates(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("atom.xml", fixture("atom.xml"), content_type="application/atom+xml")

    articles = await fetch_once(make_source(clock, url))

    assert [(a.title, a.url, a.published_at) for a in articles] == [
        (
            "Amazon opens new warehouse",
            "https://wire.example.org/amzn/warehouse",
            datetime(2025, 11, 3, 9, 15, tzinfo=UTC),
        ),
        (
            "Microsoft raises dividend",
            "https://wire.example.org/msft/dividend",
            datetime(2025, 11, 3, 10, 0, tzinfo=UTC),
        ),
    ]
    assert articles[0].content == "Amazon opened a new warehouse in Ohio."


async def test_rss_source_when_polled_again_returns_only_articles_not_returned_before(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("rss2.xml", fixture("rss2.xml"))
    source = make_source(clock, url)
    first = await source.fetch()
    server.serve(
        "more.xml",
        fixture("rss2.xml").replace(b"Nvidia shares slip", b"Nvidia shares rebound"),
    )

    second = await source.fetch()
    source_with_more = make_source(clock, url, server.url("more.xml"))
    fresh_instance = await fetch_once(source_with_more)
    await source.aclose()

    assert len(first) == 3
    assert second == []
    assert len(fresh_instance) == 4  # another instance has its own memory


async def test_rss_source_when_xml_is_malformed_keeps_the_entries_it_recovered(
    server: FeedServer, clock: SimulatedClock
) -> None:
    metrics = RecordingMetrics()
    url = server.serve("malformed.xml", fixture("malformed.xml"))
    source = make_source(clock, url, metrics=metrics)

    articles = await fetch_once(source)

    assert [article.title for article in articles] == ["Intact story one", "Intact story two"]
    assert source.poller.state(url).failures == 0
    assert metrics.count(FETCH_ERRORS_METRIC) == 0


async def test_rss_source_when_body_is_not_a_feed_counts_a_failure_and_delivers_the_others(
    server: FeedServer, clock: SimulatedClock
) -> None:
    metrics = RecordingMetrics()
    broken = server.serve("broken", fixture("not_a_feed.html"), content_type="text/html")
    good = server.serve("rss2.xml", fixture("rss2.xml"))
    source = make_source(clock, broken, good, metrics=metrics)

    with capture_logs() as logs:
        articles = await fetch_once(source)

    assert len(articles) == 3
    assert source.poller.state(broken).failures == 1
    assert metrics.count(FETCH_ERRORS_METRIC, source="rss", feed=broken) == 1
    failures = [log for log in logs if log["event"] == "news_feed_failed"]
    assert [log["feed"] for log in failures] == [broken]
    assert "MalformedFeedError" in failures[0]["error"]


async def test_rss_source_when_bytes_are_windows_1252_without_declaration_decodes_them(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("latin.xml", fixture("windows1252.xml"), content_type="application/xml")

    articles = await fetch_once(make_source(clock, url))

    assert [article.title for article in articles] == ["Café chain “beats” forecasts"]
    assert articles[0].content == "Société Générale says the café chain earned € 2 million."


async def test_rss_source_when_entries_have_no_readable_date_uses_the_fetch_time(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("undated.xml", fixture("missing_dates.xml"))

    articles = await fetch_once(make_source(clock, url))

    assert len(articles) == 2
    assert all(article.published_at == START for article in articles)
    assert all(article.available_at == START for article in articles)


async def test_rss_source_when_entry_is_dated_in_the_future_clamps_it_to_the_fetch_time(
    server: FeedServer, clock: SimulatedClock
) -> None:
    body = fixture("rss2.xml").replace(b"Thu, 30 Oct 2025", b"Thu, 30 Oct 2031")
    url = server.serve("future.xml", body)

    articles = await fetch_once(make_source(clock, url))

    apple = next(article for article in articles if article.title.startswith("Apple"))
    assert apple.published_at == START


async def test_rss_source_when_an_entry_is_5_mb_truncates_its_body(
    server: FeedServer, clock: SimulatedClock
) -> None:
    huge = b"<p>" + b"profit " * (5 * 1024 * 1024 // 7) + b"</p>"
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>'
        b"<item><title>A very long filing</title><link>https://big.example.com/1</link>"
        b"<description><![CDATA[" + huge + b"]]></description></item>"
        b"<item><title>A short one</title><link>https://big.example.com/2</link></item>"
        b"</channel></rss>"
    )
    url = server.serve("big.xml", body)

    articles = await fetch_once(make_source(clock, url))

    assert len(body) > 5 * 1024 * 1024
    by_title = {article.title: article for article in articles}
    assert set(by_title) == {"A very long filing", "A short one"}
    assert len(by_title["A very long filing"].content) == MAX_CONTENT_CHARS
    assert by_title["A very long filing"].content.startswith("profit profit")


async def test_rss_source_when_body_exceeds_max_bytes_refuses_it(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.serve("rss2.xml", fixture("rss2.xml"))
    source = make_source(clock, url, max_bytes=512)

    with capture_logs() as logs:
        articles = await fetch_once(source)

    assert articles == []
    assert source.poller.state(url).failures == 1
    assert "exceeds the 512" in next(log["error"] for log in logs if log["feed"] == url)


async def test_rss_source_when_server_answers_304_sends_validators_and_returns_nothing(
    server: FeedServer, clock: SimulatedClock
) -> None:
    metrics = RecordingMetrics()
    validators = {"etag": '"v1"', "last_modified": "Mon, 03 Nov 2025 17:00:00 GMT"}
    url = server.serve("rss2.xml", fixture("rss2.xml"), **validators)
    source = make_source(clock, url, metrics=metrics)
    await source.fetch()

    again = await fetch_once(source)

    second = server.requests_to("rss2.xml")[1]
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == "Mon, 03 Nov 2025 17:00:00 GMT"
    assert again == []
    assert source.poller.state(url).failures == 0
    assert metrics.count(FETCH_ERRORS_METRIC) == 0


async def test_rss_source_when_first_request_has_no_validators_sends_no_conditional_headers(
    server: FeedServer, clock: SimulatedClock
) -> None:
    server.serve("rss2.xml", fixture("rss2.xml"))

    await fetch_once(make_source(clock, server.url("rss2.xml")))

    headers = server.requests_to("rss2.xml")[0].headers
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers
    assert headers["User-Agent"].startswith("trading-bot/")


async def test_rss_source_when_429_with_retry_after_waits_at_least_that_long(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.respond(
        "limited.xml",
        FeedResponse(status=429, headers={"Retry-After": "900"}),
        FeedResponse(body=fixture("rss2.xml")),
    )
    source = make_source(clock, url)
    assert await source.fetch() == []

    await clock.advance(899)
    held_back = await source.fetch()
    await clock.advance(1)
    delivered = await fetch_once(source)

    assert held_back == []
    assert len(server.requests_to("limited.xml")) == 2
    assert len(delivered) == 3


async def test_rss_source_when_feed_answers_500_backs_it_off_and_delivers_the_others(
    server: FeedServer, clock: SimulatedClock
) -> None:
    failing = server.respond(
        "down.xml", FeedResponse(status=500), FeedResponse(status=503), FeedResponse(b"")
    )
    good = server.serve("rss2.xml", fixture("rss2.xml"))
    source = make_source(clock, failing, good)

    delivered = await source.fetch()
    first_wait = source.poller.state(failing).next_attempt_at
    await clock.advance(29)  # equal jitter: the first wait is between 30 and 60 seconds
    await source.fetch()
    requests_while_backing_off = len(server.requests_to("down.xml"))
    await clock.advance(31)
    await source.fetch()
    second_wait = source.poller.state(failing).next_attempt_at
    await source.aclose()

    assert len(delivered) == 3
    assert requests_while_backing_off == 1
    assert first_wait is not None
    assert START + timedelta(seconds=30) <= first_wait <= START + timedelta(seconds=60)
    assert second_wait is not None
    assert second_wait - clock.now() >= timedelta(seconds=60)  # the second wait doubles
    assert source.poller.state(failing).failures == 2


async def test_rss_source_when_a_failing_feed_recovers_resets_its_backoff(
    server: FeedServer, clock: SimulatedClock
) -> None:
    url = server.respond(
        "flaky.xml", FeedResponse(status=502), FeedResponse(body=fixture("atom.xml"))
    )
    source = make_source(clock, url)
    await source.fetch()

    await clock.advance(600)
    articles = await fetch_once(source)

    assert len(articles) == 2
    assert source.poller.state(url).failures == 0
    assert source.poller.state(url).next_attempt_at is None


async def test_rss_source_when_feed_is_too_slow_times_out_and_delivers_the_others(
    server: FeedServer, clock: SimulatedClock
) -> None:
    slow = server.respond("slow.xml", FeedResponse(body=fixture("rss2.xml"), delay_seconds=5))
    good = server.serve("atom.xml", fixture("atom.xml"))
    source = make_source(clock, slow, good, timeout_seconds=0.3)

    with capture_logs() as logs:
        articles = await fetch_once(source)

    assert [article.title for article in articles] == [
        "Amazon opens new warehouse",
        "Microsoft raises dividend",
    ]
    assert source.poller.state(slow).failures == 1
    assert any("no complete answer within 0.3 s" in log.get("error", "") for log in logs)


async def test_rss_source_when_feed_is_missing_404_counts_a_failure(
    server: FeedServer, clock: SimulatedClock
) -> None:
    metrics = RecordingMetrics()
    source = make_source(clock, server.url("nowhere.xml"), metrics=metrics)

    articles = await fetch_once(source)

    assert articles == []
    assert metrics.count(FETCH_ERRORS_METRIC, source="rss") == 1


async def test_rss_source_when_entry_has_no_link_skips_and_counts_only_that_entry(
    server: FeedServer, clock: SimulatedClock
) -> None:
    metrics = RecordingMetrics()
    body = fixture("rss2.xml").replace(
        b"<link>https://news.example.com/chips/nvidia-slips</link>", b""
    )
    url = server.serve("nolink.xml", body)

    articles = await fetch_once(make_source(clock, url, metrics=metrics))

    assert len(articles) == 2
    assert "Nvidia shares slip" not in {article.title for article in articles}
    assert metrics.count(SKIPPED_ENTRIES_METRIC, source="rss:127.0.0.1") == 1


def test_rss_config_defaults_list_the_four_planned_feeds_polled_every_minute() -> None:
    config = RssConfig()

    assert config.feeds == DEFAULT_FEEDS
    assert any("finance.yahoo.com" in feed for feed in config.feeds)
    assert any("reuters.com" in feed for feed in config.feeds)
    assert any("marketwatch.com" in feed for feed in config.feeds)
    assert any("sec.gov" in feed and "type=8-K" in feed for feed in config.feeds)
    assert config.poll_interval_seconds == 60
    assert config.timeout_seconds == 10


def test_rss_config_when_a_feed_is_not_an_http_url_refuses_it() -> None:
    with pytest.raises(ValidationError, match="not an http"):
        RssConfig(feeds=("file:///etc/passwd",))
