"""Domain records shaped into the API's response models (shared by routes and the WebSocket)."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.core.model import (
    PositionRecord,
    ScoredArticle,
    SignalRecord,
    StrategySource,
    TradeOutcome,
    TradeRecord,
)
from trading_bot.entrypoints.api.schemas.portfolio import PositionOut
from trading_bot.entrypoints.api.schemas.trading import (
    ArticleOut,
    Contribution,
    OutcomeOut,
    SignalOut,
    TickerScore,
    TradeOut,
)

CENT_FRACTION = Decimal("0.00000001")
"""Amounts computed here are shown with the precision storage keeps (8 places)."""


def trade_out(record: TradeRecord) -> TradeOut:
    """Return a stored trade as the API shows it."""
    execution = record.execution
    return TradeOut(
        trade_id=execution.trade_id,
        signal_id=execution.signal_id,
        client_order_id=execution.client_order_id,
        ticker=execution.ticker,
        side=execution.side,
        qty=execution.qty,
        filled_qty=execution.filled_qty,
        price=execution.price,
        commission=execution.commission,
        status=execution.status,
        reason=execution.reason,
        is_exit=execution.is_exit,
        realized_pnl=execution.realized_pnl,
        strategy=record.strategy,
        submitted_at=record.submitted_at,
        filled_at=record.filled_at,
        updated_at=execution.executed_at,
    )


def contribution(source: StrategySource) -> Contribution:
    """Return one strategy's part in a signal."""
    return Contribution(
        strategy=source.strategy,
        direction=source.direction,
        strength=source.strength,
        weight=source.weight,
    )


def signal_out(record: SignalRecord) -> SignalOut:
    """Return a stored signal as the API shows it."""
    signal = record.signal
    return SignalOut(
        signal_id=signal.signal_id,
        ticker=signal.ticker,
        direction=signal.direction,
        strength=signal.strength,
        price=signal.price,
        sentiment_score=signal.sentiment_score,
        sources=[contribution(source) for source in signal.sources],
        article_ids=list(signal.article_ids),
        generated_at=signal.generated_at,
        acted_on=record.acted_on,
        outcome=record.outcome,
        outcome_reason=record.outcome_reason,
    )


def article_out(scored: ScoredArticle) -> ArticleOut:
    """Return a scored article as the API shows it."""
    article = scored.article
    return ArticleOut(
        article_id=article.article_id,
        source=article.source,
        url=article.url,
        title=article.title,
        published_at=article.published_at,
        available_at=article.available_at,
        score=scored.score,
        confidence=scored.confidence,
        model_used=scored.model_used,
        reasoning=scored.reasoning,
        tickers=[
            TickerScore(ticker=item.ticker, score=item.score, confidence=item.confidence)
            for item in scored.tickers
        ],
        scored_at=scored.scored_at,
    )


def outcome_out(outcome: TradeOutcome) -> OutcomeOut:
    """Return a closed round trip as the API shows it."""
    return OutcomeOut(
        outcome_id=outcome.outcome_id,
        entry_trade_id=outcome.entry_trade_id,
        exit_trade_id=outcome.exit_trade_id,
        realized_pnl=outcome.realized_pnl,
        roi_pct=outcome.roi_pct,
        hold_seconds=outcome.hold_seconds,
        risk_adjusted_return=outcome.risk_adjusted_return,
        strategy_credits=dict(sorted(outcome.strategy_credits.items())),
        closed_at=outcome.closed_at,
    )


def position_out(record: PositionRecord) -> PositionOut:
    """Return an open position with its unrealised P&L as a share of its cost."""
    position = record.position
    cost = abs(position.qty * position.avg_entry_price)
    pnl = position.unrealized_pnl.quantize(CENT_FRACTION)
    return PositionOut(
        ticker=position.ticker,
        qty=position.qty,
        avg_entry_price=position.avg_entry_price,
        market_price=position.market_price,
        market_value=position.market_value.quantize(CENT_FRACTION),
        unrealized_pnl=pnl,
        unrealized_pnl_pct=float(pnl / cost) if cost > Decimal(0) else None,
        stop_loss=position.stop_loss,
        take_profit=position.take_profit,
        opened_at=position.opened_at,
        entry_signal_id=record.entry_signal_id,
        updated_at=record.updated_at,
    )
