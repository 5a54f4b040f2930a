"""ScoringBatcher: concurrent articles share analyzer calls; one bad article fails only itself."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from trading_bot.core.errors import TemporaryError
from trading_bot.core.model import RawArticle, SentimentScore
from trading_bot.services.scoring_batcher import ScoringBatcher
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.news_pipeline import ScriptedAnalyzer, news_article

ARTICLES = [news_article(f"Company {n} beats estimates") for n in range(10)]


def batcher(
    analyzer: ScriptedAnalyzer | ShortAnalyzer, *, max_size: int = 4, max_delay: float = 5.0
) -> ScoringBatcher:
    return ScoringBatcher(
        analyzer, max_size=max_size, max_delay=max_delay, metrics=RecordingMetrics()
    )


class ShortAnalyzer:
    """Returns one score too few: a broken analyzer."""

    name = "short"

    async def analyze(self, articles: Sequence[RawArticle]) -> list[SentimentScore]:
        return [SentimentScore(score=0, confidence=0, model="short")] * (len(articles) - 1)


async def score_all(
    scoring: ScoringBatcher, articles: Sequence[RawArticle]
) -> list[SentimentScore | BaseException]:
    async with asyncio.timeout(5):
        return await asyncio.gather(
            *(scoring.score(article) for article in articles), return_exceptions=True
        )


async def test_batcher_when_articles_arrive_together_scores_them_in_full_batches() -> None:
    analyzer = ScriptedAnalyzer()
    scoring = batcher(analyzer, max_size=4, max_delay=5.0)

    scores = await score_all(scoring, ARTICLES[:8])

    assert [len(batch) for batch in analyzer.batches] == [4, 4]
    assert analyzer.scored_titles == [article.title for article in ARTICLES[:8]]
    assert all(isinstance(s, SentimentScore) and s.score == 0.8 for s in scores)


async def test_batcher_when_a_batch_is_not_full_scores_it_after_the_delay() -> None:
    analyzer = ScriptedAnalyzer()
    scoring = batcher(analyzer, max_size=4, max_delay=0.01)

    scores = await score_all(scoring, ARTICLES[:3])

    assert [len(batch) for batch in analyzer.batches] == [3]
    assert len(scores) == 3


async def test_batcher_gathers_articles_that_arrive_while_the_analyzer_is_busy() -> None:
    analyzer = ScriptedAnalyzer()
    analyzer.gate = asyncio.Event()
    scoring = batcher(analyzer, max_size=4, max_delay=0)
    first = asyncio.create_task(scoring.score(ARTICLES[0]))
    await analyzer.called.wait()

    rest = [asyncio.create_task(scoring.score(article)) for article in ARTICLES[1:4]]
    await asyncio.sleep(0)
    analyzer.gate.set()
    async with asyncio.timeout(5):
        await asyncio.gather(first, *rest)

    assert [len(batch) for batch in analyzer.batches] == [1, 3]


async def test_batcher_when_one_article_breaks_the_batch_fails_only_that_article() -> None:
    analyzer = ScriptedAnalyzer(poison=["Company 1 "])
    scoring = batcher(analyzer, max_size=3, max_delay=5.0)

    outcomes = await score_all(scoring, ARTICLES[:3])

    assert isinstance(outcomes[1], ValueError)
    assert [type(o) for o in (outcomes[0], outcomes[2])] == [SentimentScore, SentimentScore]
    assert [len(batch) for batch in analyzer.batches] == [3, 1, 1, 1]


async def test_batcher_when_the_model_is_unreachable_fails_the_batch_without_retrying_each() -> (
    None
):
    analyzer = ScriptedAnalyzer()
    analyzer.down = True
    scoring = batcher(analyzer, max_size=3, max_delay=5.0)

    outcomes = await score_all(scoring, ARTICLES[:3])

    assert all(isinstance(o, TemporaryError) for o in outcomes)
    assert len(analyzer.batches) == 1


async def test_batcher_when_the_analyzer_returns_too_few_scores_fails_each_article() -> None:
    scoring = batcher(ShortAnalyzer(), max_size=2, max_delay=5.0)

    outcomes = await score_all(scoring, ARTICLES[:2])

    assert all(isinstance(o, RuntimeError) and "returned" in str(o) for o in outcomes)


async def test_batcher_when_a_waiting_handler_is_cancelled_does_not_score_its_article() -> None:
    analyzer = ScriptedAnalyzer()
    analyzer.gate = asyncio.Event()
    scoring = batcher(analyzer, max_size=1, max_delay=0)
    busy = asyncio.create_task(scoring.score(ARTICLES[0]))
    await analyzer.called.wait()
    abandoned = asyncio.create_task(scoring.score(ARTICLES[1]))
    kept = asyncio.create_task(scoring.score(ARTICLES[2]))
    await asyncio.sleep(0)

    abandoned.cancel()
    analyzer.gate.set()
    async with asyncio.timeout(5):
        await asyncio.gather(busy, kept)

    assert analyzer.scored_titles == [ARTICLES[0].title, ARTICLES[2].title]
    assert abandoned.cancelled()


async def test_batcher_when_closed_cancels_the_articles_still_waiting() -> None:
    analyzer = ScriptedAnalyzer()
    analyzer.gate = asyncio.Event()
    scoring = batcher(analyzer, max_size=1, max_delay=0)
    waiting = [asyncio.create_task(scoring.score(article)) for article in ARTICLES[:2]]
    await analyzer.called.wait()

    await scoring.aclose()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)


def test_batcher_refuses_an_empty_batch_size() -> None:
    with pytest.raises(ValueError, match="max_size"):
        batcher(ScriptedAnalyzer(), max_size=0)
