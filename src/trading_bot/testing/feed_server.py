"""A local HTTP server for feed tests: scripted responses, conditional GET, 304/429/5xx, slowness.

``LocalHttpServer`` is the base the other local servers (Reddit, Alpaca News) build on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from aiohttp import web

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the server received: method, path, query and headers as sent."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]


class LocalHttpServer:
    """An aiohttp server on 127.0.0.1 and a free port that records every request it receives.

    Use as ``async with Server() as server``; ``server.url(path)`` gives absolute URLs.
    """

    def __init__(self) -> None:
        self.app = web.Application(middlewares=[self._record])
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._base_url = ""

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:<port>`` once started."""
        if not self._base_url:
            raise RuntimeError("the server is not started")
        return self._base_url

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on this server."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Return the requests received for ``path``, oldest first."""
        return [request for request in self.requests if request.path == "/" + path.lstrip("/")]

    async def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve."""
        runner = web.AppRunner(
            self.app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._base_url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        """Stop serving and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @web.middleware
    async def _record(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
            )
        )
        return await handler(request)


@dataclass(frozen=True, slots=True)
class FeedResponse:
    """One scripted answer. With ``etag``/``last_modified`` set, a matching conditional request
    gets 304 instead; ``delay_seconds`` holds the answer back to simulate a slow server."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


class FeedServer(LocalHttpServer):
    """Serve fixture feeds at paths of our choosing.

    ``respond(path, *responses)`` scripts the answers to successive requests; the last one
    repeats. ``serve(path, body)`` is the common case of one 200 response.
    """

    def __init__(self) -> None:
        super().__init__()
        self._scripts: dict[tuple[str, frozenset[tuple[str, str]]], deque[FeedResponse]] = {}
        self.app.router.add_get("/{path:.*}", self._answer)

    def respond(
        self, path: str, *responses: FeedResponse, query: Mapping[str, str] | None = None
    ) -> str:
        """Script the answers for ``path`` and return its URL.

        With ``query``, the script answers only requests whose query includes those parameters;
        the most specific script wins.
        """
        if not responses:
            raise ValueError("give at least one response")
        self._scripts["/" + path.lstrip("/"), frozenset((query or {}).items())] = deque(responses)
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        """Answer ``path`` with ``body`` (200, or 304 to a matching conditional GET)."""
        response = FeedResponse(
            body=body, content_type=content_type, etag=etag, last_modified=last_modified
        )
        return self.respond(path, response)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        script = self._script_for(request)
        if not script:
            return web.Response(status=404, text="no feed here")
        response = script.popleft() if len(script) > 1 else script[0]
        if response.delay_seconds:
            await asyncio.sleep(response.delay_seconds)
        headers = dict(response.headers)
        if response.etag:
            headers["ETag"] = response.etag
        if response.last_modified:
            headers["Last-Modified"] = response.last_modified
        if response.status == 200 and _not_modified(request, response):
            return web.Response(status=304, headers=headers)
        headers["Content-Type"] = response.content_type
        return web.Response(status=response.status, body=response.body, headers=headers)

    def _script_for(self, request: web.Request) -> deque[FeedResponse] | None:
        asked = set(request.query.items())
        matching = [
            (len(query), script)
            for (path, query), script in self._scripts.items()
            if path == request.path and query <= asked
        ]
        return max(matching, key=lambda match: match[0])[1] if matching else None


def _not_modified(request: web.Request, response: FeedResponse) -> bool:
    if response.etag and request.headers.get("If-None-Match") == response.etag:
        return True
    return bool(
        response.last_modified
        and request.headers.get("If-Modified-Since") == response.last_modified
    )
