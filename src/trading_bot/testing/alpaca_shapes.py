"""The JSON bodies of Alpaca's v2 REST API, field for field as alpaca-py's models parse them.

Used by the local Alpaca server; the field names follow ``alpaca.trading.models`` (Order,
Position, TradeAccount, Clock) and ``alpaca.data.models.bars`` (t, o, h, l, c, v, n, vw).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from trading_bot.core.ledger import LedgerPosition
from trading_bot.core.model import Bar

OPEN_STATUSES = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "partially_filled",
        "held",
        "accepted_for_bidding",
        "pending_cancel",
        "pending_replace",
        "calculated",
    }
)
"""Statuses of orders Alpaca lists under ``status=open``."""

_ASSET_IDS = uuid.UUID("1c9e8a53-2f7b-4d0a-8e61-0f3d5b7a9c24")


def iso(moment: datetime) -> str:
    """Return ``moment`` as Alpaca writes times: RFC 3339 in UTC with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def error(code: int, message: str) -> dict[str, Any]:
    """Return an Alpaca error body."""
    return {"code": code, "message": message}


def asset_id(symbol: str) -> str:
    """Return a stable asset id for ``symbol``."""
    return str(uuid.uuid5(_ASSET_IDS, symbol))


def new_order(
    body: dict[str, Any],
    *,
    now: datetime,
    status: str,
    order_class: str = "simple",
    client_order_id: str | None = None,
    order_type: str | None = None,
    side: str | None = None,
    limit_price: str | None = None,
    stop_price: str | None = None,
) -> dict[str, Any]:
    """Return the order Alpaca answers to the POST ``body`` (overrides are for bracket legs)."""
    stamp = iso(now)
    kind = order_type or str(body.get("type", "market"))
    direction = side or str(body["side"])
    return {
        "id": str(uuid.uuid4()),
        "client_order_id": client_order_id or str(body.get("client_order_id") or uuid.uuid4()),
        "created_at": stamp,
        "updated_at": stamp,
        "submitted_at": stamp,
        "filled_at": None,
        "expired_at": None,
        "expires_at": None,
        "canceled_at": None,
        "failed_at": None,
        "replaced_at": None,
        "replaced_by": None,
        "replaces": None,
        "asset_id": asset_id(str(body["symbol"])),
        "symbol": body["symbol"],
        "asset_class": "us_equity",
        "notional": None,
        "qty": _text(body["qty"]),
        "filled_qty": "0",
        "filled_avg_price": None,
        "order_class": order_class,
        "order_type": kind,
        "type": kind,
        "side": direction,
        "position_intent": f"{direction}_to_close" if side else f"{direction}_to_open",
        "time_in_force": body.get("time_in_force", "day"),
        "limit_price": _optional(limit_price if order_type else body.get("limit_price")),
        "stop_price": _optional(stop_price),
        "status": status,
        "extended_hours": bool(body.get("extended_hours", False)),
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
    }


def position(symbol: str, held: LedgerPosition, price: Decimal) -> dict[str, Any]:
    """Return an Alpaca position (quantities signed, as Alpaca sends them for shorts)."""
    market_value = held.qty * price
    cost = held.cost_basis if held.qty > 0 else -held.cost_basis
    unrealized = market_value - cost
    return {
        "asset_id": asset_id(symbol),
        "symbol": symbol,
        "exchange": "NASDAQ",
        "asset_class": "us_equity",
        "asset_marginable": True,
        "avg_entry_price": str(held.avg_price),
        "qty": str(held.qty),
        "side": "long" if held.qty > 0 else "short",
        "market_value": str(market_value),
        "cost_basis": str(cost),
        "unrealized_pl": str(unrealized),
        "unrealized_plpc": str(unrealized / held.cost_basis),
        "unrealized_intraday_pl": str(unrealized),
        "unrealized_intraday_plpc": str(unrealized / held.cost_basis),
        "current_price": str(price),
        "lastday_price": str(price),
        "change_today": "0",
        "qty_available": str(held.qty),
    }


def account(
    *,
    account_id: str,
    cash: Decimal,
    buying_power: Decimal,
    equity: Decimal,
    long_value: Decimal,
    short_value: Decimal,
    shorting_enabled: bool,
    created_at: datetime,
) -> dict[str, Any]:
    """Return an Alpaca trading account of a cash account (multiplier 1)."""
    return {
        "id": account_id,
        "account_number": "PA0000LOCAL",
        "status": "ACTIVE",
        "crypto_status": "INACTIVE",
        "currency": "USD",
        "buying_power": str(buying_power),
        "regt_buying_power": str(buying_power),
        "daytrading_buying_power": "0",
        "non_marginable_buying_power": str(buying_power),
        "cash": str(cash),
        "accrued_fees": "0",
        "pending_transfer_in": "0",
        "portfolio_value": str(equity),
        "pattern_day_trader": False,
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "created_at": iso(created_at),
        "trade_suspended_by_user": False,
        "multiplier": "1",
        "shorting_enabled": shorting_enabled,
        "equity": str(equity),
        "last_equity": str(equity),
        "long_market_value": str(long_value),
        "short_market_value": str(short_value),
        "initial_margin": "0",
        "maintenance_margin": "0",
        "last_maintenance_margin": "0",
        "sma": "0",
        "daytrade_count": 0,
    }


def clock(
    now: datetime, *, is_open: bool, next_open: datetime, next_close: datetime
) -> dict[str, Any]:
    """Return Alpaca's market clock."""
    return {
        "timestamp": iso(now),
        "is_open": is_open,
        "next_open": iso(next_open),
        "next_close": iso(next_close),
    }


def bar(value: Bar) -> dict[str, Any]:
    """Return a historical bar as the data API sends it (stamped at its open)."""
    return {
        "t": iso(value.timestamp),
        "o": value.open,
        "h": value.high,
        "l": value.low,
        "c": value.close,
        "v": value.volume,
        "n": 1,
        "vw": round((value.high + value.low + value.close) / 3, 4),
    }


def _text(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f") if value is not None else "0"


def _optional(value: Any) -> str | None:
    return None if value is None else _text(value)
