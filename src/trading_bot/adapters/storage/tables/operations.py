"""Tables of operations: durable key-value state, backtest runs and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Double, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from trading_bot.adapters.storage.tables._base import Base, enum_column
from trading_bot.adapters.storage.types import JsonDocument, UtcDateTime
from trading_bot.core.model import BacktestStatus


class KeyValueRow(Base):
    """Small state that must survive a restart: flags, counters, broker snapshots."""

    __tablename__ = "kv_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BacktestRunRow(Base):
    """A backtest requested from the dashboard or the CLI."""

    __tablename__ = "backtest_runs"
    __table_args__ = (Index(None, "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[BacktestStatus] = mapped_column(enum_column(BacktestStatus, "status"))
    progress: Mapped[float] = mapped_column(Double, default=0.0)
    config: Mapped[dict[str, object]] = mapped_column(JsonDocument)
    metrics: Mapped[dict[str, object] | None] = mapped_column(JsonDocument)
    result: Mapped[dict[str, object] | None] = mapped_column(JsonDocument)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """One audited action."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "timestamp"),
        Index(None, "actor", "timestamp"),
        Index(None, "action", "timestamp"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, object]] = mapped_column(JsonDocument)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
