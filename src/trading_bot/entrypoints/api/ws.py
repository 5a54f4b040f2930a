"""The authenticated WebSocket ``/ws``: live trades, signals, portfolio, weights and news.

Authenticate with the subprotocols ``["bearer", TOKEN]`` (the server answers ``bearer``) or,
within ``ws_auth_timeout_seconds``, with a first message ``{"type": "auth", "token": TOKEN}``.
A missing or invalid token closes the socket with 4401. Once authenticated the client gets
``{"type": "ready"}``, then the events (see ``live``) and ``{"type": "ping"}`` heartbeats.
A client too slow to keep up is closed with 1013 (try again later). Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from trading_bot.entrypoints.api.auth.principal import Principal
from trading_bot.entrypoints.api.errors import ApiError
from trading_bot.entrypoints.api.gateway import Gateway
from trading_bot.entrypoints.api.live import LiveClient

UNAUTHORIZED = 4401
"""Close code: the token is missing, expired or invalid."""

TOO_SLOW = 1013
"""Close code (try again later): the client fell too far behind."""

BEARER = "bearer"
_PING = json.dumps({"type": "ping"})

logger = logging.getLogger(__name__)

router = APIRouter()


@router.websocket("/ws")
async def live_events(websocket: WebSocket) -> None:
    """Authenticate the client, then stream live events to it until it leaves."""
    gateway = getattr(websocket.app.state, "gateway", None)
    offered = list(websocket.scope.get("subprotocols") or [])
    header_token = offered[1] if len(offered) >= 2 and offered[0] == BEARER else None
    await websocket.accept(subprotocol=BEARER if header_token is not None else None)
    if not isinstance(gateway, Gateway):
        await websocket.close(code=1011, reason="the gateway is not ready")
        return
    principal = await _authenticate(websocket, gateway, header_token)
    if principal is None:
        return
    client = gateway.hub.subscribe()
    try:
        await websocket.send_json({"type": "ready", "data": {"actor": principal.actor}})
        await _stream(websocket, gateway, client)
    finally:
        gateway.hub.unsubscribe(client)


async def _authenticate(
    websocket: WebSocket, gateway: Gateway, header_token: str | None
) -> Principal | None:
    token = header_token
    if token is None:
        token = await _first_message_token(
            websocket, gateway.container.config.ws_auth_timeout_seconds
        )
    try:
        return await gateway.authenticator.authenticate(token)
    except ApiError:
        await _close(websocket, UNAUTHORIZED, "unauthorized")
        return None


async def _first_message_token(websocket: WebSocket, limit_seconds: float) -> str | None:
    try:
        async with asyncio.timeout(limit_seconds):
            text = await websocket.receive_text()
    except (TimeoutError, WebSocketDisconnect, RuntimeError, KeyError):
        return None
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(message, dict) or message.get("type") != "auth":
        return None
    token = message.get("token")
    return token if isinstance(token, str) else None


async def _stream(websocket: WebSocket, gateway: Gateway, client: LiveClient) -> None:
    # anyio (Starlette's own concurrency) so that a server shutdown cancelling this handler
    # cancels the helpers cleanly; whichever helper ends first ends the others.
    async with anyio.create_task_group() as group:

        async def until_done(work: Callable[[], Awaitable[None]]) -> None:
            await work()
            group.cancel_scope.cancel()

        group.start_soon(until_done, partial(_send, websocket, client))
        group.start_soon(until_done, partial(_heartbeat, gateway, client))
        group.start_soon(until_done, partial(_drain_incoming, websocket))
        group.start_soon(until_done, partial(_until_dropped, client))
    if client.dropped.is_set():
        await _close(websocket, TOO_SLOW, "too slow: events were dropped")


async def _until_dropped(client: LiveClient) -> None:
    await client.dropped.wait()


async def _send(websocket: WebSocket, client: LiveClient) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        while True:
            await websocket.send_text(await client.queue.get())


async def _heartbeat(gateway: Gateway, client: LiveClient) -> None:
    interval = gateway.container.config.ws_heartbeat_seconds
    while True:
        await gateway.container.clock.sleep(interval)
        client.offer(_PING)


async def _drain_incoming(websocket: WebSocket) -> None:
    # Clients have nothing to say after authenticating; reading notices when they leave.
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        while True:
            await websocket.receive()
            if websocket.client_state is WebSocketState.DISCONNECTED:
                return


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state is WebSocketState.DISCONNECTED:
        return
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        await websocket.close(code=code, reason=reason)
