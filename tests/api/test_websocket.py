"""The live WebSocket: authenticated, fed from the bus, with heartbeats; slow clients dropped."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.events import ArticleScored, PortfolioUpdated, TradeExecuted
from trading_bot.core.model import OrderSide, OrderStatus, PortfolioUpdate
from trading_bot.entrypoints.api.auth.jwt import AccessTokens
from trading_bot.entrypoints.api.container import GatewayConfig
from trading_bot.entrypoints.api.live import LiveHub
from trading_bot.testing.api import TEST_SECRET, gateway_app, gateway_container, gateway_of
from trading_bot.testing.storage_records import T0, make_execution, make_scored_article


@pytest.fixture
def access_token(clock: SimulatedClock) -> str:
    token, _ = AccessTokens(TEST_SECRET, clock, ttl=timedelta(minutes=15)).issue(
        uuid.uuid4(), "alice"
    )
    return token


def _filled_trade() -> TradeExecuted:
    execution = make_execution(
        status=OrderStatus.FILLED,
        side=OrderSide.BUY,
        filled_qty=Decimal(10),
        price=Decimal("187.25"),
    )
    return TradeExecuted(occurred_at=T0, execution=execution)


def test_websocket_when_authenticated_by_subprotocol_receives_a_trade_from_the_bus(
    app: FastAPI, bus: MemoryBus, access_token: str
) -> None:
    message = _filled_trade()
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["bearer", access_token]) as websocket,
    ):
        assert websocket.accepted_subprotocol == "bearer"
        assert websocket.receive_json() == {"type": "ready", "data": {"actor": "alice"}}
        assert client.portal is not None
        client.portal.call(bus.publish, message)

        event = websocket.receive_json()

    assert event["type"] == "trade"
    assert event["data"]["trade_id"] == str(message.execution.trade_id)
    assert event["data"]["ticker"] == "AAPL"
    assert event["data"]["price"] == "187.25"
    assert event["data"]["status"] == "FILLED"


def test_websocket_when_authenticated_by_first_message_receives_news_and_portfolio(
    app: FastAPI, bus: MemoryBus, access_token: str
) -> None:
    update = PortfolioUpdate(
        equity=Decimal(100_500),
        cash=Decimal(50_000),
        buying_power=Decimal(50_000),
        daily_pnl=Decimal(500),
        as_of=T0,
    )
    with TestClient(app) as client, client.websocket_connect("/ws") as websocket:
        websocket.send_json({"type": "auth", "token": access_token})
        assert websocket.receive_json()["type"] == "ready"
        assert client.portal is not None
        client.portal.call(bus.publish, ArticleScored(occurred_at=T0, scored=make_scored_article()))
        client.portal.call(bus.publish, PortfolioUpdated(occurred_at=T0, update=update))

        events = [websocket.receive_json(), websocket.receive_json()]

    by_type = {event["type"]: event["data"] for event in events}
    assert by_type["news"]["tickers"][0]["ticker"] == "AAPL"
    assert by_type["portfolio"]["equity"] == "100500"


def test_websocket_when_idle_receives_heartbeats(
    app: FastAPI, clock: SimulatedClock, access_token: str
) -> None:
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["bearer", access_token]) as websocket,
    ):
        websocket.receive_json()
        assert client.portal is not None
        client.portal.call(clock.advance, 15)

        assert websocket.receive_json() == {"type": "ping"}


def test_websocket_when_the_token_is_refused_never_logs_it(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_looking = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJl"
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["bearer", secret_looking]) as websocket,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        websocket.receive_json()

    assert closed.value.code == 4401
    assert secret_looking not in caplog.text


async def test_live_hub_when_a_client_falls_behind_drops_it_and_serves_the_others() -> None:
    hub = LiveHub(queue_size=2)
    slow = hub.subscribe()
    fast = hub.subscribe()
    received: list[str] = []

    for number in range(3):
        hub.broadcast({"type": "trade", "data": {"n": number}})
        received.append(await fast.queue.get())

    assert slow.dropped.is_set()
    assert not fast.dropped.is_set()
    assert [json.loads(text)["data"]["n"] for text in received] == [0, 1, 2]
    assert hub.clients == 1
    assert hub.dropped_total == 1


def test_websocket_when_the_client_is_too_slow_is_closed_with_1013(
    database_url: str, clock: SimulatedClock, bus: MemoryBus, access_token: str
) -> None:
    config = GatewayConfig(ws_queue_size=4)
    app = gateway_app(gateway_container(database_url, clock=clock, bus=bus, config=config))
    with (
        TestClient(app) as client,
        client.websocket_connect("/ws", subprotocols=["bearer", access_token]) as websocket,
    ):
        websocket.receive_json()
        assert client.portal is not None

        async def flood() -> None:
            # Faster than any socket: nothing is sent between two of these broadcasts.
            for number in range(10):
                gateway_of(app).hub.broadcast({"type": "trade", "data": {"n": number}})

        client.portal.call(flood)
        received = []
        while (message := websocket.receive())["type"] != "websocket.close":
            received.append(message)

    assert message["code"] == 1013
    assert len(received) <= 4
