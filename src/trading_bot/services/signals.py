"""The signal-generator service: closed bars and scored news in, weighted trade signals out.

On each closed bar (from its own market data feed, or from ``market:bars``) and on each sentiment
update for a ticker it has a bar for, it runs the enabled strategies (sandboxed) on the ticker's
market snapshot and sentiment context, weighs their opinions with the ensemble, stores the signal
with its sources and publishes ``SignalGenerated``. New weights from ``strategy:weights`` apply
from the next evaluation, without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, Self

import structlog
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from trading_bot.core.ensemble import DEFAULT_THRESHOLD, Ensemble
from trading_bot.core.errors import ConfigurationError, DataError, MalformedMessageError
from trading_bot.core.events import (
    ArticleScored,
    BarClosed,
    Message,
    SignalGenerated,
    Streams,
    WeightsUpdated,
)
from trading_bot.core.market_state import DEFAULT_WINDOW, MarketSnapshot, MarketState
from trading_bot.core.model import DEFAULT_UNIVERSE, Bar, Direction, Ticker, TradeSignal
from trading_bot.core.ports import (
    Clock,
    EventBus,
    MarketDataFeed,
    MarketDataRepository,
    Metrics,
    SignalRepository,
    StrategyRepository,
)
from trading_bot.core.strategies.base import Strategy, required_indicators
from trading_bot.core.strategies.registry import build_strategies
from trading_bot.core.strategies.sandbox import StrategySandbox
from trading_bot.services.signals_feed import BarRecorder, arrivals
from trading_bot.services.signals_sentiment import SentimentBook, summarise

log = structlog.stdlib.get_logger(__name__)

SIGNALS_GENERATED: Final = "signals_generated"
"""Counter of signals stored and published (labels ``direction`` and ``trigger``)."""
BARS_RECEIVED: Final = "bars_received"
"""Counter of closed bars evaluated."""
BARS_IGNORED: Final = "bars_ignored"
"""Counter of bars left out (label ``reason``: ``unknown_ticker`` or ``out_of_order``)."""
SENTIMENT_UPDATES: Final = "sentiment_updates"
"""Counter of scored articles that changed a ticker's sentiment context."""
MESSAGES_REFUSED: Final = "signal_messages_refused"
"""Counter of messages of the wrong type on a consumed stream (dead-lettered by the bus)."""


class StrategiesConfig(BaseModel):
    """Which strategies run, and their parameters by strategy name (defaults where left out)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: list[str] = Field(
        default=["momentum", "mean_reversion", "news_driven"],
        min_length=1,
        description="registry names of the strategies to run",
    )
    params: dict[str, dict[str, JsonValue]] = Field(
        default_factory=dict,
        description='parameters by strategy name, e.g. {"momentum": {"period": 50}}',
    )

    @model_validator(mode="after")
    def _strategies_build(self) -> Self:
        try:
            self.build()
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from exc
        return self

    def build(self) -> list[Strategy]:
        """Return the enabled strategies built with their parameters.

        Raises:
            ConfigurationError: an unknown name, or invalid parameters; the message says which.
        """
        return build_strategies(self.enabled, self.params)


class SignalsConfig(BaseModel):
    """Settings of the signal-generator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    universe: tuple[Ticker, ...] = Field(
        default=DEFAULT_UNIVERSE,
        min_length=1,
        description="tickers evaluated; bars and news about any other are ignored and counted",
    )
    group: str = Field(
        default="signal-generator",
        min_length=1,
        max_length=200,
        description="consumer group on market:bars, news:scored and strategy:weights",
    )
    consumer: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="consumer name (default: random, new at every start)",
    )
    threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        gt=0,
        le=1,
        description="least |weighted opinion| that makes a signal",
    )
    window_bars: int = Field(
        default=DEFAULT_WINDOW, ge=1, le=100_000, description="closed bars kept per ticker"
    )
    sentiment_window_hours: float = Field(
        default=24.0, gt=0, le=24 * 30, description="how long a scored article stays in context"
    )
    max_observations: int = Field(
        default=500, ge=1, description="most sentiment observations kept per ticker"
    )
    max_article_ids: int = Field(
        default=20, ge=1, le=1_000, description="most article ids a signal lists as its news"
    )
    bar_batch_size: int = Field(
        default=500, ge=1, description="feed bars stored per batch (when it owns the feed)"
    )
    bar_batch_seconds: float = Field(
        default=5.0, gt=0, description="longest a feed bar waits to be stored (clock seconds)"
    )


