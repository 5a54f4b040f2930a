"""The API's /health reports each readiness check; /metrics serves the Prometheus exposition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from trading_bot.core.errors import BusUnavailableError
from trading_bot.entrypoints.api.app import create_app
from trading_bot.entrypoints.telemetry import Telemetry


async def answers() -> None:
    await asyncio.sleep(0)


async def refuses() -> None:
    raise BusUnavailableError("redis://:hunter2@10.0.0.5:6379 refused the connection")


async def hangs() -> None:
    await asyncio.Event().wait()


def test_health_when_there_are_no_checks_is_ok() -> None:
    client = TestClient(create_app(telemetry=Telemetry("api")))

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


def test_health_when_every_check_answers_reports_each_ok() -> None:
    app = create_app(telemetry=Telemetry("api"), checks={"storage": answers, "bus": answers})

    response = TestClient(app).get("/health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "storage": {"status": "ok", "error": None},
            "bus": {"status": "ok", "error": None},
        },
    }


def test_health_when_a_check_fails_is_503_naming_the_error_but_not_its_details() -> None:
    app = create_app(telemetry=Telemetry("api"), checks={"storage": answers, "bus": refuses})

    response = TestClient(app).get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"] == {"status": "ok", "error": None}
    assert body["checks"]["bus"] == {"status": "error", "error": "BusUnavailableError"}
    assert "hunter2" not in response.text


def test_health_when_a_check_hangs_gives_up_after_the_timeout() -> None:
    app = create_app(
        telemetry=Telemetry("api"), checks={"broker": hangs}, check_timeout_seconds=0.05
    )

    response = TestClient(app).get("/health")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"status": "error", "error": "TimeoutError"}


def test_metrics_when_scraped_serves_the_prometheus_text_of_our_meters() -> None:
    telemetry = Telemetry("api")
    telemetry.metrics().increment("articles_scored", source="rss")
    client = TestClient(create_app(telemetry=telemetry))

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'articles_scored_total{source="rss"} 1.0' in response.text


def test_lifespan_when_given_runs_around_the_app() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("started")
        yield
        events.append("stopped")

    app = create_app(telemetry=Telemetry("api"), lifespan=lifespan)

    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert events == ["started"]

    assert events == ["started", "stopped"]
