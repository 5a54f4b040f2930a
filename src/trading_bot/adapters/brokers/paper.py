"""The paper broker: simulated fills against the latest prices, with slippage and commission.

A cash account: buying power is the cash not held as collateral for shorts or reserved for open
buy orders. An order carrying a stop-loss or take-profit is a bracket: once it fills, its exit
legs work at the broker (``brackets``) and fill when the latest price reaches them. The whole
account (ledger, orders, stops, legs) is saved to a key-value store after every change, so a
restart resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import structlog

from trading_bot.adapters.brokers.brackets import (
    attach_legs,
    cancel_leg,
    close_out,
    trigger_legs,
)
from trading_bot.adapters.brokers.paper_pricing import PaperBrokerConfig, execution_price
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
    OrderRequest,
    OrderResult,
    OrderSide,
    OrderStatus,
    Position,
)
from trading_bot.core.ports import Clock, KeyValueStore, PriceSource

__all__ = ["PaperBroker", "PaperBrokerConfig"]

_log = structlog.stdlib.get_logger(__name__)
_ORDER_IDS = uuid.UUID("6f1d2c0e-3b8a-4c61-9d0e-5a7b2e4f8c13")


class PaperBroker:
    """A ``core.ports.Broker`` that fills orders itself.

    Market orders fill at once at the latest price from ``prices`` moved by the slippage; limit
    orders fill when marketable, now or when ``process_open_orders`` (or any later call) finds the
    price has reached them. Refusals raise the ``core.errors`` the Alpaca broker raises and leave
    no order behind, as Alpaca does.
    """

    name = "paper"

    def __init__(
        self,
        config: PaperBrokerConfig,
        prices: PriceSource,
        clock: Clock,
        store: KeyValueStore,
    ) -> None:
        self._config = config
        self._prices = prices
        self._clock = clock
        self._store = store
        self._lock = asyncio.Lock()
        self._account = PaperAccount(
            Ledger(config.starting_cash), max_finished=config.max_finished_orders
        )
        self._started = False

    @classmethod
    async def restore(
        cls,
        config: PaperBrokerConfig,
        prices: PriceSource,
        clock: Clock,
        store: KeyValueStore,
    ) -> PaperBroker:
        """Return a broker resumed from the snapshot in ``store`` (a new account if none)."""
        broker = cls(config, prices, clock, store)
        await broker.start()
        return broker

    async def start(self) -> None:
        """Load the saved account; a malformed snapshot raises DataError and is left untouched."""
        async with self._lock:
            await self._load()

    @property
    def ledger(self) -> Ledger:
        """Return the account's ledger (read it; change it only through orders)."""
        return self._account.ledger

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Place ``order``: fill it now if it is marketable, keep it open otherwise."""
        async with self._lock:
            await self._refresh()
            if order.client_order_id in self._account.by_client_id:
                existing = self._account.by_client_id[order.client_order_id]
                raise DuplicateOrderError(
                    f"client order id {order.client_order_id} was already used by order {existing}"
                )
            market = self._market_price(order.ticker)
            self._check_short(order)
            price = execution_price(self._config, order, market)
            self._check_buying_power(order, price)
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
            if price is not None:
                self._fill(record, price)
            await self._save()
            _log.debug(
                "paper order placed",
                client_order_id=order.client_order_id,
                status=record.result.status,
                price=str(record.result.filled_avg_price),
            )
            return self._account.with_legs(record)

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order or bracket leg (its sibling with it); a final one is left."""
        async with self._lock:
            await self._refresh()
            record = self._get(broker_order_id)
            if record.result.status.is_final:
                return
            if not cancel_leg(self._account, broker_order_id, "cancelled on request"):
                self._account.update(
                    record, status=OrderStatus.CANCELLED, reason="cancelled on request"
                )
            await self._save()

    async def get_order(self, broker_order_id: str) -> OrderResult:
        """Return one order (with its bracket legs) or leg; an unknown id raises BrokerError."""
        async with self._lock:
            await self._refresh()
            return self._account.with_legs(self._get(broker_order_id))

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None:
        """Return the order (with its bracket legs) or leg placed with ``client_order_id``."""
        async with self._lock:
            await self._refresh()
            broker_order_id = self._account.by_client_id.get(client_order_id)
            record = None if broker_order_id is None else self._account.order(broker_order_id)
            return None if record is None else self._account.with_legs(record)

    async def list_open_orders(self) -> list[OrderResult]:
        """Return the orders not yet final, oldest first (bracket legs nested in their entry,
        as Alpaca lists them)."""
        async with self._lock:
            await self._refresh()
            return [self._account.with_legs(r) for r in self._account.open_orders()]

    async def process_open_orders(self) -> list[OrderResult]:
        """Fill every open limit order the latest prices have reached; return those filled."""
        async with self._lock:
            await self._load()
            filled = self._fill_marketable()
            if filled:
                await self._save()
            return filled

    async def get_positions(self) -> list[Position]:
        """Return the open positions marked at the latest prices, with their stops."""
        async with self._lock:
            await self._refresh()
            positions = []
            for ticker, held in sorted(self._account.ledger.positions.items()):
                protection = self._account.protection.get(ticker, Protection(None, None))
                positions.append(
                    Position(
                        ticker=ticker,
                        qty=held.qty,
                        avg_entry_price=held.avg_price,
                        market_price=self._prices.last_price(ticker),
                        stop_loss=protection.stop_loss,
                        take_profit=protection.take_profit,
                        opened_at=held.opened_at,
                    )
                )
            return positions

    async def get_account(self) -> Account:
        """Return cash, equity (positions at the latest prices) and buying power."""
        async with self._lock:
            await self._refresh()
            return Account(
                cash=self._account.ledger.cash,
                buying_power=max(self._buying_power(self._account.ledger), Decimal(0)),
                equity=self._account.ledger.equity(self._marks()),
            )

    # -- internals -------------------------------------------------------------------------

    async def _refresh(self) -> None:
        await self._load()
        filled = self._fill_marketable()
        if self._trigger_legs() or filled:
            await self._save()

    def _get(self, broker_order_id: str) -> PaperOrder:
        record = self._account.order(broker_order_id)
        if record is None:
            raise BrokerError(f"no order with id {broker_order_id}")
        return record

    def _market_price(self, ticker: str) -> Decimal:
        price = self._prices.last_price(ticker)
        if price is None:
            raise OrderRejectedError(
                f"no price is known for {ticker} yet; the paper broker fills at the latest price"
            )
        return price

    def _marks(self) -> dict[str, Decimal]:
        marks = {}
        for ticker in self._account.ledger.positions:
            price = self._prices.last_price(ticker)
            if price is not None:
                marks[ticker] = price
        return marks

    def _check_short(self, order: OrderRequest) -> None:
        if order.side is not OrderSide.SELL or self._config.allow_short:
            return
        pending = sum(
            (
                r.request.qty - r.result.filled_qty
                for r in self._account.open_orders()
                if r.request.ticker == order.ticker and r.request.side is OrderSide.SELL
            ),
            Decimal(0),
        )
        available = max(self._account.ledger.position_qty(order.ticker), Decimal(0)) - pending
        if order.qty > available:
            raise OrderRejectedError(
                f"selling {order.qty} {order.ticker} exceeds the {available} held "
                "and shorting is disabled"
            )

    def _reserved(self) -> Decimal:
        """Return the cash set aside for open buy orders (at their limit price)."""
        return sum(
            (
                (r.request.qty - r.result.filled_qty) * (r.request.limit_price or Decimal(0))
                for r in self._account.open_orders()
                if r.request.side is OrderSide.BUY
            ),
            Decimal(0),
        )

    def _buying_power(self, ledger: Ledger) -> Decimal:
        """Return cash less twice the value of the shorts (proceeds plus as much collateral)
        less what open buy orders reserve."""
        collateral = sum(
            (
                -2 * p.qty * (self._prices.last_price(t) or p.avg_price)
                for t, p in ledger.positions.items()
                if p.qty < 0
            ),
            Decimal(0),
        )
        return ledger.cash - collateral - self._reserved()

    def _check_buying_power(self, order: OrderRequest, price: Decimal | None) -> None:
        held = self._account.ledger.position_qty(order.ticker)
        signed = order.qty if order.side is OrderSide.BUY else -order.qty
        if held * signed < 0 and order.qty <= abs(held):
            return  # exits are never refused for buying power, so a stop can always fire
        if price is None:
            opening = order.qty - max(-held if signed > 0 else held, Decimal(0))
            limit = order.limit_price or Decimal(0)
            needed = opening * limit + self._config.commission(order.qty, limit)
            available = self._buying_power(self._account.ledger)
            if needed > available:
                raise InsufficientBuyingPowerError(
                    f"insufficient buying power: the order needs {needed}, {available} available"
                )
            return
        trial = Ledger.restore(self._account.ledger.snapshot())
        trial.apply_fill(
            order.ticker,
            order.side,
            order.qty,
            price,
            self._config.commission(order.qty, price),
            self._clock.now(),
        )
        after = self._buying_power(trial)
        if after < 0:
            raise InsufficientBuyingPowerError(
                f"insufficient buying power: the order would leave {after} "
                f"({order.qty} {order.ticker} at {price})"
            )

    def _fill(self, record: PaperOrder, price: Decimal) -> None:
        order = record.request
        now = self._clock.now()
        commission = self._config.commission(order.qty, price)
        held_before = self._account.ledger.position_qty(order.ticker)
        self._account.ledger.apply_fill(order.ticker, order.side, order.qty, price, commission, now)
        held_after = self._account.ledger.position_qty(order.ticker)
        bracket = order.stop_loss is not None or order.take_profit is not None
        if held_after == 0:
            self._account.protection.pop(order.ticker, None)
            close_out(self._account, order.ticker, "the position is closed")
        elif (abs(held_after) > abs(held_before) or held_after * held_before < 0) and bracket:
            self._account.protection[order.ticker] = Protection(order.stop_loss, order.take_profit)
        self._account.update(
            record,
            status=OrderStatus.FILLED,
            filled_qty=order.qty,
            filled_avg_price=price,
            commission=commission,
            filled_at=now,
        )
        if bracket and held_after != 0 and abs(held_after) > abs(held_before):
            attach_legs(self._account, record, order.qty, now, _ORDER_IDS)

    def _fill_marketable(self) -> list[OrderResult]:
        filled = []
        for record in self._account.open_orders():
            market = self._prices.last_price(record.request.ticker)
            if market is None:
                continue
            price = execution_price(self._config, record.request, market)
            if price is None:
                continue
            if not self._still_covered(record.request):
                self._account.update(
                    record,
                    status=OrderStatus.CANCELLED,
                    reason="the position no longer covers this sell",
                )
                continue
            self._fill(record, price)
            filled.append(record.result)
        return filled

    def _trigger_legs(self) -> bool:
        """Fill the bracket legs the latest prices reached; return True if any changed."""
        changed = False
        now = self._clock.now()
        for ticker in self._account.legged_tickers():
            market = self._prices.last_price(ticker)
            if market is not None and trigger_legs(
                self._account, self._config, ticker, open_=market, high=market, low=market, now=now
            ):
                changed = True
        return changed

    def _still_covered(self, order: OrderRequest) -> bool:
        if order.side is OrderSide.BUY or self._config.allow_short:
            return True
        return order.qty <= self._account.ledger.position_qty(order.ticker)

    async def _load(self) -> None:
        if self._started:
            return
        raw = await self._store.get(self._config.state_key)
        if raw is not None:
            self._account = PaperAccount.decode(
                raw, self._config.state_key, max_finished=self._config.max_finished_orders
            )
        self._started = True

    async def _save(self) -> None:
        await self._store.set(self._config.state_key, self._account.encode())
