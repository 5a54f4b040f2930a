"""The api-gateway's FastAPI application: auth, trading routes, controls, backtests, WebSocket.

``create_app`` wires the routers, the error bodies, CORS, the body-size limit and
OpenTelemetry; its lifespan opens the ``ApiContainer`` the factory yields and starts the
``Gateway`` over it. ``/health`` reports each readiness check (503 when one fails), ``/metrics``
the Prometheus exposition; the built dashboard is served at ``/``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import BaseModel

from trading_bot.entrypoints.api.container import ApiContainer, ContainerFactory, GatewayConfig
from trading_bot.entrypoints.api.errors import install_error_handlers
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.middleware import BodySizeLimit
from trading_bot.entrypoints.api.routes import (
    audit,
    auth,
    backtest,
    controls,
    news,
    portfolio,
    signals,
    strategies,
    tokens,
    trades,
    users,
)
from trading_bot.entrypoints.api.routes import health as service_health
from trading_bot.entrypoints.api.static import DEFAULT_DIST, mount_dashboard
from trading_bot.entrypoints.api.ws import router as ws_router
from trading_bot.entrypoints.settings import ApiSettings
from trading_bot.entrypoints.telemetry import Telemetry

HealthCheck = Callable[[], Awaitable[None]]
"""A readiness check: returns when the dependency answers, raises when it does not."""

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

API_VERSION = "1.0.0"

logger = logging.getLogger(__name__)


class CheckResult(BaseModel):
    """The outcome of one readiness check."""

    status: Literal["ok", "error"]
    error: str | None = None


class Health(BaseModel):
    """Liveness and the readiness of every dependency; 503 when any check fails."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckResult]


async def _run_check(name: str, check: HealthCheck, limit_seconds: float) -> CheckResult:
    try:
        async with asyncio.timeout(limit_seconds):
            await check()
    except Exception as exc:  # any failure means "not ready"
        logger.warning("health check failed", extra={"check": name, "error": repr(exc)})
        # The name of the error only: messages can carry DSNs or hosts, and /health is public.
        return CheckResult(status="error", error=type(exc).__name__)
    return CheckResult(status="ok")


def container_checks(container: ApiContainer) -> dict[str, HealthCheck]:
    """Return the readiness checks of the gateway's dependencies: storage, bus, broker."""
    checks: dict[str, HealthCheck] = {
        "storage": container.database.ping,
        "bus": container.bus.ping,
    }
    broker = container.broker
    if broker is not None:

        async def broker_answers() -> None:
            await broker.get_account()

        checks["broker"] = broker_answers
    return checks


def create_app(
    *,
    telemetry: Telemetry,
    container: ContainerFactory | None = None,
    checks: Mapping[str, HealthCheck] | None = None,
    lifespan: Lifespan | None = None,
    check_timeout_seconds: float | None = None,
    api: ApiSettings | None = None,
    config: GatewayConfig | None = None,
    dashboard_dist: Path | None = DEFAULT_DIST,
) -> FastAPI:
    """Build the API.

    ``container`` opens what the routes run on (without it only ``/health`` and ``/metrics``
    answer; the rest return 503). ``checks`` add readiness checks to the container's;
    ``lifespan`` runs around the app after the gateway started. ``api`` and ``config`` give
    CORS origins and the body limit before the container opens (defaults otherwise);
    ``dashboard_dist`` is served at ``/`` (None: no dashboard).
    """
    gateway_config = config or GatewayConfig()
    readiness: dict[str, HealthCheck] = dict(checks or {})
    timeout = check_timeout_seconds or gateway_config.health_timeout_seconds

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if container is not None:
                opened = await stack.enter_async_context(container())
                gateway = Gateway(opened)
                await gateway.start()
                stack.push_async_callback(gateway.stop)
                app.state.gateway = gateway
                readiness.update(
                    {k: v for k, v in container_checks(opened).items() if k not in readiness}
                )
            if lifespan is not None:
                await stack.enter_async_context(lifespan(app))
            if gateway_config.freeze_gc:
                # What exists now lives as long as the app: keeping it out of the collector's
                # reach stops full collections from pausing requests for long.
                gc.freeze()
            try:
                yield
            finally:
                app.state.gateway = None

    app = FastAPI(
        title="trading-bot",
        version=API_VERSION,
        description="The api-gateway of trading-bot: passkey sign-in, trading data, controls, "
        "backtests. Every route outside /auth, /health and /metrics needs a bearer token.",
        lifespan=run,
    )
    app.state.gateway = None
    install_error_handlers(app)

    @app.get("/health", response_model=Health, responses={503: {"model": Health}}, tags=["ops"])
    async def health() -> JSONResponse:
        """Report liveness and whether storage, bus and broker answer (503 when one fails)."""
        names = list(readiness)
        results = await asyncio.gather(*(_run_check(n, readiness[n], timeout) for n in names))
        report = Health(
            status="ok" if all(r.status == "ok" for r in results) else "unavailable",
            checks=dict(zip(names, results, strict=True)),
        )
        return JSONResponse(report.model_dump(), status_code=200 if report.status == "ok" else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = telemetry.render_metrics()
        return Response(content=body, media_type=content_type)

    for module in (auth, users, tokens, portfolio, trades, signals, strategies, news, controls):
        app.include_router(module.router)
    app.include_router(backtest.router)
    app.include_router(audit.router)
    app.include_router(service_health.router)
    app.include_router(ws_router)

    settings = api or ApiSettings()
    app.add_middleware(BodySizeLimit, max_bytes=gateway_config.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )
    FastAPIInstrumentor.instrument_app(
        app, meter_provider=telemetry.provider, excluded_urls="/health,/metrics"
    )
    if dashboard_dist is not None:
        mount_dashboard(app, dashboard_dist)
    return app


def openapi_document(app: FastAPI) -> str:
    """Return the app's OpenAPI schema as stable JSON text (sorted keys, trailing newline)."""
    schema: dict[str, Any] = app.openapi()
    # Any: the OpenAPI document is free-form JSON.
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