class SignalGeneratorService:
    """Turn closed bars and sentiment into stored, published trade signals.

    With a ``feed`` it owns the market data: it reads the feed, publishes each bar as
    ``BarClosed``, stores the bars in batches and evaluates them; without one it consumes
    ``market:bars``. Run one instance: the market state lives in its memory.
    """

    name = "signal-generator"

    def __init__(
        self,
        config: SignalsConfig,
        *,
        strategies: Sequence[Strategy],
        bus: EventBus,
        signals: SignalRepository,
        weights: StrategyRepository,
        clock: Clock,
        metrics: Metrics,
        feed: MarketDataFeed | None = None,
        market_data: MarketDataRepository | None = None,
    ) -> None:
        if not strategies:
            raise ConfigurationError("the signal-generator needs at least one strategy")
        self._config = config
        self._universe = frozenset(config.universe)
        self._sandbox = StrategySandbox(strategies, metrics)
        self._market = MarketState(required_indicators(strategies), window=config.window_bars)
        self._ensemble = Ensemble(config.threshold)
        self._sentiment = SentimentBook(
            timedelta(hours=config.sentiment_window_hours), config.max_observations
        )
        self._bus = bus
        self._signals = signals
        self._weight_store = weights
        self._clock = clock
        self._metrics = metrics
        self._feed = feed
        self._recorder: BarRecorder | None = None
        if feed is not None:
            if market_data is None:
                raise ConfigurationError("a signal-generator given a feed needs market_data")
            self._recorder = BarRecorder(market_data, metrics, config.bar_batch_size)
        self._weights: dict[str, float] = {}
        self._weights_as_of: datetime | None = None
        self._started = False
        self._last_signal: dict[str, tuple[datetime, Direction]] = {}

    @property
    def weights(self) -> Mapping[str, float]:
        """Return the strategy weights in use."""
        return dict(self._weights)

    async def start(self) -> None:
        """Load the current strategy weights from storage (once)."""
        if self._started:
            return
        self._weights = await self._weight_store.weights()
        self._started = True
        log.info("signal-generator started", weights=self._weights, feed=self._feed is not None)

    async def run(self) -> None:
        """Consume news, weights and bars (or read the feed) until cancelled."""
        await self.start()
        group, consumer = self._config.group, self._config.consumer
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(
                    self._bus.consume(Streams.NEWS_SCORED, group, self.handle, consumer=consumer)
                )
                tasks.create_task(
                    self._bus.consume(Streams.WEIGHTS, group, self.handle, consumer=consumer)
                )
                if self._feed is None:
                    tasks.create_task(
                        self._bus.consume(
                            Streams.MARKET_BARS, group, self.handle, consumer=consumer
                        )
                    )
                else:
                    tasks.create_task(self._pump_feed(), name=f"{self.name}:feed")
                    tasks.create_task(self._flush_periodically(), name=f"{self.name}:store")
        finally:
            if self._recorder is not None:
                await asyncio.shield(self._recorder.flush())

    async def handle(self, message: Message) -> None:
        """Dispatch one consumed message to its handler.

        Raise ``MalformedMessageError`` for a type none of the streams carries (dead-lettered).
        """
        if isinstance(message, BarClosed):
            await self.on_bar_closed(message)
        elif isinstance(message, ArticleScored):
            await self.on_article_scored(message)
        elif isinstance(message, WeightsUpdated):
            await self.on_weights_updated(message)
        else:
            self._metrics.increment(MESSAGES_REFUSED, type=type(message).__name__)
            raise MalformedMessageError(
                f"the signal-generator does not handle {type(message).__name__}"
            )

    async def on_bar_closed(self, message: BarClosed) -> TradeSignal | None:
        """Handle the bar of a ``BarClosed`` (``on_bar``)."""
        return await self.on_bar(message.bar)

    async def on_bar(self, bar: Bar) -> TradeSignal | None:
        """Advance the bar's ticker and evaluate it; return the signal published, if any.

        A bar outside the universe, or not newer than the ticker's last one, is ignored and
        counted.
        """
        signal = self.decide_on_bar(bar)
        if signal is not None:
            await self.publish(signal, "bar")
        return signal

    def decide_on_bar(self, bar: Bar) -> TradeSignal | None:
        """The part of ``on_bar`` that waits for nothing: advance the ticker and return the
        signal its strategies and the ensemble form, or None; ``publish`` sends it."""
        if bar.ticker not in self._universe:
            self._ignore(bar, "unknown_ticker")
            return None
        try:
            snapshot = self._market.update(bar)
        except DataError:
            self._ignore(bar, "out_of_order")
            return None
        self._metrics.increment(BARS_RECEIVED)
        return self._decide(bar.ticker, "bar", snapshot)

    async def on_article_scored(self, message: ArticleScored) -> list[TradeSignal]:
        """Add the article to the sentiment of each ticker it mentions and evaluate those that
        have a bar; return the signals published."""
        changed = self._sentiment.add(message.scored, self._universe, self._clock.now())
        signals = []
        for ticker in changed:
            self._metrics.increment(SENTIMENT_UPDATES)
            signal = self._decide(ticker, "sentiment")
            if signal is not None:
                await self.publish(signal, "sentiment")
                signals.append(signal)
        return signals

    async def on_weights_updated(self, message: WeightsUpdated) -> None:
        """Use the new weights from the next evaluation on (an update older than the one in use
        is ignored)."""
        update = message.update
        if self._weights_as_of is not None and update.updated_at < self._weights_as_of:
            log.info("stale weight update ignored", cycle=update.cycle)
            return
        self._weights = {**self._weights, **update.weights}
        self._weights_as_of = update.updated_at
        log.info("strategy weights updated", weights=self._weights, cycle=update.cycle)

    async def flush_bars(self) -> int:
        """Store the feed bars waiting for their batch; return how many were new."""
        return 0 if self._recorder is None else await self._recorder.flush()

    async def publish(self, signal: TradeSignal, trigger: str) -> None:
        """Store ``signal`` and publish it on ``signals`` (``trigger``: what formed it, "bar"
        or "sentiment", for the counter and the log)."""
        await self._signals.add(signal)
        await self._bus.publish(SignalGenerated(occurred_at=self._clock.now(), signal=signal))
        self._metrics.increment(
            SIGNALS_GENERATED, direction=signal.direction.value, trigger=trigger
        )
        log.info(
            "signal generated",
            ticker=signal.ticker,
            direction=signal.direction.value,
            strength=round(signal.strength, 4),
            trigger=trigger,
            signal_id=str(signal.signal_id),
        )

    def _decide(
        self, ticker: str, trigger: str, snapshot: MarketSnapshot | None = None
    ) -> TradeSignal | None:
        """Return the signal the strategies and the ensemble form for ``ticker`` now, or None
        (a sentiment update that only confirms what the ticker's last bar said is None)."""
        if snapshot is None:
            snapshot = self._market.snapshot(ticker)
            if snapshot is None:
                return None
        now = self._clock.now()
        context = self._sentiment.context(ticker, now)
        opinions = self._sandbox.evaluate(ticker, snapshot, context, self._clock)
        if not opinions:
            return None  # what the ensemble would say: the common case, answered early
        news = summarise(context, now, self._config.max_article_ids)
        signal = self._ensemble.combine(
            ticker,
            opinions,
            self._weights,
            snapshot.close,
            now,
            sentiment_score=news.score,
            article_ids=news.article_ids,
        )
        if signal is None:
            return None
        decided = (snapshot.timestamp, signal.direction)
        if trigger == "sentiment" and self._last_signal.get(ticker) == decided:
            return None  # the news confirmed what this bar already said
        self._last_signal[ticker] = decided
        return signal

    async def _pump_feed(self) -> None:
        if self._feed is None or self._recorder is None:
            return
        groups = arrivals(self._feed, self._config.bar_batch_size)
        async with contextlib.aclosing(groups):
            async for group in groups:
                now = self._clock.now()
                messages = [BarClosed(occurred_at=now, bar=bar) for bar in group]
                # Published before they are evaluated, so consumers hold the prices before any
                # signal; the bars that arrived together go out in one round trip.
                await self._bus.publish_many(messages)
                for message in messages:
                    await self._recorder.add(message.bar)
                    await self.on_bar_closed(message)
        await self._recorder.flush()
        log.info("market data feed ended")

    async def _flush_periodically(self) -> None:
        while self._recorder is not None:
            await self._clock.sleep(self._config.bar_batch_seconds)
            await self._recorder.flush()

    def _ignore(self, bar: Bar, reason: str) -> None:
        self._metrics.increment(BARS_IGNORED, reason=reason)
        log.info(
            "bar ignored", ticker=bar.ticker, timestamp=bar.timestamp.isoformat(), reason=reason
        )
