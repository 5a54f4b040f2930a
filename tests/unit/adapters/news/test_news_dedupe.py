"""SeenArticles: a source returns each article once, with bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trading_bot.adapters.news.dedupe import SeenArticles
from trading_bot.core.model import RawArticle

AT = datetime(2025, 11, 3, tzinfo=UTC)


def article(number: int) -> RawArticle:
    return RawArticle.create(
        source="test",
        url=f"https://example.com/{number}",
        title=f"Story {number}",
        content="",
        published_at=AT,
        available_at=AT,
    )


def test_seen_articles_returns_each_article_once_even_within_one_batch() -> None:
    seen = SeenArticles()

    first = seen.filter_new([article(1), article(2), article(1)])
    second = seen.filter_new([article(2), article(3)])

    assert [a.title for a in first] == ["Story 1", "Story 2"]
    assert [a.title for a in second] == ["Story 3"]


def test_seen_articles_when_full_forgets_the_least_recently_seen() -> None:
    seen = SeenArticles(max_size=2)
    seen.filter_new([article(1), article(2)])
    seen.filter_new([article(1)])  # seen again: now the most recent

    seen.filter_new([article(3)])

    assert len(seen) == 2
    assert article(1).article_id in seen
    assert article(2).article_id not in seen


def test_seen_articles_refuses_a_size_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SeenArticles(max_size=0)
