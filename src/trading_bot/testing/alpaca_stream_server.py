"""A local WebSocket server that speaks Alpaca's market-data stream protocol, for tests.

It greets with ``[{"T":"success","msg":"connected"}]``, checks ``{"action":"auth"}`` against its
keys, acknowledges ``subscribe``/``unsubscribe`` with a ``subscription`` message, and pushes the
bars a test gives it as ``{"T":"b", ...}`` messages. Like Alpaca, it speaks MessagePack (times as
MessagePack timestamps) to a client that connects with ``Content-Type: application/msgpack``, as
alpaca-py's ``StockDataStream`` does, and JSON (RFC 3339 times) to any other::

    async with LocalAlpacaStreamServer() as server:
        stream = StockDataStream("test-key", "test-secret", url_override=server.url)
        ...
        await server.wait_until_subscribed({"AAPL"})
        await server.push_bars([bar])
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import msgpack  # type: ignore[import-untyped]  # msgpack ships no type information
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from trading_bot.core.model import Bar

CHANNELS = (
    "trades",
    "quotes",
    "bars",
    "updatedBars",
    "dailyBars",
    "statuses",
    "lulds",
    "corrections",
    "cancelErrors",
)


@dataclass(eq=False, slots=True)
class _Session:
    connection: ServerConnection
    msgpack: bool
    authenticated: bool = False
    channels: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in CHANNELS})

    async def send(self, messages: list[dict[str, Any]]) -> None:
        if self.msgpack:
            await self.connection.send(msgpack.packb(messages, datetime=True))
        else:
            await self.connection.send(json.dumps(messages, default=_iso))


class LocalAlpacaStreamServer:
    """Alpaca's stock data stream on 127.0.0.1 with a free port, on the running event loop."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        secret_key: str = "test-secret",  # noqa: S107 - a fixture key for a local test server
        feed: str = "iex",
    ) -> None:
        self.api_key = api_key
        self.secret_key = secret_key
        self.feed = feed
        self.connections_accepted = 0
        self.auth_failures = 0
        self._sessions: set[_Session] = set()
        self._changed = asyncio.Condition()
        self._server: Server | None = None

    async def start(self) -> LocalAlpacaStreamServer:
        """Listen on a free port of 127.0.0.1."""
        self._server = await serve(self._serve, "127.0.0.1", 0, compression=None)
        return self

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> LocalAlpacaStreamServer:
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
        """Return the endpoint to pass as alpaca-py's ``url_override``."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/v2/{self.feed}"

    @property
    def subscribed_bars(self) -> set[str]:
        """Return the symbols some authenticated client receives bars for."""
        return {s for session in self._sessions for s in session.channels["bars"]}

    async def wait_until_subscribed(self, symbols: Iterable[str]) -> None:
        """Return once a client has subscribed to bars of every one of ``symbols``.

        Wrap it in ``asyncio.timeout`` so a client that never subscribes fails the test.
        """
        wanted = set(symbols)
        async with self._changed:
            await self._changed.wait_for(lambda: wanted <= self.subscribed_bars)

    async def wait_until_disconnected(self) -> None:
        """Return once no authenticated client is connected (wrap it in ``asyncio.timeout``)."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._sessions)

    async def push_bars(self, bars: Iterable[Bar]) -> None:
        """Send ``bars`` in one frame to each client, as many as it subscribed to (or ``*``)."""
        messages = [_bar_message(b) for b in bars]
        for session in list(self._sessions):
            wanted = session.channels["bars"]
            chosen = [m for m in messages if "*" in wanted or m["S"] in wanted]
            if chosen:
                await session.send(chosen)

    async def push_messages(self, messages: list[dict[str, Any]]) -> None:
        """Send raw messages (malformed ones too) in one frame to every authenticated client."""
        for session in list(self._sessions):
            await session.send(messages)

    async def push_frame(self, data: bytes | str) -> None:
        """Send one raw frame, which need not decode at all, to every authenticated client."""
        for session in list(self._sessions):
            await session.connection.send(data)

    async def drop_connections(self) -> None:
        """Close every client connection, as a network failure would."""
        for session in list(self._sessions):
            await session.connection.close(code=1011, reason="dropped by the test")

    async def _serve(self, connection: ServerConnection) -> None:
        content_type = (
            connection.request.headers.get("Content-Type") if connection.request else None
        )
        session = _Session(connection, msgpack=content_type == "application/msgpack")
        self.connections_accepted += 1
        try:
            await session.send([{"T": "success", "msg": "connected"}])
            async for frame in connection:
                await self._answer(session, frame)
        except ConnectionClosed:
            pass
        finally:
            await self._forget(session)

    async def _answer(self, session: _Session, frame: bytes | str) -> None:
        try:
            message = msgpack.unpackb(frame) if isinstance(frame, bytes) else json.loads(frame)
            action = message.get("action")
        except (ValueError, AttributeError, msgpack.UnpackException):
            await session.send([{"T": "error", "code": 400, "msg": "invalid syntax"}])
            return
        if action == "auth":
            await self._authenticate(session, message)
        elif not session.authenticated:
            await session.send([{"T": "error", "code": 401, "msg": "not authenticated"}])
        elif action in {"subscribe", "unsubscribe"}:
            for channel in CHANNELS:
                symbols = set(message.get(channel) or ())
                if action == "subscribe":
                    session.channels[channel] |= symbols
                else:
                    session.channels[channel] -= symbols
            await session.send([_subscription(session)])
            async with self._changed:
                self._changed.notify_all()
        else:
            await session.send([{"T": "error", "code": 400, "msg": "invalid syntax"}])

    async def _authenticate(self, session: _Session, message: dict[str, Any]) -> None:
        if message.get("key") == self.api_key and message.get("secret") == self.secret_key:
            session.authenticated = True
            self._sessions.add(session)
            await session.send([{"T": "success", "msg": "authenticated"}])
            return
        self.auth_failures += 1
        await session.send([{"T": "error", "code": 402, "msg": "auth failed"}])
        await session.connection.close()

    async def _forget(self, session: _Session) -> None:
        self._sessions.discard(session)
        async with self._changed:
            self._changed.notify_all()


def _bar_message(bar: Bar) -> dict[str, Any]:
    return {
        "T": "b",
        "S": bar.ticker,
        "o": bar.open,
        "h": bar.high,
        "l": bar.low,
        "c": bar.close,
        "v": bar.volume,
        "t": bar.timestamp,
        "n": 1,
        "vw": round((bar.high + bar.low + bar.close) / 3, 4),
    }


def _subscription(session: _Session) -> dict[str, Any]:
    return {"T": "subscription", **{c: sorted(session.channels[c]) for c in CHANNELS}}


def _iso(value: object) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
