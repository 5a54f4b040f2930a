"""The first account needs the bootstrap token; later accounts need an invitation."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.testing.api import (
    ORIGIN,
    bearer,
    bootstrap_token,
    gateway_app,
    gateway_container,
    gateway_of,
    running,
    sign_up,
    signed_in_user,
)
from trading_bot.testing.webauthn import SoftwareAuthenticator


async def test_bootstrap_when_no_account_exists_logs_a_signup_link_with_the_token(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    link = gateway_of(app).bootstrap_link

    assert link is not None
    assert link.startswith(f"{ORIGIN}/signup?token=")
    assert link.endswith(bootstrap_token(app))


async def test_signup_when_no_invitation_token_is_given_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/auth/register/begin", json={"username": "mallory"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invitation_required"


async def test_signup_when_the_invitation_token_is_wrong_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/auth/register/begin", json={"username": "mallory", "invitation_token": "tbi_guess"}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invitation_invalid"


async def test_bootstrap_token_when_used_once_creates_the_account_and_is_then_spent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = bootstrap_token(app)
    session = await sign_up(client, SoftwareAuthenticator(origin=ORIGIN), token, "alice")

    second = await client.post(
        "/auth/register/begin", json={"username": "mallory", "invitation_token": token}
    )

    assert session["user"]["username"] == "alice"
    assert second.status_code == 403
    assert second.json()["error"]["code"] == "invitation_invalid"


async def test_bootstrap_token_when_two_signups_race_lets_only_one_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = bootstrap_token(app)
    ceremonies = []
    for name in ("alice", "mallory"):
        begun = await client.post(
            "/auth/register/begin", json={"username": name, "invitation_token": token}
        )
        ceremonies.append(begun.json())
    results = []
    for begun in ceremonies:
        credential = SoftwareAuthenticator(origin=ORIGIN).register(begun["options"])
        results.append(
            await client.post(
                "/auth/register/complete",
                json={"ceremony": begun["ceremony"], "credential": credential},
            )
        )

    assert [r.status_code for r in results] == [200, 403]
    assert results[1].json()["error"]["code"] == "invitation_invalid"


async def test_invitation_when_created_by_a_signed_in_user_lets_one_person_sign_up(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client, "alice")
    invitation = await client.post("/api/invitations", headers=bearer(token), json={"ttl_days": 2})

    session = await sign_up(
        client, SoftwareAuthenticator(origin=ORIGIN), invitation.json()["token"], "bob"
    )

    assert invitation.status_code == 201
    assert invitation.json()["bootstrap"] is False
    assert invitation.json()["url"].endswith(invitation.json()["token"])
    assert session["user"]["username"] == "bob"


async def test_invitation_when_not_signed_in_cannot_be_created(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/invitations")

    assert response.status_code == 401


async def test_invitation_when_expired_is_refused(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client)
    invitation = (await client.post("/api/invitations", headers=bearer(token))).json()
    await clock.advance(7 * 86_400 + 1)

    response = await client.post(
        "/auth/register/begin",
        json={"username": "late", "invitation_token": invitation["token"]},
    )

    assert response.status_code == 403


async def test_signup_when_the_username_is_taken_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client, "alice")
    invitation = (await client.post("/api/invitations", headers=bearer(token))).json()

    response = await client.post(
        "/auth/register/begin",
        json={"username": "alice", "invitation_token": invitation["token"]},
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


async def test_bootstrap_when_the_app_restarts_with_the_link_unused_creates_no_second_one(
    database_url: str, clock: SimulatedClock, bus: MemoryBus
) -> None:
    container = gateway_container(database_url, clock=clock, bus=bus)
    first = gateway_app(container)
    async with running(first):
        assert gateway_of(first).bootstrap is not None

    second = gateway_app(container)
    async with running(second):
        assert gateway_of(second).bootstrap is None


async def test_bootstrap_when_an_account_exists_is_not_created(
    database_url: str, clock: SimulatedClock, bus: MemoryBus
) -> None:
    container = gateway_container(database_url, clock=clock, bus=bus)
    first = gateway_app(container)
    async with running(first) as client:
        await signed_in_user(first, client)

    second = gateway_app(container)
    async with running(second):
        assert gateway_of(second).bootstrap is None
