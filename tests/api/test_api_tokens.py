"""API tokens: minted once, stored hashed, scoped (read: GET only; control: also controls and
backtests; neither may manage accounts), revocable, stamped on use."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database
from trading_bot.adapters.storage.tables import ApiTokenRow
from trading_bot.testing.api import bearer, signed_in_user

BACKTEST = {"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z"}


async def _mint(
    client: httpx.AsyncClient, session: str, scope: str, ttl_days: int | None = 30
) -> dict[str, str]:
    response = await client.post(
        "/api/tokens",
        headers=bearer(session),
        json={"name": f"{scope}-script", "scope": scope, "ttl_days": ttl_days},
    )
    assert response.status_code == 201
    minted: dict[str, str] = response.json()
    return minted


async def test_api_token_when_minted_is_shown_once_and_stored_only_as_a_hash(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    session, _ = await signed_in_user(app, client)

    minted = await _mint(client, session, "read")

    listed = (await client.get("/api/tokens", headers=bearer(session))).json()
    assert minted["token"].startswith("tbk_")
    assert [item["name"] for item in listed] == ["read-script"]
    assert "token" not in listed[0]
    async with Database(database_url) as database, database.transaction() as db:
        stored = (await db.scalars(select(ApiTokenRow.token_hash))).all()
    assert stored == [hashlib.sha256(minted["token"].encode()).hexdigest()]


@pytest.mark.parametrize(
    "path", ["/api/portfolio", "/api/trades", "/api/controls/status", "/api/me"]
)
async def test_read_token_when_reading_is_allowed(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    session, _ = await signed_in_user(app, client)
    token = (await _mint(client, session, "read"))["token"]

    response = await client.get(path, headers=bearer(token))

    assert response.status_code == 200


async def test_read_token_when_controlling_is_refused_with_403(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    session, _ = await signed_in_user(app, client)
    token = (await _mint(client, session, "read"))["token"]

    pause = await client.post("/api/controls/pause", headers=bearer(token))
    backtest = await client.post("/api/backtest/run", headers=bearer(token), json=BACKTEST)

    assert pause.status_code == 403
    assert pause.json()["error"]["code"] == "insufficient_scope"
    assert backtest.status_code == 403
    status = await client.get("/api/controls/status", headers=bearer(token))
    assert status.json()["paused"] is False


async def test_control_token_when_pausing_and_running_backtests_is_allowed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    session, _ = await signed_in_user(app, client)
    token = (await _mint(client, session, "control"))["token"]

    pause = await client.post("/api/controls/pause", headers=bearer(token))
    backtest = await client.post("/api/backtest/run", headers=bearer(token), json=BACKTEST)

    assert pause.json()["status"] == "paused"
    assert pause.json()["by"] == "token:control-script"
    assert backtest.status_code == 202


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/tokens"), ("POST", "/api/invitations"), ("GET", "/api/passkeys")],
)
async def test_control_token_when_managing_the_account_is_refused(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str
) -> None:
    session, _ = await signed_in_user(app, client)
    token = (await _mint(client, session, "control"))["token"]

    response = await client.request(method, path, headers=bearer(token))

    assert response.status_code == 403


async def test_api_token_when_revoked_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    session, _ = await signed_in_user(app, client)
    minted = await _mint(client, session, "read")

    revoked = await client.delete(f"/api/tokens/{minted['id']}", headers=bearer(session))

    assert revoked.status_code == 200
    assert (await client.get("/api/portfolio", headers=bearer(minted["token"]))).status_code == 401
    again = await client.delete(f"/api/tokens/{minted['id']}", headers=bearer(session))
    assert again.status_code == 404


async def test_api_token_when_expired_is_refused(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    session, _ = await signed_in_user(app, client)
    token = (await _mint(client, session, "read", ttl_days=1))["token"]
    await clock.advance(86_400 + 1)

    response = await client.get("/api/portfolio", headers=bearer(token))

    assert response.status_code == 401


async def test_api_token_when_used_records_when(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    session, _ = await signed_in_user(app, client)
    token = (await _mint(client, session, "read"))["token"]
    await clock.advance(120)

    await client.get("/api/portfolio", headers=bearer(token))

    listed = (await client.get("/api/tokens", headers=bearer(session))).json()
    assert listed[0]["last_used_at"] == "2024-03-05T15:02:00Z"


async def test_api_token_when_the_body_is_invalid_names_the_field(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    session, _ = await signed_in_user(app, client)

    response = await client.post(
        "/api/tokens", headers=bearer(session), json={"name": "x", "scope": "admin"}
    )

    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["body.scope"]
