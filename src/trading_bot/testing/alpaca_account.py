"""The cash account behind the local Alpaca server: orders, fills, positions, buying power.

It answers in Alpaca's JSON (see ``alpaca_shapes``) and refuses what Alpaca refuses: a reused
client order id (422), an order the cash cannot pay for (403), a sell of shares not held (or held
for the working legs of a bracket) when shorting is off (403). Bracket legs are nested in their
entry, as Alpaca lists them, yet reachable by id and client id; once the entry fills they work:
the first whose level the price reaches fills and cancels the other. Every change is reported to
``on_update`` as a trade update (``new``, ``fill``, ``partial_fill``, ``canceled``). It is not
thread-safe; the server serialises calls.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trading_bot.core.ledger import Ledger
from trading_bot.core.model import OrderSide
from trading_bot.core.ports import Clock
from trading_bot.testing import alpaca_shapes as shapes
from trading_bot.testing.alpaca_shapes import OPEN_STATUSES

Reply = tuple[int, Any]

DUPLICATE_CLIENT_ORDER_ID = shapes.error(42210000, "client_order_id must be unique")
INSUFFICIENT_BUYING_POWER = shapes.error(40310000, "insufficient buying power")
ORDER_NOT_FOUND = shapes.error(40410000, "order not found")

UpdateListener = Callable[[str, dict[str, Any], Decimal | None, Decimal | None], None]
"""Told each trade update: the event, the order as it is now, the fill's price and quantity."""


