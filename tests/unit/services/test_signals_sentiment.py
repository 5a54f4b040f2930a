"""The signal-generator's sentiment book: observations per ticker within a window, newest last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trading_bot.core.model import ScoredArticle
from trading_bot.services.signals_sentiment import SentimentBook, summarise
from trading_bot.testing.storage_records import make_raw_article, make_scored_article

NOW = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
UNIVERSE = frozenset({"AAPL", "MSFT"})
DAY = timedelta(hours=24)


def scored(
    title: str, available_at: datetime, score: float = 0.8, confidence: float = 0.9
) -> ScoredArticle:
    article = make_raw_article(title, published_at=available_at, available_at=available_at)
    return make_scored_article(article, confidence=confidence, tickers=[("AAPL", score)])


def test_sentiment_book_when_articles_arrive_out_of_order_keeps_them_newest_last() -> None:
    book = SentimentBook(DAY, max_observations=10)
    book.add(scored("later", NOW - timedelta(hours=1)), UNIVERSE, NOW)
    book.add(scored("earlier", NOW - timedelta(hours=3)), UNIVERSE, NOW)

    context = book.context("AAPL", NOW)

    assert context is not None
    times = [o.available_at for o in context.observations]
    assert times == [NOW - timedelta(hours=3), NOW - timedelta(hours=1)]


def test_sentiment_book_when_the_same_article_comes_twice_records_it_once() -> None:
    book = SentimentBook(DAY, max_observations=10)
    article = scored("beats", NOW)

    first = book.add(article, UNIVERSE, NOW)
    again = book.add(article, UNIVERSE, NOW)

    assert (first, again) == (["AAPL"], [])


def test_sentiment_book_when_news_ages_out_of_the_window_forgets_it() -> None:
    book = SentimentBook(DAY, max_observations=10)
    book.add(scored("old", NOW - timedelta(hours=23)), UNIVERSE, NOW)
    stale = book.add(scored("too old", NOW - timedelta(hours=25)), UNIVERSE, NOW)

    two_hours_later = book.context("AAPL", NOW + timedelta(hours=2))

    assert stale == []
    assert two_hours_later is None


def test_sentiment_book_when_a_ticker_is_outside_the_universe_ignores_it() -> None:
    book = SentimentBook(DAY, max_observations=10)
    article = make_scored_article(make_raw_article(available_at=NOW), tickers=[("ZZZZ", 0.9)])

    changed = book.add(article, UNIVERSE, NOW)

    assert changed == []
    assert book.context("ZZZZ", NOW) is None


def test_sentiment_book_when_full_drops_the_oldest_observation() -> None:
    book = SentimentBook(DAY, max_observations=2)
    for hours in (3, 2, 1):
        book.add(scored(f"news {hours}", NOW - timedelta(hours=hours)), UNIVERSE, NOW)

    context = book.context("AAPL", NOW)

    assert context is not None
    assert [o.available_at for o in context.observations] == [
        NOW - timedelta(hours=2),
        NOW - timedelta(hours=1),
    ]


def test_summarise_when_news_is_not_yet_available_leaves_it_out() -> None:
    book = SentimentBook(DAY, max_observations=10)
    book.add(scored("known", NOW - timedelta(hours=1), score=0.5, confidence=0.5), UNIVERSE, NOW)
    book.add(
        scored("strong", NOW - timedelta(minutes=30), score=1.0, confidence=1.0), UNIVERSE, NOW
    )
    book.add(scored("future", NOW + timedelta(minutes=5), score=-1.0), UNIVERSE, NOW)

    summary = summarise(book.context("AAPL", NOW), NOW, max_articles=1)

    assert summary.score == pytest.approx((0.5 * 0.5 + 1.0 * 1.0) / 1.5)
    assert summary.article_ids == (make_raw_article("strong").article_id,)
