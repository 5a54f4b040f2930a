"""One valid, fully populated example of every bus message, for round-trip and transport tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trading_bot.core.events import (
    ArticleFetched,
    ArticleScored,
    BarClosed,
    BrokerReconciled,
    ClosePosition,
    HeartbeatLost,
    HeartbeatRestored,
    HeartbeatSent,
    KillSwitchTripped,
    Message,
    PortfolioUpdated,
    SignalGenerated,
    TradeExecuted,
    TradingAutoPaused,
    TradingAutoResumed,
    WeightsUpdated,
)
from trading_bot.core.model import (
    Bar,
    Direction,
    OrderSide,
    OrderStatus,
    PortfolioUpdate,
    Position,
    RawArticle,
    ScoredArticle,
    StrategySource,
    TickerSentiment,
    TradeExecution,
    TradeSignal,
    WeightUpdate,
    client_order_id_for,
)

SAMPLE_TIME = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
"""A Tuesday during the New York session."""


def sample_article(at: datetime = SAMPLE_TIME) -> RawArticle:
    """Return a news article about Apple, available a minute after publication."""
    return RawArticle.create(
        source="replay",
        url="https://news.example.com/apple-beats-estimates",
        title="Apple beats estimates as iPhone sales jump",
        content="Apple Inc. (AAPL) reported quarterly revenue above analysts' expectations.",
        published_at=at - timedelta(minutes=1),
        available_at=at,
        provider_tickers=("AAPL",),
    )


def sample_signal(at: datetime = SAMPLE_TIME) -> TradeSignal:
    """Return a LONG signal on AAPL from two strategies."""
    return TradeSignal(
        signal_id=uuid.UUID("3f0c9a52-8d5e-4c1b-9a57-2b6e0f1d4c21"),
        ticker="AAPL",
        direction=Direction.LONG,
        strength=0.62,
        price=187.25,
        sources=(
            StrategySource(strategy="momentum", direction=Direction.LONG, strength=0.7, weight=0.5),
            StrategySource(
                strategy="sentiment", direction=Direction.LONG, strength=0.54, weight=0.5
            ),
        ),
        sentiment_score=0.41,
        article_ids=(sample_article(at).article_id,),
        generated_at=at,
    )


def sample_messages(at: datetime = SAMPLE_TIME) -> list[Message]:
    """Return one message of every type in ``core.events.MESSAGE_TYPES``, all at ``at``."""
    article = sample_article(at)
    signal = sample_signal(at)
    position = Position(
        ticker="AAPL",
        qty=Decimal("10"),
        avg_entry_price=Decimal("187.30"),
        market_price=Decimal("188.10"),
        stop_loss=Decimal("181.68"),
        take_profit=Decimal("196.67"),
        opened_at=at,
    )
    return [
        BarClosed(
            occurred_at=at,
            bar=Bar(
                ticker="BRK.B",
                timestamp=at - timedelta(minutes=1),
                open=410.5,
                high=411.25,
                low=410.0,
                close=411.0,
                volume=12_345,
            ),
        ),
        ArticleFetched(occurred_at=at, article=article),
        ArticleScored(
            occurred_at=at,
            scored=ScoredArticle(
                article=article,
                score=0.41,
                confidence=0.87,
                model_used="lexicon",
                tickers=(TickerSentiment(ticker="AAPL", score=0.41, confidence=0.87),),
                reasoning="beats estimates; sales jump",
                scored_at=at,
            ),
        ),
        SignalGenerated(occurred_at=at, signal=signal),
        TradeExecuted(
            occurred_at=at,
            execution=TradeExecution(
                trade_id=uuid.UUID("9a1f7c3e-2b4d-4e6f-8a0b-1c2d3e4f5a6b"),
                signal_id=signal.signal_id,
                client_order_id=client_order_id_for(signal.signal_id),
                broker_order_id="paper-1",
                ticker="AAPL",
                side=OrderSide.BUY,
                qty=Decimal("10"),
                price=Decimal("187.30"),
                filled_qty=Decimal("10"),
                commission=Decimal("0.35"),
                status=OrderStatus.FILLED,
                executed_at=at,
            ),
        ),
        WeightsUpdated(
            occurred_at=at,
            update=WeightUpdate(
                weights={"momentum": 0.55, "sentiment": 0.45},
                reasons={"momentum": "won 3 of 4", "sentiment": "lost 2 of 3"},
                cycle=7,
                updated_at=at,
            ),
        ),
        PortfolioUpdated(
            occurred_at=at,
            update=PortfolioUpdate(
                equity=Decimal("100008.00"),
                cash=Decimal("98126.65"),
                buying_power=Decimal("98126.65"),
                daily_pnl=Decimal("-12.40"),
                positions=(position,),
                as_of=at,
            ),
        ),
        ClosePosition(occurred_at=at, ticker="AAPL", requested_by="alice"),
        HeartbeatSent(occurred_at=at, service="trade-executor", instance="host-1234-ab12"),
        TradingAutoPaused(
            occurred_at=at, condition="market_data", detail="no AAPL bar for 5 minutes"
        ),
        TradingAutoResumed(occurred_at=at, condition="market_data", detail="bars arrive again"),
        KillSwitchTripped(occurred_at=at, detail="realised loss today 3012.50 reached 3000.00"),
        BrokerReconciled(
            occurred_at=at,
            kind="position_created",
            ticker="AAPL",
            client_order_id=None,
            detail={"broker_qty": "10", "stored_qty": None},
        ),
        HeartbeatLost(
            occurred_at=at,
            service="signal-generator",
            instance="host-1234-ab12",
            last_seen_at=at - timedelta(minutes=2),
        ),
        HeartbeatRestored(occurred_at=at, service="signal-generator", instance="host-1234-ab12"),
    ]
