"""Helpers for operations tests: a notifier that keeps what it was given, a dependency that can
be switched off, and a TCP proxy that cuts a real connection (Redis, PostgreSQL) and restores it.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from trading_bot.core.errors import TemporaryError
from trading_bot.core.operations import Notification, NotificationKind


class CollectingNotifier:
    """A ``core.ports.Notifier`` that keeps every notification submitted, in order."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []

    def submit(self, notification: Notification) -> bool:
        """Keep ``notification``; always accepted."""
        self.notifications.append(notification)
        return True

    def of_kind(self, kind: NotificationKind) -> list[Notification]:
        """Return the notifications of ``kind``, oldest first."""
        return [n for n in self.notifications if n.kind is kind]


class Outage:
    """A dependency's health probe that a test switches off and on (``down``)."""

    def __init__(self, error: type[TemporaryError] = TemporaryError) -> None:
        self.down = False
        self.pings = 0
        self._error = error

    async def ping(self) -> None:
        """Return while up; raise the configured ``TemporaryError`` while down."""
        self.pings += 1
        if self.down:
            raise self._error("switched off by the test")


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``; ``cut()`` drops every connection and refuses new
    ones (as a network failure would), ``restore()`` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._port = 0
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        """Return the port clients connect to."""
        return self._port

    async def start(self) -> Self:
        """Listen on a free port (the first time) or the same port (after a cut)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """Stop listening and close every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def restore(self) -> None:
        """Listen again on the same port."""
        await self.start()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, upstream_writer})
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
        while data := await source.read(65_536):
            sink.write(data)
            await sink.drain()
    sink.close()
