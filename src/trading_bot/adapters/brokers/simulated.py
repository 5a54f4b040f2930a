"""The backtest broker: fills at the next bar's open or at the bar's close, as the bars arrive.

The backtester tells it when a bar opens (``on_bar_open``) and closes (``on_bar_close``); nothing
else moves its prices. Pricing (slippage, commission per share and in basis points, minimum
commission, shorting) is the paper broker's (``PaperBrokerConfig``, ``execution_price``), and so
are the bookkeeping (``PaperAccount`` over the Decimal ``Ledger``) and the bracket legs of an
entry carrying a stop or a target (``brackets``: a bar opening beyond a level fills the leg at
the open, one trading through it at the level); only the timing of fills and the volume cap are
its own:

| fill model  | a market order placed at a bar's close fills                                  |
|-------------|-------------------------------------------------------------------------------|
| next_open   | at the open of the ticker's next bar (PENDING until then)                     |
| close       | at once, at the close of the ticker's latest bar                              |

Slippage moves the price against the trader (up for buys, down for sells). With a volume cap, a
bar fills at most ``volume_cap`` x its volume (whole shares unless the order is fractional),
shared by every order in the ticker; the rest is cancelled (``remainder="cancel"``, the order
ends CANCELLED with what it filled) or kept open for the next bars (``remainder="keep"``, the
order stays PARTIALLY_FILLED until done). The cap reads the volume of the bar the order fills
in; a next_open fill therefore uses a volume known only at that bar's close, a convention most
backtesters share that affects only how much fills, never the decision that placed the order.

A buy that the cash no longer covers at its fill price (the market gapped up) fills as many
shares as the cash pays for and the rest is cancelled; a sell the position no longer covers
(shorting disabled) is cancelled. Orders are refused at submission as the paper broker refuses
them (no price yet, short selling disabled, buying power), and a submitted buy reserves cash for
its estimated cost until it fills, so two orders cannot spend the same cash.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.adapters.brokers.brackets import attach_legs, cancel_leg, close_out, trigger_legs
from trading_bot.adapters.brokers.paper_pricing import BPS, PaperBrokerConfig, execution_price
from trading_bot.adapters.brokers.paper_state import PaperAccount, PaperOrder, Protection
from trading_bot.core.errors import (
    BrokerError,
    DuplicateOrderError,
    InsufficientBuyingPowerError,
    OrderRejectedError,
)
from trading_bot.core.ledger import Ledger
from trading_bot.core.model import (
    Account,
    Bar,
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderStatus,
    Position,
)
from trading_bot.core.ports import Clock

__all__ = ["FillModel", "Remainder", "SimulatedBroker", "SimulatedBrokerConfig"]

FINISHED_ORDERS_KEPT = 10_000
"""Finished orders remembered (with their client order ids) besides the open ones."""
_ORDER_IDS = uuid.UUID("2f6b8e1c-4d3a-4b7e-9c05-8e1d7a3f6b20")
_ZERO = Decimal(0)
_FRACTIONAL_STEP = Decimal("0.000001")


class FillModel(StrEnum):
    """When a market order fills."""

    NEXT_OPEN = "next_open"
    """At the open of the ticker's next bar (the default, and the realistic choice)."""
    CLOSE = "close"
    """At once, at the close of the ticker's latest bar."""


class Remainder(StrEnum):
    """What happens to the part of an order the volume cap did not let fill."""

    CANCEL = "cancel"
    KEEP = "keep"


class SimulatedBrokerConfig(BaseModel):
    """How the backtest broker fills. Prices and costs are those of ``PaperBrokerConfig``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: PaperBrokerConfig = Field(
        default_factory=PaperBrokerConfig,
        description="starting cash, slippage, commissions and shorting, as the paper broker's",
    )
    fill: FillModel = Field(default=FillModel.NEXT_OPEN, description="next_open (default) | close")
    volume_cap: Decimal | None = Field(
        default=None,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="most of a bar's volume orders may fill in it (0.1 = 10 %); None: no cap",
    )
    remainder: Remainder = Field(
        default=Remainder.CANCEL,
        description="cancel (default) or keep what the volume cap left unfilled",
    )


class SimulatedBroker:
    """A ``core.ports.Broker`` whose fills follow the bars the backtester feeds it."""

    name = "simulated"

    def __init__(self, config: SimulatedBrokerConfig, clock: Clock) -> None:
        self._config = config
        self._pricing = config.account
        self._clock = clock
        # Open orders are all kept, finished ones only the newest (as the paper broker does): the
        # executor asks about an old order only after a crash, which a backtest never has.
        self._account = PaperAccount(
            Ledger(config.account.starting_cash), max_finished=FINISHED_ORDERS_KEPT
        )
        # Latest prices as the bars gave them; turned into Decimal only when an order or the
        # account needs them (twice a bar, against a handful of orders per thousand bars).
        self._prices: dict[str, float] = {}
        # Each ticker's current bar, and how much filled in which of its bars (the volume cap's
        # share): set once per bar, read only when an order fills.
        self._bars: dict[str, Bar] = {}
        self._filled_in_bar: dict[str, tuple[datetime, Decimal]] = {}
        self._open_by_ticker: dict[str, int] = {}
        self._fills_at_open = config.fill is FillModel.NEXT_OPEN
        # The account in floats for the equity curve, rebuilt only after a fill (cash and
        # positions change with nothing else): cash, and each position's quantity and cost.
        self._valued_fills = -1
        self._cash_value = 0.0
        self._held_values: list[tuple[str, float, float]] = []

    @property
    def config(self) -> SimulatedBrokerConfig:
        """Return the configuration the broker fills with."""
        return self._config

    @property
    def ledger(self) -> Ledger:
        """Return the account's ledger (read it; change it only through orders)."""
        return self._account.ledger

    @property
    def marks(self) -> dict[str, Decimal]:
        """Return the latest price of every ticker seen."""
        return {ticker: _decimal(price) for ticker, price in self._prices.items()}

    def equity_value(self) -> float:
        """Return cash plus positions at the latest prices, as a float (for equity curves)."""
        return self.valuation()[0]

    def valuation(self) -> tuple[float, bool]:
        """Return ``equity_value()`` and whether any position is open."""
        ledger = self._account.ledger
        if ledger.fills != self._valued_fills:
            self._cash_value = float(ledger.cash)
            self._held_values = [
                (ticker, float(held.qty), float(held.avg_price))
                for ticker, held in ledger.positions.items()
            ]
            self._valued_fills = ledger.fills
        value = self._cash_value
        prices = self._prices
        for ticker, qty, avg_price in self._held_values:
            value += qty * prices.get(ticker, avg_price)
        return value, bool(self._held_values)

    def has_open_orders(self, ticker: str) -> bool:
        """Return True when an order in ``ticker`` waits to fill."""
        return self._open_by_ticker.get(ticker, 0) > 0

    def on_bar_open(self, bar: Bar) -> list[OrderResult]:
        """Open ``bar``: its open becomes the ticker's price and, under next_open, waiting
        orders fill at it. Return the orders that changed."""
        ticker = bar.ticker
        self._bars[ticker] = bar
        self._prices[ticker] = bar.open
        waiting = self._fills_at_open and self.has_open_orders(ticker)
        if not waiting and not self._account.has_legs(ticker):
            return []  # most bars: nothing to fill
        legs = self._trigger_legs(bar, bar.open, bar.open)
        return legs + self._fill_waiting(ticker) if waiting else legs

    def on_bar_close(self, bar: Bar) -> list[OrderResult]:
        """Close ``bar``: its close becomes the ticker's price and, under close, what the
        volume cap kept open fills at it. Return the orders that changed."""
        ticker = bar.ticker
        self._bars[ticker] = bar
        self._prices[ticker] = bar.close
        waiting = not self._fills_at_open and self.has_open_orders(ticker)
        if not waiting and not self._account.has_legs(ticker):
            return []
        legs = self._trigger_legs(bar, bar.high, bar.low)
        return legs + self._fill_waiting(ticker) if waiting else legs

    def _trigger_legs(self, bar: Bar, high: float, low: float) -> list[OrderResult]:
        """Fill the bracket legs of ``bar``'s ticker that the bar reached."""
        if not self._account.has_legs(bar.ticker):
            return []
        return trigger_legs(
            self._account,
            self._pricing,
            bar.ticker,
            open_=_decimal(bar.open),
            high=_decimal(high),
            low=_decimal(low),
            now=self._clock.now(),
        )

    # -- core.ports.Broker -----------------------------------------------------------------

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Place ``order``: under close it fills now, under next_open at the next open."""
        if order.client_order_id in self._account.by_client_id:
            existing = self._account.by_client_id[order.client_order_id]
            raise DuplicateOrderError(
                f"client order id {order.client_order_id} was already used by order {existing}"
            )
        mark = self._mark(order.ticker)
        if mark is None:
            raise OrderRejectedError(f"no price is known for {order.ticker} yet")
        self._check_short(order)
        estimate = execution_price(self._pricing, order, mark)
        self._check_buying_power(order, estimate or order.limit_price or mark)
        now = self._clock.now()
        record = PaperOrder(
            order,
            OrderResult(
                broker_order_id=str(uuid.uuid5(_ORDER_IDS, order.client_order_id)),
                client_order_id=order.client_order_id,
                ticker=order.ticker,
                side=order.side,
                qty=order.qty,
                status=OrderStatus.PENDING,
                submitted_at=now,
                stop_loss=order.stop_loss,
                take_profit=order.take_profit,
            ),
        )
        self._account.add(record)
        self._open_by_ticker[order.ticker] = self._open_by_ticker.get(order.ticker, 0) + 1
        if self._config.fill is FillModel.CLOSE:
            self._try_fill(record)
        return self._account.with_legs(record)

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order or bracket leg (with its sibling); a final one is left."""
        record = self._get(broker_order_id)
        if record.result.status.is_final or cancel_leg(
            self._account, broker_order_id, "cancelled on request"
        ):
            return
        self._finish(record, OrderStatus.CANCELLED, "cancelled on request")

    async def get_order(self, broker_order_id: str) -> OrderResult:
        """Return one order (with its bracket legs) or leg; an unknown id raises BrokerError."""
        return self._account.with_legs(self._get(broker_order_id))

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None:
        """Return the order (with its bracket legs) or leg placed with ``client_order_id``."""
        broker_order_id = self._account.by_client_id.get(client_order_id)
        record = None if broker_order_id is None else self._account.order(broker_order_id)
        return None if record is None else self._account.with_legs(record)

    async def list_open_orders(self) -> list[OrderResult]:
        """Return the orders not yet final, oldest first (bracket legs nested in their entry)."""
        return [self._account.with_legs(record) for record in self._account.open_orders()]

    async def get_positions(self) -> list[Position]:
        """Return the open positions marked at the latest prices, with their stops."""
        positions = []
        for ticker, held in sorted(self._account.ledger.positions.items()):
            protection = self._account.protection.get(ticker, Protection(None, None))
            positions.append(
                Position(
                    ticker=ticker,
                    qty=held.qty,
                    avg_entry_price=held.avg_price,
                    market_price=self._mark(ticker),
                    stop_loss=protection.stop_loss,
                    take_profit=protection.take_profit,
                    opened_at=held.opened_at,
                )
            )
        return positions

    async def get_account(self) -> Account:
        """Return cash, equity (positions at the latest prices) and buying power."""
        ledger = self._account.ledger
        return Account(
            cash=ledger.cash,
            buying_power=max(self._buying_power(ledger), _ZERO),
            equity=ledger.equity(self.marks),
        )

    # -- fills -----------------------------------------------------------------------------

    def _fill_waiting(self, ticker: str) -> list[OrderResult]:
        changed = []
        for record in self._account.open_orders():
            if record.request.ticker == ticker and self._try_fill(record):
                changed.append(record.result)
        return changed

    def _try_fill(self, record: PaperOrder) -> bool:
        """Fill what the price, the volume cap and the cash allow; return True on a change."""
        order = record.request
        market = self._mark(order.ticker)
        price = None if market is None else execution_price(self._pricing, order, market)
        if price is None:
            return False  # no price yet, or a limit order the market has not reached
        if not self._still_covered(order, record.result.filled_qty):
            self._finish(record, OrderStatus.CANCELLED, "the position no longer covers this sell")
            return True
        wanted = order.qty - record.result.filled_qty
        by_volume = self._volume_room(order)
        by_cash = self._affordable(order, price)
        qty = min(wanted, by_volume, by_cash)
        if qty > 0:
            self._book(record, qty, price)
        if qty == wanted:
            return True
        if by_cash < wanted and by_cash <= by_volume:
            self._finish(
                record, OrderStatus.CANCELLED, f"insufficient cash to fill the rest at {price}"
            )
            return True
        if self._config.remainder is Remainder.CANCEL:
            cap = self._config.volume_cap
            self._finish(
                record, OrderStatus.CANCELLED, f"volume cap: at most {cap} of a bar's volume fills"
            )
            return True
        return qty > 0

    def _book(self, record: PaperOrder, qty: Decimal, price: Decimal) -> None:
        order = record.request
        now = self._clock.now()
        commission = self._pricing.commission(qty, price)
        ledger = self._account.ledger
        held_before = ledger.position_qty(order.ticker)
        ledger.apply_fill(order.ticker, order.side, qty, price, commission, now)
        held_after = ledger.position_qty(order.ticker)
        bracket = order.stop_loss is not None or order.take_profit is not None
        if held_after == 0:
            self._account.protection.pop(order.ticker, None)
            close_out(self._account, order.ticker, "the position is closed")
        elif (abs(held_after) > abs(held_before) or held_after * held_before < 0) and bracket:
            self._account.protection[order.ticker] = Protection(order.stop_loss, order.take_profit)
        bar = self._bars.get(order.ticker)
        if bar is not None:
            self._filled_in_bar[order.ticker] = (bar.timestamp, self._filled_in(bar) + qty)
        result = record.result
        filled = result.filled_qty + qty
        average = ((result.filled_avg_price or _ZERO) * result.filled_qty + price * qty) / filled
        status = OrderStatus.FILLED if filled >= order.qty else OrderStatus.PARTIALLY_FILLED
        self._account.update(
            record,
            status=status,
            filled_qty=filled,
            filled_avg_price=price if filled == qty else average,
            commission=result.commission + commission,
            filled_at=now,
        )
        if status.is_final:
            self._closed(order.ticker)
        if bracket and held_after != 0 and abs(held_after) > abs(held_before):
            attach_legs(self._account, record, record.result.filled_qty, now, _ORDER_IDS)

    def _finish(self, record: PaperOrder, status: OrderStatus, reason: str) -> None:
        self._account.update(record, status=status, reason=reason)
        self._closed(record.request.ticker)

    def _closed(self, ticker: str) -> None:
        self._open_by_ticker[ticker] = self._open_by_ticker.get(ticker, 1) - 1

    def _volume_room(self, order: OrderRequest) -> Decimal:
        cap = self._config.volume_cap
        if cap is None:
            return order.qty
        bar = self._bars.get(order.ticker)
        if bar is None:
            return _ZERO
        room = Decimal(repr(bar.volume)) * cap - self._filled_in(bar)
        return _round_down(room, order.qty)

    def _filled_in(self, bar: Bar) -> Decimal:
        """Return how much of its ticker's orders filled during ``bar``."""
        filled = self._filled_in_bar.get(bar.ticker)
        return filled[1] if filled is not None and filled[0] == bar.timestamp else _ZERO

    def _affordable(self, order: OrderRequest, price: Decimal) -> Decimal:
        """Return how much of ``order`` the cash pays for at ``price`` (all of it for exits)."""
        ledger = self._account.ledger
        held = ledger.position_qty(order.ticker)
        remaining = order.qty
        if order.side is OrderSide.SELL:
            return remaining  # a sale raises cash; shorts are bounded at submission
        if held < 0:
            return remaining  # covering a short
        per_share = price * (1 + self._pricing.commission_bps / BPS)
        per_share += self._pricing.commission_per_share
        spendable = self._buying_power(ledger, excluding=order.client_order_id)
        spendable -= self._pricing.min_commission
        return _round_down(spendable / per_share, order.qty) if spendable > 0 else _ZERO

    def _still_covered(self, order: OrderRequest, filled: Decimal) -> bool:
        if order.side is OrderSide.BUY or self._pricing.allow_short:
            return True
        return order.qty - filled <= self._account.ledger.position_qty(order.ticker)

    # -- checks at submission (as the paper broker's) -----------------------------------------

    def _check_short(self, order: OrderRequest) -> None:
        if order.side is not OrderSide.SELL or self._pricing.allow_short:
            return
        pending = sum(
            (
                r.request.qty - r.result.filled_qty
                for r in self._account.open_orders()
                if r.request.ticker == order.ticker and r.request.side is OrderSide.SELL
            ),
            _ZERO,
        )
        available = max(self._account.ledger.position_qty(order.ticker), _ZERO) - pending
        if order.qty > available:
            raise OrderRejectedError(
                f"selling {order.qty} {order.ticker} exceeds the {available} held "
                "and shorting is disabled"
            )

    def _check_buying_power(self, order: OrderRequest, price: Decimal) -> None:
        ledger = self._account.ledger
        held = ledger.position_qty(order.ticker)
        signed = order.qty if order.side is OrderSide.BUY else -order.qty
        if held * signed < 0 and order.qty <= abs(held):
            return  # exits are never refused for buying power, so a stop can always fire
        trial = Ledger.restore(ledger.snapshot())
        commission = self._pricing.commission(order.qty, price)
        trial.apply_fill(order.ticker, order.side, order.qty, price, commission, self._clock.now())
        after = self._buying_power(trial)
        if after < 0:
            raise InsufficientBuyingPowerError(
                f"insufficient buying power: the order would leave {after} "
                f"({order.qty} {order.ticker} at about {price})"
            )

    def _buying_power(self, ledger: Ledger, *, excluding: str | None = None) -> Decimal:
        """Return cash less twice the value of the shorts (proceeds plus as much collateral)
        less what open buy orders reserve, as the paper broker counts it."""
        collateral = sum(
            (
                -2 * p.qty * (self._mark(t) or p.avg_price)
                for t, p in ledger.positions.items()
                if p.qty < 0
            ),
            _ZERO,
        )
        return ledger.cash - collateral - self._reserved(excluding)

    def _reserved(self, excluding: str | None) -> Decimal:
        """Return the estimated cost of what open buy orders still have to fill."""
        reserved = _ZERO
        for record in self._account.open_orders():
            order = record.request
            if order.side is not OrderSide.BUY or order.client_order_id == excluding:
                continue
            if self._account.ledger.position_qty(order.ticker) < 0:
                continue  # covering a short releases collateral rather than spending cash
            mark = self._mark(order.ticker) or _ZERO
            price = execution_price(self._pricing, order, mark) if mark else None
            estimate = price or order.limit_price or mark
            left = order.qty - record.result.filled_qty
            reserved += left * estimate + self._pricing.commission(left, estimate)
        return reserved

    def _mark(self, ticker: str) -> Decimal | None:
        price = self._prices.get(ticker)
        return None if price is None else _decimal(price)

    def _get(self, broker_order_id: str) -> PaperOrder:
        record = self._account.order(broker_order_id)
        if record is None:
            raise BrokerError(f"no order with id {broker_order_id}")
        return record


def _decimal(value: float) -> Decimal:
    """Return a market-data float as the decimal it was written as (its shortest repr)."""
    return Decimal(repr(value))


def _round_down(qty: Decimal, like: Decimal) -> Decimal:
    """Round ``qty`` down to whole shares, or to six places when ``like`` is fractional."""
    if qty <= 0:
        return _ZERO
    step = Decimal(1) if like == like.to_integral_value() else _FRACTIONAL_STEP
    return qty.quantize(step, rounding=ROUND_DOWN)
