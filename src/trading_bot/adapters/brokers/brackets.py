"""Bracket orders as the paper and backtest brokers simulate them, the way Alpaca runs them.

An entry that carries a stop-loss and/or a take-profit gets exit legs once it fills: a stop leg
(a stop order: it becomes a market order when the price trades through its level, so it fills
with slippage) and a take-profit leg (a limit order: it fills at its level or better). The legs
are one-cancels-other: when one fills the other is cancelled, and both are cancelled once the
position they protect is gone. A price that gaps through a level fills at that price.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from trading_bot.adapters.brokers.paper_pricing import PaperBrokerConfig
from trading_bot.adapters.brokers.paper_state import PaperAccount, PaperOrder
from trading_bot.core.model import OrderRequest, OrderResult, OrderSide, OrderStatus, OrderType

STOP_SUFFIX = "-sl"
TAKE_SUFFIX = "-tp"
_MAX_CLIENT_ID = 48


def leg_client_id(parent: str, suffix: str) -> str:
    """Return the client order id of a leg of the entry ``parent``."""
    return parent[: _MAX_CLIENT_ID - len(suffix)] + suffix


def open_legs(
    entry: OrderRequest, filled_qty: Decimal, now: datetime, ids: uuid.UUID
) -> list[PaperOrder]:
    """Return the working exit legs of a filled bracket ``entry`` (none for a simple order);
    their broker ids derive from their client ids under the namespace ``ids``."""
    side = OrderSide.SELL if entry.side is OrderSide.BUY else OrderSide.BUY
    legs = []
    if entry.take_profit is not None:
        client_id = leg_client_id(entry.client_order_id, TAKE_SUFFIX)
        request = OrderRequest(
            client_order_id=client_id,
            ticker=entry.ticker,
            side=side,
            qty=filled_qty,
            order_type=OrderType.LIMIT,
            limit_price=entry.take_profit,
        )
        legs.append(_leg(request, ids, now, take_profit=entry.take_profit))
    if entry.stop_loss is not None:
        client_id = leg_client_id(entry.client_order_id, STOP_SUFFIX)
        request = OrderRequest(
            client_order_id=client_id, ticker=entry.ticker, side=side, qty=filled_qty
        )
        legs.append(_leg(request, ids, now, stop_loss=entry.stop_loss))
    return legs


def is_stop(leg: PaperOrder) -> bool:
    """Return True for a stop leg (False for a take-profit leg)."""
    return leg.result.stop_loss is not None


def trigger_price(
    leg: PaperOrder, *, open_: Decimal, high: Decimal, low: Decimal
) -> Decimal | None:
    """Return the price at which a working leg triggers in a bar, or None if it does not.

    A bar that opens beyond the level triggers at the open (a gap); one that only trades through
    it triggers at the level. The paper broker, which knows only the latest price, passes it as
    open, high and low alike.
    """
    sell = leg.request.side is OrderSide.SELL
    if is_stop(leg):
        stop = leg.result.stop_loss
        if stop is None:
            return None
        if sell:
            return open_ if open_ <= stop else (stop if low <= stop else None)
        return open_ if open_ >= stop else (stop if high >= stop else None)
    take = leg.request.limit_price
    if take is None:
        return None
    if sell:
        return open_ if open_ >= take else (take if high >= take else None)
    return open_ if open_ <= take else (take if low <= take else None)


def _leg(
    request: OrderRequest,
    ids: uuid.UUID,
    now: datetime,
    *,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
) -> PaperOrder:
    return PaperOrder(
        request,
        OrderResult(
            broker_order_id=str(uuid.uuid5(ids, request.client_order_id)),
            client_order_id=request.client_order_id,
            ticker=request.ticker,
            side=request.side,
            qty=request.qty,
            status=OrderStatus.PENDING,
            submitted_at=now,
            stop_loss=stop_loss,
            take_profit=take_profit,
        ),
    )


def attach_legs(
    account: PaperAccount, entry: PaperOrder, filled_qty: Decimal, now: datetime, ids: uuid.UUID
) -> None:
    """Start the exit legs of a bracket ``entry`` that just filled ``filled_qty`` (replacing the
    legs an earlier entry in the ticker left working)."""
    close_out(account, entry.request.ticker, "replaced by a newer bracket")
    account.add_legs(entry.result.broker_order_id, open_legs(entry.request, filled_qty, now, ids))


def close_out(account: PaperAccount, ticker: str, reason: str) -> list[OrderResult]:
    """Cancel every working leg of ``ticker``; return the legs cancelled."""
    cancelled = []
    for leg in account.working_legs(ticker):
        account.update(leg, status=OrderStatus.CANCELLED, reason=reason)
        cancelled.append(leg.result)
    return cancelled


def cancel_leg(account: PaperAccount, leg_id: str, reason: str) -> bool:
    """Cancel a working leg and its sibling; return False when ``leg_id`` is not a leg."""
    leg = account.legs.get(leg_id)
    if leg is None:
        return False
    for order in (leg, *account.siblings(leg)):
        if not order.result.status.is_final:
            account.update(order, status=OrderStatus.CANCELLED, reason=reason)
    account.protection.pop(leg.request.ticker, None)
    return True


def trigger_legs(
    account: PaperAccount,
    pricing: PaperBrokerConfig,
    ticker: str,
    *,
    open_: Decimal,
    high: Decimal,
    low: Decimal,
    now: datetime,
) -> list[OrderResult]:
    """Fill the working legs of ``ticker`` the bar reached; return the legs that changed.

    A stop fills as a market order (slippage against the trader); a target at its level or the
    better open. A leg whose position is gone is cancelled instead.
    """
    changed: list[OrderResult] = []
    for leg in account.working_legs(ticker):
        if leg.result.status.is_final:
            continue  # its sibling filled a moment ago
        level = trigger_price(leg, open_=open_, high=high, low=low)
        if level is None:
            continue
        held = account.ledger.position_qty(ticker)
        closing = held if leg.request.side is OrderSide.SELL else -held
        if closing <= 0:
            changed += close_out(account, ticker, "the position is closed")
            break
        price = pricing.fill_price(leg.request.side, level) if is_stop(leg) else level
        qty = min(leg.request.qty, closing)
        commission = pricing.commission(qty, price)
        account.ledger.apply_fill(ticker, leg.request.side, qty, price, commission, now)
        account.update(
            leg,
            status=OrderStatus.FILLED,
            filled_qty=qty,
            filled_avg_price=price,
            commission=commission,
            filled_at=now,
        )
        changed.append(leg.result)
        for sibling in account.siblings(leg):
            if not sibling.result.status.is_final:
                account.update(sibling, status=OrderStatus.CANCELLED, reason="the other leg filled")
                changed.append(sibling.result)
        if account.ledger.position_qty(ticker) == 0:
            account.protection.pop(ticker, None)
    return changed
