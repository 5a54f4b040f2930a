"""The Ollama analyzer against a local server speaking Ollama's chat API."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from trading_bot.adapters.sentiment.ollama import (
    REPLY_SCHEMA,
    OllamaAnalyzer,
    OllamaConfig,
    OllamaReplyError,
    OllamaUnavailableError,
)
from trading_bot.core.errors import ConfigurationError, DataError, TemporaryError
from trading_bot.core.model import RawArticle
from trading_bot.testing.ollama_server import OllamaServer, Reply, json_reply


def _article(title: str = "Apple beats estimates", content: str = "Revenue rose 8%.") -> RawArticle:
    now = datetime(2024, 6, 3, 14, 30, tzinfo=UTC)
    return RawArticle.create(
        source="test",
        url=f"https://news.example/{title.replace(' ', '-')}",
        title=title,
        content=content,
        published_at=now,
        available_at=now,
    )


@pytest.fixture
async def server() -> AsyncIterator[OllamaServer]:
    async with OllamaServer() as running:
        yield running


@pytest.fixture
async def analyzer(server: OllamaServer) -> AsyncIterator[OllamaAnalyzer]:
    client = OllamaAnalyzer(OllamaConfig(host=server.url, timeout_seconds=2))
    yield client
    await client.close()


async def test_ollama_when_reply_is_a_valid_verdict_returns_it_as_a_score(
    server: OllamaServer, analyzer: OllamaAnalyzer
) -> None:
    server.reply_json(
        {"score": 0.7, "confidence": 0.85, "reasoning": "Beat.", "tickers": ["$aapl", "AAPL"]}
    )

    (score,) = await analyzer.analyze([_article()])

    assert (score.score, score.confidence, score.reasoning) == (0.7, 0.85, "Beat.")
    assert score.model == "ollama:llama3.1"
    assert score.tickers == ("AAPL",)


async def test_ollama_when_asked_sends_the_article_model_and_json_schema(
    server: OllamaServer, analyzer: OllamaAnalyzer
) -> None:
    await analyzer.analyze([_article("Tesla recalls cars", "Two million vehicles.")])

    (request,) = server.chat_requests
    assert request["model"] == "llama3.1"
    assert request["format"] == REPLY_SCHEMA
    assert request["stream"] is False
    assert "Tesla recalls cars" in request["messages"][-1]["content"]
    assert "Two million vehicles." in request["messages"][-1]["content"]


async def test_ollama_when_batch_given_returns_scores_in_input_order(
    server: OllamaServer, analyzer: OllamaAnalyzer
) -> None:
    server.respond_with(
        lambda request: json_reply(
            {
                "score": -0.5 if "plunges" in request["messages"][-1]["content"] else 0.5,
                "confidence": 0.9,
                "reasoning": "",
                "tickers": [],
            },
        )
    )
    articles = [_article("Stock plunges"), _article("Stock soars"), _article("Other plunges")]

    scores = await analyzer.analyze(articles)

    assert [s.score for s in scores] == [-0.5, 0.5, -0.5]


@pytest.mark.parametrize(
    "content",
    [
        "I think this is positive news!",
        '{"score": 0.5, "confidence": 0.9',
        '{"confidence": 0.9, "reasoning": "no score"}',
        '["not", "an", "object"]',
    ],
)
async def test_ollama_when_reply_is_not_the_promised_json_raises_reply_error(
    server: OllamaServer, analyzer: OllamaAnalyzer, content: str
) -> None:
    server.reply_text(content)

    with pytest.raises(OllamaReplyError, match="no valid verdict"):
        await analyzer.analyze([_article()])


@pytest.mark.parametrize(
    "verdict",
    [
        {"score": 3.0, "confidence": 0.9, "reasoning": "", "tickers": []},
        {"score": 0.5, "confidence": -0.1, "reasoning": "", "tickers": []},
        {"score": "NaN", "confidence": 0.5, "reasoning": "", "tickers": []},
    ],
)
async def test_ollama_when_values_are_out_of_range_raises_a_data_error(
    server: OllamaServer, analyzer: OllamaAnalyzer, verdict: dict[str, object]
) -> None:
    server.reply_json(verdict)

    with pytest.raises(DataError):
        await analyzer.analyze([_article()])


async def test_ollama_when_reply_is_empty_raises_reply_error(
    server: OllamaServer, analyzer: OllamaAnalyzer
) -> None:
    server.reply_text("   ")

    with pytest.raises(OllamaReplyError, match="empty"):
        await analyzer.score(_article())


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_ollama_when_server_fails_raises_a_temporary_error(
    server: OllamaServer, analyzer: OllamaAnalyzer, status: int
) -> None:
    server.reply_error(status, "model runner crashed")

    with pytest.raises(OllamaUnavailableError, match="model runner crashed"):
        await analyzer.score(_article())


async def test_ollama_when_model_is_not_pulled_raises_configuration_error(
    server: OllamaServer,
) -> None:
    analyzer = OllamaAnalyzer(OllamaConfig(host=server.url, model="mistral"))

    with pytest.raises(ConfigurationError, match="ollama pull mistral"):
        await analyzer.score(_article())
    await analyzer.close()


async def test_ollama_when_reply_is_slower_than_the_timeout_raises_a_temporary_error(
    server: OllamaServer,
) -> None:
    analyzer = OllamaAnalyzer(OllamaConfig(host=server.url, timeout_seconds=0.2))
    server.reply(Reply(content='{"score": 0, "confidence": 1}', delay=5))

    with pytest.raises(OllamaUnavailableError, match=r"did not answer within 0\.2 s"):
        await analyzer.score(_article())
    await analyzer.close()


async def test_ollama_when_connection_is_refused_raises_a_temporary_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    analyzer = OllamaAnalyzer(OllamaConfig(host=f"http://127.0.0.1:{port}", timeout_seconds=2))

    with pytest.raises(TemporaryError, match="unreachable"):
        await analyzer.score(_article())
    await analyzer.close()


async def test_ollama_when_one_article_of_a_batch_fails_analyze_raises_that_failure(
    server: OllamaServer, analyzer: OllamaAnalyzer
) -> None:
    server.respond_with(
        lambda request: (
            Reply(content="garbage")
            if "broken" in request["messages"][-1]["content"]
            else json_reply({"score": 0.1, "confidence": 0.9, "reasoning": "", "tickers": []})
        )
    )

    with pytest.raises(OllamaReplyError):
        await analyzer.analyze([_article("fine one"), _article("broken one")])


def test_ollama_config_when_timeout_is_not_positive_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        OllamaConfig(timeout_seconds=0)


def test_ollama_config_when_concurrency_is_zero_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        OllamaConfig(max_concurrency=0)
