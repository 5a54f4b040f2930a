"""Controls: the pause flag the executor reads, the status with who and when, and the close
command published on the bus."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import ClosePosition, Message, Streams
from trading_bot.entrypoints.api.routes.controls import KILL_SWITCH_KEY, PAUSED_KEY
from trading_bot.testing.api import bearer, gateway_of, signed_in_user


async def test_pause_when_asked_sets_the_flag_the_executor_reads_and_audits_it(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client, "alice")
    await clock.advance(60)

    response = await client.post("/api/controls/pause", headers=bearer(token))

    store = gateway_of(app).container.repositories.key_value
    assert await store.get(PAUSED_KEY) == "true"
    assert response.json() == {
        "status": "paused",
        "paused": True,
        "kill_switch": False,
        "since": "2024-03-05T15:01:00Z",
        "by": "alice",
    }
    audit = (await client.get("/api/audit", headers=bearer(token))).json()
    assert audit["items"][0]["action"] == "controls.pause"
    assert audit["items"][0]["actor"] == "alice"


async def test_resume_when_paused_clears_the_flag(app: FastAPI, client: httpx.AsyncClient) -> None:
    token, _ = await signed_in_user(app, client)
    await client.post("/api/controls/pause", headers=bearer(token))

    response = await client.post("/api/controls/resume", headers=bearer(token))

    assert await gateway_of(app).container.repositories.key_value.get(PAUSED_KEY) == "false"
    assert response.json()["status"] == "active"
    status = await client.get("/api/controls/status", headers=bearer(token))
    assert status.json()["status"] == "active"


async def test_status_when_the_kill_switch_tripped_reports_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)
    await gateway_of(app).container.repositories.key_value.set(KILL_SWITCH_KEY, "true")

    status = (await client.get("/api/controls/status", headers=bearer(token))).json()
    portfolio = (await client.get("/api/portfolio", headers=bearer(token))).json()

    assert status["status"] == "kill_switch"
    assert portfolio["trading_status"] == "kill_switch"


async def test_close_position_when_asked_publishes_the_command_for_the_executor(
    app: FastAPI, client: httpx.AsyncClient, bus: MemoryBus
) -> None:
    token, _ = await signed_in_user(app, client, "alice")
    received: list[Message] = []

    async def executor(message: Message) -> None:
        received.append(message)

    consumer = asyncio.create_task(bus.consume(Streams.COMMANDS, "trade-executor", executor))
    response = await client.post(
        "/api/controls/close-position", headers=bearer(token), json={"ticker": "AAPL"}
    )
    await bus.drain()
    consumer.cancel()

    assert response.status_code == 202
    assert len(received) == 1
    command = received[0]
    assert isinstance(command, ClosePosition)
    assert (command.ticker, command.requested_by) == ("AAPL", "alice")
    assert str(command.event_id) == response.json()["command_id"]


async def test_close_position_when_the_ticker_is_malformed_is_refused_naming_the_field(
    app: FastAPI, client: httpx.AsyncClient, bus: MemoryBus
) -> None:
    token, _ = await signed_in_user(app, client)

    response = await client.post(
        "/api/controls/close-position", headers=bearer(token), json={"ticker": "not a ticker"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.ticker"
