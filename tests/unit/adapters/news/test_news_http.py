"""Backoff, Retry-After, feed state and the rate limiter shared by the feed sources."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.news.http import Backoff, FeedState, RateLimiter, parse_retry_after

NOW = datetime(2025, 11, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("failures", "ceiling"), [(1, 10), (2, 20), (3, 40), (4, 80), (9, 100)])
def test_backoff_delay_doubles_per_failure_within_equal_jitter_and_cap(
    failures: int, ceiling: float
) -> None:
    backoff = Backoff(base_seconds=10, max_seconds=100)
    rng = random.Random(3)

    delays = [backoff.delay(failures, rng) for _ in range(200)]

    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1  # jittered, so feeds failing together do not retry together


def test_parse_retry_after_reads_seconds() -> None:
    assert parse_retry_after("120", NOW) == 120.0


def test_parse_retry_after_reads_an_http_date() -> None:
    assert parse_retry_after("Mon, 03 Nov 2025 12:05:00 GMT", NOW) == 300.0


@pytest.mark.parametrize("value", [None, "", "soon", "Mon, 99 Foo 2025"])
def test_parse_retry_after_when_value_is_unusable_returns_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_feed_state_after_failure_is_not_due_until_its_delay_passed() -> None:
    state = FeedState()

    state.record_failure(NOW, 30)

    assert not state.is_due(NOW + timedelta(seconds=29))
    assert state.is_due(NOW + timedelta(seconds=30))
    assert state.failures == 1


def test_feed_state_on_success_keeps_validators_and_clears_failures() -> None:
    state = FeedState()
    state.record_failure(NOW, 30)

    state.record_success(httpx.Headers({"ETag": '"abc"', "Last-Modified": "Mon, 03 Nov 2025"}))
    state.record_success(httpx.Headers({}))  # a response without validators keeps the old ones

    assert state.failures == 0
    assert state.is_due(NOW)
    assert state.conditional_headers() == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Mon, 03 Nov 2025",
    }


async def test_rate_limiter_lets_max_requests_through_then_waits_for_the_window() -> None:
    clock = SimulatedClock(NOW)
    limiter = RateLimiter(clock, max_requests=3, per_seconds=1.0)
    granted: list[datetime] = []

    async def request() -> None:
        await limiter.acquire()
        granted.append(clock.now())

    tasks = [asyncio.create_task(request()) for _ in range(5)]
    for _ in range(10):
        await asyncio.sleep(0)
    granted_at_once = len(granted)
    await clock.advance(1)
    await asyncio.gather(*tasks)

    assert granted_at_once == 3
    assert granted == [NOW] * 3 + [NOW + timedelta(seconds=1)] * 2
