"""Builders of the values repositories store: valid by default, one keyword away from a variant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trading_bot.core.model import (
    Bar,
    Direction,
    OrderSide,
    OrderStatus,
    PortfolioSnapshot,
    RawArticle,
    RiskDecision,
    ScoredArticle,
    StrategyMetric,
    StrategySource,
    TickerSentiment,
    TradeExecution,
    TradeOutcome,
    TradeSignal,
    client_order_id_for,
)

T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
"""A Tuesday at 10:00 in New York, during the session."""


def at(minutes: float) -> datetime:
    """Return ``T0`` plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


def make_trade_signal(
    ticker: str = "AAPL",
    direction: Direction = Direction.LONG,
    *,
    generated_at: datetime = T0,
    sources: Sequence[StrategySource] | None = None,
    article_ids: Sequence[str] = (),
    sentiment_score: float | None = None,
    strength: float = 0.6,
) -> TradeSignal:
    """Return a signal; by default momentum (strong) and news_driven (weak) agree with it."""
    return TradeSignal(
        ticker=ticker,
        direction=direction,
        strength=strength,
        price=187.25,
        sources=tuple(
            sources
            or (
                StrategySource(strategy="momentum", direction=direction, strength=0.8, weight=0.4),
                StrategySource(
                    strategy="news_driven", direction=direction, strength=0.5, weight=0.3
                ),
            )
        ),
        sentiment_score=sentiment_score,
        article_ids=tuple(article_ids),
        generated_at=generated_at,
    )


def make_execution(
    signal: TradeSignal | None = None,
    *,
    ticker: str = "AAPL",
    side: OrderSide = OrderSide.BUY,
    status: OrderStatus = OrderStatus.PENDING,
    qty: Decimal = Decimal("10"),
    filled_qty: Decimal = Decimal(0),
    price: Decimal | None = None,
    commission: Decimal = Decimal(0),
    is_exit: bool = False,
    realized_pnl: Decimal | None = None,
    executed_at: datetime = T0,
    purpose: str = "entry",
) -> TradeExecution:
    """Return a trade for ``signal`` (its ticker and client order id), or a free-standing one."""
    return TradeExecution(
        signal_id=None if signal is None else signal.signal_id,
        client_order_id=client_order_id_for(
            uuid.uuid4() if signal is None else signal.signal_id, purpose
        ),
        ticker=ticker if signal is None else signal.ticker,
        side=side,
        qty=qty,
        price=price,
        filled_qty=filled_qty,
        commission=commission,
        status=status,
        is_exit=is_exit,
        realized_pnl=realized_pnl,
        executed_at=executed_at,
    )


def make_raw_article(
    title: str = "Apple beats estimates",
    *,
    source: str = "reuters",
    published_at: datetime = T0,
    available_at: datetime | None = None,
    provider_tickers: Sequence[str] = ("AAPL",),
) -> RawArticle:
    """Return an article; its id is the content hash of its URL and title."""
    slug = "-".join(title.lower().split())
    return RawArticle.create(
        source=source,
        url=f"https://news.example.com/{source}/{slug}",
        title=title,
        content=f"{title}. More text follows.",
        published_at=published_at,
        available_at=available_at or published_at + timedelta(seconds=30),
        provider_tickers=tuple(provider_tickers),
    )


def make_scored_article(
    article: RawArticle | None = None,
    *,
    score: float = 0.6,
    confidence: float = 0.9,
    model_used: str = "lexicon",
    tickers: Sequence[tuple[str, float]] = (("AAPL", 0.7),),
    scored_at: datetime | None = None,
) -> ScoredArticle:
    """Return ``article`` (or a default one) scored by ``model_used``."""
    raw = article or make_raw_article()
    return ScoredArticle(
        article=raw,
        score=score,
        confidence=confidence,
        model_used=model_used,
        tickers=tuple(
            TickerSentiment(ticker=name, score=value, confidence=confidence)
            for name, value in tickers
        ),
        reasoning="positive earnings language",
        scored_at=scored_at or raw.available_at + timedelta(seconds=5),
    )


def make_ohlcv(
    ticker: str = "AAPL", timestamp: datetime = T0, *, close: float = 100.0, interval: int = 60
) -> Bar:
    """Return a bar around ``close``."""
    return Bar(
        ticker=ticker,
        timestamp=timestamp,
        open=close - 0.5,
        high=close + 1.0,
        low=close - 1.0,
        close=close,
        volume=12_345.0,
        interval_seconds=interval,
    )


def make_outcome(
    entry: TradeExecution,
    exit_: TradeExecution,
    *,
    realized_pnl: Decimal = Decimal("12.5"),
    credits: dict[str, float] | None = None,
    closed_at: datetime | None = None,
) -> TradeOutcome:
    """Return the outcome of the round trip ``entry`` -> ``exit_``."""
    return TradeOutcome(
        entry_trade_id=entry.trade_id,
        exit_trade_id=exit_.trade_id,
        ticker=entry.ticker,
        realized_pnl=realized_pnl,
        roi_pct=1.25,
        hold_seconds=(exit_.executed_at - entry.executed_at).total_seconds(),
        risk_adjusted_return=0.4,
        strategy_credits=credits if credits is not None else {"momentum": 0.6, "news_driven": 0.4},
        closed_at=closed_at or exit_.executed_at,
    )


def make_portfolio_snapshot(
    timestamp: datetime = T0, *, equity: Decimal = Decimal("100000")
) -> PortfolioSnapshot:
    """Return a snapshot of a portfolio worth ``equity``."""
    return PortfolioSnapshot(
        timestamp=timestamp,
        equity=equity,
        cash=equity - Decimal("25000"),
        buying_power=equity - Decimal("25000"),
        daily_pnl=Decimal("150.25"),
        positions_value=Decimal("25000"),
        open_positions=2,
    )


def make_strategy_metric(
    strategy: str = "momentum", timestamp: datetime = T0, *, trades: int = 20
) -> StrategyMetric:
    """Return a metric of ``strategy``."""
    return StrategyMetric(
        strategy=strategy,
        timestamp=timestamp,
        weight=0.4,
        trades=trades,
        win_rate=0.55,
        total_pnl=Decimal("321.12345678"),
        sharpe=1.1,
    )


def make_risk_decision(
    signal: TradeSignal | None = None,
    *,
    approved: bool = False,
    reason_code: str = "MAX_POSITIONS",
    timestamp: datetime = T0,
) -> RiskDecision:
    """Return a decision about ``signal`` (or a free-standing one about AAPL)."""
    return RiskDecision(
        signal_id=None if signal is None else signal.signal_id,
        ticker="AAPL" if signal is None else signal.ticker,
        approved=approved,
        reason_code="APPROVED" if approved else reason_code,
        detail="" if approved else "20 positions already open",
        qty=Decimal("10") if approved else None,
        timestamp=timestamp,
    )
