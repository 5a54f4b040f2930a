"""The composition root: the one place that turns settings into adapters and services.

``build_ports`` opens what the chosen services need (storage, bus, broker, feeds, analyzers) and
``build_services`` wires the services over them. The one-process node, each service process and
the backtester all go through these two functions, so every decision has one implementation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from trading_bot.adapters.brokers.alpaca import AlpacaBroker, AlpacaConfig
from trading_bot.adapters.brokers.alpaca_trade_updates import AlpacaTradeUpdates
from trading_bot.adapters.brokers.paper import PaperBroker
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.bus.config import MemoryBusConfig, RedisBusConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import SimulatedClock, WallClock
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.key_value import SqlKeyValueStore
from trading_bot.adapters.storage.repositories import SqlRepositories
from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.model import DEFAULT_STRATEGY_WEIGHTS
from trading_bot.core.ports import (
    ArticleRepository,
    Broker,
    Clock,
    EventBus,
    KeyValueStore,
    MarketDataFeed,
    MarketDataRepository,
    Metrics,
    NewsSource,
    OrderUpdates,
    OutcomeRepository,
    PositionRepository,
    RiskDecisionRepository,
    SentimentAnalyzer,
    SignalRepository,
    SnapshotRepository,
    StrategyRepository,
    TradeRepository,
)
from trading_bot.core.risk import RiskConfig
from trading_bot.entrypoints.adapters_factory import (
    build_analyzer,
    build_market_feed,
    build_news_sources,
    build_ticker_extractor,
)
from trading_bot.entrypoints.demo_time import ClockFollower, TimeFollowingBus, recorded_time
from trading_bot.entrypoints.service_names import (
    API_GATEWAY,
    LEARNING_ENGINE,
    NEWS_FETCHER,
    SENTIMENT_ANALYZER,
    SERVICE_NAMES,
    SIGNAL_GENERATOR,
    TRADE_EXECUTOR,
    TRADING_SERVICES,
)
from trading_bot.entrypoints.settings import Mode, Settings
from trading_bot.services.broker_health import BrokerCallHealth, MonitoredBroker
from trading_bot.services.execution import TradeExecutorService
from trading_bot.services.health_watch import HealthWatch
from trading_bot.services.learning import LearningEngineService
from trading_bot.services.news import NewsFetcherService
from trading_bot.services.operations_journal import OperationsJournal
from trading_bot.services.sentiment import SentimentAnalyzerService, TickerExtraction
from trading_bot.services.signals import SignalGeneratorService

_T = TypeVar("_T")


class Service(Protocol):
    """What the node runs: a long-lived task that stops when cancelled."""

    async def run(self) -> None: ...


class Repositories(Protocol):
    """The repositories the services are built from: ``SqlRepositories`` over the configured
    database, or the backtester's in-memory ones (``entrypoints.backtest_storage``)."""

    @property
    def strategies(self) -> StrategyRepository: ...
    @property
    def signals(self) -> SignalRepository: ...
    @property
    def trades(self) -> TradeRepository: ...
    @property
    def positions(self) -> PositionRepository: ...
    @property
    def articles(self) -> ArticleRepository: ...
    @property
    def market_data(self) -> MarketDataRepository: ...
    @property
    def outcomes(self) -> OutcomeRepository: ...
    @property
    def snapshots(self) -> SnapshotRepository: ...
    @property
    def risk_decisions(self) -> RiskDecisionRepository: ...
    @property
    def key_value(self) -> KeyValueStore: ...


@dataclass
class Ports:
    """Everything the services are built from. ``close()`` releases it all."""

    settings: Settings
    clock: Clock
    wall_clock: WallClock
    bus: EventBus
    database: Database
    repos: Repositories
    market_hours: NyseCalendar
    metrics: Metrics
    prices: LatestPrices
    broker: Broker | None = None
    market_feed: MarketDataFeed | None = None
    news_sources: list[NewsSource] = field(default_factory=list)
    analyzer: SentimentAnalyzer | None = None
    tickers: TickerExtraction | None = None
    demo_resumed_at: datetime | None = None
    """The recorded demo time this process's simulated clock resumed from, if any."""
    clock_follower: ClockFollower | None = None
    """In a demo process without the market feed: what keeps its clock at the demo's time."""
    broker_health: BrokerCallHealth | None = None
    """Consecutive failed broker calls (the broker above reports to it)."""
    order_updates: OrderUpdates | None = None
    """The broker's push feed of order changes (Alpaca's trade updates), when it has one."""
    journal: OperationsJournal | None = None
    """Where operational events are recorded (``entrypoints.operations`` sets it up)."""
    health_watch: HealthWatch | None = None
    """The automatic pause (``entrypoints.operations`` sets it up where the executor runs)."""
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    def on_close(self, callback: Callable[[], Awaitable[object]]) -> None:
        """Run ``callback`` when the ports close (last registered, first run)."""
        self._stack.push_async_callback(callback)

    async def close(self) -> None:
        """Close every adapter that holds a connection, a file or a thread."""
        await self._stack.aclose()


