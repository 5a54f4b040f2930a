"""EdgarSource against a local server speaking EDGAR's current-filings Atom."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.edgar import EdgarConfig, EdgarSource, Filing, parse_filing_title
from trading_bot.adapters.news.entries import SKIPPED_ENTRIES_METRIC
from trading_bot.testing.feed_server import FeedResponse, FeedServer
from trading_bot.testing.metrics import RecordingMetrics

EDGAR_ATOM = (
    Path(__file__).parents[3] / "fixtures" / "feeds" / "edgar_current_8k.xml"
).read_bytes()
START = datetime(2025, 11, 3, 21, 30, tzinfo=UTC)
USER_AGENT = "Example Capital ops@example.com"
PATH = "cgi-bin/browse-edgar"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


def make_source(
    server: FeedServer, *forms: str, metrics: RecordingMetrics | None = None, **overrides: object
) -> EdgarSource:
    config = EdgarConfig.model_validate(
        {"user_agent": USER_AGENT, "forms": forms, "base_url": server.url(PATH), **overrides}
    )
    return EdgarSource(config, SimulatedClock(START), metrics=metrics, rng=random.Random(1))


async def test_edgar_source_when_feed_lists_filings_returns_the_followed_forms(
    server: FeedServer,
) -> None:
    server.respond(PATH, FeedResponse(EDGAR_ATOM, content_type="application/atom+xml"))
    metrics = RecordingMetrics()
    source = make_source(server, "8-K", metrics=metrics)

    articles = await source.fetch()
    await source.aclose()

    assert [article.title for article in articles] == [
        "8-K - APPLE INC (0000320193) (Filer)",
        "8-K/A - Société Générale Holdings, Inc. (0001234567) (Filer)",
    ]
    apple = articles[0]
    assert apple.source == "sec-edgar"
    assert apple.url.endswith("0000320193-25-000077-index.htm")
    assert apple.published_at == datetime(2025, 10, 30, 20, 30, 42, tzinfo=UTC)
    assert apple.available_at == START
    assert apple.content.startswith("APPLE INC (CIK 0000320193) filed form 8-K.")
    assert "Item 2.02: Results of Operations and Financial Condition" in apple.content
    assert "<b>" not in apple.content
    assert metrics.count(SKIPPED_ENTRIES_METRIC, source="sec-edgar") == 1  # the unreadable title


async def test_edgar_source_sends_the_declared_user_agent_and_the_getcurrent_query(
    server: FeedServer,
) -> None:
    server.respond(PATH, FeedResponse(EDGAR_ATOM))
    source = make_source(server, "8-K")

    await source.fetch()
    await source.aclose()

    [request] = server.requests_to(PATH)
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.query == {
        "action": "getcurrent",
        "type": "8-K",
        "company": "",
        "dateb": "",
        "owner": "include",
        "count": "40",
        "output": "atom",
    }


async def test_edgar_source_when_cik_is_mapped_fills_provider_tickers(server: FeedServer) -> None:
    server.respond(PATH, FeedResponse(EDGAR_ATOM))
    source = make_source(server, "8-K", cik_tickers={"0000320193": "AAPL"})

    articles = await source.fetch()
    await source.aclose()

    assert [article.provider_tickers for article in articles] == [("AAPL",), ()]


async def test_edgar_source_requests_each_form_and_keeps_only_that_form(
    server: FeedServer,
) -> None:
    server.respond(PATH, FeedResponse(EDGAR_ATOM), query={"type": "8-K"})
    server.respond(PATH, FeedResponse(EDGAR_ATOM), query={"type": "S-8"})
    source = make_source(server, "8-K", "S-8")

    articles = await source.fetch()
    await source.aclose()

    assert sorted(request.query["type"] for request in server.requests_to(PATH)) == ["8-K", "S-8"]
    assert len(articles) == 3  # two 8-Ks, one S-8; each once though both feeds list all


async def test_edgar_source_never_exceeds_the_configured_requests_per_second(
    server: FeedServer,
) -> None:
    forms = [f"FORM-{number}" for number in range(12)]
    server.respond(PATH, FeedResponse(EDGAR_ATOM))
    clock = SimulatedClock(START)
    config = EdgarConfig(user_agent=USER_AGENT, forms=tuple(forms), base_url=server.url(PATH))
    source = EdgarSource(config, clock)

    fetching = asyncio.create_task(source.fetch())
    for _ in range(500):  # until ten requests arrived and the eleventh waits for the clock
        if len(server.requests) >= 10 and clock.next_wakeup is not None:
            break
        await asyncio.sleep(0.01)
    within_first_second = len(server.requests)
    await clock.advance(1)
    await fetching
    await source.aclose()

    assert within_first_second == 10
    assert len(server.requests) == 12


def test_edgar_config_when_user_agent_is_empty_refuses_it() -> None:
    with pytest.raises(ValidationError, match="SEC requires a User-Agent"):
        EdgarConfig(user_agent="  ")


def test_edgar_config_when_user_agent_has_no_contact_refuses_it() -> None:
    with pytest.raises(ValidationError, match="contact e-mail"):
        EdgarConfig(user_agent="trading-bot/0.1")


def test_edgar_config_when_rate_exceeds_sec_limit_refuses_it() -> None:
    with pytest.raises(ValidationError, match="max_requests_per_second"):
        EdgarConfig(user_agent=USER_AGENT, max_requests_per_second=11)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "8-K - APPLE INC (0000320193) (Filer)",
            Filing(form="8-K", company="APPLE INC", cik="0000320193", role="Filer"),
        ),
        (
            "SC 13D/A - ADURO CLEAN TECHNOLOGIES INC. (0001863934) (Subject)",
            Filing("SC 13D/A", "ADURO CLEAN TECHNOLOGIES INC.", "0001863934", "Subject"),
        ),
        (
            "10-K - Smith - Jones Holdings (0000000042)",
            Filing(form="10-K", company="Smith - Jones Holdings", cik="0000000042", role=None),
        ),
        ("Form with an unreadable title", None),
        ("8-K - NO CIK CORP (Filer)", None),
    ],
)
def test_parse_filing_title_reads_form_company_cik_and_role(
    title: str, expected: Filing | None
) -> None:
    assert parse_filing_title(title) == expected
