"""Run services in this process: all of them (`trading-bot up`) or one (`trading-bot service`).

Both paths build the same ports and services through the composition root; what differs is how
many services this process runs and which HTTP app it serves: the api-gateway (with the
dashboard) when it runs here, else only ``/health`` and ``/metrics`` for the orchestrator.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from trading_bot.adapters.storage import upgrade_database
from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.api.app import Lifespan, create_app
from trading_bot.entrypoints.api.container import container_from_settings
from trading_bot.entrypoints.container import Ports, build_ports, build_services, prepare_storage
from trading_bot.entrypoints.logging import configure_logging, get_logger
from trading_bot.entrypoints.node import Node, ServiceFactory
from trading_bot.entrypoints.operations import build_operations
from trading_bot.entrypoints.service_names import API_GATEWAY, TRADING_SERVICES
from trading_bot.entrypoints.settings import Settings
from trading_bot.entrypoints.telemetry import Telemetry, setup_telemetry

log = get_logger(__name__)

DEMO_CLOCK_TASK = "demo-clock"
"""The node task that keeps a demo process without the market feed at the demo's time."""


@dataclass(frozen=True, slots=True)
class Started:
    """What a running node tells whoever started it (the CLI prints it)."""

    url: str | None
    services: list[str]
    signup_link: str | None
    awaiting_first_account: bool = False
    """No account exists yet, and the bootstrap link was printed by an earlier start."""


async def run_node(
    settings: Settings,
    services: Collection[str],
    *,
    on_ready: Callable[[Started], None] | None = None,
) -> None:
    """Run ``services`` (names from ``container.SERVICE_NAMES``) until SIGINT or SIGTERM.

    In the embedded topology the database is created and migrated on the way up; in production
    migrations are a deployment step (`trading-bot db upgrade`) and a service refuses to start on
    an unmigrated database.
    """
    label = "node" if len(services) > 1 else next(iter(services))
    configure_logging(settings.log, service=label, production=settings.production)
    if settings.production and settings.storage.url.startswith("sqlite"):
        raise ConfigurationError(
            "TRADING_STORAGE__URL: services in separate processes need PostgreSQL, not SQLite"
        )
    telemetry = setup_telemetry(
        f"{settings.telemetry.service_name}-{label}" if label != "node" else "trading-bot",
        enabled=settings.telemetry.enabled,
    )
    if not settings.production:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_database(settings.storage.url)
    ports = await build_ports(settings, services=services, metrics=telemetry.metrics())
    node: Node | None = None

    async def announce(app: FastAPI) -> None:
        if on_ready is None or node is None:
            return
        gateway = getattr(app.state, "gateway", None)
        link = gateway.bootstrap_link if gateway is not None else None
        waiting = (
            gateway is not None and link is None and await gateway.container.auth.users.count() == 0
        )
        on_ready(Started(node.url, sorted(services), link, awaiting_first_account=waiting))

    try:
        await prepare_storage(ports)
        operations = build_operations(settings, ports, services)
        trading = build_services(
            settings, ports, only=[name for name in services if name in TRADING_SERVICES]
        )
        tasks: dict[str, ServiceFactory] = {name: service.run for name, service in trading.items()}
        tasks.update({name: task.run for name, task in operations.items()})
        if ports.clock_follower is not None:
            tasks[DEMO_CLOCK_TASK] = ports.clock_follower.run
        serves_api = API_GATEWAY in services
        # The banner goes out once the app has started, when the bootstrap link exists.
        ready = _announcing(announce)
        app = (
            _api_app(settings, ports, telemetry, ready)
            if serves_api
            else _health_app(ports, telemetry, ready)
        )
        node = Node(
            tasks,
            clock=ports.wall_clock,
            app=app,
            host=settings.api.host if serves_api else settings.telemetry.host,
            port=settings.api.port if serves_api else settings.telemetry.port,
            metrics=ports.metrics,
            cleanups=[ports.close, _shutdown(telemetry)],
        )
    except BaseException:
        await ports.close()
        raise
    _exempt_start_up_from_collection()
    await node.run()


def _exempt_start_up_from_collection() -> None:
    """Keep what start-up built (modules, services, their caches: hundreds of thousands of
    objects that live as long as the process) out of the cyclic collector's reach.

    Every full collection walks every tracked object; on a service with its imports loaded one
    takes 60-130 ms, a pause in the middle of whatever order or bar is in flight. Frozen, they
    are not walked again. Garbage made so far is collected first, so nothing is kept for good
    by mistake.
    """
    gc.collect()
    gc.freeze()


def _announcing(announce: Callable[[FastAPI], Awaitable[None]]) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await announce(app)
        yield

    return lifespan


def _api_app(settings: Settings, ports: Ports, telemetry: Telemetry, lifespan: Lifespan) -> FastAPI:
    # The gateway shares this process's bus (in memory, the only way its WebSocket can see the
    # services' events) and broker; it keeps the wall clock, since tokens and passkey challenges
    # expire in real time even while the demo market runs on simulated time.
    factory = container_from_settings(
        settings, clock=ports.wall_clock, bus=ports.bus, broker=ports.broker
    )
    return create_app(telemetry=telemetry, container=factory, api=settings.api, lifespan=lifespan)


def _health_app(ports: Ports, telemetry: Telemetry, lifespan: Lifespan) -> FastAPI:
    return create_app(
        telemetry=telemetry,
        checks={"storage": ports.database.ping, "bus": ports.bus.ping},
        dashboard_dist=None,
        lifespan=lifespan,
    )


def _shutdown(telemetry: Telemetry) -> Callable[[], Awaitable[None]]:
    async def shutdown() -> None:
        telemetry.shutdown()

    return shutdown
