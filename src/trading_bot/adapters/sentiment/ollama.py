"""Sentiment from a local LLM through Ollama: a JSON verdict with score, confidence and reasoning.

The second tier of the tiered analyzer. Every failure is one of ours: an unreachable or slow
server is ``OllamaUnavailableError`` (temporary), a reply that is not the promised JSON or is out
of range is ``OllamaReplyError`` (bad data), an unknown model is a ``ConfigurationError``.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, Field, ValidationError

from trading_bot.adapters.sentiment.ticker_list import TICKER_FORMAT
from trading_bot.core.errors import ConfigurationError, DataError, TemporaryError
from trading_bot.core.model import RawArticle, SentimentScore

if TYPE_CHECKING:
    import ollama

INSTALL_HINT = "pip install 'trading-bot[sentiment]'"

SYSTEM_PROMPT = """You are a financial news analyst. Judge what the article means for the stock \
price of the companies it is about. Answer only with JSON:
{"score": number from -1 (very negative) to 1 (very positive), 0 when neutral,
 "confidence": number from 0 to 1, how sure you are,
 "reasoning": one or two sentences,
 "tickers": upper-case US stock symbols of the companies the article is about, [] if none}"""

REPLY_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "score": {"type": "number", "minimum": -1, "maximum": 1},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "reasoning": {"type": "string"},
        "tickers": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["score", "confidence", "reasoning", "tickers"],
}
"""The JSON schema passed as ``format``: Ollama constrains the model's output to it."""


class OllamaUnavailableError(TemporaryError):
    """Ollama could not be reached, timed out, or answered 429/5xx."""


class OllamaReplyError(DataError):
    """Ollama answered, but not with the JSON verdict asked for (or with values out of range)."""


@dataclass(frozen=True, slots=True)
class OllamaConfig:
    """Settings of :class:`OllamaAnalyzer`.

    - ``host``: the Ollama server (default ``http://127.0.0.1:11434``).
    - ``model``: the model to ask (default ``"llama3.1"``); it must be pulled on the server.
    - ``timeout_seconds``: the most one article may take, connection included (default 20).
    - ``max_concurrency``: articles asked at once (default 2; Ollama queues the rest anyway).
    - ``max_body_chars``: how much of the body goes into the prompt (default 4000).
    - ``temperature``: sampling temperature (default 0, for repeatable verdicts).
    """

    host: str = "http://127.0.0.1:11434"
    model: str = "llama3.1"
    timeout_seconds: float = 20.0
    max_concurrency: int = 2
    max_body_chars: int = 4_000
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0:
            raise ConfigurationError(f"Ollama timeout must be > 0 s, got {self.timeout_seconds}")
        if self.max_concurrency < 1:
            raise ConfigurationError(
                f"Ollama max_concurrency must be >= 1, got {self.max_concurrency}"
            )


class _Verdict(BaseModel):
    score: float = Field(ge=-1.0, le=1.0, allow_inf_nan=False)
    confidence: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    reasoning: str = ""
    tickers: list[str] = Field(default_factory=list)


class OllamaAnalyzer:
    """Ask an LLM served by Ollama for a sentiment verdict on each article."""

    name = "ollama"

    def __init__(
        self, config: OllamaConfig | None = None, *, client: ollama.AsyncClient | None = None
    ) -> None:
        self._config = config or OllamaConfig()
        try:
            self._ollama = importlib.import_module("ollama")
        except ImportError as exc:
            raise ConfigurationError(f"the Ollama analyzer needs ollama: {INSTALL_HINT}") from exc
        self._client = client or self._ollama.AsyncClient(
            host=self._config.host, timeout=self._config.timeout_seconds
        )
        self._slots = asyncio.Semaphore(self._config.max_concurrency)
        self._model_label = f"ollama:{self._config.model}"[:100]

    @property
    def model_label(self) -> str:
        """Return the ``model`` recorded on this analyzer's scores, e.g. ``ollama:llama3.1``."""
        return self._model_label

    async def analyze(self, articles: Sequence[RawArticle]) -> list[SentimentScore]:
        """Score every article, aligned with the input; raise the first failure if any failed."""
        results = await asyncio.gather(*(self.score(a) for a in articles), return_exceptions=True)
        scores = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            scores.append(result)
        return scores

    async def score(self, article: RawArticle) -> SentimentScore:
        """Score one article.

        Raises OllamaUnavailableError, OllamaReplyError or ConfigurationError (unknown model).
        """
        async with self._slots:
            content = await self._chat(article)
        try:
            verdict = _Verdict.model_validate_json(content)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()
            )
            raise OllamaReplyError(
                f"{self._model_label} gave no valid verdict ({problems}): {content[:200]!r}"
            ) from exc
        return SentimentScore(
            score=verdict.score,
            confidence=verdict.confidence,
            model=self._model_label,
            reasoning=verdict.reasoning.strip()[:2_000],
            tickers=_tickers(verdict.tickers),
        )

    async def close(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def _chat(self, article: RawArticle) -> str:
        config = self._config
        body = article.content[: config.max_body_chars]
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Title: {article.title}\n\nArticle: {body}".strip()},
        ]
        try:
            async with asyncio.timeout(config.timeout_seconds):
                response: Any = await self._client.chat(  # Any: the client's overloads
                    model=config.model,
                    messages=messages,
                    format=REPLY_SCHEMA,
                    options={"temperature": config.temperature},
                    stream=False,
                )
        except TimeoutError as exc:
            raise OllamaUnavailableError(
                f"Ollama at {config.host} did not answer within {config.timeout_seconds:g} s"
            ) from exc
        except (ConnectionError, httpx.TransportError) as exc:
            raise OllamaUnavailableError(f"Ollama at {config.host} is unreachable: {exc}") from exc
        except self._ollama.ResponseError as exc:
            raise self._translate(exc) from exc
        content = response.message.content or ""
        if not content.strip():
            raise OllamaReplyError(f"{self._model_label} returned an empty message")
        return str(content)

    def _translate(self, exc: ollama.ResponseError) -> Exception:
        config = self._config
        if exc.status_code == 404:
            return ConfigurationError(
                f"Ollama at {config.host} has no model {config.model!r} "
                f"(run `ollama pull {config.model}`): {exc.error}"
            )
        if exc.status_code == 429 or exc.status_code >= 500:
            return OllamaUnavailableError(f"Ollama at {config.host} failed: {exc}")
        return OllamaReplyError(f"Ollama at {config.host} refused the request: {exc}")


def _tickers(named: list[str]) -> tuple[str, ...]:
    """Keep the symbols an LLM named that look like symbols ("$aapl" -> "AAPL"), once each."""
    seen: dict[str, None] = {}
    for raw in named[:20]:
        symbol = raw.strip().lstrip("$").upper()
        if TICKER_FORMAT.fullmatch(symbol):
            seen.setdefault(symbol, None)
    return tuple(seen)
