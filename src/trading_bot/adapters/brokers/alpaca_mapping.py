"""Translation between our orders, positions and errors and Alpaca's, in both directions.

Orders and positions go through alpaca-py's request and response models; a refusal is read
from the HTTP status and the body Alpaca sent with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from alpaca.trading import enums as alpaca_enums
from alpaca.trading.models import Order as AlpacaOrder
from alpaca.trading.models import Position as AlpacaPosition
from alpaca.trading.models import TradeAccount
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    StopLossRequest,
    TakeProfitRequest,
)
from alpaca.trading.requests import OrderRequest as AlpacaOrderRequest

from trading_bot.core.errors import (
    BrokerError,
    ConfigurationError,
    DuplicateOrderError,
    InsufficientBuyingPowerError,
    MarketClosedError,
    OrderRejectedError,
    TradingBotError,
)
from trading_bot.core.model import (
    Account,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
)

_S = alpaca_enums.OrderStatus
_STATUSES = {
    _S.FILLED: OrderStatus.FILLED,
    _S.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    _S.CANCELED: OrderStatus.CANCELLED,
    _S.EXPIRED: OrderStatus.CANCELLED,
    _S.REPLACED: OrderStatus.CANCELLED,
    _S.REJECTED: OrderStatus.REJECTED,
}
"""Alpaca statuses that are not 'still working' (new, accepted, held, done_for_day...)."""

_CENT = Decimal("0.01")
_SUB_PENNY = Decimal("0.0001")


class NotFoundError(BrokerError):
    """Alpaca answered 404: no such order or position."""


_BY_MESSAGE: tuple[tuple[tuple[str, ...], type[BrokerError]], ...] = (
    (("client_order_id", "unique"), DuplicateOrderError),
    (("insufficient buying power",), InsufficientBuyingPowerError),
    (("market", "closed"), MarketClosedError),
)
"""Refusals recognised by Alpaca's message, whatever its status code."""


def is_transient(status: int | None) -> bool:
    """Return True for answers worth retrying: 429 and 5xx (or no status at all)."""
    return status is None or status == 429 or status >= 500


def translate_error(status: int | None, body: str, *, submitting: bool) -> TradingBotError:
    """Return the ``core.errors`` exception for an Alpaca refusal (its HTTP ``status`` and the
    ``body`` it answered with), keeping Alpaca's message."""
    message = _message(body)
    text = message.lower()
    if status == 401:
        return ConfigurationError(
            f"Alpaca refused the API keys ({message}); check TRADING_ALPACA__API_KEY and "
            "TRADING_ALPACA__SECRET_KEY"
        )
    for needles, kind in _BY_MESSAGE:
        if all(needle in text for needle in needles):
            return kind(f"Alpaca: {message}")
    if status == 404:
        return NotFoundError(f"Alpaca: {message}")
    if submitting:
        return OrderRejectedError(f"Alpaca rejected the order ({status}): {message}")
    return BrokerError(f"Alpaca refused the request ({status}): {message}")


def _message(body: str) -> str:
    try:
        decoded = json.loads(body)
    except ValueError:
        return body or "no message"
    if isinstance(decoded, dict):
        return str(decoded.get("message") or decoded)
    return str(decoded)


def to_alpaca_order(order: OrderRequest) -> AlpacaOrderRequest:
    """Return the alpaca-py request for ``order``: time in force DAY, our client order id, and a
    bracket (both exits) or OTO (one exit) order class when stops are set."""
    side = (
        alpaca_enums.OrderSide.BUY if order.side is OrderSide.BUY else alpaca_enums.OrderSide.SELL
    )
    exits: dict[str, object] = {}
    if order.take_profit is not None:
        exits["take_profit"] = TakeProfitRequest(limit_price=float(alpaca_price(order.take_profit)))
    if order.stop_loss is not None:
        exits["stop_loss"] = StopLossRequest(stop_price=float(alpaca_price(order.stop_loss)))
    if len(exits) == 2:
        exits["order_class"] = alpaca_enums.OrderClass.BRACKET
    elif exits:
        exits["order_class"] = alpaca_enums.OrderClass.OTO
    common: dict[str, object] = {
        "symbol": order.ticker,
        "qty": float(order.qty),
        "side": side,
        "time_in_force": alpaca_enums.TimeInForce.DAY,
        "client_order_id": order.client_order_id,
        **exits,
    }
    if order.order_type is OrderType.LIMIT and order.limit_price is not None:
        return LimitOrderRequest(limit_price=float(alpaca_price(order.limit_price)), **common)
    return MarketOrderRequest(**common)


