"""Discord: an incoming-webhook message with the notification as an embed.

The body follows Discord's "Execute Webhook" shape: ``content`` (the title), one embed (title,
description, a colour by severity, inline fields, timestamp) and ``allowed_mentions`` with no
parse targets, so nothing in a notification can ping anyone. Discord's limits are respected by
truncation (2,000 characters of content, 4,096 of description, 25 fields of 1,024).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import Field, SecretStr

from trading_bot.adapters.notify.channel import ChannelConfig, post_json
from trading_bot.core.operations import Notification, Severity

_COLOURS = {Severity.INFO: 0x2E86DE, Severity.WARNING: 0xF39C12, Severity.CRITICAL: 0xE74C3C}
_MAX_FIELDS = 25


class DiscordConfig(ChannelConfig):
    """The Discord webhook to post to."""

    webhook_url: SecretStr = Field(
        description="https://discord.com/api/webhooks/<id>/<token> (the token is a secret)"
    )
    username: str | None = Field(default=None, max_length=80, description="name shown as author")


def discord_body(notification: Notification, username: str | None = None) -> dict[str, Any]:
    """Return the Execute Webhook JSON for ``notification``.

    Any: a JSON object of Discord's shape.
    """
    embed: dict[str, Any] = {
        "title": _cut(notification.title, 256),
        "description": _cut(notification.text, 4_096),
        "color": _COLOURS[notification.severity],
        "timestamp": notification.occurred_at.isoformat(),
        "fields": [
            {"name": _cut(name, 256), "value": _cut(value, 1_024) or "-", "inline": True}
            for name, value in list(notification.fields.items())[:_MAX_FIELDS]
        ],
        "footer": {"text": notification.kind.value},
    }
    body: dict[str, Any] = {
        "content": _cut(notification.title, 2_000),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
    if username:
        body["username"] = username
    return body


class DiscordChannel:
    """Post each notification to a Discord channel through its webhook."""

    def __init__(self, config: DiscordConfig, *, name: str = "discord") -> None:
        self.name = name
        self.events = frozenset(config.events)
        self._config = config
        self._client = httpx.AsyncClient(timeout=config.timeout_seconds)

    async def send(self, notification: Notification) -> None:
        """Deliver one notification; Discord's 429 ``retry_after`` is honoured by the retry."""
        body = json.dumps(discord_body(notification, self._config.username)).encode()
        await post_json(
            self._client,
            self._config.webhook_url.get_secret_value(),
            content=body,
            headers={},
            what="Discord",
        )

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._client.aclose()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
