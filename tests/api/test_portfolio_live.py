"""The portfolio summary follows the bus: live updates win over older snapshots, and events
refresh what is reused from storage."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import PortfolioUpdated, TradeExecuted
from trading_bot.core.model import PortfolioUpdate
from trading_bot.testing.api import bearer, gateway_of, signed_in_user
from trading_bot.testing.storage_records import T0, make_execution, make_portfolio_snapshot


async def _portfolio(client: httpx.AsyncClient, token: str) -> dict[str, object]:
    body: dict[str, object] = (await client.get("/api/portfolio", headers=bearer(token))).json()
    return body


async def test_portfolio_when_a_live_update_is_newer_than_the_snapshot_reports_it(
    app: FastAPI, client: httpx.AsyncClient, bus: MemoryBus
) -> None:
    token, _ = await signed_in_user(app, client)
    snapshots = gateway_of(app).container.repositories.snapshots
    await snapshots.add_portfolio_snapshot(make_portfolio_snapshot(T0 - timedelta(hours=1)))
    update = PortfolioUpdate(
        equity=Decimal(100_500),
        cash=Decimal(60_000),
        buying_power=Decimal(60_000),
        daily_pnl=Decimal(500),
        as_of=T0,
    )

    await bus.publish(PortfolioUpdated(occurred_at=T0, update=update))
    await bus.drain()
    body = await _portfolio(client, token)

    assert body["source"] == "live"
    assert body["equity"] == "100500"
    assert body["daily_pnl_pct"] == 0.005


async def test_portfolio_when_a_trade_is_executed_is_read_afresh(
    app: FastAPI, client: httpx.AsyncClient, bus: MemoryBus
) -> None:
    token, _ = await signed_in_user(app, client)
    assert (await _portfolio(client, token))["source"] == "none"
    snapshots = gateway_of(app).container.repositories.snapshots
    await snapshots.add_portfolio_snapshot(make_portfolio_snapshot(T0))
    assert (await _portfolio(client, token))["source"] == "none"  # reused within the second

    await bus.publish(TradeExecuted(occurred_at=T0, execution=make_execution()))
    await bus.drain()

    assert (await _portfolio(client, token))["source"] == "snapshot"


async def test_portfolio_when_the_cache_ages_out_is_read_afresh(
    app: FastAPI, client: httpx.AsyncClient, clock: SimulatedClock
) -> None:
    token, _ = await signed_in_user(app, client)
    await _portfolio(client, token)
    await gateway_of(app).container.repositories.snapshots.add_portfolio_snapshot(
        make_portfolio_snapshot(T0)
    )

    await clock.advance(1)

    assert (await _portfolio(client, token))["source"] == "snapshot"


async def test_portfolio_when_paused_through_the_api_shows_it_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token, _ = await signed_in_user(app, client)
    assert (await _portfolio(client, token))["trading_status"] == "active"

    await client.post("/api/controls/pause", headers=bearer(token))

    assert (await _portfolio(client, token))["trading_status"] == "paused"
