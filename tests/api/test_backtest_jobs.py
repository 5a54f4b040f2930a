"""Backtests: validated, run in a worker while the API answers, results stored and served."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import ConfigurationError, DataError
from trading_bot.entrypoints.api.backtests import (
    EntrypointBacktestRunner,
    backtester_config,
    report_from,
)
from trading_bot.entrypoints.api.schemas.backtest import BacktestRequest
from trading_bot.testing.api import (
    RecordedBacktestRunner,
    bearer,
    gateway_app,
    gateway_container,
    gateway_of,
    running,
    signed_in_user,
)

REQUEST = {
    "start": "2024-01-01T00:00:00Z",
    "end": "2024-03-01T00:00:00Z",
    "tickers": ["AAPL", "MSFT"],
    "initial_capital": "50000",
    "strategies": {"momentum": 0.6, "news_driven": 0.4},
    "parameters": {"momentum": {"period": 10}},
    "slippage_bps": 2,
    "learning": True,
}


async def _when_half_done(client: httpx.AsyncClient, token: str, run_id: str) -> dict[str, object]:
    for _ in range(200):  # the worker reports progress every half second
        run: dict[str, object] = (
            await client.get(f"/api/backtest/{run_id}", headers=bearer(token))
        ).json()
        if float(str(run["progress"])) >= 0.5:
            return run
        await asyncio.sleep(0.02)
    raise AssertionError("the run never reported progress")


async def test_backtest_when_run_is_queued_then_runs_then_succeeds_with_results(
    database_url: str, clock: SimulatedClock, bus: MemoryBus
) -> None:
    runner = RecordedBacktestRunner(hold=True)
    app = gateway_app(gateway_container(database_url, clock=clock, bus=bus, runner=runner))
    async with running(app) as client:
        token, _ = await signed_in_user(app, client)
        started = await client.post("/api/backtest/run", headers=bearer(token), json=REQUEST)
        run_id = started.json()["run_id"]
        running_now = await _when_half_done(client, token, run_id)
        runner.release()
        await gateway_of(app).jobs.wait()
        finished = (await client.get(f"/api/backtest/{run_id}", headers=bearer(token))).json()
        listed = (await client.get("/api/backtest", headers=bearer(token))).json()

    assert started.status_code == 202
    assert running_now["status"] == "running"
    assert finished["status"] == "succeeded"
    assert finished["progress"] == 1.0
    assert finished["metrics"]["total_return"] == 0.0125
    assert finished["equity_curve"][0] == {
        "timestamp": "2024-01-01T00:00:00+00:00",
        "equity": "50000",
    }
    assert finished["trades"][0]["ticker"] == "AAPL"
    assert finished["config"]["strategies"] == {"momentum": 0.6, "news_driven": 0.4}
    assert runner.requests[0].learning is True
    assert [item["run_id"] for item in listed["items"]] == [run_id]


async def test_backtest_when_the_runner_fails_is_recorded_failed_with_the_error(
    database_url: str, clock: SimulatedClock, bus: MemoryBus
) -> None:
    runner = RecordedBacktestRunner(fail_with=DataError("no bars stored for MSFT"))
    app = gateway_app(gateway_container(database_url, clock=clock, bus=bus, runner=runner))
    async with running(app) as client:
        token, _ = await signed_in_user(app, client)
        run_id = (
            await client.post("/api/backtest/run", headers=bearer(token), json=REQUEST)
        ).json()["run_id"]
        await gateway_of(app).jobs.wait()
        finished = (await client.get(f"/api/backtest/{run_id}", headers=bearer(token))).json()

    assert finished["status"] == "failed"
    assert finished["error"] == "DataError: no bars stored for MSFT"


async def test_backtest_when_the_config_is_invalid_names_each_bad_field(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)
    bad = REQUEST | {"initial_capital": "-5", "fill": "whenever"}

    response = await client.post("/api/backtest/run", headers=bearer(token), json=bad)

    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"body.initial_capital", "body.fill"}


async def test_backtest_when_a_strategy_is_unknown_is_refused_before_running(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)
    bad = REQUEST | {"strategies": {"astrology": 1.0}, "parameters": {}}

    response = await client.post("/api/backtest/run", headers=bearer(token), json=bad)

    assert response.status_code == 422
    assert "astrology" in response.json()["error"]["fields"][0]["message"]
    listed = (await client.get("/api/backtest", headers=bearer(token))).json()
    assert listed["total"] == 0


async def test_backtest_when_the_end_is_before_the_start_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)
    bad = REQUEST | {"start": "2024-03-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}

    response = await client.post("/api/backtest/run", headers=bearer(token), json=bad)

    assert response.status_code == 422
    assert "end must be after start" in response.json()["error"]["message"] + str(
        response.json()["error"]["fields"]
    )


async def test_backtest_when_the_run_is_unknown_answers_404(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)

    response = await client.get(
        "/api/backtest/00000000-0000-4000-8000-000000000000", headers=bearer(token)
    )

    assert response.status_code == 404


def test_backtest_report_when_the_backtester_returns_a_mapping_keeps_the_known_parts() -> None:
    report = report_from({"metrics": {"sharpe": 1.2}, "trades": [], "unrelated": 1})

    assert report.metrics == {"sharpe": 1.2}
    assert report.equity_curve == []


def test_backtester_config_when_built_from_a_request_uses_the_backtesters_names() -> None:
    config = backtester_config(BacktestRequest.model_validate(REQUEST), "sqlite+aiosqlite:///x.db")

    assert config["capital"] == "50000"
    assert config["strategies"] == ["momentum", "news_driven"]
    assert config["weights"] == {"momentum": 0.6, "news_driven": 0.4}
    assert config["params"] == {"momentum": {"period": 10}}
    assert (config["from_storage"], config["storage_url"]) == (True, "sqlite+aiosqlite:///x.db")


def test_entrypoint_runner_when_the_backtester_is_missing_fails_with_a_clear_error() -> None:
    runner = EntrypointBacktestRunner(module="trading_bot.no_such_backtester")

    with pytest.raises(ConfigurationError, match="the backtester is not available"):
        runner.run(BacktestRequest.model_validate(REQUEST), lambda _: None)
