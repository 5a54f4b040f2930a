"""Ticker extraction: tags, company names, false-positive traps, and the labelled headline set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trading_bot.adapters.sentiment.tickers import TickerExtractor

HEADLINES = Path(__file__).parents[4] / "tests" / "fixtures" / "headlines.jsonl"


@pytest.fixture(scope="module")
def extractor() -> TickerExtractor:
    return TickerExtractor()


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("$AAPL hits all-time high", ["AAPL"]),
        ("$BRK.B cash pile swells", ["BRK.B"]),
        ("Apple Inc. (NASDAQ:AAPL) to announce results", ["AAPL"]),
        ("Ford Motor Company (NYSE: F) reports sales", ["F"]),
        ("(NASDAQ:MSFT) declares dividend", ["MSFT"]),
        ("NYSE: F shares slip", ["F"]),
        ("Microsoft Corp raises dividend", ["MSFT"]),
        ("Meta Platforms beats on ads", ["META"]),
        ("Alphabet shares slide", ["GOOGL"]),
    ],
)
def test_extractor_when_text_tags_or_names_a_company_returns_its_ticker(
    extractor: TickerExtractor, title: str, expected: list[str]
) -> None:
    assert extractor.extract(title) == expected


@pytest.mark.parametrize(
    "title",
    [
        "AI stocks rally as investors bet on data centres",
        "IT spending forecast cut",
        "CEO says hiring continues",
        "ALL IN: investors bet on cuts",
        "A new era for dealmaking",
        "The USA economy added 250,000 jobs",
        "EPS beat expectations across sectors",
        "Investors Target Quality As Volatility Rises",
        "Trump Tightens Visa Rules For Tech Workers",
        "Buy $BTC and $ETH, not stocks",
        "$5 billion fund raises its stake",
    ],
)
def test_extractor_when_text_has_only_capitalised_words_or_non_stock_tags_returns_nothing(
    extractor: TickerExtractor, title: str
) -> None:
    assert extractor.extract(title) == []


def test_extractor_when_common_word_name_sits_next_to_corporate_word_counts_it(
    extractor: TickerExtractor,
) -> None:
    assert extractor.extract("Target's profit slumps; Visa shares rise") == ["TGT", "V"]


def test_extractor_when_companies_repeat_orders_by_relevance_and_deduplicates(
    extractor: TickerExtractor,
) -> None:
    tickers = extractor.extract(
        "Nvidia results lift chip stocks",
        "Nvidia beat estimates. AMD rose in sympathy; $NVDA volume doubled. Nvidia said...",
    )

    assert tickers == ["NVDA", "AMD"]


def test_extractor_when_tag_names_a_share_class_prefers_it_to_the_name_default(
    extractor: TickerExtractor,
) -> None:
    assert extractor.extract("Alphabet Inc. (NASDAQ: GOOG) authorises buyback") == ["GOOG"]


def test_extractor_when_title_and_body_are_empty_returns_nothing(
    extractor: TickerExtractor,
) -> None:
    assert extractor.extract("", "") == []


def test_extractor_when_text_is_huge_or_binary_noise_still_answers(
    extractor: TickerExtractor,
) -> None:
    noise = "\x00\ufffd$$ :: (NYSE: " * 5_000 + "Tesla"

    assert extractor.extract("Tesla recalls cars", noise) == ["TSLA"]


def test_extractor_over_labelled_headlines_has_precision_095_and_recall_090(
    extractor: TickerExtractor,
) -> None:
    rows = [json.loads(line) for line in HEADLINES.read_text("utf-8").splitlines() if line]
    true_positive = false_positive = false_negative = 0
    for row in rows:
        found = set(extractor.extract(row["title"], row.get("body", "")))
        expected = set(row["tickers"])
        true_positive += len(found & expected)
        false_positive += len(found - expected)
        false_negative += len(expected - found)

    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / (true_positive + false_negative)
    print(f"ticker extraction over {len(rows)} headlines: {precision=:.3f} {recall=:.3f}")

    assert len(rows) >= 200
    assert precision >= 0.95
    assert recall >= 0.90
