"""A local server speaking Alpaca's News API: REST history and the real-time news stream.

- ``GET /v1beta1/news``: key headers checked; ``start``/``end`` (inclusive), ``symbols``,
  ``sort``, ``limit`` and ``page_token`` honoured; answers ``{"news": [...], "next_page_token"}``.
- WebSocket on the same path (``stream_url``): msgpack frames as alpaca-py's ``NewsDataStream``
  expects: ``connected``, ``auth`` -> ``authenticated`` (or error 402), ``subscribe`` ->
  ``subscription``, then ``{"T": "n", ...}`` messages sent by ``publish``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgpack  # type: ignore[import-untyped]  # msgpack ships no type information
from aiohttp import WSMsgType, web

from trading_bot.testing.feed_server import LocalHttpServer

NEWS_PATH = "/v1beta1/news"


@dataclass(frozen=True, slots=True)
class AlpacaNewsItem:
    """One news article as Alpaca serves it."""

    id: int
    headline: str
    created_at: datetime
    symbols: tuple[str, ...] = ()
    summary: str = ""
    content: str = ""
    url: str = ""
    source: str = "benzinga"
    author: str = "Example Author"
    updated_at: datetime | None = None

    def fields(self) -> dict[str, Any]:
        """Return the article's fields, timestamps left as datetimes."""
        return {
            "id": self.id,
            "headline": self.headline,
            "summary": self.summary,
            "content": self.content,
            "url": self.url,
            "source": self.source,
            "author": self.author,
            "symbols": list(self.symbols),
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
        }

    def rest_json(self) -> dict[str, Any]:
        """Return the article as the REST endpoint serialises it (RFC 3339 times)."""
        fields = self.fields()
        for key in ("created_at", "updated_at"):
            fields[key] = fields[key].astimezone(UTC).isoformat().replace("+00:00", "Z")
        return {**fields, "images": []}

    def stream_message(self) -> dict[str, Any]:
        """Return the article as a stream message (``T`` = ``n``, msgpack timestamps)."""
        fields = self.fields()
        for key in ("created_at", "updated_at"):
            fields[key] = msgpack.Timestamp.from_datetime(fields[key])
        return {"T": "n", **fields}


@dataclass(slots=True)
class _Subscriber:
    socket: web.WebSocketResponse
    symbols: set[str] = field(default_factory=set)


class AlpacaNewsServer(LocalHttpServer):
    """Serve Alpaca News history from ``add_news`` and stream what ``publish`` sends."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        secret_key: str = "test-secret",  # noqa: S107 (the local server's own test credential)
        page_size: int = 50,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.secret_key = secret_key
        self.page_size = page_size
        self.news: list[AlpacaNewsItem] = []
        self.rest_status: int | None = None
        """When set, the REST endpoint answers every request with this error status."""
        self.rest_delay_seconds = 0.0
        """How long the REST endpoint holds each answer back (a slow server)."""
        self._subscribers: list[_Subscriber] = []
        self._subscribed = asyncio.Event()
        self.app.router.add_get(NEWS_PATH, self._news)

    @property
    def rest_url(self) -> str:
        """Return the base URL to give alpaca-py's ``NewsClient(url_override=...)``."""
        return self.base_url

    @property
    def stream_url(self) -> str:
        """Return the URL to give ``NewsDataStream(url_override=...)``."""
        return self.base_url.replace("http://", "ws://", 1) + NEWS_PATH

    def add_news(self, *items: AlpacaNewsItem) -> None:
        """Make ``items`` part of the history the REST endpoint serves."""
        self.news.extend(items)

    async def wait_for_subscriber(self) -> None:
        """Return once a stream client has authenticated and subscribed."""
        await self._subscribed.wait()

    async def publish(self, message: AlpacaNewsItem | dict[str, Any]) -> int:
        """Send a news item (or any raw message) to the subscribers it concerns; return how many."""
        payload = message.stream_message() if isinstance(message, AlpacaNewsItem) else message
        symbols = set(payload.get("symbols") or ())
        frame = msgpack.packb([payload])
        sent = 0
        for subscriber in list(self._subscribers):
            if subscriber.socket.closed:
                continue
            if "*" in subscriber.symbols or symbols & subscriber.symbols:
                await subscriber.socket.send_bytes(frame)
                sent += 1
        return sent

    async def _news(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        if socket.can_prepare(request).ok:
            return await self._stream(request, socket)
        if (
            request.headers.get("APCA-API-KEY-ID") != self.api_key
            or request.headers.get("APCA-API-SECRET-KEY") != self.secret_key
        ):
            return web.json_response({"message": "forbidden."}, status=403)
        if self.rest_delay_seconds:
            await asyncio.sleep(self.rest_delay_seconds)
        if self.rest_status is not None:
            return web.json_response({"message": "scripted failure"}, status=self.rest_status)
        try:
            items = self._select(request.query)
            offset = int(request.query.get("page_token") or 0)
        except ValueError as exc:
            return web.json_response({"message": f"invalid query: {exc}"}, status=400)
        limit = min(int(request.query.get("limit") or 10), self.page_size)
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        return web.json_response(
            {
                "news": [item.rest_json() for item in page],
                "next_page_token": str(offset + limit) if more else None,
            }
        )

    def _select(self, query: Any) -> list[AlpacaNewsItem]:
        start = _parse_time(query.get("start"))
        end = _parse_time(query.get("end"))
        wanted = {symbol for symbol in (query.get("symbols") or "").split(",") if symbol}
        items = [
            item
            for item in self.news
            if (start is None or item.created_at >= start)
            and (end is None or item.created_at <= end)
            and (not wanted or wanted & set(item.symbols))
        ]
        descending = query.get("sort", "desc") == "desc"
        return sorted(items, key=lambda item: (item.created_at, item.id), reverse=descending)

    async def _stream(
        self, request: web.Request, socket: web.WebSocketResponse
    ) -> web.WebSocketResponse:
        await socket.prepare(request)
        await socket.send_bytes(msgpack.packb([{"T": "success", "msg": "connected"}]))
        auth = await socket.receive()
        credentials = msgpack.unpackb(auth.data) if auth.type == WSMsgType.BINARY else {}
        if (credentials.get("key"), credentials.get("secret")) != (self.api_key, self.secret_key):
            await socket.send_bytes(
                msgpack.packb([{"T": "error", "code": 402, "msg": "auth failed"}])
            )
            await socket.close()
            return socket
        await socket.send_bytes(msgpack.packb([{"T": "success", "msg": "authenticated"}]))
        subscriber = _Subscriber(socket)
        self._subscribers.append(subscriber)
        try:
            async for message in socket:
                if message.type != WSMsgType.BINARY:
                    continue
                action = msgpack.unpackb(message.data)
                if action.get("action") == "subscribe":
                    subscriber.symbols.update(action.get("news", ()))
                elif action.get("action") == "unsubscribe":
                    subscriber.symbols.difference_update(action.get("news", ()))
                reply = {"T": "subscription", "news": sorted(subscriber.symbols)}
                await socket.send_bytes(msgpack.packb([reply]))
                if subscriber.symbols:
                    self._subscribed.set()
        finally:
            self._subscribers.remove(subscriber)
        return socket


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed
