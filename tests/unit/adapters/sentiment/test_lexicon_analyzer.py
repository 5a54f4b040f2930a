"""The lexicon analyzer: polarity, negation, intensifiers, title weight, bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trading_bot.adapters.sentiment.lexicon import LexiconAnalyzer, LexiconConfig, load_lexicon
from trading_bot.core.model import RawArticle


@pytest.fixture(scope="module")
def analyzer() -> LexiconAnalyzer:
    return LexiconAnalyzer()


def _article(title: str, content: str = "") -> RawArticle:
    now = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
    return RawArticle.create(
        source="test",
        url=f"https://news.example/{abs(hash(title))}",
        title=title,
        content=content,
        published_at=now,
        available_at=now,
    )


@pytest.mark.parametrize(
    "title",
    [
        "Apple shares surge after record iPhone sales",
        "Nvidia beats estimates and raises outlook on strong AI demand",
        "Eli Lilly profit soars as weight-loss drug sales climb",
    ],
)
def test_lexicon_when_headline_is_clearly_good_news_scores_positive(
    analyzer: LexiconAnalyzer, title: str
) -> None:
    score = analyzer.score_text(title)

    assert score.score > 0.3
    assert score.model == "lexicon-lm"


@pytest.mark.parametrize(
    "title",
    [
        "Tesla stock plunges after earnings miss",
        "Bank warns of losses as loan defaults rise",
        "Retailer files for bankruptcy after sales slump",
    ],
)
def test_lexicon_when_headline_is_clearly_bad_news_scores_negative(
    analyzer: LexiconAnalyzer, title: str
) -> None:
    assert analyzer.score_text(title).score < -0.3


@pytest.mark.parametrize(
    "title",
    [
        "Company to hold annual meeting on Tuesday",
        "Microsoft to webcast quarterly call at 5 p.m.",
    ],
)
def test_lexicon_when_headline_is_neutral_scores_zero(
    analyzer: LexiconAnalyzer, title: str
) -> None:
    assert analyzer.score_text(title).score == 0.0


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("Results were good", "Results were not good"),
        ("Profit will improve", "Profit will never improve"),
        ("New phone impresses investors", "New phone fails to impress investors"),
    ],
)
def test_lexicon_when_sentiment_word_is_negated_flips_polarity(
    analyzer: LexiconAnalyzer, plain: str, negated: str
) -> None:
    assert analyzer.score_text(plain).score > 0
    assert analyzer.score_text(negated).score < 0


def test_lexicon_when_move_is_intensified_scores_it_stronger(analyzer: LexiconAnalyzer) -> None:
    plain = analyzer.score_text("Shares fall after report")
    sharp = analyzer.score_text("Shares fall sharply after report")

    assert sharp.score < plain.score < 0


def test_lexicon_when_title_and_body_disagree_equally_title_wins(
    analyzer: LexiconAnalyzer,
) -> None:
    good_title = analyzer.score_text("Profit surges", "Analysts see losses")
    bad_title = analyzer.score_text("Analysts see losses", "Profit surges")

    assert good_title.score > 0
    assert bad_title.score < 0


def test_lexicon_when_body_is_long_it_cannot_drown_the_title(analyzer: LexiconAnalyzer) -> None:
    body = "Some analysts noted losses in one unit. " * 200

    score = analyzer.score_text("Record profit beats estimates as revenue soars", body)

    assert score.score > 0


def test_lexicon_when_more_words_agree_confidence_grows(analyzer: LexiconAnalyzer) -> None:
    one = analyzer.score_text("Shares rise")
    many = analyzer.score_text("Shares surge as profit soars and outlook improves")
    mixed = analyzer.score_text("Shares surge despite losses and weak demand")

    assert one.confidence < many.confidence
    assert mixed.confidence < many.confidence


def test_lexicon_when_text_is_empty_scores_zero_with_zero_confidence(
    analyzer: LexiconAnalyzer,
) -> None:
    score = analyzer.score_text("", "")

    assert (score.score, score.confidence) == (0.0, 0.0)


def test_lexicon_when_text_is_extreme_stays_within_bounds(analyzer: LexiconAnalyzer) -> None:
    for text in ("surge soar rally jump beat " * 500, "plunge crash fraud bankruptcy " * 500):
        score = analyzer.score_text(text, text)
        assert -1.0 <= score.score <= 1.0
        assert 0.0 <= score.confidence <= 1.0


async def test_lexicon_analyze_when_batch_given_returns_aligned_scores(
    analyzer: LexiconAnalyzer,
) -> None:
    articles = [_article("Stock plunges"), _article("Annual meeting set"), _article("Profit soars")]

    scores = await analyzer.analyze(articles)

    assert [s.score > 0 for s in scores] == [False, False, True]
    assert scores[0].score < 0
    assert scores[1].score == 0.0


async def test_lexicon_analyze_when_batch_is_empty_returns_empty(
    analyzer: LexiconAnalyzer,
) -> None:
    assert await analyzer.analyze([]) == []


def test_lexicon_when_custom_word_list_given_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "words.tsv"
    path.write_text("# mine\nmoon\t+1.0\nrug\t-1.0\n", "utf-8")

    analyzer = LexiconAnalyzer(LexiconConfig(lexicon_path=path, model_name="mine"))

    assert analyzer.score_text("to the moon").score > 0
    assert analyzer.score_text("profit soars").score == 0.0


def test_load_lexicon_when_line_is_malformed_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "words.tsv"
    path.write_text("good\t+1\nbad line without weight\n", "utf-8")

    with pytest.raises(ValueError, match="line 2"):
        load_lexicon(path)
