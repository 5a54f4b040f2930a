"""Alpaca News: real-time articles from alpaca-py's news stream, and history for backtests."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import requests
import structlog
from alpaca.common.exceptions import APIError
from alpaca.data.historical.news import NewsClient
from alpaca.data.live.news import NewsDataStream
from alpaca.data.models.news import News, NewsSet
from alpaca.data.requests import NewsRequest
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from trading_bot.adapters.news.dedupe import DEFAULT_REMEMBERED, SeenArticles
from trading_bot.adapters.news.entries import MAX_TITLE_CHARS
from trading_bot.adapters.news.text import strip_html
from trading_bot.core.errors import ConfigurationError, DataError, TemporaryError
from trading_bot.core.model import RawArticle, Ticker
from trading_bot.core.ports import Clock, Metrics

SKIPPED_METRIC: Final = "news_messages_skipped"
"""Counter of stream messages that could not be turned into articles, labelled ``source``."""

_TICKER: Final = TypeAdapter(Ticker)
_STOP_TIMEOUT_SECONDS: Final = 5.0

log = structlog.stdlib.get_logger(__name__)


class AlpacaNewsConfig(BaseModel):
    """Settings of the Alpaca News source. Without both keys the source stays off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr | None = Field(default=None, description="Alpaca API key id.")
    secret_key: SecretStr | None = Field(default=None, description="Alpaca API secret key.")
    symbols: tuple[str, ...] = Field(
        default=("*",), min_length=1, description="Stream subscription; '*' is every article."
    )
    rest_url: str | None = Field(
        default=None, description="Override of Alpaca's data API base URL (tests, proxies)."
    )
    stream_url: str | None = Field(
        default=None, description="Override of the news stream URL (tests, proxies)."
    )
    include_content: bool = Field(default=True, description="Ask history for full bodies.")
    history_chunk_hours: float = Field(
        default=24.0, gt=0, description="History is requested one window of this size at a time."
    )
    history_timeout_seconds: float = Field(
        default=120.0, gt=0, description="Longest one history window (all its pages) may take."
    )
    poll_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often fetch() hands over what the stream delivered."
    )
    max_pending: int = Field(
        default=10_000, ge=1, description="Streamed articles held between fetches; oldest dropped."
    )
    max_remembered: int = Field(default=DEFAULT_REMEMBERED, ge=1, description="Ids remembered.")

    @property
    def has_keys(self) -> bool:
        """Return whether both keys are set."""
        keys = (self.api_key, self.secret_key)
        return all(key is not None and key.get_secret_value().strip() for key in keys)


def news_to_article(news: News, *, available_at: datetime) -> RawArticle:
    """Return the RawArticle for an Alpaca article, read by us at ``available_at``.

    ``published_at`` is Alpaca's ``created_at`` (never after ``available_at``); the provider's
    symbols that are valid tickers become ``provider_tickers``; an article without a URL gets a
    stable ``urn:alpaca-news:<id>`` so it still has an identity.
    """
    body = strip_html(news.content) or strip_html(news.summary)
    return RawArticle.create(
        source=f"alpaca:{news.source}" if news.source else "alpaca",
        url=news.url or f"urn:alpaca-news:{news.id}",
        title=" ".join(news.headline.split())[:MAX_TITLE_CHARS],
        content=body,
        published_at=min(news.created_at, available_at),
        available_at=available_at,
        provider_tickers=_tickers(news.symbols),
    )


def _tickers(symbols: list[str]) -> tuple[str, ...]:
    valid: list[str] = []
    for symbol in dict.fromkeys(symbols):
        try:
            valid.append(_TICKER.validate_python(symbol))
        except ValidationError:
            continue  # crypto pairs such as BTC/USD are not exchange tickers
    return tuple(valid)


