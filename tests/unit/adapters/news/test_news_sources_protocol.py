"""Every news source is a core.ports.NewsSource polled at its configured interval."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.alpaca_news import AlpacaNewsConfig, AlpacaNewsSource
from trading_bot.adapters.news.edgar import EdgarConfig, EdgarSource
from trading_bot.adapters.news.reddit import RedditConfig, RedditSource
from trading_bot.adapters.news.replay import ReplayNewsConfig, ReplayNewsSource
from trading_bot.adapters.news.rss import RssConfig, RssSource
from trading_bot.core.ports import NewsSource

CLOCK = SimulatedClock(datetime(2025, 11, 3, tzinfo=UTC))


async def test_news_sources_take_their_name_and_poll_interval_from_their_config(
    tmp_path: Path,
) -> None:
    replay_file = tmp_path / "empty.jsonl"
    replay_file.write_text("")
    rss = RssSource(RssConfig(poll_interval_seconds=11), CLOCK)
    edgar = EdgarSource(
        EdgarConfig(user_agent="Ex ops@example.com", poll_interval_seconds=12), CLOCK
    )
    sources: list[NewsSource] = [
        rss,
        edgar,
        RedditSource(RedditConfig(poll_interval_seconds=13), CLOCK),
        AlpacaNewsSource(AlpacaNewsConfig(poll_interval_seconds=14), CLOCK),
        ReplayNewsSource(ReplayNewsConfig(path=replay_file, poll_interval_seconds=15), CLOCK),
    ]
    await rss.aclose()
    await edgar.aclose()

    assert [(s.name, s.poll_interval_seconds) for s in sources] == [
        ("rss", 11),
        ("sec-edgar", 12),
        ("reddit", 13),
        ("alpaca-news", 14),
        ("replay", 15),
    ]
