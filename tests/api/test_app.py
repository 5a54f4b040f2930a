"""The app's edges: one error body, body size limit, CORS, health of its dependencies, and the
OpenAPI schema the dashboard's client is generated from."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.entrypoints.api.app import create_app, openapi_document
from trading_bot.entrypoints.cli import app as cli
from trading_bot.entrypoints.telemetry import Telemetry
from trading_bot.testing.api import bearer, gateway_settings, signed_in_user

REPOSITORY = Path(__file__).resolve().parents[2]


async def test_invalid_query_when_sent_answers_422_naming_every_bad_field(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)

    response = await client.get(
        "/api/trades",
        headers=bearer(token),
        params={"limit": 0, "ticker": "aapl", "from": "2024-01-01T00:00:00"},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert {field["field"] for field in error["fields"]} == {
        "query.limit",
        "query.ticker",
        "query.from",
    }


async def test_malformed_json_body_when_sent_answers_422_not_500(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)

    response = await client.post(
        "/api/tokens",
        headers=bearer(token) | {"Content-Type": "application/json"},
        content=b"{not json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


async def test_oversized_body_when_declared_is_refused_with_413_before_reading(
    client: httpx.AsyncClient,
) -> None:
    body = json.dumps({"username": "a" * 2_000_000}).encode()

    response = await client.post(
        "/auth/register/begin", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_oversized_body_when_streamed_without_length_is_refused_with_413(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    response = await client.post(
        "/auth/login/begin", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413


async def test_unknown_api_path_when_requested_answers_404_with_the_error_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/nowhere")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_cors_when_the_origin_is_configured_is_allowed_and_otherwise_not(
    client: httpx.AsyncClient,
) -> None:
    allowed = await client.options(
        "/api/portfolio",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
    )
    refused = await client.options(
        "/api/portfolio",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "access-control-allow-origin" not in refused.headers


async def test_health_when_storage_and_bus_answer_reports_each_ok(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"storage", "bus"}


async def test_health_when_the_bus_is_down_answers_503_naming_it(
    client: httpx.AsyncClient, bus: MemoryBus
) -> None:
    await bus.close()

    response = await client.get("/health")

    assert response.status_code == 503
    assert response.json()["checks"]["bus"] == {"status": "error", "error": "BusUnavailableError"}
    assert response.json()["checks"]["storage"]["status"] == "ok"


async def test_routes_when_the_gateway_has_no_container_answer_503(
    tmp_path: Path,
) -> None:
    app = create_app(telemetry=Telemetry("api"), dashboard_dist=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/portfolio", headers=bearer("x"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "starting"


def test_openapi_when_exported_matches_the_committed_dashboard_copy() -> None:
    app = create_app(telemetry=Telemetry("api"), api=gateway_settings(), dashboard_dist=None)

    committed = (REPOSITORY / "dashboard" / "openapi.json").read_text(encoding="utf-8")

    assert committed == openapi_document(app), "run `make dashboard-client` and commit the result"


def test_openapi_command_when_run_writes_a_stable_document(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"

    results = [
        CliRunner().invoke(cli, ["api", "openapi", "--out", str(path)]) for path in (first, second)
    ]

    assert [result.exit_code for result in results] == [0, 0]
    assert first.read_text() == second.read_text()
    document = json.loads(first.read_text())
    assert "/api/trades" in document["paths"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
async def test_docs_when_requested_are_public(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
