"""The tiered analyzer: lexicon first, the local Ollama server for what the lexicon is unsure of."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from trading_bot.adapters.sentiment.lexicon import LexiconAnalyzer
from trading_bot.adapters.sentiment.ollama import OllamaAnalyzer, OllamaConfig
from trading_bot.adapters.sentiment.tiered import (
    ANSWERS,
    FALLBACK_FAILURES,
    TieredAnalyzer,
    TieredConfig,
)
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import RawArticle
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.ollama_server import OllamaServer

CONFIDENT = "Profit soars and shares surge as outlook improves"
UNSURE = "Company to hold annual meeting on Tuesday"


def _article(title: str) -> RawArticle:
    now = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
    return RawArticle.create(
        source="test",
        url=f"https://news.example/{title.replace(' ', '-')}",
        title=title,
        content="",
        published_at=now,
        available_at=now,
    )


@pytest.fixture
async def server() -> AsyncIterator[OllamaServer]:
    async with OllamaServer() as running:
        yield running


@pytest.fixture
async def ollama(server: OllamaServer) -> AsyncIterator[OllamaAnalyzer]:
    analyzer = OllamaAnalyzer(OllamaConfig(host=server.url, timeout_seconds=2))
    yield analyzer
    await analyzer.close()


async def test_tiered_when_first_tier_is_confident_does_not_ask_ollama(
    server: OllamaServer, ollama: OllamaAnalyzer
) -> None:
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama)

    (score,) = await tiered.analyze([_article(CONFIDENT)])

    assert score.model == "lexicon-lm"
    assert server.chat_requests == []
    assert tiered.tier_counts == {"primary": 1, "fallback": 0}


async def test_tiered_when_first_tier_is_unsure_keeps_the_more_confident_ollama_answer(
    server: OllamaServer, ollama: OllamaAnalyzer
) -> None:
    server.reply_json({"score": 0.4, "confidence": 0.8, "reasoning": "Routine.", "tickers": []})
    metrics = RecordingMetrics()
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama, metrics=metrics)

    confident, unsure = await tiered.analyze([_article(CONFIDENT), _article(UNSURE)])

    assert confident.model == "lexicon-lm"
    assert (unsure.model, unsure.score, unsure.reasoning) == ("ollama:llama3.1", 0.4, "Routine.")
    assert len(server.chat_requests) == 1
    assert tiered.tier_counts == {"primary": 1, "fallback": 1}
    assert metrics.count(ANSWERS, tier="fallback") == 1
    assert metrics.count(ANSWERS, tier="primary") == 1


async def test_tiered_when_ollama_is_even_less_sure_keeps_the_first_answer(
    server: OllamaServer, ollama: OllamaAnalyzer
) -> None:
    server.reply_json({"score": 0.9, "confidence": 0.0, "reasoning": "", "tickers": []})
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama)

    (score,) = await tiered.analyze([_article(UNSURE)])

    assert score.model == "lexicon-lm"
    assert len(server.chat_requests) == 1
    assert tiered.tier_counts == {"primary": 1, "fallback": 0}


async def test_tiered_when_ollama_is_down_first_answers_stand_and_failure_is_counted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ollama = OllamaAnalyzer(OllamaConfig(host=f"http://127.0.0.1:{port}", timeout_seconds=2))
    metrics = RecordingMetrics()
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama, metrics=metrics)
    articles = [_article(UNSURE), _article("Board meets Monday"), _article(CONFIDENT)]

    scores = await tiered.analyze(articles)

    assert [s.model for s in scores] == ["lexicon-lm"] * 3
    assert tiered.fallback_failures == 2
    assert metrics.count(FALLBACK_FAILURES) == 2
    assert metrics.count(FALLBACK_FAILURES, error="OllamaUnavailableError") >= 1
    await ollama.close()


async def test_tiered_when_ollama_replies_malformed_json_first_answer_stands(
    server: OllamaServer, ollama: OllamaAnalyzer
) -> None:
    server.reply_text('{"score": "very good", ')
    metrics = RecordingMetrics()
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama, metrics=metrics)

    (score,) = await tiered.analyze([_article(UNSURE)])

    assert score.model == "lexicon-lm"
    assert metrics.count(FALLBACK_FAILURES, error="OllamaReplyError") == 1


async def test_tiered_when_ollama_fails_for_one_article_others_still_get_its_answer(
    server: OllamaServer, ollama: OllamaAnalyzer
) -> None:
    server.reply_text("not json")
    server.reply_json({"score": -0.6, "confidence": 0.9, "reasoning": "", "tickers": []})
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama, TieredConfig(fallback_concurrency=1))

    first, second = await tiered.analyze([_article(UNSURE), _article("Board meets Monday")])

    assert first.model == "lexicon-lm"
    assert (second.model, second.score) == ("ollama:llama3.1", -0.6)


async def test_tiered_when_ollama_times_out_does_not_ask_again_in_the_same_batch(
    server: OllamaServer,
) -> None:
    for _ in range(3):
        server.reply_json({"score": 0, "confidence": 1, "reasoning": "", "tickers": []}, delay=5)
    ollama = OllamaAnalyzer(OllamaConfig(host=server.url, timeout_seconds=0.2))
    tiered = TieredAnalyzer(LexiconAnalyzer(), ollama, TieredConfig(fallback_concurrency=1))
    articles = [_article(UNSURE), _article("Board meets Monday"), _article("Vote set")]

    scores = await tiered.analyze(articles)

    assert [s.model for s in scores] == ["lexicon-lm"] * 3
    assert len(server.chat_requests) == 1
    assert tiered.fallback_failures == 3
    await ollama.close()


def test_tiered_config_when_threshold_is_outside_unit_interval_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="confidence_threshold"):
        TieredConfig(confidence_threshold=1.5)
