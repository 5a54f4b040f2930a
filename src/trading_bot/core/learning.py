"""Evaluate a closed round trip: its net P&L, ROI, hold, risk-adjusted return and who gets credit.

Conventions (the learning engine and the backtester both build outcomes here):

- **Realised P&L** is net of both commissions: ``side x (exit - entry) x qty_closed`` minus the
  entry commission pro rata to the quantity closed, minus the exit commission (pro rata too,
  should the exit fill more than it closed). ``side`` is +1 for a long, -1 for a short.
- **ROI %** is that P&L over the entry cost of the quantity closed: its notional plus its share
  of the entry commission, times 100.
- **Risk-adjusted return** is ``(ROI % / 100) / sqrt(hold_days)``, the hold counted in calendar
  days and floored at ``min_hold_seconds``. Under a random walk a position's dispersion grows
  with the square root of the time it is held, so this puts a one-hour and a five-day trade on
  the same footing (a per-trade Sharpe ratio with the volatility left out, because the engine
  sees trades, not the ticker's bars); the floor stops a round trip of a few seconds from
  dominating every average.
- **Credit** goes to the strategies of the entry signal in proportion to their strength:
  ``credit = strength / sum(strength) x agreement``, where ``agreement`` is +1 for a strategy
  whose direction was the trade's and -1 for one that argued against it. NEUTRAL and
  zero-strength sources get no credit. The absolute credits sum to 1, so ``credit x result`` is
  each strategy's share of the result: a winner credits its supporters and its opponents are
  blamed, a loser the other way round. Strength alone (not strength x weight) decides, so a
  strategy the ensemble currently weighs little is judged on its own calls and can earn back
  its weight.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from decimal import Decimal

from pydantic import Field

from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    Direction,
    Frozen,
    OrderSide,
    StrategySource,
    TradeExecution,
    TradeOutcome,
)

SECONDS_PER_DAY = 86_400.0
MONEY_QUANTUM = Decimal("0.00000001")
"""P&L is rounded to the 8 decimal places storage keeps."""

_OUTCOME_IDS = uuid.UUID("6f1d8e0a-3c52-4b7e-9d14-52a0c8e7b3f9")


class EvaluationRules(Frozen):
    """How a closed round trip is scored."""

    min_hold_seconds: float = Field(
        default=3_600.0,
        gt=0,
        allow_inf_nan=False,
        description="floor under the hold in the risk-adjusted return (default one hour)",
    )


def outcome_id_for(exit_trade_id: uuid.UUID) -> uuid.UUID:
    """Return the id of the outcome an exit trade closes: the same however often it is built."""
    return uuid.uuid5(_OUTCOME_IDS, str(exit_trade_id))


def attribute_credit(
    sources: Iterable[StrategySource], trade_direction: Direction
) -> dict[str, float]:
    """Return each strategy's signed credit for a trade taken in ``trade_direction``.

    A strategy that argued for the trade gets ``+strength / total strength``, one that argued
    against it the negative; NEUTRAL or zero-strength sources and a NEUTRAL trade give no
    credit. A strategy named twice gets the sum. Keys are sorted by name.
    """
    if trade_direction is Direction.NEUTRAL:
        return {}
    voting = sorted(
        (s for s in sources if s.direction is not Direction.NEUTRAL and s.strength > 0),
        key=lambda s: (s.strategy, s.direction, s.strength),
    )
    total = math.fsum(s.strength for s in voting)
    if total <= 0:
        return {}
    credits: dict[str, list[float]] = {}
    for source in voting:
        agreement = source.direction.sign * trade_direction.sign
        credits.setdefault(source.strategy, []).append(agreement * source.strength / total)
    merged = {name: math.fsum(parts) for name, parts in credits.items()}
    return {name: credit for name, credit in sorted(merged.items()) if credit != 0.0}


def risk_adjusted_return(
    roi_pct: float, hold_seconds: float, rules: EvaluationRules | None = None
) -> float:
    """Return ``(roi_pct / 100) / sqrt(max(hold, min_hold) in days)``."""
    floor = (rules or EvaluationRules()).min_hold_seconds
    if not (math.isfinite(roi_pct) and math.isfinite(hold_seconds)) or hold_seconds < 0:
        raise DataError(f"cannot risk-adjust ROI {roi_pct!r} over {hold_seconds!r} s")
    return (roi_pct / 100.0) / math.sqrt(max(hold_seconds, floor) / SECONDS_PER_DAY)


def evaluate_round_trip(
    entry: TradeExecution,
    exit_: TradeExecution,
    sources: Iterable[StrategySource] = (),
    rules: EvaluationRules | None = None,
) -> TradeOutcome:
    """Return the outcome of closing (part of) the position ``entry`` opened with ``exit_``.

    ``sources`` are the entry signal's strategy sources. ``entry.executed_at`` must be when the
    entry filled. Raise ``DataError`` naming the problem when the two trades are not a filled
    entry and a filled exit of the same ticker in opposite directions, in time order.
    """
    entry_price, entry_qty = _filled(entry, "entry")
    exit_price, exit_qty = _filled(exit_, "exit")
    if entry.is_exit or not exit_.is_exit:
        raise DataError(
            f"trade {entry.trade_id} must be an entry and {exit_.trade_id} an exit "
            f"(is_exit {entry.is_exit}, {exit_.is_exit})"
        )
    if entry.ticker != exit_.ticker:
        raise DataError(f"the exit in {exit_.ticker} cannot close a position in {entry.ticker}")
    if entry.side is exit_.side:
        raise DataError(f"an exit must trade against the entry; both are {entry.side}")
    hold_seconds = (exit_.executed_at - entry.executed_at).total_seconds()
    if hold_seconds < 0:
        raise DataError(
            f"the exit ({exit_.executed_at.isoformat()}) precedes its entry "
            f"({entry.executed_at.isoformat()})"
        )

    closed = min(entry_qty, exit_qty)
    side = 1 if entry.side is OrderSide.BUY else -1
    entry_commission = entry.commission * closed / entry_qty
    exit_commission = exit_.commission * closed / exit_qty
    gross = side * (exit_price - entry_price) * closed
    pnl = (gross - entry_commission - exit_commission).quantize(MONEY_QUANTUM)
    cost = entry_price * closed + entry_commission
    if cost <= 0:
        raise DataError(f"entry {entry.trade_id} has no positive cost ({cost})")
    roi_pct = float(pnl / cost * 100)
    direction = Direction.LONG if side > 0 else Direction.SHORT
    return TradeOutcome(
        outcome_id=outcome_id_for(exit_.trade_id),
        entry_trade_id=entry.trade_id,
        exit_trade_id=exit_.trade_id,
        ticker=entry.ticker,
        realized_pnl=pnl,
        roi_pct=roi_pct,
        hold_seconds=hold_seconds,
        risk_adjusted_return=risk_adjusted_return(roi_pct, hold_seconds, rules),
        strategy_credits=attribute_credit(sources, direction),
        closed_at=exit_.executed_at,
    )


def _filled(trade: TradeExecution, what: str) -> tuple[Decimal, Decimal]:
    if trade.price is None or trade.filled_qty <= 0:
        raise DataError(
            f"the {what} trade {trade.trade_id} has no fill "
            f"(price {trade.price}, filled {trade.filled_qty})"
        )
    return trade.price, trade.filled_qty
