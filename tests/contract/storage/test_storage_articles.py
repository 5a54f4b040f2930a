"""ArticleRepository: the persisted dedupe, scores per model and ticker, and news filters."""

from __future__ import annotations

import hashlib

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.model import ScoredArticle
from trading_bot.testing.storage_records import (
    T0,
    at,
    make_raw_article,
    make_scored_article,
)


async def test_add_raw_when_article_is_new_is_seen_afterwards(repos: SqlRepositories) -> None:
    article = make_raw_article()

    added = await repos.articles.add_raw(article)

    assert added is True
    assert await repos.articles.has(article.article_id) is True
    assert await repos.articles.undispatched() == [article]


async def test_add_raw_when_same_article_comes_again_stores_it_once(
    repos: SqlRepositories,
) -> None:
    article = make_raw_article()
    await repos.articles.add_raw(article)

    added_again = await repos.articles.add_raw(article)

    assert added_again is False
    assert len(await repos.articles.undispatched()) == 1


async def test_filter_unseen_when_ids_repeat_and_exceed_a_chunk_returns_each_unseen_once_in_order(
    repos: SqlRepositories,
) -> None:
    seen = make_raw_article("Seen before")
    await repos.articles.add_raw(seen)
    fresh = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(1_200)]
    asked = [fresh[0], seen.article_id, *fresh, fresh[1]]

    unseen = await repos.articles.filter_unseen(asked)

    assert unseen == fresh


async def test_add_scored_when_article_is_new_stores_article_and_both_levels_of_score(
    repos: SqlRepositories,
) -> None:
    scored = make_scored_article(tickers=[("AAPL", 0.7), ("MSFT", -0.2)])

    added = await repos.articles.add_scored(scored)

    page = await repos.articles.query()
    assert added is True
    assert page.total == 1
    assert page.items == [scored]


async def test_add_scored_when_rescored_by_the_same_model_keeps_the_first_scores(
    repos: SqlRepositories,
) -> None:
    first = make_scored_article(score=0.6)
    await repos.articles.add_scored(first)

    added_again = await repos.articles.add_scored(make_scored_article(score=-0.9))

    page = await repos.articles.query()
    assert added_again is False
    assert page.items == [first]


async def test_add_scored_when_a_second_model_scores_it_keeps_both(
    repos: SqlRepositories,
) -> None:
    article = make_raw_article()
    await repos.articles.add_raw(article)
    lexicon = make_scored_article(article, model_used="lexicon", score=0.2)
    finbert = make_scored_article(article, model_used="finbert", score=0.8)

    await repos.articles.add_scored(lexicon)
    added = await repos.articles.add_scored(finbert)

    page = await repos.articles.query()
    assert added is True
    assert sorted(item.model_used for item in page.items) == ["finbert", "lexicon"]
    assert await repos.articles.undispatched() == [article]


async def test_query_when_filtered_returns_matching_articles_newest_published_first(
    repos: SqlRepositories,
) -> None:
    rows = [
        ("Apple up", "reuters", 1, 0.7, [("AAPL", 0.7)]),
        ("Apple down", "reuters", 2, -0.6, [("AAPL", -0.6)]),
        ("Microsoft up", "reuters", 3, 0.5, [("MSFT", 0.5)]),
        ("Apple flat", "reddit", 4, 0.0, [("AAPL", 0.0)]),
        ("Apple soars", "reuters", 5, 0.9, [("AAPL", 0.9)]),
    ]
    for title, source, minute, score, tickers in rows:
        article = make_raw_article(title, source=source, published_at=at(minute))
        await repos.articles.add_scored(make_scored_article(article, score=score, tickers=tickers))

    def titles(items: list[ScoredArticle]) -> list[str]:
        return [item.article.title for item in items]

    by_ticker = await repos.articles.query(ticker="AAPL", source="reuters")
    positive = await repos.articles.query(min_score=0.5, max_score=0.8)
    recent = await repos.articles.query(since=at(3), until=at(5))
    assert (by_ticker.total, titles(by_ticker.items)) == (
        3,
        ["Apple soars", "Apple down", "Apple up"],
    )
    assert titles(positive.items) == ["Microsoft up", "Apple up"]
    assert titles(recent.items) == ["Apple flat", "Microsoft up"]


async def test_query_when_paged_returns_the_page_and_the_total(repos: SqlRepositories) -> None:
    for minute in range(5):
        article = make_raw_article(f"Story {minute}", published_at=at(minute))
        await repos.articles.add_scored(make_scored_article(article))

    page = await repos.articles.query(limit=2, offset=2)

    assert page.total == 5
    assert [item.article.title for item in page.items] == ["Story 2", "Story 1"]


async def test_recent_for_ticker_when_articles_become_available_returns_the_window_oldest_first(
    repos: SqlRepositories,
) -> None:
    for minute, tickers in [
        (0, [("AAPL", 0.1)]),
        (10, [("AAPL", 0.2), ("MSFT", 0.9)]),
        (20, [("MSFT", 0.3)]),
        (30, [("AAPL", 0.4)]),
    ]:
        article = make_raw_article(f"At {minute}", available_at=at(minute))
        await repos.articles.add_scored(make_scored_article(article, tickers=tickers))

    observations = await repos.articles.recent_for_ticker("AAPL", since=at(5), until=at(30))

    assert [o.available_at for o in observations] == [at(10)]
    assert [o.score for o in observations] == pytest.approx([0.2])
    everything = await repos.articles.recent_for_ticker("AAPL", since=T0)
    assert [o.score for o in everything] == pytest.approx([0.1, 0.2, 0.4])


async def test_mark_dispatched_when_articles_reached_the_bus_leaves_only_the_rest_undispatched(
    repos: SqlRepositories, clock: SimulatedClock
) -> None:
    first, second, third = (make_raw_article(f"Story {i}") for i in range(3))
    for article in (first, second, third):
        await repos.articles.add_raw(article)
        await clock.advance(1)

    await repos.articles.mark_dispatched([first.article_id, third.article_id, "0" * 64], at=at(1))

    assert await repos.articles.undispatched() == [second]