class AlpacaNewsSource:
    """Alpaca's news (implements ``core.ports.NewsSource``), active only when keys are set.

    The first ``fetch`` starts alpaca-py's ``NewsDataStream`` inside the running event loop;
    articles it pushes are stamped with the clock on arrival and handed over by the next
    ``fetch``. ``history`` yields past articles for backtests and downloads. Call ``aclose``.
    """

    name = "alpaca-news"

    def __init__(self, config: AlpacaNewsConfig, clock: Clock, *, metrics: Metrics | None = None):
        self._config = config
        self._clock = clock
        self._metrics = metrics
        self.poll_interval_seconds = config.poll_interval_seconds
        self._seen = SeenArticles(config.max_remembered)
        self._pending: deque[RawArticle] = deque()
        self._stream: NewsDataStream | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._said_off = False
        self._said_ended = False

    @property
    def enabled(self) -> bool:
        """Return whether both Alpaca keys are configured."""
        return self._config.has_keys

    async def fetch(self) -> list[RawArticle]:
        """Return the articles streamed since the last call (starting the stream if needed)."""
        if not self.enabled:
            if not self._said_off:
                log.warning("alpaca_news_off", reason="set the Alpaca api_key and secret_key")
                self._said_off = True
            return []
        self._ensure_stream()
        arrived = list(self._pending)
        self._pending.clear()
        return self._seen.filter_new(arrived)

    async def history(
        self, start: datetime, end: datetime, symbols: tuple[str, ...] = ()
    ) -> AsyncIterator[RawArticle]:
        """Yield the articles created in ``[start, end]`` in time order, for backtests.

        Each article is available the moment it was created (``available_at`` =
        ``published_at`` = ``created_at``). Raises ``ConfigurationError`` without keys or when
        Alpaca refuses them, ``TemporaryError`` when Alpaca cannot be reached.
        """
        if not self.enabled:
            raise ConfigurationError("Alpaca News history needs the Alpaca api_key and secret_key")
        if start.tzinfo is None or end.tzinfo is None or end < start:
            raise ValueError("history needs aware start <= end")
        client = NewsClient(
            api_key=_secret(self._config.api_key),
            secret_key=_secret(self._config.secret_key),
            url_override=self._config.rest_url,
        )
        chunk = timedelta(hours=self._config.history_chunk_hours)
        previous: set[int] = set()
        cursor = start
        while cursor <= end:
            window_end = min(end, cursor + chunk)
            batch = await self._history_window(client, cursor, window_end, symbols)
            # Windows share their boundary instant, so an article there arrives twice.
            for news in batch:
                if news.id not in previous:
                    yield news_to_article(news, available_at=news.created_at)
            previous = {news.id for news in batch}
            if window_end == end:
                break
            cursor = window_end

    async def aclose(self) -> None:
        """Stop the stream and wait for it to end."""
        stream, task = self._stream, self._stream_task
        self._stream, self._stream_task = None, None
        if stream is None or task is None:
            return
        await stream.stop_ws()
        await stream.close()  # wakes the receive loop now instead of at its next 5 s timeout
        try:
            await asyncio.wait_for(task, _STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            task.cancel()

    def _ensure_stream(self) -> None:
        if self._stream_task is not None:
            if self._stream_task.done() and not self._said_ended:
                problem = None if self._stream_task.cancelled() else self._stream_task.exception()
                log.error("alpaca_news_stream_ended", error=str(problem) if problem else None)
                self._said_ended = True
            return
        stream = NewsDataStream(
            api_key=_secret(self._config.api_key),
            secret_key=_secret(self._config.secret_key),
            raw_data=True,  # we parse, so a malformed message is skipped and counted by us
            url_override=self._config.stream_url,
        )
        stream.subscribe_news(self._on_message, *self._config.symbols)
        self._stream = stream
        # NewsDataStream.run() calls asyncio.run(), which cannot nest in our loop; its
        # coroutine runs the same connect/auth/subscribe/reconnect cycle as a task here.
        self._stream_task = asyncio.create_task(
            stream._run_forever(),
            name="alpaca-news-stream",
        )

    async def _on_message(self, message: News | dict[Any, Any]) -> None:
        available_at = self._clock.now()
        try:
            news = message if isinstance(message, News) else _news_from_stream(message)
            article = news_to_article(news, available_at=available_at)
        except (ValidationError, AttributeError, TypeError, ValueError) as exc:
            log.warning("news_message_skipped", source=self.name, reason=str(exc)[:500])
            if self._metrics is not None:
                self._metrics.increment(SKIPPED_METRIC, source=self.name)
            return
        if len(self._pending) >= self._config.max_pending:
            dropped = self._pending.popleft()
            log.warning("alpaca_news_backlog_full", dropped=dropped.article_id)
        self._pending.append(article)

    async def _history_window(
        self, client: NewsClient, start: datetime, end: datetime, symbols: tuple[str, ...]
    ) -> list[News]:
        request = NewsRequest(
            start=start,
            end=end,
            symbols=",".join(symbols) or None,
            sort="asc",
            include_content=self._config.include_content,
        )
        timeout = self._config.history_timeout_seconds
        try:
            # alpaca-py's REST client is synchronous (requests, without a timeout): it runs in a
            # worker thread, and we stop waiting for it after ``history_timeout_seconds``.
            result = await asyncio.wait_for(asyncio.to_thread(client.get_news, request), timeout)
        except APIError as exc:
            raise _translate(exc) from exc
        except requests.RequestException as exc:
            raise TemporaryError(f"Alpaca News unreachable: {exc}") from exc
        except TimeoutError as exc:
            raise TemporaryError(f"Alpaca News gave no answer within {timeout} s") from exc
        if not isinstance(result, NewsSet):
            raise DataError("Alpaca News answered with raw data where articles were expected")
        return list(result.data.get("news", []))


def _news_from_stream(message: Mapping[str, Any]) -> News:
    raw = {key: value for key, value in message.items() if key != "T"}
    for key in ("created_at", "updated_at"):
        stamp = raw.get(key)
        # msgpack delivers timestamps as its own Timestamp type (alpaca-py converts them the
        # same way when it parses messages itself).
        if stamp is not None and hasattr(stamp, "to_datetime"):
            raw[key] = stamp.to_datetime()
    raw.setdefault("symbols", [])
    return News(raw)


def _translate(error: APIError) -> Exception:
    status = error.status_code
    if status in {401, 403}:
        return ConfigurationError(f"Alpaca refused the API keys (HTTP {status})")
    if status is None or status == 429 or status >= 500:
        return TemporaryError(f"Alpaca News unavailable (HTTP {status}): {error}")
    return DataError(f"Alpaca News refused the request (HTTP {status}): {error}")


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""
