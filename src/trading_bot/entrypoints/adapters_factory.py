"""Build the data-side adapters from settings: the market feed, news sources, analyzer, tickers.

Part of the composition root (``container.py``); split out to keep each module to one job.
"""

from __future__ import annotations

from datetime import datetime

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.market_data.alpaca_stream import AlpacaBarStream, AlpacaStreamConfig
from trading_bot.adapters.market_data.replay import ReplayFeed
from trading_bot.adapters.market_data.synthetic import SyntheticMarket
from trading_bot.adapters.news.alpaca_news import AlpacaNewsConfig, AlpacaNewsSource
from trading_bot.adapters.news.edgar import EdgarConfig, EdgarSource
from trading_bot.adapters.news.reddit import RedditConfig, RedditSource
from trading_bot.adapters.news.replay import ReplayNewsConfig, ReplayNewsSource
from trading_bot.adapters.news.rss import RssSource
from trading_bot.adapters.sentiment.finbert import FinBertAnalyzer, FinBertConfig
from trading_bot.adapters.sentiment.lexicon import LexiconAnalyzer
from trading_bot.adapters.sentiment.ollama import OllamaAnalyzer, OllamaConfig
from trading_bot.adapters.sentiment.tickers import TickerExtractor
from trading_bot.adapters.sentiment.tiered import TieredAnalyzer, TieredConfig
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.ports import (
    Clock,
    KeyValueStore,
    MarketDataFeed,
    MarketHours,
    Metrics,
    NewsSource,
    SentimentAnalyzer,
)
from trading_bot.entrypoints.demo_time import ResumingFeed
from trading_bot.entrypoints.settings import Mode, Settings
from trading_bot.entrypoints.settings_adapters import DEMO_NEWS_FILE


def market_source(settings: Settings) -> str:
    """Return where bars come from: the synthetic market in demo mode unless told otherwise."""
    return settings.market.source or ("synthetic" if settings.mode is Mode.DEMO else "alpaca")


def build_market_feed(
    settings: Settings,
    clock: Clock,
    hours: MarketHours,
    metrics: Metrics,
    *,
    state: KeyValueStore | None = None,
    resume_from: datetime | None = None,
) -> MarketDataFeed:
    """Return the feed the settings choose.

    Given ``state``, a simulated market (synthetic or replay) records its time there as bars
    pass and skips the bars that close before ``resume_from``, so a restarted demo continues
    where it stopped (``demo_time.ResumingFeed``).
    """
    feed = _market_feed(settings, clock, hours, metrics)
    if state is None or market_source(settings) == "alpaca":
        return feed
    return ResumingFeed(feed, state, resume_from=resume_from)


def _market_feed(
    settings: Settings, clock: Clock, hours: MarketHours, metrics: Metrics
) -> MarketDataFeed:
    market = settings.market
    source = market_source(settings)
    if source == "alpaca":
        alpaca = settings.alpaca
        if alpaca.api_key is None or alpaca.secret_key is None:
            raise ConfigurationError("TRADING_ALPACA__API_KEY is required for Alpaca market data")
        return AlpacaBarStream(
            AlpacaStreamConfig(
                api_key=alpaca.api_key,
                secret_key=alpaca.secret_key,
                tickers=settings.signals.universe,
                feed=alpaca.feed,
                url_override=alpaca.stream_url,
            ),
            metrics=metrics,
        )
    if not isinstance(clock, SimulatedClock):
        raise ConfigurationError(
            f"TRADING_MARKET__SOURCE={source} replays history and needs the simulated clock "
            "of demo mode"
        )
    if source == "replay":
        if not market.replay_files:
            raise ConfigurationError("TRADING_MARKET__REPLAY_FILES: required for source=replay")
        return ReplayFeed(
            list(market.replay_files),
            clock,
            speed=market.speed,
            max_pause_seconds=market.max_pause_seconds,
            metrics=metrics,
        )
    return SyntheticMarket(
        market.synthetic,
        clock,
        hours,
        speed=market.speed,
        max_pause_seconds=market.max_pause_seconds,
    )


def build_news_sources(settings: Settings, clock: Clock, metrics: Metrics) -> list[NewsSource]:
    """Return the news sources the settings enable (the demo replays the bundled file)."""
    news = settings.sources
    demo = settings.mode is Mode.DEMO
    sources: list[NewsSource] = []
    replay_file = news.replay_file or (DEMO_NEWS_FILE if demo else None)
    if replay_file is not None:
        sources.append(
            ReplayNewsSource(
                ReplayNewsConfig(path=replay_file, latency_seconds=news.replay_latency_seconds),
                clock,
                metrics=metrics,
            )
        )
    if news.rss if news.rss is not None else not demo:
        sources.append(RssSource(news.rss_feeds, clock, metrics=metrics))
    if news.edgar_user_agent:
        sources.append(EdgarSource(EdgarConfig(user_agent=news.edgar_user_agent), clock))
    if news.reddit_client_id is not None and news.reddit_client_secret is not None:
        sources.append(
            RedditSource(
                RedditConfig.model_validate(
                    {
                        "client_id": news.reddit_client_id,
                        "client_secret": news.reddit_client_secret,
                        "user_agent": news.reddit_user_agent,
                    }
                ),
                clock,
                metrics=metrics,
            )
        )
    alpaca = settings.alpaca
    if news.alpaca_news and not demo and alpaca.api_key is not None:
        sources.append(
            AlpacaNewsSource(
                AlpacaNewsConfig(
                    api_key=alpaca.api_key,
                    secret_key=alpaca.secret_key,
                    symbols=settings.signals.universe,
                ),
                clock,
                metrics=metrics,
            )
        )
    if not sources:
        raise ConfigurationError(
            "no news source is enabled: set TRADING_SOURCES__REPLAY_FILE or TRADING_SOURCES__RSS"
        )
    return sources


def build_analyzer(settings: Settings, metrics: Metrics) -> SentimentAnalyzer:
    """Return the sentiment analyzer the settings choose."""
    options = settings.analyzer
    if options.kind == "lexicon":
        return LexiconAnalyzer()
    finbert = FinBertAnalyzer(
        FinBertConfig(model=options.finbert_model, backend=options.finbert_backend)
    )
    if options.kind == "finbert":
        return finbert
    return TieredAnalyzer(
        finbert,
        OllamaAnalyzer(OllamaConfig(host=options.ollama_host, model=options.ollama_model)),
        TieredConfig(confidence_threshold=options.confidence_threshold),
        metrics=metrics,
    )


def build_ticker_extractor() -> TickerExtractor:
    """Return the extractor over the bundled list of US-listed symbols."""
    return TickerExtractor()
