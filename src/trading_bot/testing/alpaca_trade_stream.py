"""A local WebSocket server speaking Alpaca's trade-updates stream, fed by a ``LocalAlpacaServer``.

The protocol is Alpaca's (and alpaca-py ``TradingStream``'s): the client sends
``{"action": "authenticate", "data": {"key_id", "secret_key"}}`` and gets
``{"stream": "authorization", "data": {"status": "authorized" | "unauthorized"}}``; then
``{"action": "listen", "data": {"streams": ["trade_updates"]}}`` and gets ``{"stream":
"listening", ...}``; from then on every order change of the REST server's account arrives as
``{"stream": "trade_updates", "data": {"event", "execution_id", "order", "timestamp",
"position_qty", "price", "qty"}}``::

    with LocalAlpacaServer() as rest:
        async with LocalAlpacaTradeStream(rest) as stream:
            updates = AlpacaTradeUpdates(config, stream_url=stream.url)
"""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from trading_bot.testing.alpaca_server import LocalAlpacaServer


class LocalAlpacaTradeStream:
    """The trade-updates stream of a local Alpaca account, on 127.0.0.1 and a free port."""

    def __init__(self, rest: LocalAlpacaServer) -> None:
        self._rest = rest
        self._listeners: set[ServerConnection] = set()
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Condition()
        self._sending: set[asyncio.Task[None]] = set()
        self.sent: list[dict[str, Any]] = []

    async def start(self) -> Self:
        """Listen on a free port and follow the REST server's account."""
        self._loop = asyncio.get_running_loop()
        self._server = await serve(self._serve, "127.0.0.1", 0, compression=None)
        self._rest.on_trade_update(self._from_rest_thread)
        return self

    async def stop(self) -> None:
        """Stop following the account and close every connection."""
        self._rest.on_trade_update(None)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Return the endpoint to pass as ``TradingStream``'s ``url_override``."""
        if self._server is None:
            raise RuntimeError("the stream is not started")
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/stream"

    async def wait_until_listening(self) -> None:
        """Return once a client listens to trade updates (wrap it in ``asyncio.timeout``)."""
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._listeners))

    def push(self, message: dict[str, Any]) -> None:
        """Send a raw message (a malformed one, say) to every listening client."""
        self._broadcast(message)

    def _from_rest_thread(
        self, event: str, order: dict[str, Any], price: Decimal | None, qty: Decimal | None
    ) -> None:
        message = _update(event, order, price, qty)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._broadcast, message)

    def _broadcast(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        text = json.dumps(message)
        for connection in list(self._listeners):
            task = asyncio.ensure_future(_send(connection, text))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _serve(self, connection: ServerConnection) -> None:
        try:
            async for frame in connection:
                await self._answer(connection, frame)
        except ConnectionClosed:
            pass
        finally:
            self._listeners.discard(connection)
            async with self._changed:
                self._changed.notify_all()

    async def _answer(self, connection: ServerConnection, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
            action, data = message.get("action"), message.get("data") or {}
        except (ValueError, AttributeError):
            await connection.send(json.dumps({"stream": "error", "data": {"msg": "bad json"}}))
            return
        if action == "authenticate":
            rest = self._rest
            good = data.get("key_id") == rest.api_key and data.get("secret_key") == rest.secret_key
            status = "authorized" if good else "unauthorized"
            reply = {"stream": "authorization", "data": {"status": status, "action": action}}
            await connection.send(json.dumps(reply))
            if not good:
                await connection.close()
            return
        if action == "listen":
            streams = list(data.get("streams") or [])
            await connection.send(json.dumps({"stream": "listening", "data": {"streams": streams}}))
            if "trade_updates" in streams:
                self._listeners.add(connection)
                async with self._changed:
                    self._changed.notify_all()


def _update(
    event: str, order: dict[str, Any], price: Decimal | None, qty: Decimal | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event": event,
        "order": order,
        "timestamp": order.get("updated_at") or order.get("submitted_at"),
    }
    if event in {"fill", "partial_fill"}:
        data.update(
            execution_id=str(uuid.uuid4()),
            price=None if price is None else str(price),
            qty=None if qty is None else str(qty),
        )
    return {"stream": "trade_updates", "data": data}


async def _send(connection: ServerConnection, text: str) -> None:
    try:
        await connection.send(text)
    except ConnectionClosed:
        return
