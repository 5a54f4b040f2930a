"""The audit log: who paused, resumed, closed, minted or invited, and when."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from trading_bot.entrypoints.api.deps import GatewayDep, Limit, Offset, ReadScope, Since
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES
from trading_bot.entrypoints.api.schemas.controls import AuditEntryOut, AuditPage

router = APIRouter(prefix="/api/audit", tags=["audit"], responses=ERROR_RESPONSES)


@router.get("", response_model=AuditPage)
async def audit(
    *,
    _: ReadScope,
    gateway: GatewayDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    since: Since = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AuditPage:
    """Return a page of the audit log, newest first."""
    page = await gateway.container.repositories.audit.query(
        actor=actor, action=action, since=since, limit=limit, offset=offset
    )
    return AuditPage(
        items=[
            AuditEntryOut(
                id=entry.entry_id,
                actor=entry.actor,
                action=entry.action,
                detail=entry.detail,
                timestamp=entry.timestamp,
            )
            for entry in page.items
        ],
        total=page.total,
        limit=limit,
        offset=offset,
    )
