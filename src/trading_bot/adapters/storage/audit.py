"""The audit log, append-only: ``core.ports.AuditRepository`` on SQLAlchemy."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from pydantic import JsonValue
from sqlalchemy import ColumnElement, func, select

from trading_bot.adapters.storage._sql import build, check_page
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.tables import AuditRow
from trading_bot.core.model import AuditEntry, Page
from trading_bot.core.ports import Clock


class SqlAuditRepository:
    """Who did what, and when. Entries are never changed or removed."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def add(
        self, actor: str, action: str, detail: Mapping[str, JsonValue] | None = None
    ) -> AuditEntry:
        """Append an entry stamped with the clock's time and return it."""
        entry = build(
            AuditEntry,
            entry_id=uuid.uuid4(),
            actor=actor,
            action=action,
            detail=dict(detail or {}),
            timestamp=self._clock.now(),
        )
        async with self._db.transaction("append audit entry") as session:
            session.add(
                AuditRow(
                    id=entry.entry_id,
                    actor=entry.actor,
                    action=entry.action,
                    detail=entry.detail,
                    timestamp=entry.timestamp,
                )
            )
        return entry

    async def get(self, entry_id: uuid.UUID) -> AuditEntry | None:
        """Return the entry, or None."""
        async with self._db.lookup("get audit entry") as session:
            row = await session.get(AuditRow, entry_id)
            return None if row is None else _entry(row)

    async def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEntry]:
        """Return one page of entries matching the filters, newest first, and the total."""
        check_page(limit, offset)
        conditions: list[ColumnElement[bool]] = []
        if actor is not None:
            conditions.append(AuditRow.actor == actor)
        if action is not None:
            conditions.append(AuditRow.action == action)
        if since is not None:
            conditions.append(AuditRow.timestamp >= since)
        async with self._db.read("query audit log") as session:
            total = await session.scalar(
                select(func.count()).select_from(AuditRow).where(*conditions)
            )
            rows = await session.scalars(
                select(AuditRow)
                .where(*conditions)
                .order_by(AuditRow.timestamp.desc(), AuditRow.id)
                .limit(limit)
                .offset(offset)
            )
            return Page([_entry(row) for row in rows], total or 0)


def _entry(row: AuditRow) -> AuditEntry:
    return build(
        AuditEntry,
        entry_id=row.id,
        actor=row.actor,
        action=row.action,
        detail=row.detail,
        timestamp=row.timestamp,
    )
