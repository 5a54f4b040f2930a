"""The operations journal: every operational event is written where operators look for it.

An event (a reconciliation difference, an automatic pause or resume, a lost heartbeat, the kill
switch) goes to the notifier first (in memory, it cannot fail), then to the audit log and the
bus. Those two may be down (that can be why trading paused); what failed is kept in a bounded
backlog and written by the next ``flush``, so nothing is lost to a short outage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import structlog
from pydantic import JsonValue

from trading_bot.core.events import KillSwitchTripped, Message
from trading_bot.core.operations import Notification, NotificationKind, Severity
from trading_bot.core.ports import AuditRepository, EventBus, Metrics, Notifier

log = structlog.stdlib.get_logger(__name__)

OPERATIONS_EVENTS: Final = "operations_events"
"""Counter of operational events recorded (label ``action``)."""
OPERATIONS_WRITE_FAILURES: Final = "operations_write_failures"
"""Counter of writes of operational events that failed and were kept for later (``target``)."""
OPERATIONS_BACKLOG_DROPPED: Final = "operations_backlog_dropped"
"""Counter of kept writes dropped because the backlog was full (``target``)."""


@dataclass(frozen=True, slots=True)
class _AuditRow:
    actor: str
    action: str
    detail: dict[str, JsonValue]


class OperationsJournal:
    """Record operational events in the audit log, on the bus and with the operator.

    ``audit`` may be None where there is no audit log (a backtest); ``notifier`` where nobody
    is told.
    """

    def __init__(
        self,
        *,
        bus: EventBus,
        metrics: Metrics,
        audit: AuditRepository | None = None,
        notifier: Notifier | None = None,
        backlog: int = 1_000,
    ) -> None:
        self._bus = bus
        self._metrics = metrics
        self._audit = audit
        self._notifier = notifier
        self._rows: deque[_AuditRow] = deque()
        self._messages: deque[Message] = deque()
        self._limit = backlog

    @property
    def pending(self) -> int:
        """Return how many writes wait for the audit log or the bus to come back."""
        return len(self._rows) + len(self._messages)

    async def record(
        self,
        event: Message,
        *,
        actor: str,
        action: str,
        detail: Mapping[str, JsonValue],
        notification: Notification | None = None,
    ) -> None:
        """Notify, then append to the audit log and publish ``event``; never raises for an
        unreachable audit log or bus (the write is kept and retried by ``flush``)."""
        self._metrics.increment(OPERATIONS_EVENTS, action=action)
        if notification is not None and self._notifier is not None:
            self._notifier.submit(notification)
        row = _AuditRow(actor, action, {**detail, "occurred_at": event.occurred_at.isoformat()})
        await self.flush()
        if self._audit is not None:
            await self._write_row(row)
        await self._publish(event)

    async def flush(self) -> None:
        """Write what an earlier outage held back, oldest first; stop at the first failure."""
        while self._rows:
            if not await self._write_row(self._rows[0], kept=True):
                break
            self._rows.popleft()
        while self._messages:
            if not await self._publish(self._messages[0], kept=True):
                break
            self._messages.popleft()

    async def _write_row(self, row: _AuditRow, *, kept: bool = False) -> bool:
        if self._audit is None:
            return True
        try:
            await self._audit.add(row.actor, row.action, row.detail)
        except Exception as exc:  # storage may be the very thing that is down
            if self._keep("audit", str(exc), kept):
                self._rows.append(row)
            return False
        return True

    async def _publish(self, message: Message, *, kept: bool = False) -> bool:
        try:
            await self._bus.publish(message)
        except Exception as exc:  # the bus may be the very thing that is down
            if self._keep("bus", str(exc), kept):
                self._messages.append(message)
            return False
        return True

    def _keep(self, target: str, error: str, kept: bool) -> bool:
        """Count a failed write; return True when it must join the backlog (it is new and
        the backlog has room)."""
        self._metrics.increment(OPERATIONS_WRITE_FAILURES, target=target)
        log.warning("operational event not written yet; kept for later", target=target, error=error)
        if kept:
            return False
        if self.pending >= self._limit:
            self._metrics.increment(OPERATIONS_BACKLOG_DROPPED, target=target)
            log.error("operations backlog full; event dropped", target=target)
            return False
        return True


async def record_kill_switch(journal: OperationsJournal, detail: str, at: datetime) -> None:
    """Record that the daily-loss kill switch stopped new entries (the executor's event)."""
    await journal.record(
        KillSwitchTripped(occurred_at=at, detail=detail[:1_000]),
        actor="trade-executor",
        action="risk.kill_switch",
        detail={"detail": detail},
        notification=Notification(
            kind=NotificationKind.KILL_SWITCH,
            title="Kill switch: new entries stopped for the day",
            text=detail,
            severity=Severity.CRITICAL,
            occurred_at=at,
        ),
    )