def alpaca_price(price: Decimal) -> Decimal:
    """Round ``price`` to the tick Alpaca accepts: cents from $1, hundredths of a cent below."""
    tick = _CENT if price >= 1 else _SUB_PENNY
    return price.quantize(tick, rounding=ROUND_HALF_UP)


def to_order_result(order: AlpacaOrder) -> OrderResult:
    """Return our view of an Alpaca order; a shape we cannot read raises BrokerError."""
    filled_qty = _decimal(order.filled_qty) or Decimal(0)
    status = _STATUSES.get(order.status, OrderStatus.PENDING)
    if status is OrderStatus.PENDING and filled_qty > 0:
        status = OrderStatus.PARTIALLY_FILLED
    average = _decimal(order.filled_avg_price)
    qty = _decimal(order.qty)
    if qty is None or order.symbol is None or order.side is None:
        raise BrokerError(f"Alpaca order {order.id} has no symbol, side or quantity")
    stop_loss, take_profit = _exits(order)
    if not order.legs:
        # A bracket leg (or a lone stop or limit order) carries its own level.
        if order.type is alpaca_enums.OrderType.STOP:
            stop_loss = _decimal(order.stop_price)
        elif order.type is alpaca_enums.OrderType.LIMIT and order.order_class in _LEGGED:
            take_profit = _decimal(order.limit_price)
    return OrderResult(
        broker_order_id=str(order.id),
        client_order_id=order.client_order_id,
        ticker=order.symbol,
        side=OrderSide.BUY if order.side is alpaca_enums.OrderSide.BUY else OrderSide.SELL,
        qty=qty,
        status=status,
        filled_qty=filled_qty,
        filled_avg_price=average if average and average > 0 else None,
        reason="" if status is not OrderStatus.REJECTED else f"Alpaca status {order.status.value}",
        submitted_at=_utc(order.submitted_at),
        filled_at=_utc(order.filled_at) if order.filled_at else None,
        stop_loss=stop_loss,
        take_profit=take_profit,
        legs=tuple(to_order_result(leg) for leg in order.legs or ()),
    )


_LEGGED = frozenset(
    {alpaca_enums.OrderClass.BRACKET, alpaca_enums.OrderClass.OCO, alpaca_enums.OrderClass.OTO}
)


def _exits(order: AlpacaOrder) -> tuple[Decimal | None, Decimal | None]:
    stop_loss = take_profit = None
    for leg in order.legs or []:
        if leg.type is alpaca_enums.OrderType.STOP:
            stop_loss = _decimal(leg.stop_price)
        elif leg.type is alpaca_enums.OrderType.LIMIT:
            take_profit = _decimal(leg.limit_price)
    return stop_loss, take_profit


def to_position(position: AlpacaPosition) -> Position:
    """Return our view of an Alpaca position (negative quantity for a short)."""
    qty = Decimal(position.qty)
    if position.side is alpaca_enums.PositionSide.SHORT and qty > 0:
        qty = -qty
    current = _decimal(position.current_price)
    return Position(
        ticker=position.symbol,
        qty=qty,
        avg_entry_price=Decimal(position.avg_entry_price),
        market_price=current if current and current > 0 else None,
    )


def to_account(account: TradeAccount) -> Account:
    """Return cash, buying power and equity of an Alpaca account."""
    return Account(
        cash=_decimal(account.cash) or Decimal(0),
        buying_power=max(_decimal(account.buying_power) or Decimal(0), Decimal(0)),
        equity=_decimal(account.equity) or Decimal(0),
        currency=account.currency or "USD",
        pattern_day_trader=bool(account.pattern_day_trader),
        trading_blocked=bool(account.trading_blocked or account.account_blocked),
    )


def _decimal(value: str | float | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise BrokerError(f"Alpaca sent a number that does not parse: {value!r}") from exc


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
