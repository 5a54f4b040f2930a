"""Settings sections of operations: notification channels, heartbeats and the health watch."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.adapters.notify.discord import DiscordConfig
from trading_bot.adapters.notify.dispatcher import DeliveryConfig
from trading_bot.adapters.notify.telegram import TelegramConfig
from trading_bot.adapters.notify.webhook import WebhookConfig
from trading_bot.services.health_watch import HealthWatchConfig
from trading_bot.services.heartbeat import HeartbeatConfig
from trading_bot.services.notifications import NotificationsConfig


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class NotifySettings(_Section):
    """Where operator notifications go; a channel is on once its settings are given."""

    webhook: WebhookConfig | None = Field(
        default=None,
        description="generic signed webhook: set TRADING_NOTIFY__WEBHOOK__URL and "
        "TRADING_NOTIFY__WEBHOOK__SECRET (and optionally __EVENTS) to turn it on",
    )
    discord: DiscordConfig | None = Field(
        default=None,
        description="Discord: set TRADING_NOTIFY__DISCORD__WEBHOOK_URL to turn it on",
    )
    telegram: TelegramConfig | None = Field(
        default=None,
        description="Telegram: set TRADING_NOTIFY__TELEGRAM__BOT_TOKEN and __CHAT_ID to turn it on",
    )
    delivery: DeliveryConfig = Field(
        default_factory=DeliveryConfig, description="queueing and retries of every channel"
    )
    trading: NotificationsConfig = Field(
        default_factory=NotificationsConfig, description="trade and daily-summary notifications"
    )


class OperationsSettings(_Section):
    """Heartbeats, the automatic pause and the broker's push updates."""

    heartbeat: HeartbeatConfig = Field(
        default_factory=HeartbeatConfig, description="how often services report they are alive"
    )
    health_watch: HealthWatchConfig = Field(
        default_factory=HealthWatchConfig, description="when new entries pause on their own"
    )
    trade_updates: bool = Field(
        default=True,
        description="follow Alpaca's trade-updates stream for fills (polling stays the fallback)",
    )