def broker_kind(settings: Settings) -> str:
    """Return which broker the settings choose: paper in demo mode unless told otherwise."""
    return settings.broker.kind or ("paper" if settings.mode is Mode.DEMO else "alpaca")


async def build_ports(
    settings: Settings,
    *,
    services: Collection[str] = SERVICE_NAMES,
    metrics: Metrics,
    clock: Clock | None = None,
    bus: EventBus | None = None,
) -> Ports:
    """Open the adapters the chosen ``services`` need.

    ``clock`` and ``bus`` may be passed in (the backtester brings a simulated clock and its own
    in-memory bus); otherwise the demo mode runs on a simulated clock that the market feed moves
    (resumed from the demo time a previous run recorded), and the other modes on the wall clock.
    A demo process without the feed follows the time the feed's process records
    (``demo_time``), and the Redis bus always keeps the wall clock: its idle timeouts and
    reconnection backoff are about real processes.
    """
    unknown = set(services) - set(SERVICE_NAMES)
    if unknown:
        raise ConfigurationError(f"unknown service(s): {', '.join(sorted(unknown))}")
    wall_clock = WallClock()
    database = Database(settings.storage.url)
    resumed_at: datetime | None = None
    following: SimulatedClock | None = None
    if clock is None and settings.mode is Mode.DEMO:
        try:
            resumed_at = await recorded_time(SqlKeyValueStore(database, wall_clock))
        except BaseException:
            await database.dispose()
            raise
        start = settings.market.synthetic.start
        clock = SimulatedClock(max(start, resumed_at) if resumed_at else start)
        if SIGNAL_GENERATOR not in services:
            following = clock
    elif clock is None:
        clock = wall_clock
    chosen_bus = bus or _build_bus(settings, clock, wall_clock)
    follower: ClockFollower | None = None
    if following is not None:
        chosen_bus = TimeFollowingBus(chosen_bus, following)
        follower = ClockFollower(
            following, SqlKeyValueStore(database, wall_clock), wait_clock=wall_clock
        )
    ports = Ports(
        settings=settings,
        clock=clock,
        wall_clock=wall_clock,
        bus=chosen_bus,
        database=database,
        repos=SqlRepositories.create(database, clock),
        market_hours=NyseCalendar(),
        metrics=metrics,
        prices=LatestPrices(),
        demo_resumed_at=resumed_at,
        clock_follower=follower,
    )
    ports.on_close(database.dispose)
    if bus is None:
        ports.on_close(ports.bus.close)
    try:
        await _open_adapters(ports, services)
    except BaseException:
        await ports.close()
        raise
    return ports


def _build_bus(settings: Settings, clock: Clock, wall_clock: WallClock) -> EventBus:
    options = settings.bus
    shared = {
        "claim_idle_ms": options.claim_idle_ms,
        "max_deliveries": options.max_deliveries,
        "maxlen": options.maxlen,
    }
    if options.kind == "redis":
        return RedisStreamsBus(
            RedisBusConfig(url=options.url, prefix=options.prefix, **shared), clock=wall_clock
        )
    return MemoryBus(MemoryBusConfig(**shared), clock=clock)


async def _open_adapters(ports: Ports, services: Collection[str]) -> None:
    settings = ports.settings
    if TRADE_EXECUTOR in services or API_GATEWAY in services:
        ports.broker_health = BrokerCallHealth()
        ports.broker = MonitoredBroker(await _build_broker(ports), ports.broker_health)
    if TRADE_EXECUTOR in services:
        ports.order_updates = _build_order_updates(ports)
    if SIGNAL_GENERATOR in services:
        ports.market_feed = build_market_feed(
            settings,
            ports.clock,
            ports.market_hours,
            ports.metrics,
            state=ports.repos.key_value,
            resume_from=ports.demo_resumed_at,
        )
    if NEWS_FETCHER in services:
        ports.news_sources = build_news_sources(settings, ports.clock, ports.metrics)
        for source in ports.news_sources:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                ports.on_close(closer)
    if SENTIMENT_ANALYZER in services:
        ports.analyzer = build_analyzer(settings, ports.metrics)
        ports.tickers = build_ticker_extractor()


async def _build_broker(ports: Ports) -> Broker:
    settings = ports.settings
    if broker_kind(settings) == "paper":
        return await PaperBroker.restore(
            settings.broker.paper, ports.prices, ports.clock, ports.repos.key_value
        )
    alpaca = settings.alpaca
    if alpaca.api_key is None or alpaca.secret_key is None:
        raise ConfigurationError(
            "TRADING_ALPACA__API_KEY and TRADING_ALPACA__SECRET_KEY are required for Alpaca"
        )
    broker = AlpacaBroker(
        AlpacaConfig(
            api_key=alpaca.api_key,
            secret_key=alpaca.secret_key,
            paper=alpaca.paper,
            url_override=alpaca.base_url,
        )
    )
    ports.on_close(broker.aclose)  # its HTTP session and kept-alive connections
    return broker


def _build_order_updates(ports: Ports) -> OrderUpdates | None:
    settings = ports.settings
    alpaca = settings.alpaca
    if (
        broker_kind(settings) != "alpaca"
        or not settings.operations.trade_updates
        or alpaca.api_key is None
        or alpaca.secret_key is None
        # A trading API elsewhere (a proxy, a local server) has its stream elsewhere too.
        or (alpaca.base_url is not None and alpaca.trade_stream_url is None)
    ):
        return None
    config = AlpacaConfig(api_key=alpaca.api_key, secret_key=alpaca.secret_key, paper=alpaca.paper)
    return AlpacaTradeUpdates(config, stream_url=alpaca.trade_stream_url, metrics=ports.metrics)


def effective_risk(settings: Settings) -> RiskConfig:
    """Return the risk settings with ``bracket_orders`` decided: on with Alpaca (whose bracket
    legs protect positions while the bot is down), off with the paper broker, unless set."""
    risk = settings.risk
    if risk.bracket_orders is not None:
        return risk
    return risk.model_copy(update={"bracket_orders": broker_kind(settings) == "alpaca"})


async def prepare_storage(ports: Ports) -> None:
    """Seed the three strategies with equal weights (idempotent: kept weights are not reset)."""
    await ports.repos.strategies.seed(DEFAULT_STRATEGY_WEIGHTS)


def build_services(
    settings: Settings, ports: Ports, *, only: Collection[str] = TRADING_SERVICES
) -> dict[str, Service]:
    """Wire the trading services named in ``only`` over ``ports``, by name."""
    repos = ports.repos
    factories: Mapping[str, Callable[[], Service]] = {
        NEWS_FETCHER: lambda: NewsFetcherService(
            settings.news,
            sources=ports.news_sources,
            articles=repos.articles,
            bus=ports.bus,
            clock=ports.clock,
            metrics=ports.metrics,
        ),
        SENTIMENT_ANALYZER: lambda: SentimentAnalyzerService(
            settings.sentiment,
            analyzer=_required(ports.analyzer, "analyzer"),
            tickers=_required(ports.tickers, "ticker extractor"),
            articles=repos.articles,
            bus=ports.bus,
            clock=ports.clock,
            metrics=ports.metrics,
        ),
        SIGNAL_GENERATOR: lambda: SignalGeneratorService(
            settings.signals,
            strategies=settings.strategies.build(),
            bus=ports.bus,
            signals=repos.signals,
            weights=repos.strategies,
            clock=ports.clock,
            metrics=ports.metrics,
            feed=ports.market_feed,
            market_data=repos.market_data,
        ),
        TRADE_EXECUTOR: lambda: TradeExecutorService(
            settings.execution,
            risk=effective_risk(settings),
            market_hours=ports.market_hours,
            bus=ports.bus,
            broker=_required(ports.broker, "broker"),
            prices=ports.prices,
            trades=repos.trades,
            signals=repos.signals,
            positions=repos.positions,
            risk_decisions=repos.risk_decisions,
            state=repos.key_value,
            clock=ports.clock,
            metrics=ports.metrics,
            outcomes=repos.outcomes,
            journal=ports.journal,
            order_updates=ports.order_updates,
            on_bar=None if ports.health_watch is None else ports.health_watch.bar_seen,
        ),
        LEARNING_ENGINE: lambda: LearningEngineService(
            settings.learning,
            bus=ports.bus,
            clock=ports.clock,
            metrics=ports.metrics,
            strategies=repos.strategies,
            signals=repos.signals,
            trades=repos.trades,
            positions=repos.positions,
            outcomes=repos.outcomes,
            snapshots=repos.snapshots,
            state=repos.key_value,
        ),
    }
    unknown = set(only) - set(factories)
    if unknown:
        raise ConfigurationError(f"not a trading service: {', '.join(sorted(unknown))}")
    return {name: factories[name]() for name in TRADING_SERVICES if name in only}


def _required(value: _T | None, what: str) -> _T:
    if value is None:
        raise ConfigurationError(f"the ports were built without a {what}")
    return value
