"""A local server speaking the three notification protocols, for tests.

One aiohttp server on 127.0.0.1 answers as

- a generic webhook receiver at ``POST /hooks/<name>`` (it records the body and the signature
  headers; ``trading_bot.adapters.notify.webhook.verify`` checks them),
- Discord's Execute Webhook at ``POST /api/webhooks/<id>/<token>`` (204, or 400 when neither
  ``content`` nor ``embeds`` is given, as Discord refuses),
- Telegram's Bot API ``POST /bot<token>/sendMessage`` (``{"ok": true, ...}``; 401 for another
  token, 400 without ``chat_id`` or ``text``),

and can be told to fail the next requests (500, or 429 with a ``retry_after``) or all of them::

    async with LocalNotifyServer() as server:
        server.fail_next(2)
        ...
        assert server.deliveries_to("/hooks/ops")[0].json["title"] == "Paused"
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from trading_bot.testing.feed_server import LocalHttpServer

TELEGRAM_TOKEN = "123456:test-token"  # noqa: S105 - a fixture token for a local test server
DISCORD_WEBHOOK_PATH = "/api/webhooks/42/test-token"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A notification the server accepted (or refused): its path, headers and raw body."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        """Return the body parsed as JSON.

        Any: the document each protocol defines.
        """
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class _Failure:
    status: int
    retry_after: float | None


class LocalNotifyServer(LocalHttpServer):
    """The three notification receivers on one local port (see the module docstring)."""

    def __init__(self, *, telegram_token: str = TELEGRAM_TOKEN) -> None:
        super().__init__()
        self.telegram_token = telegram_token
        self.deliveries: list[Delivery] = []
        self._failures: list[_Failure] = []
        self._always: _Failure | None = None
        self._arrived = asyncio.Condition()
        self.app.router.add_post("/hooks/{name}", self._webhook)
        self.app.router.add_post("/api/webhooks/{hook_id}/{token}", self._discord)
        self.app.router.add_post("/bot{token}/sendMessage", self._telegram)

    # -- URLs --------------------------------------------------------------------------------

    def webhook_url(self, name: str = "ops") -> str:
        """Return the generic webhook receiver's URL."""
        return self.url(f"hooks/{name}")

    @property
    def discord_url(self) -> str:
        """Return the Discord webhook URL."""
        return self.url(DISCORD_WEBHOOK_PATH)

    @property
    def telegram_api(self) -> str:
        """Return the Bot API base URL (the bot token is appended by the client)."""
        return self.base_url

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(
        self, count: int = 1, *, status: int = 500, retry_after: float | None = None
    ) -> None:
        """Answer the next ``count`` deliveries with ``status`` (429 carries ``retry_after``)."""
        self._failures.extend(_Failure(status, retry_after) for _ in range(count))

    def fail_always(self, status: int = 500) -> None:
        """Answer every delivery with ``status`` from now on (a channel that stays down)."""
        self._always = _Failure(status, None)

    # -- inspection --------------------------------------------------------------------------

    def deliveries_to(self, path: str, *, accepted_only: bool = True) -> list[Delivery]:
        """Return the deliveries to ``path``, oldest first (only those accepted, by default)."""
        return [
            d
            for d in self.deliveries
            if d.path == path and (not accepted_only or 200 <= d.status < 300)
        ]

    async def wait_for(self, path: str, count: int = 1, *, accepted_only: bool = True) -> None:
        """Return once ``count`` deliveries to ``path`` arrived (wrap it in ``asyncio.timeout``)."""
        async with self._arrived:
            await self._arrived.wait_for(
                lambda: len(self.deliveries_to(path, accepted_only=accepted_only)) >= count
            )

    # -- handlers ----------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        failure = self._failure()
        if failure is not None:
            return await self._refuse(request, body, failure)
        return await self._keep(request, body, web.json_response({"received": True}))

    async def _discord(self, request: web.Request) -> web.Response:
        body = await request.read()
        failure = self._failure()
        if failure is not None:
            return await self._refuse(request, body, failure)
        document = _json_object(body)
        if document is None or not (document.get("content") or document.get("embeds")):
            answer = web.json_response({"message": "Cannot send an empty message", "code": 50006})
            answer.set_status(400)
            return await self._keep(request, body, answer)
        return await self._keep(request, body, web.Response(status=204))

    async def _telegram(self, request: web.Request) -> web.Response:
        body = await request.read()
        failure = self._failure()
        if failure is not None:
            return await self._refuse(request, body, failure)
        if request.match_info["token"] != self.telegram_token:
            answer = web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
            return await self._keep(request, body, answer)
        document = _json_object(body)
        if document is None or not document.get("chat_id") or not document.get("text"):
            answer = web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: chat_id and text"},
                status=400,
            )
            return await self._keep(request, body, answer)
        message = {"message_id": len(self.deliveries) + 1, "text": document["text"]}
        return await self._keep(request, body, web.json_response({"ok": True, "result": message}))

    def _failure(self) -> _Failure | None:
        if self._failures:
            return self._failures.pop(0)
        return self._always

    async def _refuse(self, request: web.Request, body: bytes, failure: _Failure) -> web.Response:
        payload: dict[str, Any] = {"message": "scripted failure"}
        headers = {}
        if failure.retry_after is not None:
            payload["retry_after"] = failure.retry_after
            headers["Retry-After"] = str(failure.retry_after)
        answer = web.json_response(payload, status=failure.status, headers=headers)
        return await self._keep(request, body, answer)

    async def _keep(self, request: web.Request, body: bytes, answer: web.Response) -> web.Response:
        self.deliveries.append(Delivery(request.path, dict(request.headers), body, answer.status))
        async with self._arrived:
            self._arrived.notify_all()
        return answer


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
