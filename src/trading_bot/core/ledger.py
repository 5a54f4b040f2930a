"""A pure, Decimal-exact book of cash and positions, shared by the paper broker and the backtester.

Cash moves by the full notional of every fill (a short sale adds its proceeds) and by the
commission; realised P&L is reported per fill and accumulated, net of nothing. Each position
keeps its exact cost basis, so a position closed in several parts realises exactly the proceeds
minus what was paid, whatever the rounding of its average price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from trading_bot.core.model import OrderSide

SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class LedgerPosition:
    """An open position: ``qty`` is negative for a short.

    ``cost_basis`` is what was paid for a long (received for a short) for the shares still open,
    always positive; ``opened_at`` is when the position last went from flat to open.
    """

    qty: Decimal
    cost_basis: Decimal
    opened_at: datetime

    @property
    def avg_price(self) -> Decimal:
        """Return the average entry price per share."""
        return self.cost_basis / abs(self.qty)

    @property
    def is_long(self) -> bool:
        """Return True for a long position, False for a short one."""
        return self.qty > 0

    def market_value(self, price: Decimal) -> Decimal:
        """Return the signed value of the position at ``price`` (negative for a short)."""
        return self.qty * price


class Ledger:
    """Cash, positions, realised P&L and commissions, updated one fill at a time.

    The ledger does no risk checks: it records what happened. Whoever submits orders (the paper
    broker, the backtester) decides what may happen first.
    """

    def __init__(self, cash: Decimal) -> None:
        self._cash = _finite(cash, "cash")
        self._positions: dict[str, LedgerPosition] = {}
        self._realized_pnl = Decimal(0)
        self._commission_paid = Decimal(0)
        self._fills = 0

    @property
    def cash(self) -> Decimal:
        """Return the cash balance (it may exceed the starting cash after short sales)."""
        return self._cash

    @property
    def positions(self) -> Mapping[str, LedgerPosition]:
        """Return the open positions by ticker, read-only."""
        return MappingProxyType(self._positions)

    @property
    def realized_pnl(self) -> Decimal:
        """Return the P&L realised by every closing fill so far, before commission."""
        return self._realized_pnl

    @property
    def commission_paid(self) -> Decimal:
        """Return the commission charged on every fill so far."""
        return self._commission_paid

    @property
    def fills(self) -> int:
        """Return how many fills were booked (it changes whenever cash or a position does)."""
        return self._fills

    def position_qty(self, ticker: str) -> Decimal:
        """Return the signed quantity held in ``ticker`` (0 when flat)."""
        position = self._positions.get(ticker)
        return position.qty if position else Decimal(0)

    def apply_fill(  # noqa: PLR0917 - a fill's six facts, passed positionally by the backtester and tests
        self,
        ticker: str,
        side: OrderSide,
        qty: Decimal,
        price: Decimal,
        commission: Decimal,
        at: datetime,
    ) -> Decimal:
        """Book a fill and return the P&L realised by the part of it that closed a position.

        A fill larger than the opposite position closes it and opens the remainder at ``price``.
        """
        qty = _positive(qty, "qty")
        price = _positive(price, "price")
        commission = _finite(commission, "commission")
        if commission < 0:
            raise ValueError(f"commission must not be negative, got {commission}")
        if at.tzinfo is None:
            raise ValueError("fill time must be timezone-aware")

        signed = qty if side is OrderSide.BUY else -qty
        self._fills += 1
        self._cash -= signed * price + commission
        self._commission_paid += commission

        current = self._positions.get(ticker)
        if current is None or (current.qty > 0) == (signed > 0):
            self._add(ticker, current, signed, price, at)
            return Decimal(0)

        closing = min(qty, abs(current.qty))
        released = (
            current.cost_basis
            if closing == abs(current.qty)
            else (current.cost_basis * closing / abs(current.qty))
        )
        proceeds = closing * price
        realized = proceeds - released if current.qty > 0 else released - proceeds
        self._realized_pnl += realized

        remaining = current.qty + (closing if signed > 0 else -closing)
        if remaining != 0:
            self._positions[ticker] = LedgerPosition(
                remaining, current.cost_basis - released, current.opened_at
            )
        else:
            del self._positions[ticker]
            leftover = qty - closing
            if leftover > 0:
                opened = leftover if signed > 0 else -leftover
                self._positions[ticker] = LedgerPosition(opened, leftover * price, at)
        return realized

    def _add(
        self,
        ticker: str,
        current: LedgerPosition | None,
        signed: Decimal,
        price: Decimal,
        at: datetime,
    ) -> None:
        cost = abs(signed) * price
        if current is None:
            self._positions[ticker] = LedgerPosition(signed, cost, at)
        else:
            self._positions[ticker] = LedgerPosition(
                current.qty + signed, current.cost_basis + cost, current.opened_at
            )

    def equity(self, prices: Mapping[str, Decimal]) -> Decimal:
        """Return cash plus every position marked at ``prices`` (its average price if missing)."""
        marked = sum(
            (p.market_value(prices.get(t, p.avg_price)) for t, p in self._positions.items()),
            Decimal(0),
        )
        return self._cash + marked

    def snapshot(self) -> dict[str, Any]:
        """Return the whole ledger as a JSON-able dict (decimals as strings, times ISO-8601)."""
        return {
            "version": SNAPSHOT_VERSION,
            "cash": str(self._cash),
            "realized_pnl": str(self._realized_pnl),
            "commission_paid": str(self._commission_paid),
            "positions": {
                ticker: {
                    "qty": str(p.qty),
                    "cost_basis": str(p.cost_basis),
                    "opened_at": p.opened_at.isoformat(),
                }
                for ticker, p in sorted(self._positions.items())
            },
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any]) -> Ledger:
        """Rebuild a ledger from ``snapshot()``; a malformed snapshot raises ValueError."""
        try:
            if snapshot["version"] != SNAPSHOT_VERSION:
                raise ValueError(f"unsupported ledger snapshot version {snapshot['version']!r}")
            ledger = cls(Decimal(snapshot["cash"]))
            ledger._realized_pnl = _finite(Decimal(snapshot["realized_pnl"]), "realized_pnl")
            ledger._commission_paid = _finite(
                Decimal(snapshot["commission_paid"]), "commission_paid"
            )
            for ticker, raw in snapshot["positions"].items():
                qty = _finite(Decimal(raw["qty"]), "qty")
                cost = _positive(Decimal(raw["cost_basis"]), "cost_basis")
                opened_at = datetime.fromisoformat(raw["opened_at"])
                if qty == 0 or opened_at.tzinfo is None:
                    raise ValueError(f"position {ticker} is flat or has a naive time")
                ledger._positions[str(ticker)] = LedgerPosition(qty, cost, opened_at)
        except (KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise ValueError(f"malformed ledger snapshot: {exc!r}") from exc
        return ledger


def _finite(value: Decimal, name: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {value!r}")
    return value


def _positive(value: Decimal, name: str) -> Decimal:
    if _finite(value, name) <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value
