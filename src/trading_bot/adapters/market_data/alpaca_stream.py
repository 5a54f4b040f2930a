"""Alpaca's real-time minute bars (alpaca-py ``StockDataStream``) as a ``MarketDataFeed``.

alpaca-py's stream is a coroutine (``_run_forever``) that we run as a task on our own loop, so its
bar handler puts bars straight on an ``asyncio.Queue`` with no thread in between; reconnecting
after a dropped connection is alpaca-py's. Alpaca stamps a minute bar with its open time and sends
it once the minute has closed, so every bar it delivers is already closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any, Literal

import structlog
from alpaca.data.enums import DataFeed
from alpaca.data.live.stock import StockDataStream
from alpaca.data.models.bars import Bar as AlpacaBar
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import Bar, Ticker
from trading_bot.core.ports import Metrics

__all__ = ["AlpacaBarStream", "AlpacaStreamConfig", "parse_bar"]

_log = structlog.stdlib.get_logger(__name__)
MINUTE = 60


class AlpacaStreamConfig(BaseModel):
    """Which bars to stream from Alpaca, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr = Field(description="Alpaca API key id")
    secret_key: SecretStr = Field(description="Alpaca API secret key")
    tickers: tuple[Ticker, ...] = Field(min_length=1, description="symbols to stream bars for")
    feed: Literal["iex", "sip"] = Field(
        default="iex", description="iex (free) or sip (needs a subscription); default iex"
    )
    url_override: str | None = Field(
        default=None, description="stream endpoint instead of Alpaca's (a local test server)"
    )
    queue_size: int = Field(
        default=10_000, gt=0, description="bars held while the consumer is busy; default 10 000"
    )


class AlpacaBarStream:
    """A ``core.ports.MarketDataFeed`` of Alpaca minute bars for the configured tickers.

    A message that is not a valid bar is logged, counted (``malformed``, and the
    ``market_data_messages_malformed`` metric) and skipped; the stream goes on.
    """

    def __init__(self, config: AlpacaStreamConfig, *, metrics: Metrics | None = None) -> None:
        self._config = config
        self._metrics = metrics
        self.malformed = 0

    async def bars(self) -> AsyncGenerator[Bar, None]:
        """Yield bars as Alpaca sends them, until the consumer stops iterating."""
        groups = self.bar_groups(self._config.queue_size)
        async with contextlib.aclosing(groups):
            async for group in groups:
                for bar in group:
                    yield bar

    async def bar_groups(self, limit: int) -> AsyncGenerator[list[Bar], None]:
        """Yield bars in the groups they arrived in (a frame: one bar per ticker each minute),
        at most ``limit`` a group, until the consumer stops iterating."""
        queue: asyncio.Queue[Bar] = asyncio.Queue(self._config.queue_size)

        async def on_bar(message: AlpacaBar | dict[Any, Any]) -> None:
            bar = self._accept(message)
            if bar is not None:
                await queue.put(bar)

        stream = StockDataStream(
            api_key=self._config.api_key.get_secret_value(),
            secret_key=self._config.secret_key.get_secret_value(),
            # Raw messages reach our handler even when malformed, so we can count and skip them.
            raw_data=True,
            feed=DataFeed(self._config.feed),
            url_override=self._config.url_override,
        )
        stream.subscribe_bars(on_bar, *self._config.tickers)
        runner = asyncio.create_task(stream._run_forever(), name="alpaca-bar-stream")
        _log.info("alpaca bar stream started", tickers=list(self._config.tickers))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    raise ConfigurationError(
                        f"the Alpaca {self._config.feed} bar stream stopped; check the API keys "
                        "and that the account may use this feed"
                    )
                # alpaca-py hands over a whole frame's bars before we run again: take them all.
                group = [getter.result()]
                while len(group) < limit and not queue.empty():
                    group.append(queue.get_nowait())
                yield group
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
            await stream.close()

    def _accept(self, message: AlpacaBar | dict[Any, Any]) -> Bar | None:
        try:
            if not isinstance(message, dict):
                raise TypeError(f"expected a raw message, got {type(message).__name__}")
            return parse_bar(message)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            self.malformed += 1
            if self._metrics is not None:
                self._metrics.increment("market_data_messages_malformed", source="alpaca")
            _log.warning("alpaca bar message skipped", reason=str(exc), message=repr(message)[:300])
            return None


def parse_bar(message: dict[str, Any]) -> Bar:
    """Return the bar in an Alpaca ``{"T": "b"}`` message; raise on anything malformed."""
    if message.get("T") != "b":
        raise ValueError(f"not a minute bar: T={message.get('T')!r}")
    return Bar(
        ticker=message["S"],
        timestamp=_moment(message["t"]),
        open=message["o"],
        high=message["h"],
        low=message["l"],
        close=message["c"],
        volume=message["v"],
        interval_seconds=MINUTE,
    )


def _moment(raw: object) -> datetime:
    # MessagePack frames carry a msgpack Timestamp; JSON frames an RFC 3339 string.
    to_datetime = getattr(raw, "to_datetime", None)
    if callable(to_datetime):
        moment = to_datetime()
        if isinstance(moment, datetime):
            return moment
    if isinstance(raw, str):
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    raise TypeError(f"bar time {raw!r} is neither a timestamp nor RFC 3339 text")