class SimulatedAlpacaAccount:
    """A cash account (multiplier 1) that fills orders at prices a test sets."""

    def __init__(self, cash: Decimal, clock: Clock, *, shorting_enabled: bool) -> None:
        self.ledger = Ledger(cash)
        self.prices: dict[str, Decimal] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.legs: dict[str, dict[str, Any]] = {}
        self.on_update: UpdateListener | None = None
        self.hold = False
        self.shorting_enabled = shorting_enabled
        self._by_client_id: dict[str, str] = {}
        self._clock = clock
        self._account_id = str(uuid.uuid4())
        self._created_at = clock.now()

    # -- set-up by tests -------------------------------------------------------------------

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Set the price of ``symbol``; open orders it makes marketable fill (unless held)."""
        self.prices[symbol] = price
        if not self.hold:
            for order in list(self.orders.values()):
                self._fill_if_marketable(order)
            for leg in list(self.legs.values()):
                self._trigger_leg(leg)

    def add_position(self, symbol: str, qty: Decimal, avg_entry_price: Decimal) -> None:
        """Book a position as if it had been bought (sold short for a negative ``qty``)."""
        side = OrderSide.BUY if qty > 0 else OrderSide.SELL
        self.ledger.apply_fill(
            symbol, side, abs(qty), avg_entry_price, Decimal(0), self._clock.now()
        )
        self.prices.setdefault(symbol, avg_entry_price)

    def add_order(self, body: dict[str, Any], status: str) -> dict[str, Any]:
        """Store an order placed earlier, without checks or fills."""
        order = shapes.new_order(body, now=self._clock.now(), status=status)
        self._store(order)
        return order

    def fill(self, order_id: str, qty: Decimal | None, price: Decimal | None) -> dict[str, Any]:
        """Fill ``qty`` more of an order or leg (the rest by default) at ``price`` (or the set
        price)."""
        order = self.orders.get(order_id) or self.legs[order_id]
        remaining = Decimal(order["qty"]) - Decimal(order["filled_qty"])
        self._fill(
            order,
            qty if qty is not None else remaining,
            price if price is not None else self.prices[order["symbol"]],
        )
        return order

    # -- the API ---------------------------------------------------------------------------

    def submit(self, body: dict[str, Any]) -> Reply:
        """Answer POST /v2/orders."""
        refusal = self._invalid(body) or self._unfunded(body)
        if refusal is not None:
            return refusal
        now = self._clock.now()
        order = shapes.new_order(body, now=now, status="accepted" if self.hold else "new")
        order_class = body.get("order_class") or "simple"
        if order_class in {"bracket", "oto"}:
            order["order_class"] = order_class
            order["legs"] = self._legs(body, now)
            for leg in order["legs"]:
                leg["order_class"] = order_class
                self.legs[leg["id"]] = leg
                self._by_client_id[leg["client_order_id"]] = leg["id"]
        self._store(order)
        self._emit("new", order)
        if not self.hold:
            self._fill_if_marketable(order)
        return 200, copy.deepcopy(order)

    def by_client_id(self, client_order_id: str) -> Reply:
        """Answer GET /v2/orders:by_client_order_id."""
        order_id = self._by_client_id.get(client_order_id)
        order = self.find(order_id) if order_id else None
        return (200, order) if order else (404, ORDER_NOT_FOUND)

    def find(self, order_id: str) -> dict[str, Any] | None:
        """Return an order or a bracket leg by id, or None."""
        return self.orders.get(order_id) or self.legs.get(order_id)

    def cancel(self, order_id: str) -> Reply:
        """Answer DELETE /v2/orders/{id}: 204, 404 when unknown, 422 when already final. A leg
        takes its sibling with it (one-cancels-other)."""
        order = self.find(order_id)
        if order is None:
            return 404, ORDER_NOT_FOUND
        if order["status"] not in OPEN_STATUSES:
            return 422, shapes.error(42210000, "order is not cancelable")
        self._cancel(order)
        if order_id in self.legs:
            for sibling in self._siblings(order):
                self._cancel(sibling)
        return 204, None

    def account(self) -> dict[str, Any]:
        """Return GET /v2/account."""
        values = [
            p.market_value(self.prices.get(t, p.avg_price))
            for t, p in self.ledger.positions.items()
        ]
        return shapes.account(
            account_id=self._account_id,
            cash=self.ledger.cash,
            buying_power=max(self.buying_power(), Decimal(0)),
            equity=self.ledger.cash + sum(values, Decimal(0)),
            long_value=sum((v for v in values if v > 0), Decimal(0)),
            short_value=sum((v for v in values if v < 0), Decimal(0)),
            shorting_enabled=self.shorting_enabled,
            created_at=self._created_at,
        )

    def positions(self) -> list[dict[str, Any]]:
        """Return GET /v2/positions."""
        return [self.position(symbol) or {} for symbol in sorted(self.ledger.positions)]

    def position(self, symbol: str) -> dict[str, Any] | None:
        """Return GET /v2/positions/{symbol}, or None when flat."""
        held = self.ledger.positions.get(symbol)
        if held is None:
            return None
        return shapes.position(symbol, held, self.prices.get(symbol, held.avg_price))

    def buying_power(self) -> Decimal:
        """Return cash less twice the shorts' value less what open buy orders reserve."""
        reserved = sum(
            (
                (Decimal(o["qty"]) - Decimal(o["filled_qty"]))
                * Decimal(o["limit_price"] or self.prices.get(o["symbol"], 0))
                for o in self.orders.values()
                if o["side"] == "buy" and o["status"] in OPEN_STATUSES
            ),
            Decimal(0),
        )
        shorts = sum(
            (
                -p.qty * self.prices.get(t, p.avg_price)
                for t, p in self.ledger.positions.items()
                if p.qty < 0
            ),
            Decimal(0),
        )
        return self.ledger.cash - 2 * shorts - reserved

    # -- internals -------------------------------------------------------------------------

    def _invalid(self, body: dict[str, Any]) -> Reply | None:
        if body.get("client_order_id") in self._by_client_id:
            return 422, DUPLICATE_CLIENT_ORDER_ID
        symbol, side, kind = body.get("symbol"), body.get("side"), body.get("type")
        qty = _decimal(body.get("qty"))
        checks = [
            (
                not symbol or side not in {"buy", "sell"} or kind not in {"market", "limit"},
                40010000,
                "symbol, side and a market or limit type are required",
            ),
            (qty is None or not qty.is_finite() or qty <= 0, 40010000, "qty must be > 0"),
            (
                kind == "limit" and body.get("limit_price") is None,
                40010000,
                "limit_price is required",
            ),
            (symbol not in self.prices, 40010001, f'asset "{symbol}" not found'),
        ]
        for failed, code, message in checks:
            if failed:
                return 422, shapes.error(code, message)
        return None

    def _unfunded(self, body: dict[str, Any]) -> Reply | None:
        symbol, side = body["symbol"], body["side"]
        qty = Decimal(str(body["qty"]))
        held = self.ledger.position_qty(symbol)
        if side == "sell" and not self.shorting_enabled:
            available = max(held, Decimal(0)) - self._open_qty(symbol, "sell")
            available -= self._held_by_legs(symbol, "sell")
            if qty > available:
                message = (
                    f"insufficient qty available for order (requested: {qty}, "
                    f"available: {available})"
                )
                return 403, shapes.error(40310000, message)
        covering = max(-held if side == "buy" else held, Decimal(0))
        opening = max(qty - covering, Decimal(0))
        limit = body.get("limit_price")
        price = Decimal(str(limit)) if limit is not None else self.prices[symbol]
        if opening * price > self.buying_power():
            return 403, INSUFFICIENT_BUYING_POWER
        return None

    def _legs(self, body: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        exit_side = "sell" if body["side"] == "buy" else "buy"
        legs = []
        if body.get("take_profit"):
            legs.append(
                shapes.new_order(
                    body,
                    now=now,
                    status="held",
                    order_type="limit",
                    side=exit_side,
                    limit_price=str(body["take_profit"]["limit_price"]),
                    client_order_id=str(uuid.uuid4()),
                )
            )
        if body.get("stop_loss"):
            legs.append(
                shapes.new_order(
                    body,
                    now=now,
                    status="held",
                    order_type="stop",
                    side=exit_side,
                    stop_price=str(body["stop_loss"]["stop_price"]),
                    client_order_id=str(uuid.uuid4()),
                )
            )
        return legs

    def _open_qty(self, symbol: str, side: str) -> Decimal:
        return sum(
            (
                Decimal(o["qty"]) - Decimal(o["filled_qty"])
                for o in self.orders.values()
                if o["symbol"] == symbol and o["side"] == side and o["status"] in OPEN_STATUSES
            ),
            Decimal(0),
        )

    def _held_by_legs(self, symbol: str, side: str) -> Decimal:
        """Return the shares working bracket legs hold (once per bracket: the legs are OCO)."""
        held = Decimal(0)
        for order in self.orders.values():
            working = [
                Decimal(leg["qty"]) - Decimal(leg["filled_qty"])
                for leg in order["legs"] or []
                if leg["symbol"] == symbol
                and leg["side"] == side
                and leg["status"] in OPEN_STATUSES
            ]
            held += max(working, default=Decimal(0))
        return held

    def _trigger_leg(self, leg: dict[str, Any]) -> None:
        if leg["status"] not in {"new", "held"} or not self._parent_filled(leg):
            return
        price = self.prices.get(leg["symbol"])
        if price is None:
            return
        sell = leg["side"] == "sell"
        level = Decimal(leg["stop_price"] if leg["type"] == "stop" else leg["limit_price"])
        if leg["type"] == "stop":
            reached = price <= level if sell else price >= level
        else:
            reached = price >= level if sell else price <= level
        if not reached:
            return
        for sibling in self._siblings(leg):
            if sibling["status"] in OPEN_STATUSES:
                self._cancel(sibling)
        remaining = Decimal(leg["qty"]) - Decimal(leg["filled_qty"])
        self._fill(leg, remaining, price)

    def _parent_filled(self, leg: dict[str, Any]) -> bool:
        return any(
            o["status"] == "filled" and any(x["id"] == leg["id"] for x in o["legs"] or [])
            for o in self.orders.values()
        )

    def _siblings(self, leg: dict[str, Any]) -> list[dict[str, Any]]:
        for order in self.orders.values():
            legs = order["legs"] or []
            if any(x["id"] == leg["id"] for x in legs):
                return [x for x in legs if x["id"] != leg["id"]]
        return []

    def _cancel(self, order: dict[str, Any]) -> None:
        stamp = shapes.iso(self._clock.now())
        order.update(status="canceled", canceled_at=stamp, updated_at=stamp)
        self._emit("canceled", order)

    def _emit(
        self,
        event: str,
        order: dict[str, Any],
        price: Decimal | None = None,
        qty: Decimal | None = None,
    ) -> None:
        if self.on_update is not None:
            self.on_update(event, copy.deepcopy(order), price, qty)

    def _store(self, order: dict[str, Any]) -> None:
        self.orders[order["id"]] = order
        self._by_client_id[order["client_order_id"]] = order["id"]

    def _fill_if_marketable(self, order: dict[str, Any]) -> None:
        if order["status"] not in {"new", "accepted", "partially_filled"}:
            return
        price = self.prices.get(order["symbol"])
        if price is None:
            return
        if order["type"] == "limit":
            limit = Decimal(order["limit_price"])
            buy = order["side"] == "buy"
            if (buy and price > limit) or (not buy and price < limit):
                return
        remaining = Decimal(order["qty"]) - Decimal(order["filled_qty"])
        self._fill(order, remaining, price)

    def _fill(self, order: dict[str, Any], qty: Decimal, price: Decimal) -> None:
        now = self._clock.now()
        before = Decimal(order["filled_qty"])
        average = Decimal(order["filled_avg_price"] or 0)
        filled = before + qty
        side = OrderSide.BUY if order["side"] == "buy" else OrderSide.SELL
        self.ledger.apply_fill(order["symbol"], side, qty, price, Decimal(0), now)
        stamp = shapes.iso(now)
        order.update(
            filled_qty=str(filled),
            filled_avg_price=str((before * average + qty * price) / filled),
            status="filled" if filled >= Decimal(order["qty"]) else "partially_filled",
            filled_at=stamp,
            updated_at=stamp,
        )
        if order["status"] == "filled":
            for leg in order["legs"] or []:
                if leg["type"] == "limit":
                    leg["status"] = "new"
        self._emit("fill" if order["status"] == "filled" else "partial_fill", order, price, qty)


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None
