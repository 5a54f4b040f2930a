"""What operators are told: notifications by kind, and the conditions that pause trading.

A ``Notification`` is what a channel (webhook, Discord, Telegram) delivers; its ``kind`` is what
the configuration switches on or off per channel.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from trading_bot.core.model import Frozen, UtcDatetime


class NotificationKind(StrEnum):
    """The events an operator can be told about."""

    TRADE_EXECUTED = "trade_executed"
    POSITION_CLOSED = "position_closed"
    KILL_SWITCH = "kill_switch"
    PAUSE_RESUME = "pause_resume"
    HEARTBEAT_ALARM = "heartbeat_alarm"
    RECONCILIATION = "reconciliation"
    DAILY_SUMMARY = "daily_summary"


class Severity(StrEnum):
    """How urgently a notification wants attention."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Notification(Frozen):
    """One message for the operator: a title, a sentence or two, and labelled facts."""

    kind: NotificationKind
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(default="", max_length=3_000)
    severity: Severity = Severity.INFO
    fields: dict[str, str] = Field(default_factory=dict)
    occurred_at: UtcDatetime


class AutoPauseCondition(StrEnum):
    """What can pause new entries on its own, and resume them once it clears."""

    MARKET_DATA = "market_data"
    """No bar for a subscribed ticker for too long while the market is open."""
    BROKER = "broker"
    """The broker's API failed too many calls in a row."""
    BUS = "bus"
    """The event bus does not answer."""
    STORAGE = "storage"
    """The database does not answer."""
