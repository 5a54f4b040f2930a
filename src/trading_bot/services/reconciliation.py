"""Reconciliation with the broker, the truth: at start-up before any signal, on order updates,
and whenever a broker-side bracket leg may have closed a position.

Start-up compares storage with the broker and adopts every difference:

| storage has        | the broker says                | storage then has                     |
|--------------------|--------------------------------|--------------------------------------|
| a PENDING trade    | filled, cancelled or rejected  | the trade FILLED with its price,     |
|                    |                                | CANCELLED or REJECTED                |
| a PENDING trade    | nothing                        | the trade CANCELLED: never placed    |
| a PENDING trade    | still open                     | the trade, polled again later        |
| nothing            | an open order                  | the order, recorded and followed     |
| a position         | none, a bracket leg filled     | the leg as the exit, with its P&L    |
| a position         | none, no leg                   | no position                          |
| no position        | a position                     | the broker's position                |
| a position         | another size or price          | the broker's size and price          |

The kinds recorded are ``order_<status>``, ``order_unknown_cancelled``, ``order_adopted``,
``bracket_exit``, ``position_removed``, ``position_created`` and ``position_updated``.

Each difference is an operational event: an audit row (actor ``reconciler``), a
``BrokerReconciled`` on the bus and a notification (``reconciliation``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import structlog
from pydantic import JsonValue

from trading_bot.core.errors import BrokerError
from trading_bot.core.events import BrokerReconciled
from trading_bot.core.model import OrderResult, Position, PositionRecord, TradeExecution
from trading_bot.core.operations import Notification, NotificationKind, Severity
from trading_bot.core.ports import Broker, Clock, Metrics, PositionRepository, TradeRepository
from trading_bot.services.execution_orders import OrderFlow
from trading_bot.services.operations_journal import OperationsJournal
from trading_bot.services.protective_exits import side_closes

log = structlog.stdlib.get_logger(__name__)

RECONCILER: Final = "reconciler"
"""The audit log's actor for differences adopted from the broker."""
RECONCILIATION_DIFFERENCES: Final = "reconciliation_differences"
"""Counter of differences adopted from the broker (label ``kind``)."""
UNKNOWN_AT_BROKER: Final = "unknown to the broker at start-up: it was never placed"


@dataclass(frozen=True, slots=True)
class Difference:
    """One way storage differed from the broker, and what was done about it."""

    kind: str
    ticker: str | None = None
    client_order_id: str | None = None
    detail: dict[str, JsonValue] = field(default_factory=dict)


