"""What every notification channel shares: its settings, one HTTP POST, and what a failure means.

A ``TransientDeliveryError`` (network error, timeout, 429, 5xx) is retried with backoff; any
other ``DeliveryError`` (a wrong token, a bad request) is not: the same request would fail again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Protocol

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_settings import NoDecode

from trading_bot.core.operations import Notification, NotificationKind

ALL_KINDS: tuple[NotificationKind, ...] = tuple(NotificationKind)


def _split(value: object) -> object:
    """Accept kinds as a list or, from the environment, as ``kill_switch,daily_summary``."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Kinds = Annotated[tuple[NotificationKind, ...], NoDecode, BeforeValidator(_split)]


class DeliveryError(Exception):
    """A channel refused a notification; retrying the same request would not help."""


class TransientDeliveryError(DeliveryError):
    """A channel could not be reached or asked us to slow down; worth retrying.

    ``retry_after`` is the wait the channel asked for, in seconds, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelConfig(BaseModel):
    """Settings every channel has: which kinds of notification it carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: Kinds = Field(
        default=ALL_KINDS,
        description="kinds this channel receives (trade_executed, position_closed, kill_switch, "
        "pause_resume, heartbeat_alarm, reconciliation, daily_summary); default all",
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="a request taking longer fails; default 10"
    )


class Channel(Protocol):
    """One destination for notifications."""

    name: str
    events: frozenset[NotificationKind]

    async def send(self, notification: Notification) -> None:
        """Deliver ``notification`` once; raise ``DeliveryError`` when it was not taken."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        ...


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    what: str,
) -> httpx.Response:
    """POST ``content`` (JSON) and return a 2xx answer; translate everything else.

    Raise ``TransientDeliveryError`` on network errors, timeouts, 429 and 5xx (with the
    ``Retry-After`` it sent, if any) and ``DeliveryError`` on any other status.
    """
    try:
        response = await client.post(
            url, content=content, headers={"Content-Type": "application/json", **headers}
        )
    except httpx.HTTPError as exc:
        raise TransientDeliveryError(f"{what}: {type(exc).__name__}: {exc}") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientDeliveryError(
            f"{what} answered {status}", retry_after=_retry_after(response)
        )
    if not 200 <= status < 300:
        raise DeliveryError(f"{what} refused the notification with {status}: {response.text[:200]}")
    return response


def _retry_after(response: httpx.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            return None
    return body_retry_after(response)


def body_retry_after(response: httpx.Response) -> float | None:
    """Return a ``retry_after`` the body names (Discord's top level, Telegram's parameters)."""
    try:
        body: Any = response.json()  # Any: a JSON document of the channel's own shape
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("retry_after")
    parameters = body.get("parameters")
    if value is None and isinstance(parameters, dict):
        value = parameters.get("retry_after")
    return float(value) if isinstance(value, int | float) and value >= 0 else None


def plain_text(notification: Notification) -> str:
    """Return the notification as plain lines: title, text, then ``field: value`` lines."""
    lines = [notification.title]
    if notification.text:
        lines.append(notification.text)
    lines.extend(f"{name}: {value}" for name, value in notification.fields.items())
    return "\n".join(lines)
