"""HTTP plumbing shared by the feed sources: a bounded GET, conditional headers, per-feed backoff.

TemporaryError
└── FeedUnavailableError      timeout, network error, 408, 429 (with Retry-After), 5xx
DataError
├── FeedRefusedError          any other non-2xx status, or a body above the size limit
└── MalformedFeedError        a body no entry could be recovered from
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

from trading_bot.core.errors import DataError, TemporaryError
from trading_bot.core.ports import Clock

DEFAULT_USER_AGENT: Final = "trading-bot/0.1 (news fetcher)"
_CHUNK_BYTES: Final = 64 * 1024


class FeedUnavailableError(TemporaryError):
    """The feed did not answer usefully this time; it is retried after a backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedRefusedError(DataError):
    """The feed answered with something we will not read (wrong status, too large)."""


class MalformedFeedError(DataError):
    """The body is not a feed from which any entry could be recovered."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with equal jitter: the n-th failure waits between half and all of
    ``min(max_seconds, base_seconds * 2**(n-1))``."""

    base_seconds: float
    max_seconds: float

    def delay(self, failures: int, rng: random.Random) -> float:
        """Return how long to wait after ``failures`` consecutive failures."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, failures - 1))
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(slots=True)
class FeedState:
    """What we remember about one feed between polls: cache validators and its failure run."""

    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_attempt_at: datetime | None = None

    def is_due(self, now: datetime) -> bool:
        """Return whether the feed may be fetched at ``now`` (it is not backing off)."""
        return self.next_attempt_at is None or now >= self.next_attempt_at

    def conditional_headers(self) -> dict[str, str]:
        """Return the If-None-Match / If-Modified-Since headers for the next request."""
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def record_success(self, validators: httpx.Headers | None = None) -> None:
        """Clear the failure run; remember the response's validators when there are new ones."""
        self.failures = 0
        self.next_attempt_at = None
        if validators is not None:
            self.etag = validators.get("etag") or self.etag
            self.last_modified = validators.get("last-modified") or self.last_modified

    def record_failure(self, now: datetime, delay_seconds: float) -> None:
        """Count a failure and hold the feed back for ``delay_seconds``."""
        self.failures += 1
        self.next_attempt_at = now + timedelta(seconds=delay_seconds)


@dataclass(frozen=True, slots=True)
class FetchedBody:
    """A 200 response read in full (and within the size limit)."""

    content: bytes
    headers: httpx.Headers


def build_client(*, user_agent: str, timeout_seconds: float) -> httpx.AsyncClient:
    """Return the HTTP client the feed sources share: our User-Agent, redirects followed."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=True,
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


async def get_feed(
    client: httpx.AsyncClient,
    url: str,
    *,
    state: FeedState,
    max_bytes: int,
    timeout_seconds: float,
    now: datetime,
) -> FetchedBody | None:
    """GET ``url`` conditionally; return its body, or None when the server says 304.

    The whole exchange must finish within ``timeout_seconds`` (a server dribbling bytes is cut
    off), and a body above ``max_bytes`` is refused without being read in full.
    """
    try:
        async with (
            asyncio.timeout(timeout_seconds),
            client.stream("GET", url, headers=state.conditional_headers()) as response,
        ):
            if response.status_code == httpx.codes.NOT_MODIFIED:
                return None
            _raise_for_status(response, now)
            _refuse_declared_size(response, max_bytes)
            body = bytearray()
            async for chunk in response.aiter_bytes(_CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise FeedRefusedError(f"body exceeds the {max_bytes}-byte limit")
            return FetchedBody(content=bytes(body), headers=response.headers)
    except TimeoutError as exc:
        raise FeedUnavailableError(f"no complete answer within {timeout_seconds} s") from exc
    except httpx.TransportError as exc:
        raise FeedUnavailableError(f"{type(exc).__name__}: {exc}") from exc


def _raise_for_status(response: httpx.Response, now: datetime) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == httpx.codes.TOO_MANY_REQUESTS:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        raise FeedUnavailableError("HTTP 429 Too Many Requests", retry_after=retry_after)
    if status >= 500 or status == httpx.codes.REQUEST_TIMEOUT:
        raise FeedUnavailableError(f"HTTP {status}")
    raise FeedRefusedError(f"HTTP {status}")


def _refuse_declared_size(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedRefusedError(f"declared body of {declared} bytes exceeds the {max_bytes} limit")


@dataclass(slots=True)
class RateLimiter:
    """Allow at most ``max_requests`` in any window of ``per_seconds`` on ``clock``.

    Callers wait their turn in order; used to keep to fair-access limits such as SEC's 10/s.
    """

    clock: Clock
    max_requests: int
    per_seconds: float = 1.0
    _stamps: deque[datetime] = field(default_factory=deque)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def acquire(self) -> None:
        """Wait until one more request fits in the window, and count it."""
        window = timedelta(seconds=self.per_seconds)
        async with self._lock:
            while True:
                now = self.clock.now()
                while self._stamps and now - self._stamps[0] >= window:
                    self._stamps.popleft()
                if len(self._stamps) < self.max_requests:
                    self._stamps.append(now)
                    return
                await self.clock.sleep((self._stamps[0] + window - now).total_seconds())
