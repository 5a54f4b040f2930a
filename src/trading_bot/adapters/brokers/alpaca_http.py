"""The HTTP transport of the Alpaca broker: one aiohttp session with keep-alive, on our own loop.

It knows URLs, headers and status codes, nothing of orders: a 2xx answer comes back as decoded
JSON (None when the body is empty), any other status raises ``AlpacaHttpError`` with the body
Alpaca sent, and a 2xx body that is not JSON raises ``AlpacaBodyError``. Network errors and
timeouts are aiohttp's own; deciding what is worth retrying is the broker's business.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

import aiohttp
from alpaca.common.enums import BaseURL
from alpaca.common.utils import get_default_user_agent

__all__ = ["AlpacaBodyError", "AlpacaHttp", "AlpacaHttpError", "query_params"]

_API_VERSION: Final = "v2"
_QUOTED_BODY_CHARS: Final = 200


class AlpacaHttpError(Exception):
    """Alpaca answered with a status outside 2xx; ``body`` is its text, usually JSON."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class AlpacaBodyError(Exception):
    """Alpaca answered 2xx with a body that is not JSON: the answer was mangled on its way."""


class AlpacaHttp:
    """Requests to Alpaca's trading API (``/v2/...``) with the account's key headers."""

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        paper: bool,
        url_override: str | None,
        timeout_seconds: float,
    ) -> None:
        # The same base URL and headers as alpaca-py's TradingClient, so Alpaca sees no change.
        base = url_override or (BaseURL.TRADING_PAPER if paper else BaseURL.TRADING_LIVE).value
        self._prefix = f"{base}/{_API_VERSION}"
        self._headers = {
            "APCA-API-KEY-ID": api_key,
            "APCA-API-SECRET-KEY": secret_key,
            "User-Agent": get_default_user_agent(),
        }
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one request to ``/v2{path}``; return the decoded JSON answer, or None if empty.

        Raises ``AlpacaHttpError`` for a non-2xx answer, ``AlpacaBodyError`` for a 2xx body
        that does not decode, and aiohttp's ``ClientError`` or ``TimeoutError`` when no answer
        arrives.
        """
        session = self._session
        if session is None or session.closed or self._loop is not asyncio.get_running_loop():
            session = await self._open_session()
        # No redirects, as alpaca-py: a base URL that redirects (http to https) must fail
        # early, since a redirected POST is re-sent as a GET.
        async with session.request(
            method,
            self._prefix + path,
            params=params,
            json=body,
            allow_redirects=False,
        ) as response:
            data = await response.read()
            status = response.status
        if not 200 <= status < 300:
            raise AlpacaHttpError(status, data.decode("utf-8", errors="replace"))
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            quoted = data[:_QUOTED_BODY_CHARS].decode("utf-8", errors="replace")
            raise AlpacaBodyError(
                f"Alpaca answered {status} with a body that is not JSON ({exc}): {quoted!r}"
            ) from exc

    async def aclose(self) -> None:
        """Close the session and its kept-alive connections; a later request opens a new one."""
        session, self._session, self._loop = self._session, None, None
        if session is not None and not session.closed:
            await session.close()

    async def _open_session(self) -> aiohttp.ClientSession:
        # aiohttp binds a session to the loop it was made on, so it is made lazily inside the
        # running loop, and made again when it was closed or that loop is not this one (a
        # second ``asyncio.run``).
        stale, loop = self._session, self._loop
        if stale is not None and loop is not None and loop.is_closed():
            # Its connections ended with their loop: closing it only marks it closed.
            await stale.close()
        session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        self._session, self._loop = session, asyncio.get_running_loop()
        return session


def query_params(fields: Mapping[str, object]) -> dict[str, str]:
    """Return alpaca-py request fields as query parameters, written the way Alpaca documents
    them: enums by value (``status=open``), booleans in lower case (``nested=true``)."""
    return {name: _query_value(value) for name, value in fields.items()}


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ",".join(_query_value(item) for item in value)
    return str(value)
