"""Operations in the API: every control action leaves an audit row with who and when, the audit
log is paged and filtered, and /api/health/services shows each service's heartbeats and the
conditions that paused trading."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import HeartbeatSent
from trading_bot.entrypoints.api.health_board import ServiceHealthBoard
from trading_bot.services.execution_state import AUTO_PAUSED_KEY, AutoPause, encode_auto_pauses
from trading_bot.testing.api import bearer, gateway_of, signed_in_user
from trading_bot.testing.trading_rigs import eventually


async def audited(client: httpx.AsyncClient, token: str, **filters: str) -> list[dict[str, Any]]:
    """Return the audit rows matching ``filters``, newest first.

    Any: each row is the JSON the route returns.
    """
    page = (await client.get("/api/audit", headers=bearer(token), params=filters)).json()
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_every_control_action_leaves_an_audit_row_with_who_and_when(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client, "alice")
    session = bearer(token)

    await clock.advance(1)
    await client.post("/api/controls/pause", headers=session)
    await clock.advance(1)
    await client.post("/api/controls/resume", headers=session)
    await clock.advance(1)
    await client.post("/api/controls/close-position", headers=session, json={"ticker": "AAPL"})
    await clock.advance(1)
    await client.post("/api/invitations", headers=session, json={"ttl_days": 1})
    await clock.advance(1)
    minted = (
        await client.post("/api/tokens", headers=session, json={"name": "nightly", "scope": "read"})
    ).json()
    await clock.advance(1)
    await client.delete(f"/api/tokens/{minted['id']}", headers=session)

    rows = await audited(client, token, actor="alice")
    assert [row["action"] for row in reversed(rows)] == [
        "auth.signup",
        "controls.pause",
        "controls.resume",
        "controls.close_position",
        "auth.invitation_created",
        "auth.token_minted",
        "auth.token_revoked",
    ]
    assert {row["actor"] for row in rows} == {"alice"}
    assert rows[-1]["timestamp"] < rows[0]["timestamp"]
    close = next(row for row in rows if row["action"] == "controls.close_position")
    assert close["detail"] == {"ticker": "AAPL", "command_id": close["detail"]["command_id"]}


async def test_audit_log_filters_by_action_and_pages_newest_first(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client, "alice")
    audit = gateway_of(app).container.repositories.audit
    for minute in range(5):
        await clock.advance(60)
        await audit.add("reconciler", "reconcile.position_created", {"ticker": f"T{minute}"})

    first = (
        await client.get(
            "/api/audit",
            headers=bearer(token),
            params={"action": "reconcile.position_created", "limit": 2},
        )
    ).json()
    second = (
        await client.get(
            "/api/audit",
            headers=bearer(token),
            params={"actor": "reconciler", "limit": 2, "offset": 2},
        )
    ).json()

    assert first["total"] == 5
    assert [row["detail"]["ticker"] for row in first["items"]] == ["T4", "T3"]
    assert [row["detail"]["ticker"] for row in second["items"]] == ["T2", "T1"]


async def test_audit_log_when_the_limit_is_out_of_range_answers_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)

    response = await client.get("/api/audit", headers=bearer(token), params={"limit": 0})

    assert response.status_code == 422


async def test_services_health_shows_each_instance_and_marks_the_silent_one_stale(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock, bus: MemoryBus
) -> None:
    token, _ = await signed_in_user(app, client)
    now = clock.now()
    beats = [
        HeartbeatSent(occurred_at=now, service="trade-executor", instance="a", interval_seconds=10),
        HeartbeatSent(
            occurred_at=now - timedelta(seconds=45),
            service="signal-generator",
            instance="b",
            interval_seconds=10,
        ),
    ]
    await bus.publish_many(beats)
    board = gateway_of(app).health
    await eventually(lambda: _seen(board, 2))

    body = (await client.get("/api/health/services", headers=bearer(token))).json()

    status = {(s["service"], s["instance"]): s["status"] for s in body["services"]}
    assert status == {("signal-generator", "b"): "stale", ("trade-executor", "a"): "ok"}
    assert "news-fetcher" in body["missing"]
    assert "trade-executor" not in body["missing"]
    assert body["auto_paused"] == []


async def test_services_health_lists_the_conditions_that_paused_trading(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client)
    pauses = {"market_data": AutoPause(clock.now(), "no bar for AAPL for over 10 min")}
    await gateway_of(app).container.repositories.key_value.set(
        AUTO_PAUSED_KEY, encode_auto_pauses(pauses)
    )

    body = (await client.get("/api/health/services", headers=bearer(token))).json()

    assert body["auto_paused"] == [
        {
            "condition": "market_data",
            "since": "2024-03-05T15:00:00Z",
            "detail": "no bar for AAPL for over 10 min",
        }
    ]


@pytest.mark.parametrize("path", ["/api/health/services", "/api/audit"])
async def test_operations_routes_without_a_token_answer_401(
    client: httpx.AsyncClient, path: str
) -> None:
    assert (await client.get(path)).status_code == 401


async def _seen(board: ServiceHealthBoard, count: int) -> bool:
    await asyncio.sleep(0)
    return len(board.beats()) >= count
