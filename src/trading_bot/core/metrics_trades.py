"""Trade-level performance: the equity curve from fills, exposure, win rate, profit factor and
each strategy's share of the result (pure functions; return figures are in ``core.metrics``).

- **Equity curve**: the fills are booked in time order on a ``core.ledger.Ledger``; at each mark
  (a bar's closes) the equity is cash plus every position at its latest known close.
- **Exposure**: the fraction of marks at which any position was open.
- **Wins and losses** are closed round trips (``TradeOutcome``) with a net realised P&L above or
  below zero; a break-even trade counts in ``trades`` but is neither. Win rate = wins / trades;
  profit factor = gross profit / |gross loss|; payoff ratio = average win / |average loss|.
- **Strategy attribution**: a strategy's P&L is ``sum(credit x realised P&L)`` over the outcomes
  crediting it; it was right in an outcome when that product is positive (it backed a winner or
  opposed a loser). Its Sharpe is the per-trade ratio ``mean / std(ddof=1)`` of its credited
  returns ``credit x ROI``, not annualised (trades are not evenly spaced in time).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.core.ledger import Ledger
from trading_bot.core.metrics import sharpe_ratio
from trading_bot.core.model import OrderSide, TradeExecution, TradeOutcome

MONEY_QUANTUM = Decimal("0.00000001")
"""Attributed P&L is rounded to the 8 decimal places storage keeps."""


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution as the equity curve books it."""

    at: datetime
    ticker: str
    side: OrderSide
    qty: Decimal
    price: Decimal
    commission: Decimal = Decimal(0)

    @classmethod
    def of(cls, execution: TradeExecution) -> Fill:
        """Return the filled part of ``execution``; raise ``ValueError`` if nothing filled."""
        if execution.price is None or execution.filled_qty <= 0:
            raise ValueError(f"trade {execution.client_order_id} has no fill to book")
        return cls(
            at=execution.executed_at,
            ticker=execution.ticker,
            side=execution.side,
            qty=execution.filled_qty,
            price=execution.price,
            commission=execution.commission,
        )


@dataclass(frozen=True, slots=True)
class Mark:
    """The closes known at one bar time (tickers that did not trade may be left out)."""

    at: datetime
    closes: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """The account's value at one mark."""

    at: datetime
    equity: Decimal
    cash: Decimal
    invested: bool
    """True when any position was open at this mark."""


def equity_curve(cash: Decimal, fills: Iterable[Fill], marks: Iterable[Mark]) -> list[EquityPoint]:
    """Return the equity at each mark, booking every fill at or before the mark first.

    A ticker without a close yet is valued at its last known close, or its entry price. Marks
    and fills are taken in time order whatever order they arrive in; a fill the ledger refuses
    (a non-positive price or quantity) raises ``ValueError``.
    """
    ledger = Ledger(cash)
    pending = sorted(fills, key=lambda fill: (fill.at, fill.ticker))
    known: dict[str, Decimal] = {}
    points: list[EquityPoint] = []
    next_fill = 0
    for mark in sorted(marks, key=lambda mark: mark.at):
        while next_fill < len(pending) and pending[next_fill].at <= mark.at:
            fill = pending[next_fill]
            ledger.apply_fill(
                fill.ticker, fill.side, fill.qty, fill.price, fill.commission, fill.at
            )
            next_fill += 1
        known.update(mark.closes)
        points.append(
            EquityPoint(
                at=mark.at,
                equity=ledger.equity(known),
                cash=ledger.cash,
                invested=bool(ledger.positions),
            )
        )
    return points


def exposure(points: Sequence[EquityPoint]) -> float | None:
    """Return the fraction of points with a position open; None for no points."""
    if not points:
        return None
    return sum(1 for point in points if point.invested) / len(points)


@dataclass(frozen=True, slots=True)
class TradeSummary:
    """What the closed round trips say, taken together."""

    trades: int
    wins: int
    losses: int
    win_rate: float | None
    """wins / trades; None without trades."""
    average_win: Decimal | None
    """Mean P&L of the winners; None without winners."""
    average_loss: Decimal | None
    """Mean P&L of the losers (negative); None without losers."""
    payoff_ratio: float | None
    """average win / |average loss|; None without both."""
    profit_factor: float | None
    """gross profit / |gross loss|; None without losers."""
    total_pnl: Decimal
    average_hold: timedelta | None
    """Mean time from entry to exit; None without trades."""


def trade_summary(outcomes: Iterable[TradeOutcome]) -> TradeSummary:
    """Return trade count, win rate, average win and loss, payoff ratio, profit factor, total
    P&L and average hold of the closed round trips ``outcomes``."""
    trades = list(outcomes)
    wins = [o.realized_pnl for o in trades if o.realized_pnl > 0]
    losses = [o.realized_pnl for o in trades if o.realized_pnl < 0]
    gross_profit = sum(wins, Decimal(0))
    gross_loss = sum(losses, Decimal(0))
    average_win = _quantize(gross_profit / len(wins)) if wins else None
    average_loss = _quantize(gross_loss / len(losses)) if losses else None
    payoff = (
        float(average_win / -average_loss)
        if average_win is not None and average_loss is not None
        else None
    )
    hold = math.fsum(o.hold_seconds for o in trades)
    return TradeSummary(
        trades=len(trades),
        wins=len(wins),
        losses=len(losses),
        win_rate=len(wins) / len(trades) if trades else None,
        average_win=average_win,
        average_loss=average_loss,
        payoff_ratio=payoff,
        profit_factor=float(gross_profit / -gross_loss) if losses else None,
        total_pnl=sum((o.realized_pnl for o in trades), Decimal(0)),
        average_hold=timedelta(seconds=hold / len(trades)) if trades else None,
    )


@dataclass(frozen=True, slots=True)
class StrategyAttribution:
    """One strategy's share of the closed round trips that credit it."""

    trades: int
    """Outcomes crediting the strategy."""
    credit: float
    """Sum of its credits (positive: it mostly backed the trades taken)."""
    pnl: Decimal
    """Sum of credit x realised P&L."""
    win_rate: float | None
    """Share of its outcomes where credit x P&L > 0; None without outcomes."""
    sharpe: float | None
    """Per-trade mean / std(ddof=1) of credit x ROI; None with fewer than two or no spread."""


def strategy_attribution(outcomes: Iterable[TradeOutcome]) -> dict[str, StrategyAttribution]:
    """Return each credited strategy's attribution, keyed and ordered by name."""
    ordered = sorted(outcomes, key=lambda o: (o.closed_at, str(o.exit_trade_id)))
    per_strategy: dict[str, list[tuple[float, Decimal, float]]] = {}
    for outcome in ordered:
        for name, credit in outcome.strategy_credits.items():
            if credit != 0.0:
                share = Decimal(repr(credit)) * outcome.realized_pnl
                per_strategy.setdefault(name, []).append(
                    (credit, share, credit * outcome.roi_pct / 100.0)
                )
    return {name: _attribution(rows) for name, rows in sorted(per_strategy.items())}


def _attribution(rows: Sequence[tuple[float, Decimal, float]]) -> StrategyAttribution:
    returns = [row[2] for row in rows]
    return StrategyAttribution(
        trades=len(rows),
        credit=math.fsum(row[0] for row in rows),
        pnl=_quantize(sum((row[1] for row in rows), Decimal(0))),
        win_rate=sum(1 for row in rows if row[1] > 0) / len(rows),
        sharpe=sharpe_ratio(returns, periods_per_year=1),
    )


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(MONEY_QUANTUM)
