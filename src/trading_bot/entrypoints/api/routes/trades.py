"""Trades: the paginated, filtered log and each trade with everything behind it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from trading_bot.core.model import OrderStatus
from trading_bot.entrypoints.api.deps import (
    GatewayDep,
    Limit,
    Offset,
    ReadScope,
    Since,
    TickerQuery,
    Until,
)
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from trading_bot.entrypoints.api.schemas.trading import TradeDetail, TradePage
from trading_bot.entrypoints.api.views import (
    article_out,
    contribution,
    outcome_out,
    signal_out,
    trade_out,
)

router = APIRouter(prefix="/api/trades", tags=["trades"], responses=ERROR_RESPONSES)


@router.get("", response_model=TradePage)
async def trades(
    *,
    _: ReadScope,
    gateway: GatewayDep,
    ticker: TickerQuery = None,
    since: Since = None,
    until: Until = None,
    strategy: Annotated[str | None, Query(max_length=64)] = None,
    profitable: Annotated[
        bool | None, Query(description="true: realised P&L > 0; false: <= 0")
    ] = None,
    status: OrderStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TradePage:
    """Return a page of trades, newest first, with the total matching the filters."""
    page = await gateway.container.repositories.trades.query(
        ticker=ticker,
        since=since,
        until=until,
        strategy=strategy,
        profitable=profitable,
        status=status,
        limit=limit,
        offset=offset,
    )
    return TradePage(
        items=[trade_out(record) for record in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.get("/{trade_id}", response_model=TradeDetail, responses={404: {"model": ErrorBody}})
async def trade(trade_id: uuid.UUID, _: ReadScope, gateway: GatewayDep) -> TradeDetail:
    """Return one trade with its signal, each strategy's contribution, the articles behind it
    (with their scores) and the round trip it opened or closed."""
    container = gateway.container
    record = await container.repositories.trades.record(trade_id)
    if record is None:
        raise ApiError(404, "not_found", f"no trade {trade_id}")
    signal_id = record.execution.signal_id
    signal = None if signal_id is None else await container.repositories.signals.get(signal_id)
    articles = (
        [] if signal is None else await container.queries.scored_articles(signal.signal.article_ids)
    )
    outcome = await container.repositories.outcomes.for_trade(trade_id)
    return TradeDetail(
        trade=trade_out(record),
        signal=None if signal is None else signal_out(signal),
        contributions=[] if signal is None else [contribution(s) for s in signal.signal.sources],
        articles=[article_out(article) for article in articles],
        outcome=None if outcome is None else outcome_out(outcome),
    )
