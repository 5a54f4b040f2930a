"""Every route outside /auth, /health, /metrics, the docs and the dashboard refuses callers
without a valid token: missing, expired, tampered and wrongly signed tokens all get 401."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.testing.api import TEST_SECRET, bearer, signed_in_user

PUBLIC_PREFIXES = ("/auth/", "/health", "/metrics", "/docs", "/redoc", "/openapi.json")
PATH_VALUES = {"strategy_id": "momentum"}
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def protected_calls(app: FastAPI) -> list[tuple[str, str]]:
    """Return (method, concrete path) for every protected HTTP route of the app.

    ``app.routes`` holds included routers as units; ``iter_route_contexts`` flattens them into
    the routes the app actually serves, with their full paths.
    """
    calls: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not isinstance(route.original_route, APIRoute) or path.startswith(PUBLIC_PREFIXES):
            continue
        path = PARAMETER.sub(lambda m: PATH_VALUES.get(m[1], str(uuid.uuid4())), path)
        calls.extend((method, path) for method in sorted(route.methods or ()))
    return calls


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["name"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def _bad_tokens(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> dict[str, dict[str, str]]:
    good, _ = await signed_in_user(app, client)
    user_id = uuid.UUID(json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "==="))["sub"])
    expired, _ = AccessTokens(TEST_SECRET, clock, ttl=timedelta(seconds=-1)).issue(user_id, "alice")
    other_key = AccessTokens(
        "another-signing-key-also-long-enough-00000", clock, ttl=timedelta(minutes=15)
    )
    wrongly_signed, _ = other_key.issue(user_id, "alice")
    return {
        "missing": {},
        "expired": bearer(expired),
        "tampered": bearer(_tampered(good)),
        "wrongly signed": bearer(wrongly_signed),
        "not a token": bearer("garbage"),
        "unknown API token": bearer("tbk_unknown"),
    }


def test_route_enumeration_finds_every_trading_route(app: FastAPI) -> None:
    paths = {path.split("/")[2] for _, path in protected_calls(app)}

    assert paths >= {
        "portfolio", "trades", "signals", "strategies", "news", "controls", "backtest",
        "audit", "tokens", "passkeys", "invitations", "me",
    }  # fmt: skip


async def test_every_protected_route_when_the_token_is_bad_answers_401(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    bad_tokens = await _bad_tokens(app, client, clock)
    failures = []

    for method, path in protected_calls(app):
        for kind, headers in bad_tokens.items():
            response = await client.request(method, path, headers=headers, json={})
            if response.status_code != 401 or response.json()["error"]["code"] != "unauthorized":
                failures.append(f"{method} {path} with a {kind} token: {response.status_code}")

    assert failures == []


def test_websocket_when_the_token_is_missing_closes_with_4401(app: FastAPI) -> None:
    routes = iter_route_contexts(app.routes)
    assert any(isinstance(route.original_route, APIWebSocketRoute) for route in routes)
    with TestClient(app) as client, client.websocket_connect("/ws") as websocket:
        websocket.send_json({"type": "hello"})
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_json()

    assert closed.value.code == 4401


def test_websocket_when_the_token_is_invalid_closes_with_4401(app: FastAPI) -> None:
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["bearer", "not-a-token"]) as websocket,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        websocket.receive_json()

    assert closed.value.code == 4401
