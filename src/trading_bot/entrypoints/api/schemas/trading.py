"""Responses of the trade, signal and news routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from trading_bot.core.model import Direction, OrderSide, OrderStatus, SignalOutcome


class TradeOut(BaseModel):
    """An order the executor placed and what became of it."""

    trade_id: uuid.UUID
    signal_id: uuid.UUID | None
    client_order_id: str
    ticker: str
    side: OrderSide
    qty: Decimal
    filled_qty: Decimal
    price: Decimal | None = Field(description="average fill price; null until filled")
    commission: Decimal
    status: OrderStatus
    reason: str
    is_exit: bool
    realized_pnl: Decimal | None
    strategy: str | None = Field(description="the strategy credited with the trade")
    submitted_at: datetime
    filled_at: datetime | None
    updated_at: datetime


class TradePage(BaseModel):
    """One page of trades, newest first, and how many match overall."""

    items: list[TradeOut]
    total: int
    limit: int
    offset: int


class Contribution(BaseModel):
    """One strategy's part in a signal."""

    strategy: str
    direction: Direction
    strength: float
    weight: float


class SignalOut(BaseModel):
    """A signal of the ensemble and the outcome the executor recorded for it."""

    signal_id: uuid.UUID
    ticker: str
    direction: Direction
    strength: float
    price: float
    sentiment_score: float | None
    sources: list[Contribution]
    article_ids: list[str]
    generated_at: datetime
    acted_on: bool
    outcome: SignalOutcome | None
    outcome_reason: str


class SignalPage(BaseModel):
    """One page of signals, newest first."""

    items: list[SignalOut]
    total: int
    limit: int
    offset: int


class TickerScore(BaseModel):
    """What an article says about one ticker."""

    ticker: str
    score: float
    confidence: float


class ArticleOut(BaseModel):
    """A scored article (once per model that scored it)."""

    article_id: str
    source: str
    url: str
    title: str
    published_at: datetime
    available_at: datetime
    score: float
    confidence: float
    model_used: str
    reasoning: str
    tickers: list[TickerScore]
    scored_at: datetime


class NewsPage(BaseModel):
    """One page of scored articles, newest published first."""

    items: list[ArticleOut]
    total: int
    limit: int
    offset: int


class OutcomeOut(BaseModel):
    """A closed round trip and each strategy's signed share of it."""

    outcome_id: uuid.UUID
    entry_trade_id: uuid.UUID
    exit_trade_id: uuid.UUID
    realized_pnl: Decimal
    roi_pct: float
    hold_seconds: float
    risk_adjusted_return: float
    strategy_credits: dict[str, float]
    closed_at: datetime


class TradeDetail(BaseModel):
    """A trade with everything behind it: its signal, the strategies, the news, the outcome."""

    trade: TradeOut
    signal: SignalOut | None
    contributions: list[Contribution]
    articles: list[ArticleOut]
    outcome: OutcomeOut | None
