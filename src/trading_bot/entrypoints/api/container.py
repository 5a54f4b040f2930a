"""What the api-gateway runs on: storage, bus, broker, clock and its own tunables.

``create_app`` takes a ``ContainerFactory`` (an async context manager yielding an
``ApiContainer``); ``container_from_settings`` is the one the CLI uses, and tests build their
own over a SQLite file or the real PostgreSQL and the memory bus.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.adapters.bus.config import MemoryBusConfig, RedisBusConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.bus.redis_streams import RedisStreamsBus
from trading_bot.adapters.clocks import WallClock
from trading_bot.adapters.storage import Database, SqlRepositories, upgrade_database
from trading_bot.adapters.storage.auth_repositories import SqlAuthRepositories
from trading_bot.adapters.storage.queries import SqlReadQueries
from trading_bot.core.ports import Broker, Clock, EventBus
from trading_bot.entrypoints.api.auth.rate_limit import DEFAULT_AUTH_LIMIT
from trading_bot.entrypoints.api.auth.secrets import signing_secret
from trading_bot.entrypoints.api.backtests import BacktestRunner, EntrypointBacktestRunner
from trading_bot.entrypoints.settings import ApiSettings, Settings


class GatewayConfig(BaseModel):
    """Tunables of the api-gateway that are not deployment settings; defaults suit production."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auth_rate_limit: str = Field(
        default=DEFAULT_AUTH_LIMIT,
        description="requests per client address and auth endpoint (limits syntax, 20/minute)",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1_024, description="larger request bodies get 413 (1 MiB)"
    )
    challenge_ttl_seconds: float = Field(
        default=300, gt=0, description="how long a WebAuthn challenge may be answered (5 min)"
    )
    ws_queue_size: int = Field(
        default=256, ge=1, description="events buffered per WebSocket client before it is dropped"
    )
    ws_heartbeat_seconds: float = Field(
        default=15, gt=0, description="interval of the {type: ping} heartbeat (15 s)"
    )
    ws_auth_timeout_seconds: float = Field(
        default=5, gt=0, description="a WebSocket not authenticated by then is closed (5 s)"
    )
    portfolio_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="the portfolio summary is reused this long unless an event changes it "
        "(1 s; 0 disables)",
    )
    freeze_gc: bool = Field(
        default=True,
        description="after start-up, exempt what exists from garbage collection (gc.freeze), "
        "so full collections do not pause requests",
    )
    health_timeout_seconds: float = Field(
        default=2, gt=0, description="a readiness check slower than this fails (2 s)"
    )

    @property
    def challenge_ttl(self) -> timedelta:
        """Return the challenge lifetime as a timedelta."""
        return timedelta(seconds=self.challenge_ttl_seconds)


def instance_name() -> str:
    """Return this gateway's name: its consumer group on the bus is ``api-gateway:<name>``."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class ApiContainer:
    """Everything the gateway's routes, WebSocket and jobs use."""

    api: ApiSettings
    signing_secret: str
    clock: Clock
    database: Database
    repositories: SqlRepositories
    auth: SqlAuthRepositories
    queries: SqlReadQueries
    bus: EventBus
    broker: Broker | None = None
    backtest_runner: BacktestRunner = field(default_factory=EntrypointBacktestRunner)
    config: GatewayConfig = field(default_factory=GatewayConfig)
    instance: str = field(default_factory=instance_name)


ContainerFactory = Callable[[], AbstractAsyncContextManager[ApiContainer]]
"""Open what the gateway runs on for the app's lifetime (called by its lifespan)."""


def build_bus(settings: Settings, clock: Clock) -> EventBus:
    """Return the bus the settings ask for: in memory, or Redis Streams."""
    bus = settings.bus
    if bus.kind == "memory":
        return MemoryBus(
            MemoryBusConfig(
                claim_idle_ms=bus.claim_idle_ms,
                max_deliveries=bus.max_deliveries,
                maxlen=bus.maxlen,
            ),
            clock=clock,
        )
    return RedisStreamsBus(
        RedisBusConfig(
            url=bus.url,
            prefix=bus.prefix,
            claim_idle_ms=bus.claim_idle_ms,
            max_deliveries=bus.max_deliveries,
            maxlen=bus.maxlen,
            client_name="trading-bot-api",
        ),
        clock=clock,
    )


def container_from_settings(
    settings: Settings,
    *,
    clock: Clock | None = None,
    bus: EventBus | None = None,
    broker: Broker | None = None,
    backtest_runner: BacktestRunner | None = None,
    config: GatewayConfig | None = None,
    migrate: bool = False,
) -> ContainerFactory:
    """Return a factory opening storage (migrated first when ``migrate``) and the bus.

    A ``bus`` passed in is shared (the one-process node gives the one its services use) and
    left open; one built here is closed with the app.
    """

    @asynccontextmanager
    async def open_container() -> AsyncIterator[ApiContainer]:
        chosen_clock = clock or WallClock()
        async with AsyncExitStack() as stack:
            if migrate:
                await upgrade_database(settings.storage.url)
            database = Database(settings.storage.url)
            stack.push_async_callback(database.dispose)
            chosen_bus = bus
            if chosen_bus is None:
                chosen_bus = build_bus(settings, chosen_clock)
                stack.push_async_callback(chosen_bus.close)
            yield ApiContainer(
                api=settings.api,
                signing_secret=signing_secret(settings),
                clock=chosen_clock,
                database=database,
                repositories=SqlRepositories.create(database, chosen_clock),
                auth=SqlAuthRepositories.create(database, chosen_clock),
                queries=SqlReadQueries(database),
                bus=chosen_bus,
                broker=broker,
                backtest_runner=backtest_runner or EntrypointBacktestRunner(settings.storage.url),
                config=config or GatewayConfig(),
            )

    return open_container
