"""Scored news, filtered by ticker, source, score range and publication time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

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
from trading_bot.entrypoints.api.schemas.trading import NewsPage
from trading_bot.entrypoints.api.views import article_out

Score = Annotated[float | None, Query(ge=-1.0, le=1.0, allow_inf_nan=False)]

router = APIRouter(prefix="/api/news", tags=["news"], responses=ERROR_RESPONSES)


@router.get("", response_model=NewsPage)
async def news(
    *,
    _: ReadScope,
    gateway: GatewayDep,
    ticker: TickerQuery = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    min_score: Score = None,
    max_score: Score = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> NewsPage:
    """Return a page of scored articles, newest published first (once per scoring model).

    A score range with its minimum above its maximum matches nothing.
    """
    page = await gateway.container.repositories.articles.query(
        ticker=ticker,
        source=source,
        min_score=min_score,
        max_score=max_score,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return NewsPage(
        items=[article_out(article) for article in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )
