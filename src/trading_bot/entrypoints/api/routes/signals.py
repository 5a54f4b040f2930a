"""Signals of the ensemble, filtered and paginated."""

from __future__ import annotations

from fastapi import APIRouter

from trading_bot.core.model import Direction
from trading_bot.entrypoints.api.deps import (
    GatewayDep,
    Limit,
    Offset,
    ReadScope,
    Since,
    TickerQuery,
    Until,
)
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES
from trading_bot.entrypoints.api.schemas.trading import SignalPage
from trading_bot.entrypoints.api.views import signal_out

router = APIRouter(prefix="/api/signals", tags=["signals"], responses=ERROR_RESPONSES)


@router.get("", response_model=SignalPage)
async def signals(
    *,
    _: ReadScope,
    gateway: GatewayDep,
    ticker: TickerQuery = None,
    direction: Direction | None = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> SignalPage:
    """Return a page of signals, newest first, with the total matching the filters."""
    page = await gateway.container.repositories.signals.query(
        ticker=ticker, direction=direction, since=since, until=until, limit=limit, offset=offset
    )
    return SignalPage(
        items=[signal_out(record) for record in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )
