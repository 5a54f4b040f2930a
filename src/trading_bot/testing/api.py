"""Helpers for api-gateway tests and benchmarks: a container over a given database, an
in-process client, passkey sign-up and sign-in with the software authenticator, and
backtest runners."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.adapters.storage.auth_repositories import SqlAuthRepositories
from trading_bot.adapters.storage.queries import SqlReadQueries
from trading_bot.core.ports import Broker, Clock, EventBus
from trading_bot.entrypoints.api.app import create_app
from trading_bot.entrypoints.api.backtests import BacktestRunner, ProgressCallback
from trading_bot.entrypoints.api.container import ApiContainer, ContainerFactory, GatewayConfig
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.schemas.backtest import BacktestReport, BacktestRequest
from trading_bot.entrypoints.settings import ApiSettings
from trading_bot.entrypoints.telemetry import Telemetry
from trading_bot.testing.webauthn import SoftwareAuthenticator

TEST_SECRET = "test-signing-key-that-is-long-enough-0123456789"  # noqa: S105 -- tests only
"""The JWT signing key of test gateways (at least 32 characters, as production requires)."""

ORIGIN = "http://localhost:8000"
"""The dashboard origin test gateways accept passkeys from (RP id ``localhost``)."""


def gateway_settings(**overrides: Any) -> ApiSettings:
    """Return API settings for tests: origin http://localhost:8000, RP id localhost.

    Any: overrides of any ``ApiSettings`` field.
    """
    values: dict[str, Any] = {
        "origin": ORIGIN,
        "extra_origins": (),
        "rp_id": "localhost",
        "jwt_secret": SecretStr(TEST_SECRET),
    }
    return ApiSettings.model_validate(values | overrides)


def gateway_container(
    database_url: str,
    *,
    clock: Clock,
    bus: EventBus,
    api: ApiSettings | None = None,
    config: GatewayConfig | None = None,
    runner: BacktestRunner | None = None,
    broker: Broker | None = None,
    secret: str = TEST_SECRET,
) -> ContainerFactory:
    """Return a factory of containers over the (already migrated) database at the URL."""

    @asynccontextmanager
    async def open_container() -> AsyncIterator[ApiContainer]:
        async with Database(database_url) as database:
            yield ApiContainer(
                api=api or gateway_settings(),
                signing_secret=secret,
                clock=clock,
                database=database,
                repositories=SqlRepositories.create(database, clock),
                auth=SqlAuthRepositories.create(database, clock),
                queries=SqlReadQueries(database),
                bus=bus,
                broker=broker,
                backtest_runner=runner or RecordedBacktestRunner(),
                config=config or GatewayConfig(),
                instance="test",
            )

    return open_container


def gateway_app(container: ContainerFactory, *, config: GatewayConfig | None = None) -> FastAPI:
    """Return the gateway app over ``container`` with its own telemetry and no dashboard."""
    return create_app(
        telemetry=Telemetry("api-test"),
        container=container,
        api=gateway_settings(),
        # Tests start many apps in one process: freezing each one's objects would pile up.
        config=config or GatewayConfig(freeze_gc=False),
        dashboard_dist=None,
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client talking to it in-process (as 127.0.0.1)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40_000))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
            yield client


def gateway_of(app: FastAPI) -> Gateway:
    """Return the running gateway of an app whose lifespan has started."""
    gateway = app.state.gateway
    if not isinstance(gateway, Gateway):
        raise RuntimeError("the app's lifespan has not started")
    return gateway


def bootstrap_token(app: FastAPI) -> str:
    """Return the bootstrap invitation token the app created at start-up."""
    issued = gateway_of(app).bootstrap
    if issued is None:
        raise RuntimeError("this start created no bootstrap invitation")
    return issued.token


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


async def sign_up(
    client: httpx.AsyncClient,
    authenticator: SoftwareAuthenticator,
    invitation_token: str,
    username: str = "alice",
) -> dict[str, Any]:
    """Sign up with a passkey; return the session (raise if refused).

    Any: the JSON of ``SessionTokens``.
    """
    begin = await client.post(
        "/auth/register/begin",
        json={"username": username, "invitation_token": invitation_token},
    )
    begin.raise_for_status()
    options = begin.json()
    complete = await client.post(
        "/auth/register/complete",
        json={
            "ceremony": options["ceremony"],
            "credential": authenticator.register(options["options"]),
        },
    )
    complete.raise_for_status()
    session: dict[str, Any] = complete.json()
    return session


async def sign_in(
    client: httpx.AsyncClient, authenticator: SoftwareAuthenticator, username: str | None = None
) -> httpx.Response:
    """Run a passkey sign-in; return the ``/auth/login/complete`` response as it came."""
    begin = await client.post("/auth/login/begin", json={"username": username})
    begin.raise_for_status()
    options = begin.json()
    return await client.post(
        "/auth/login/complete",
        json={
            "ceremony": options["ceremony"],
            "credential": authenticator.authenticate(options["options"]),
        },
    )


async def signed_in_user(
    app: FastAPI, client: httpx.AsyncClient, username: str = "alice"
) -> tuple[str, SoftwareAuthenticator]:
    """Sign the first account up with the bootstrap token; return its access token and key."""
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    session = await sign_up(client, authenticator, bootstrap_token(app), username)
    return str(session["access_token"]), authenticator


class RecordedBacktestRunner:
    """A ``BacktestRunner`` that reports progress and returns a fixed small report.

    It records every request it ran; ``release`` (when ``hold`` is set) lets a test see a run
    in RUNNING before it finishes.
    """

    def __init__(self, *, hold: bool = False, fail_with: Exception | None = None) -> None:
        self.requests: list[BacktestRequest] = []
        self._release = threading.Event()
        if not hold:
            self._release.set()
        self._fail_with = fail_with

    def release(self) -> None:
        """Let held runs finish."""
        self._release.set()

    def run(self, request: BacktestRequest, progress: ProgressCallback) -> BacktestReport:
        """Record ``request``, report half-way, wait if held, then finish (or fail)."""
        self.requests.append(request)
        progress(0.5)
        self._release.wait(timeout=10)
        if self._fail_with is not None:
            raise self._fail_with
        progress(1.0)
        start = request.start.isoformat()
        return BacktestReport(
            metrics={"total_return": 0.0125, "sharpe": 1.1, "max_drawdown": -0.03, "trades": 1},
            trades=[{"ticker": "AAPL", "side": "BUY", "qty": "10", "executed_at": start}],
            equity_curve=[
                {"timestamp": start, "equity": str(request.initial_capital)},
                {"timestamp": request.end.isoformat(), "equity": "101250"},
            ],
            per_strategy={name: {"weight": weight} for name, weight in request.strategies.items()},
        )
