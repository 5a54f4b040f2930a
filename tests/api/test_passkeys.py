"""The passkey ceremonies end to end, with a software authenticator signing real responses."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.testing.api import (
    ORIGIN,
    bearer,
    bootstrap_token,
    sign_in,
    sign_up,
    signed_in_user,
)
from trading_bot.testing.webauthn import SoftwareAuthenticator


async def _begin_signup(client: httpx.AsyncClient, app: FastAPI) -> dict[str, object]:
    response = await client.post(
        "/auth/register/begin",
        json={"username": "alice", "invitation_token": bootstrap_token(app)},
    )
    assert response.status_code == 200
    begun: dict[str, object] = response.json()
    return begun


async def test_passkey_when_registered_then_used_to_sign_in_issues_working_tokens(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app))

    response = await sign_in(client, authenticator, "alice")

    assert response.status_code == 200
    session = response.json()
    assert session["user"]["username"] == "alice"
    me = await client.get("/api/me", headers=bearer(session["access_token"]))
    assert me.json()["username"] == "alice"


async def test_passkey_sign_in_when_no_username_is_given_finds_the_account_by_credential(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app), "bob")

    response = await sign_in(client, authenticator)

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "bob"


async def test_registration_when_the_challenge_is_replayed_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    begun = await _begin_signup(client, app)
    credential = SoftwareAuthenticator(origin=ORIGIN).register(begun["options"])  # type: ignore[arg-type]
    body = {"ceremony": begun["ceremony"], "credential": credential}
    first = await client.post("/auth/register/complete", json=body)

    replay = await client.post("/auth/register/complete", json=body)

    assert first.status_code == 200
    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "challenge_used"


async def test_sign_in_when_the_assertion_is_replayed_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app))
    begun = (await client.post("/auth/login/begin", json={})).json()
    body = {
        "ceremony": begun["ceremony"],
        "credential": authenticator.authenticate(begun["options"]),
    }
    assert (await client.post("/auth/login/complete", json=body)).status_code == 200

    replay = await client.post("/auth/login/complete", json=body)

    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "challenge_used"


async def test_registration_when_the_challenge_expired_is_refused_and_creates_no_account(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    begun = await _begin_signup(client, app)
    credential = SoftwareAuthenticator(origin=ORIGIN).register(begun["options"])  # type: ignore[arg-type]
    await clock.advance(5 * 60 + 1)

    response = await client.post(
        "/auth/register/complete", json={"ceremony": begun["ceremony"], "credential": credential}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "challenge_expired"
    again = await client.post(
        "/auth/register/begin", json={"username": "alice", "invitation_token": bootstrap_token(app)}
    )
    assert again.status_code == 200  # the invitation was not spent and the name is still free


async def test_sign_in_when_the_challenge_expired_is_refused(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app))
    begun = (await client.post("/auth/login/begin", json={})).json()
    credential = authenticator.authenticate(begun["options"])
    await clock.advance(301)

    response = await client.post(
        "/auth/login/complete", json={"ceremony": begun["ceremony"], "credential": credential}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "challenge_expired"


async def test_registration_when_signed_for_another_origin_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    begun = await _begin_signup(client, app)
    credential = SoftwareAuthenticator(origin="https://evil.example").register(begun["options"])  # type: ignore[arg-type]

    response = await client.post(
        "/auth/register/complete", json={"ceremony": begun["ceremony"], "credential": credential}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "registration_failed"
    assert "origin" in response.json()["error"]["message"]


async def test_sign_in_when_signed_for_another_origin_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app))
    authenticator.origin = "http://localhost:9999"

    response = await sign_in(client, authenticator)

    assert response.status_code == 401
    assert "origin" in response.json()["error"]["message"]


async def test_registration_when_made_for_another_relying_party_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    begun = await _begin_signup(client, app)
    credential = SoftwareAuthenticator(origin=ORIGIN, rp_id="evil.example").register(
        begun["options"]  # type: ignore[arg-type]
    )

    response = await client.post(
        "/auth/register/complete", json={"ceremony": begun["ceremony"], "credential": credential}
    )

    assert response.status_code == 400
    assert "RP ID" in response.json()["error"]["message"]


async def test_sign_in_when_made_for_another_relying_party_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app))
    authenticator.rp_id = "evil.example"

    response = await sign_in(client, authenticator)

    assert response.status_code == 401
    assert "RP ID" in response.json()["error"]["message"]


async def test_sign_in_when_the_signature_counter_goes_backwards_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    await sign_up(client, authenticator, bootstrap_token(app))
    assert (await sign_in(client, authenticator)).status_code == 200  # counter now 1
    assert (await sign_in(client, authenticator)).status_code == 200  # counter now 2
    authenticator.sign_count = 0  # a clone still at an old counter signs with 1

    response = await sign_in(client, authenticator)

    assert response.status_code == 401
    assert "sign count" in response.json()["error"]["message"]
    assert (await sign_in(client, authenticator)).status_code == 401  # 2 again: not above 2
    authenticator.sign_count = 2
    assert (await sign_in(client, authenticator)).status_code == 200  # the genuine key goes on


async def test_sign_in_when_the_passkey_is_unknown_is_refused(client: httpx.AsyncClient) -> None:
    stranger = SoftwareAuthenticator(origin=ORIGIN)

    response = await sign_in(client, stranger)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


async def test_sign_in_when_the_credential_is_garbage_is_refused_with_a_clear_error(
    client: httpx.AsyncClient,
) -> None:
    begun = (await client.post("/auth/login/begin", json={})).json()
    garbage = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "!!", "authenticatorData": "%%", "signature": "x"},
    }

    response = await client.post(
        "/auth/login/complete", json={"ceremony": begun["ceremony"], "credential": garbage}
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


async def test_ceremony_token_when_tampered_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    begun = await _begin_signup(client, app)
    credential = SoftwareAuthenticator(origin=ORIGIN).register(begun["options"])  # type: ignore[arg-type]
    tampered = str(begun["ceremony"])[:-2] + "xx"

    response = await client.post(
        "/auth/register/complete", json={"ceremony": tampered, "credential": credential}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ceremony_invalid"


async def test_passkeys_when_a_second_is_added_are_listed_and_both_sign_in(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, first = await signed_in_user(app, client)
    await clock.advance(60)
    second = SoftwareAuthenticator(origin=ORIGIN)
    begun = (await client.post("/auth/passkeys/add/begin", headers=bearer(token))).json()

    added = await client.post(
        "/auth/passkeys/add/complete",
        headers=bearer(token),
        json={
            "ceremony": begun["ceremony"],
            "credential": second.register(begun["options"]),
            "name": "laptop",
        },
    )

    assert added.status_code == 201
    listed = (await client.get("/api/passkeys", headers=bearer(token))).json()
    assert [item["name"] for item in listed] == ["", "laptop"]
    assert (await sign_in(client, first)).status_code == 200
    assert (await sign_in(client, second)).status_code == 200


async def test_passkey_add_when_not_signed_in_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/passkeys/add/begin")

    assert response.status_code == 401


async def test_passkey_removal_when_it_is_the_last_one_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, authenticator = await signed_in_user(app, client)
    only = (await client.get("/api/passkeys", headers=bearer(token))).json()[0]

    response = await client.delete(f"/api/passkeys/{only['id']}", headers=bearer(token))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_passkey"
    assert (await sign_in(client, authenticator)).status_code == 200


async def test_passkey_removal_when_another_remains_stops_the_removed_one_signing_in(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, first = await signed_in_user(app, client)
    await clock.advance(60)
    second = SoftwareAuthenticator(origin=ORIGIN)
    begun = (await client.post("/auth/passkeys/add/begin", headers=bearer(token))).json()
    await client.post(
        "/auth/passkeys/add/complete",
        headers=bearer(token),
        json={"ceremony": begun["ceremony"], "credential": second.register(begun["options"])},
    )
    original = (await client.get("/api/passkeys", headers=bearer(token))).json()[0]

    response = await client.delete(f"/api/passkeys/{original['id']}", headers=bearer(token))

    assert response.status_code == 200
    assert (await sign_in(client, first)).status_code == 401
    assert (await sign_in(client, second)).status_code == 200
