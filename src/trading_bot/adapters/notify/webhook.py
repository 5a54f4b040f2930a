"""The generic webhook: the notification as a JSON body, signed with a shared secret.

Each POST carries ``X-TradingBot-Timestamp`` (Unix seconds from the bot's clock) and
``X-TradingBot-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>." + body`` under the
shared secret. A receiver recomputes it over the raw body it got, compares in constant time, and
refuses a timestamp too far from its own clock (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
from pydantic import Field, SecretStr

from trading_bot.adapters.notify.channel import ChannelConfig, post_json
from trading_bot.core.operations import Notification
from trading_bot.core.ports import Clock

TIMESTAMP_HEADER = "X-TradingBot-Timestamp"
SIGNATURE_HEADER = "X-TradingBot-Signature"


class WebhookConfig(ChannelConfig):
    """Where the generic webhook posts, and the secret it signs with."""

    url: str = Field(min_length=1, description="the receiver's URL (https in production)")
    secret: SecretStr = Field(description="shared secret of the HMAC-SHA256 signature")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Return True when ``signature`` is the one ``sign`` gives (compared in constant time)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def webhook_body(notification: Notification) -> bytes:
    """Return the JSON body the webhook receives (keys sorted, so a signature is reproducible)."""
    document = notification.model_dump(mode="json")
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class WebhookChannel:
    """POST each notification as signed JSON to one URL."""

    def __init__(self, config: WebhookConfig, clock: Clock, *, name: str = "webhook") -> None:
        self.name = name
        self.events = frozenset(config.events)
        self._config = config
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=config.timeout_seconds)

    async def send(self, notification: Notification) -> None:
        """Deliver one notification (see the module docstring for the signature)."""
        body = webhook_body(notification)
        timestamp = str(int(self._clock.now().timestamp()))
        signature = sign(self._config.secret.get_secret_value(), timestamp, body)
        await post_json(
            self._client,
            self._config.url,
            content=body,
            headers={TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature},
            what=f"the {self.name} receiver",
        )

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._client.aclose()