class BrokerReconciler:
    """Bring storage in line with the broker (see the module docstring)."""

    def __init__(
        self,
        *,
        broker: Broker,
        orders: OrderFlow,
        trades: TradeRepository,
        positions: PositionRepository,
        clock: Clock,
        metrics: Metrics,
        journal: OperationsJournal | None = None,
    ) -> None:
        self._broker = broker
        self._orders = orders
        self._trades = trades
        self._positions = positions
        self._clock = clock
        self._metrics = metrics
        self._journal = journal

    async def reconcile(self) -> list[Difference]:
        """Adopt every difference between storage and the broker (start-up); return them."""
        found = await self._pending_trades()
        found += await self._unknown_open_orders()
        found += await self.sync_positions()
        log.info("reconciled with the broker", differences=len(found))
        return found

    async def sync_positions(self, tickers: Collection[str] | None = None) -> list[Difference]:
        """Adopt the broker's positions (all, or those of ``tickers``); a stored position the
        broker closed through a bracket leg gets that leg recorded as its exit."""
        stored = {record.position.ticker: record for record in await self._positions.all()}
        held = {p.ticker: p for p in await self._broker.get_positions() if p.qty != 0}
        busy = {t.ticker for t in await self._trades.pending() if t.is_exit}
        wanted = set(stored) | set(held) if tickers is None else set(tickers)
        found: list[Difference] = []
        for ticker in sorted(wanted - busy):
            record, position = stored.get(ticker), held.get(ticker)
            if record is not None and position is None:
                found.append(await self._closed_at_broker(record))
            elif record is None and position is not None:
                await self._positions.upsert(position)
                found.append(await self._note("position_created", ticker, held=position))
            elif record is not None and position is not None and _differs(record, position):
                await self._positions.upsert(
                    position.model_copy(
                        update={
                            "stop_loss": record.position.stop_loss,
                            "take_profit": record.position.take_profit,
                            "opened_at": record.position.opened_at or position.opened_at,
                        }
                    )
                )
                found.append(
                    await self._note("position_updated", ticker, stored=record, held=position)
                )
        return found

    async def on_order_update(self, result: OrderResult) -> Difference | None:
        """Apply one order update pushed by the broker (a fill, a cancel, a leg's fill)."""
        trade = await self._trades.get_by_client_order_id(result.client_order_id)
        if trade is not None:
            if not trade.status.is_final and (
                result.status != trade.status or result.filled_qty != trade.filled_qty
            ):
                await self._orders.settle_with(trade, result)
            return None
        stored = await self._positions.get(result.ticker)
        if (
            stored is None
            or result.filled_qty <= 0
            or not side_closes(result.side, stored.position.qty)
        ):
            return None
        settled = await self._orders.adopt(_explained(result), None, is_exit=True)
        return await self._note(
            "bracket_exit", result.ticker, result.client_order_id, trade=settled, order=result
        )

    async def cancel_legs(self, ticker: str) -> int:
        """Cancel the open bracket legs protecting ``ticker`` (before an exit of our own, which
        the broker would otherwise refuse, or double); return how many were cancelled."""
        cancelled = 0
        for leg in await self._open_legs(ticker):
            try:
                await self._broker.cancel_order(leg.broker_order_id)
            except BrokerError as exc:
                log.warning("bracket leg not cancelled", ticker=ticker, error=str(exc))
                continue
            cancelled += 1
        return cancelled

    # -- start-up steps -----------------------------------------------------------------------

    async def _pending_trades(self) -> list[Difference]:
        found = []
        for trade in await self._trades.pending():
            result = await self._broker.get_order_by_client_id(trade.client_order_id)
            if result is None:
                settled = await self._orders.cancel_unsent(trade, UNKNOWN_AT_BROKER)
                found.append(
                    await self._note(
                        "order_unknown_cancelled",
                        trade.ticker,
                        trade.client_order_id,
                        trade=settled,
                    )
                )
            elif result.status != trade.status or result.filled_qty != trade.filled_qty:
                settled = await self._orders.settle_with(trade, result)
                found.append(
                    await self._note(
                        f"order_{result.status.value.lower()}",
                        trade.ticker,
                        trade.client_order_id,
                        trade=settled,
                        was=trade.status.value,
                    )
                )
            else:
                log.info("order still open at the broker", order=trade.client_order_id)
        return found

    async def _unknown_open_orders(self) -> list[Difference]:
        orders = await self._broker.list_open_orders()
        legs = {leg.broker_order_id for order in orders for leg in order.legs}
        found = []
        for order in orders:
            if order.broker_order_id in legs:
                continue
            if await self._trades.get_by_client_order_id(order.client_order_id) is not None:
                continue
            stored = await self._positions.get(order.ticker)
            closing = stored is not None and side_closes(order.side, stored.position.qty)
            settled = await self._orders.adopt(order, None, is_exit=closing)
            found.append(
                await self._note(
                    "order_adopted", order.ticker, order.client_order_id, trade=settled
                )
            )
        return found

    async def _closed_at_broker(self, record: PositionRecord) -> Difference:
        ticker = record.position.ticker
        leg = await self._filled_leg(ticker)
        if leg is not None:
            settled = await self._orders.adopt(_explained(leg), None, is_exit=True)
            return await self._note(
                "bracket_exit", ticker, leg.client_order_id, trade=settled, order=leg
            )
        await self._positions.delete(ticker)
        return await self._note("position_removed", ticker, stored=record)

    async def _filled_leg(self, ticker: str) -> OrderResult | None:
        """Return the filled, not yet recorded leg of the entry's bracket, if there is one."""
        entry = await self._trades.latest_entry(ticker, before=self._clock.now())
        if entry is None:
            return None
        order = await self._broker.get_order_by_client_id(entry.client_order_id)
        for leg in () if order is None else order.legs:
            if leg.filled_qty > 0 and not await self._known(leg.client_order_id):
                return leg
        return None

    async def _open_legs(self, ticker: str) -> list[OrderResult]:
        legs: dict[str, OrderResult] = {}
        entry = await self._trades.latest_entry(ticker, before=self._clock.now())
        if entry is not None:
            order = await self._broker.get_order_by_client_id(entry.client_order_id)
            for leg in () if order is None else order.legs:
                legs[leg.broker_order_id] = leg
        for order in await self._broker.list_open_orders():
            if order.ticker == ticker:
                legs.update((leg.broker_order_id, leg) for leg in order.legs)
        return [leg for leg in legs.values() if not leg.status.is_final]

    async def _known(self, client_order_id: str) -> bool:
        return await self._trades.get_by_client_order_id(client_order_id) is not None

    # -- recording ----------------------------------------------------------------------------

    async def _note(
        self,
        kind: str,
        ticker: str | None,
        client_order_id: str | None = None,
        *,
        trade: TradeExecution | None = None,
        order: OrderResult | None = None,
        stored: PositionRecord | None = None,
        held: Position | None = None,
        was: str | None = None,
    ) -> Difference:
        detail: dict[str, JsonValue] = {}
        if trade is not None:
            detail["trade"] = {
                "side": trade.side.value,
                "qty": str(trade.qty),
                "status": trade.status.value,
                "filled_qty": str(trade.filled_qty),
                "price": _text(trade.price),
                "realized_pnl": _text(trade.realized_pnl),
                "reason": trade.reason,
            }
        if order is not None:
            detail["broker_order_id"] = order.broker_order_id
        if was is not None:
            detail["stored_status"] = was
        if stored is not None:
            detail["stored"] = _position_detail(stored.position)
        if held is not None:
            detail["broker"] = _position_detail(held)
        difference = Difference(kind, ticker, client_order_id, detail)
        self._metrics.increment(RECONCILIATION_DIFFERENCES, kind=kind)
        if kind == "bracket_exit":
            log.info("a bracket leg closed the position at the broker", ticker=ticker)
        else:
            log.warning("storage differed from the broker; adopted", kind=kind, ticker=ticker)
        if self._journal is not None:
            await self._journal.record(
                BrokerReconciled(
                    occurred_at=self._clock.now(),
                    kind=kind,
                    ticker=ticker,
                    client_order_id=client_order_id,
                    detail=detail,
                ),
                actor=RECONCILER,
                action=f"reconcile.{kind}",
                detail={"ticker": ticker, "client_order_id": client_order_id, **detail},
                notification=Notification(
                    kind=NotificationKind.RECONCILIATION,
                    title=f"Reconciled with the broker: {kind.replace('_', ' ')}",
                    text=f"{ticker or 'account'}: storage now matches the broker.",
                    severity=Severity.WARNING,
                    fields={k: str(v) for k, v in detail.items() if not isinstance(v, dict)},
                    occurred_at=self._clock.now(),
                ),
            )
        return difference


def _explained(order: OrderResult) -> OrderResult:
    """Return a broker-side exit with the reason its trade will carry."""
    if order.reason:
        return order
    if order.stop_loss is not None:
        reason = "stop-loss leg filled at the broker"
    elif order.take_profit is not None:
        reason = "take-profit leg filled at the broker"
    else:
        reason = "closed at the broker"
    return order.model_copy(update={"reason": reason})


_SAME: Final = Decimal("0.000001")
"""Storage keeps 8 decimal places; a broker may send more (an average price): closer than this
is the same value."""


def _differs(record: PositionRecord, held: Position) -> bool:
    stored = record.position
    return (
        abs(stored.qty - held.qty) > _SAME
        or abs(stored.avg_entry_price - held.avg_entry_price) > _SAME
    )


def _position_detail(position: Position) -> dict[str, JsonValue]:
    return {"qty": str(position.qty), "avg_entry_price": str(position.avg_entry_price)}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
