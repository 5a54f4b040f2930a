"""ReplayNewsSource: JSONL articles released on a simulated clock, never ahead of time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.replay import (
    SKIPPED_METRIC,
    ReplayNewsConfig,
    ReplayNewsSource,
)
from trading_bot.core.errors import ConfigurationError
from trading_bot.testing.metrics import RecordingMetrics

T0 = datetime(2025, 11, 3, 14, 0, tzinfo=UTC)


def line(title: str, published: datetime, **extra: object) -> str:
    record: dict[str, object] = {
        "source": "replay-wire",
        "url": f"https://wire.example.com/{title.lower().replace(' ', '-')}",
        "title": title,
        "content": f"{title} body",
        "published_at": published.isoformat(),
        **extra,
    }
    return json.dumps(record)


def write(tmp_path: Path, *lines: str | bytes) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_bytes(
        b"\n".join(part if isinstance(part, bytes) else part.encode() for part in lines)
    )
    return path


def make_source(
    path: Path, clock: SimulatedClock, metrics: RecordingMetrics | None = None
) -> ReplayNewsSource:
    return ReplayNewsSource(ReplayNewsConfig(path=path), clock, metrics=metrics)


async def test_replay_source_does_not_return_a_future_article_until_the_clock_reaches_it(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        line("Already out", T0 - timedelta(hours=1)),
        line(
            "Future news",
            T0 + timedelta(hours=2),
            available_at=(T0 + timedelta(hours=2)).isoformat(),
        ),
    )
    clock = SimulatedClock(T0)
    source = make_source(path, clock)

    now = await source.fetch()
    await clock.advance_to(T0 + timedelta(hours=2) - timedelta(microseconds=1))
    just_before = await source.fetch()
    await clock.advance_to(T0 + timedelta(hours=2))
    at_available = await source.fetch()
    later = await source.fetch()

    assert [article.title for article in now] == ["Already out"]
    assert just_before == []
    assert [article.title for article in at_available] == ["Future news"]
    assert later == []


async def test_replay_source_without_available_at_adds_the_configured_latency(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, line("Latent", T0))
    clock = SimulatedClock(T0)
    source = ReplayNewsSource(ReplayNewsConfig(path=path, latency_seconds=90), clock)

    at_publication = await source.fetch()
    await clock.advance(90)
    after_latency = await source.fetch()

    assert at_publication == []
    assert [article.available_at for article in after_latency] == [T0 + timedelta(seconds=90)]
    assert after_latency[0].published_at == T0


def test_replay_source_default_latency_is_sixty_seconds_and_given_available_at_is_kept(
    tmp_path: Path,
) -> None:
    given = T0 + timedelta(seconds=5)
    path = write(tmp_path, line("Defaulted", T0), line("Given", T0, available_at=given.isoformat()))

    articles = make_source(path, SimulatedClock(T0)).all_articles()

    assert {a.title: a.available_at for a in articles} == {
        "Given": given,
        "Defaulted": T0 + timedelta(seconds=60),
    }


async def test_replay_source_returns_articles_in_available_at_order_once_each(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        line("Third", T0 + timedelta(minutes=3)),
        line("First", T0 + timedelta(minutes=1)),
        line("Second", T0 + timedelta(minutes=2), tickers=["AAPL"]),
    )
    clock = SimulatedClock(T0)
    source = make_source(path, clock)
    await clock.advance(3600)

    first_poll = await source.fetch()
    second_poll = await source.fetch()

    assert [article.title for article in first_poll] == ["First", "Second", "Third"]
    assert first_poll[1].provider_tickers == ("AAPL",)
    assert second_poll == []
    assert source.next_available_at() is None


def test_replay_source_skips_malformed_lines_with_a_reason_and_loads_the_rest(
    tmp_path: Path,
) -> None:
    metrics = RecordingMetrics()
    path = write(
        tmp_path,
        line("Good one", T0),
        "{not json",
        json.dumps({"source": "x", "url": "https://x.example/1", "published_at": T0.isoformat()}),
        line("Naive time", datetime(2025, 11, 3, 14, 0)),  # noqa: DTZ001 (the malformed input)
        b'{"source": "x", "url": "https://x.example/2", "title": "caf\xe9", "published_at": "x"}',
        "[1, 2, 3]",
        line("Backwards", T0, available_at=(T0 - timedelta(minutes=1)).isoformat()),
        line("Bad ticker", T0, tickers=["not a ticker"]),
        "",
        line("Good one", T0),
        line("Good two", T0 + timedelta(minutes=1)),
    )

    with capture_logs() as logs:
        source = make_source(path, SimulatedClock(T0), metrics)

    assert [article.title for article in source.all_articles()] == ["Good one", "Good two"]
    assert [skip.line_number for skip in source.skipped] == [2, 3, 4, 5, 6, 7, 8, 10]
    reasons = {skip.line_number: skip.reason for skip in source.skipped}
    assert "Invalid JSON" in reasons[2]
    assert reasons[3].startswith("title")
    assert "timezone" in reasons[4]
    assert reasons[5] == "not UTF-8"
    assert "available_at is before published_at" in reasons[7]
    assert reasons[10] == "duplicate of an earlier article"
    assert metrics.count(SKIPPED_METRIC, source="replay") == 8
    skipped_logs = [log for log in logs if log["event"] == "news_replay_line_skipped"]
    assert [log["line"] for log in skipped_logs] == [2, 3, 4, 5, 6, 7, 8, 10]


def test_replay_source_when_file_is_missing_raises_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        make_source(tmp_path / "absent.jsonl", SimulatedClock(T0))


def test_replay_source_when_content_is_huge_truncates_it(tmp_path: Path) -> None:
    path = write(tmp_path, line("Huge", T0, content="x" * 300_000))

    [article] = make_source(path, SimulatedClock(T0)).all_articles()

    assert len(article.content) == 100_000
