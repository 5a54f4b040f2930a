"""Annotated dependency aliases: what a route needs, declared in its signature.

``GatewayDep`` gives the gateway's running parts; ``ReadScope``, ``ControlScope`` and
``CurrentUser`` authenticate the bearer token and require a scope (read < control < session);
``AuthRateLimit`` counts the call against the client's budget for that auth endpoint.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BeforeValidator

from trading_bot.entrypoints.api.auth.principal import Principal, Scope
from trading_bot.entrypoints.api.errors import ApiError
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.schemas.controls import ApiTicker

MAX_PAGE = 500
"""The largest page a list route returns."""

_bearer = HTTPBearer(
    auto_error=False,
    description="an access token from a passkey sign-in, or an API token (tbk_...)",
)


def get_gateway(request: Request) -> Gateway:
    """Return the gateway the app's lifespan started; 503 before it has."""
    gateway = getattr(request.app.state, "gateway", None)
    if not isinstance(gateway, Gateway):
        raise ApiError(503, "starting", "the gateway is not ready yet; try again shortly")
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


async def _principal(
    gateway: GatewayDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials is not None else None
    return await gateway.authenticator.authenticate(token)


async def _read(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    principal.require(Scope.READ)
    return principal


async def _control(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    principal.require(Scope.CONTROL)
    return principal


async def _session(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    principal.require(Scope.SESSION)
    return principal


ReadScope = Annotated[Principal, Depends(_read)]
"""Any valid token: GET routes."""

ControlScope = Annotated[Principal, Depends(_control)]
"""A control API token or a signed-in session: controls and backtests."""

CurrentUser = Annotated[Principal, Depends(_session)]
"""A passkey sign-in only: passkeys, invitations and API tokens."""


def client_address(request: Request) -> str:
    """Return the caller's address (the direct peer: no proxy headers are trusted)."""
    return request.client.host if request.client is not None else "unknown"


async def _auth_rate_limit(request: Request, gateway: GatewayDep) -> None:
    await gateway.rate_limiter.check(request.url.path, client_address(request))


AuthRateLimit = Depends(_auth_rate_limit)
"""Add to an auth route's ``dependencies``: 429 with ``Retry-After`` once over budget."""


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
_NUMBER = re.compile(r"^\s*[-+]?[0-9.eE+-]+\s*$")


def _iso_8601_only(value: object) -> object:
    # pydantic would read a bare number as a Unix timestamp; the API documents ISO 8601 only.
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("use an ISO 8601 time with an offset, e.g. 2024-03-05T15:00:00Z")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_8601_only)]
Since = Annotated[
    IsoTime | None,
    Query(alias="from", description="from this time (inclusive), with a UTC offset"),
]
Until = Annotated[
    IsoTime | None,
    Query(alias="to", description="up to this time (exclusive), with a UTC offset"),
]
TickerQuery = Annotated[ApiTicker | None, Query(description="an upper-case symbol, e.g. AAPL")]
