"""The dashboard is served at / with a client-route fallback that never shadows the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from trading_bot.entrypoints.api.static import NOT_BUILT_MESSAGE, mount_dashboard

INDEX = "<!doctype html><title>trading-bot</title><div id=root></div>"


def _api_with_dashboard(dist: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/api/portfolio")
    async def portfolio() -> dict[str, str]:
        return {"equity": "100000.00"}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"type": "ping"})
        await websocket.close()

    mount_dashboard(app, dist)
    return app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-3f2a.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.fixture
def client(dist: Path) -> Iterator[TestClient]:
    with TestClient(_api_with_dashboard(dist)) as test_client:
        yield test_client


def test_dashboard_when_root_requested_serves_index_without_caching(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("route", ["/portfolio", "/trades/3f1c", "/signup?token=abc", "/settings"])
def test_dashboard_when_a_client_route_is_requested_serves_index(
    client: TestClient, route: str
) -> None:
    response = client.get(route)

    assert response.status_code == 200
    assert response.text == INDEX


def test_dashboard_when_a_hashed_asset_is_requested_serves_it_cached_for_a_year(
    client: TestClient,
) -> None:
    response = client.get("/assets/index-3f2a.js")

    assert response.status_code == 200
    assert response.text == "console.log('app')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_dashboard_when_a_missing_asset_is_requested_answers_404_not_html(
    client: TestClient,
) -> None:
    response = client.get("/assets/index-gone.js")

    assert response.status_code == 404
    assert INDEX not in response.text


def test_dashboard_when_api_routes_are_requested_leaves_them_to_the_api(client: TestClient) -> None:
    assert client.get("/api/portfolio").json() == {"equity": "100000.00"}
    assert client.get("/health").json() == {"status": "ok"}
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"type": "ping"}


@pytest.mark.parametrize(
    "path", ["/api/unknown", "/auth/nowhere", "/metrics/x", "/docs/x", "/ws/extra", "/redoc/x"]
)
def test_dashboard_when_an_unknown_api_path_is_requested_answers_404(
    client: TestClient, path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert INDEX not in response.text


def test_dashboard_when_a_client_route_is_posted_refuses_the_method(client: TestClient) -> None:
    response = client.post("/portfolio", json={})

    assert response.status_code == 405


def test_dashboard_when_path_escapes_the_directory_does_not_serve_outside_files(
    client: TestClient, dist: Path
) -> None:
    (dist.parent / "secret.txt").write_text("do not serve")

    response = client.get("/../secret.txt")

    assert "do not serve" not in response.text


def test_dashboard_when_an_unknown_websocket_path_is_opened_refuses_it(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/elsewhere"):
        pass


def test_dashboard_when_not_built_answers_503_with_the_build_command(tmp_path: Path) -> None:
    with TestClient(_api_with_dashboard(tmp_path / "missing")) as client:
        response = client.get("/portfolio")

        assert response.status_code == 503
        assert response.text == NOT_BUILT_MESSAGE
        assert client.get("/api/portfolio").status_code == 200
