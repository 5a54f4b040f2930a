"""Sessions: access-token expiry, refresh rotation, reuse detection, logout, rate limits."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.entrypoints.api.container import GatewayConfig
from trading_bot.entrypoints.api.routes.auth import REFRESH_COOKIE
from trading_bot.testing.api import (
    bearer,
    gateway_app,
    gateway_container,
    running,
    sign_in,
    signed_in_user,
)


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/auth/refresh", json={"refresh_token": token})


async def test_signin_when_it_succeeds_sets_an_httponly_strict_refresh_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    _, authenticator = await signed_in_user(app, client)

    response = await sign_in(client, authenticator)

    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{REFRESH_COOKIE}=tbr_")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/auth" in cookie
    assert "Secure" not in cookie  # the test origin is http
    assert "tbr_" not in response.text  # the body never carries the refresh token


async def test_access_token_when_expired_is_refused(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client)
    await clock.advance(15 * 60 + 1)

    response = await client.get("/api/portfolio", headers=bearer(token))

    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


async def test_refresh_when_the_cookie_is_sent_issues_new_tokens_and_rotates_it(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    await signed_in_user(app, client)
    old_cookie = client.cookies[REFRESH_COOKIE]
    await clock.advance(20 * 60)

    response = await client.post("/auth/refresh")

    assert response.status_code == 200
    assert client.cookies[REFRESH_COOKIE] != old_cookie
    fresh = response.json()["access_token"]
    assert (await client.get("/api/portfolio", headers=bearer(fresh))).status_code == 200


async def test_refresh_when_a_spent_token_is_reused_revokes_the_whole_family(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signed_in_user(app, client)
    first = client.cookies[REFRESH_COOKIE]
    rotated = await _refresh(client, first)
    newest = client.cookies[REFRESH_COOKIE]
    assert rotated.status_code == 200

    reuse = await _refresh(client, first)
    after = await _refresh(client, newest)

    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "refresh_reused"
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "refresh_revoked"


async def test_refresh_when_expired_is_refused(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    await signed_in_user(app, client)
    await clock.advance(7 * 86_400 + 1)

    response = await client.post("/auth/refresh")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_expired"


async def test_refresh_when_no_token_is_sent_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_missing"


async def test_refresh_when_the_token_is_unknown_is_refused(client: httpx.AsyncClient) -> None:
    response = await _refresh(client, "tbr_made-up")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_unknown"


async def test_logout_when_signed_in_revokes_the_refresh_token_and_clears_the_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signed_in_user(app, client)
    token = client.cookies[REFRESH_COOKIE]

    response = await client.post("/auth/logout")

    assert response.json() == {"signed_out": True}
    assert REFRESH_COOKIE not in client.cookies
    refused = await _refresh(client, token)
    assert refused.json()["error"]["code"] == "refresh_revoked"


async def test_auth_endpoints_when_called_too_often_answer_429_with_retry_after(
    database_url: str, clock: SimulatedClock, bus: MemoryBus
) -> None:
    config = GatewayConfig(auth_rate_limit="3/minute")
    app = gateway_app(gateway_container(database_url, clock=clock, bus=bus, config=config))
    async with running(app) as client:
        answers = [await client.post("/auth/login/begin", json={}) for _ in range(4)]
        other_endpoint = await client.post("/auth/refresh")

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert other_endpoint.status_code == 401  # each endpoint has its own budget
