"""Telegram: the Bot API's ``sendMessage`` to one chat, as plain text.

Plain text (no ``parse_mode``) means nothing in a notification needs escaping. Telegram answers
``{"ok": true, ...}``; ``{"ok": false, ...}`` with an ``error_code`` is a refusal, and 429 carries
``parameters.retry_after``, which the retry honours.
"""

from __future__ import annotations

import json

import httpx
from pydantic import Field, SecretStr

from trading_bot.adapters.notify.channel import (
    ChannelConfig,
    DeliveryError,
    plain_text,
    post_json,
)
from trading_bot.core.operations import Notification

TELEGRAM_API = "https://api.telegram.org"
MAX_MESSAGE_CHARS = 4_096


class TelegramConfig(ChannelConfig):
    """The bot that speaks and the chat it speaks to."""

    bot_token: SecretStr = Field(description="the token @BotFather gave the bot")
    chat_id: str = Field(min_length=1, max_length=64, description="chat id or @channel name")
    api_url: str = Field(default=TELEGRAM_API, description="Bot API base URL (a local test server)")


class TelegramChannel:
    """Send each notification as a Telegram message."""

    def __init__(self, config: TelegramConfig, *, name: str = "telegram") -> None:
        self.name = name
        self.events = frozenset(config.events)
        self._config = config
        self._client = httpx.AsyncClient(timeout=config.timeout_seconds)

    async def send(self, notification: Notification) -> None:
        """Deliver one notification; a body with ``ok`` false is a refusal."""
        config = self._config
        url = f"{config.api_url.rstrip('/')}/bot{config.bot_token.get_secret_value()}/sendMessage"
        body = {
            "chat_id": config.chat_id,
            "text": plain_text(notification)[:MAX_MESSAGE_CHARS],
            "disable_web_page_preview": True,
        }
        response = await post_json(
            self._client, url, content=json.dumps(body).encode(), headers={}, what="Telegram"
        )
        try:
            answer = response.json()
        except ValueError as exc:
            raise DeliveryError("Telegram answered something that is not JSON") from exc
        if not (isinstance(answer, dict) and answer.get("ok") is True):
            raise DeliveryError(f"Telegram refused the message: {str(answer)[:200]}")

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._client.aclose()
