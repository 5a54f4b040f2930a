"""The paper account as it is remembered and saved: ledger, orders, stops and bracket legs, as one
JSON document.

Open orders are kept until they finish; of the finished ones only the most recent are kept, so
saving after every change costs the same on the ten-thousandth order as on the first. Each
order's JSON is cached until the order changes. A bracket entry's legs are kept beside it (not
among the orders: they are not listed as open orders, as Alpaca nests them under their entry) and
forgotten with it.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from trading_bot.core.errors import DataError
from trading_bot.core.ledger import Ledger
from trading_bot.core.model import OrderRequest, OrderResult

STATE_VERSION = 1


@dataclass(slots=True)
class PaperOrder:
    """An order as asked for and as it stands now."""

    request: OrderRequest
    result: OrderResult
    _json: str | None = field(default=None, repr=False)

    def change(self, **changes: Any) -> None:
        """Replace fields of the result (status, fill...)."""
        self.result = self.result.model_copy(update=changes)
        self._json = None

    def to_json(self) -> str:
        """Return the order as JSON (computed once per change)."""
        if self._json is None:
            self._json = json.dumps(
                {
                    "request": self.request.model_dump(mode="json"),
                    "result": self.result.model_dump(mode="json"),
                },
                separators=(",", ":"),
            )
        return self._json


@dataclass(frozen=True, slots=True)
class Protection:
    """The stop and target of an open position, from the order that opened or grew it."""

    stop_loss: Decimal | None
    take_profit: Decimal | None


@dataclass(slots=True)
class PaperAccount:
    """Everything the paper broker must remember across a restart.

    At most ``max_finished`` finished orders are kept, the most recently finished; forgetting an
    order forgets its client order id too.
    """

    ledger: Ledger
    max_finished: int = 200
    orders: dict[str, PaperOrder] = field(default_factory=dict)
    by_client_id: dict[str, str] = field(default_factory=dict)
    protection: dict[str, Protection] = field(default_factory=dict)
    legs: dict[str, PaperOrder] = field(default_factory=dict)
    legs_of: dict[str, list[str]] = field(default_factory=dict)
    _working: dict[str, dict[str, None]] = field(default_factory=dict)
    _open: dict[str, None] = field(default_factory=dict)
    _finished: deque[str] = field(default_factory=deque)

    def add(self, order: PaperOrder) -> None:
        """Record a new order."""
        order_id = order.result.broker_order_id
        self.orders[order_id] = order
        self.by_client_id[order.result.client_order_id] = order_id
        if order.result.status.is_final:
            self._finish(order_id)
        else:
            self._open[order_id] = None

    def update(self, order: PaperOrder, **changes: Any) -> None:
        """Change an order's result (status, fill...) and track whether it is still open."""
        order.change(**changes)
        order_id = order.result.broker_order_id
        if order.result.status.is_final and order_id in self._open:
            del self._open[order_id]
            self._finish(order_id)
        if order.result.status.is_final and order_id in self.legs:
            self._working.get(order.request.ticker, {}).pop(order_id, None)

    def open_orders(self) -> list[PaperOrder]:
        """Return the orders not yet final, oldest first."""
        return [self.orders[order_id] for order_id in self._open]

    def add_legs(self, parent_id: str, legs: list[PaperOrder]) -> None:
        """Record the exit legs of the bracket entry ``parent_id``."""
        for leg in legs:
            leg_id = leg.result.broker_order_id
            self.legs[leg_id] = leg
            self.by_client_id[leg.result.client_order_id] = leg_id
            if not leg.result.status.is_final:
                self._working.setdefault(leg.request.ticker, {})[leg_id] = None
        self.legs_of[parent_id] = [leg.result.broker_order_id for leg in legs]

    def order(self, broker_order_id: str) -> PaperOrder | None:
        """Return an order or a leg by its broker id, or None."""
        return self.orders.get(broker_order_id) or self.legs.get(broker_order_id)

    def with_legs(self, order: PaperOrder) -> OrderResult:
        """Return the order's result with its bracket legs as they stand now."""
        leg_ids = self.legs_of.get(order.result.broker_order_id)
        if not leg_ids:
            return order.result
        return order.result.model_copy(
            update={"legs": tuple(self.legs[leg_id].result for leg_id in leg_ids)}
        )

    def working_legs(self, ticker: str) -> list[PaperOrder]:
        """Return the legs of ``ticker``'s brackets not yet final."""
        working = self._working.get(ticker)
        return [self.legs[leg_id] for leg_id in working] if working else []

    def has_legs(self, ticker: str) -> bool:
        """Return True when a working leg protects ``ticker``."""
        return bool(self._working.get(ticker))

    def legged_tickers(self) -> list[str]:
        """Return the tickers some working leg protects."""
        return [ticker for ticker, working in self._working.items() if working]

    def siblings(self, leg: PaperOrder) -> list[PaperOrder]:
        """Return the other legs of ``leg``'s bracket (one-cancels-other)."""
        leg_id = leg.result.broker_order_id
        for leg_ids in self.legs_of.values():
            if leg_id in leg_ids:
                return [self.legs[other] for other in leg_ids if other != leg_id]
        return []

    def _finish(self, order_id: str) -> None:
        self._finished.append(order_id)
        while len(self._finished) > self.max_finished:
            gone = self._finished.popleft()
            forgotten = self.orders.pop(gone)
            self.by_client_id.pop(forgotten.result.client_order_id, None)
            for leg_id in self.legs_of.pop(gone, ()):
                leg = self.legs.pop(leg_id)
                self.by_client_id.pop(leg.result.client_order_id, None)

    def encode(self) -> str:
        """Return the account as one JSON document."""
        protection = {
            ticker: {"stop_loss": _text(p.stop_loss), "take_profit": _text(p.take_profit)}
            for ticker, p in self.protection.items()
        }
        brackets = []
        for parent, leg_ids in self.legs_of.items():
            legs = ",".join(self.legs[leg_id].to_json() for leg_id in leg_ids)
            brackets.append(f'{{"parent":{json.dumps(parent)},"legs":[{legs}]}}')
        return (
            f'{{"version":{STATE_VERSION},'
            f'"ledger":{json.dumps(self.ledger.snapshot(), separators=(",", ":"))},'
            f'"orders":[{",".join(o.to_json() for o in self.orders.values())}],'
            f'"protection":{json.dumps(protection, separators=(",", ":"))},'
            f'"brackets":[{",".join(brackets)}]}}'
        )

    @classmethod
    def decode(cls, raw: str, key: str, *, max_finished: int) -> PaperAccount:
        """Rebuild an account from ``encode()``; anything malformed raises ``DataError``."""
        try:
            state = json.loads(raw)
            if state.get("version") != STATE_VERSION:
                raise ValueError(f"unsupported version {state.get('version')!r}")
            account = cls(Ledger.restore(state["ledger"]), max_finished=max_finished)
            for saved in state["orders"]:
                account.add(
                    PaperOrder(
                        OrderRequest.model_validate(saved["request"]),
                        OrderResult.model_validate(saved["result"]),
                    )
                )
            account.protection = {
                ticker: Protection(_decimal(p["stop_loss"]), _decimal(p["take_profit"]))
                for ticker, p in state["protection"].items()
            }
            # Snapshots written before bracket legs existed have no "brackets".
            for bracket in state.get("brackets", []):
                account.add_legs(
                    bracket["parent"],
                    [
                        PaperOrder(
                            OrderRequest.model_validate(saved["request"]),
                            OrderResult.model_validate(saved["result"]),
                        )
                        for saved in bracket["legs"]
                    ],
                )
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            InvalidOperation,
            ValidationError,
        ) as exc:
            raise DataError(
                f"the paper broker state under {key!r} is malformed ({exc}); "
                "repair or delete it to start a new account"
            ) from exc
        return account


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
