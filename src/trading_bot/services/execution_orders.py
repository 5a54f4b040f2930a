"""The executor's one order path: record the trade PENDING, submit it, and settle what the broker
reports into the trade, the position, the signal's outcome, the risk state and the bus.

Every step is idempotent, so a message handled twice (a crash, a redelivery) converges on the
same records: the trade id and the ``TradeExecuted`` event id are derived from the client order
id, a position is copied from the broker (the truth), a realised P&L is keyed by client order id.
The trade's own update comes last, so a trade found final in storage had all its effects written.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog

from trading_bot.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    DuplicateOrderError,
)
from trading_bot.core.events import PortfolioUpdated, TradeExecuted
from trading_bot.core.model import (
    Account,
    OrderRequest,
    OrderResult,
    OrderStatus,
    PortfolioUpdate,
    Position,
    TradeExecution,
)
from trading_bot.core.ports import (
    Broker,
    Clock,
    EventBus,
    Metrics,
    PositionRepository,
    SignalRepository,
    TradeRepository,
)
from trading_bot.core.risk import Approved
from trading_bot.services.concurrency import Concurrency
from trading_bot.services.execution_state import RiskStateStore, trading_day

log = structlog.stdlib.get_logger(__name__)

TRADES_EXECUTED: Final = "trades_executed"
"""Counter of trades reaching a new status (labels ``side`` and ``status``)."""
ORDER_FILL_LATENCY: Final = "order_fill_latency"
"""Histogram of seconds from the signal (or the bar, or the command) to the fill, clock time."""

_IDS: Final = uuid.UUID("4d7b1e0a-9c3f-4a52-8e61-0f2a7c5d9b38")
_PNL_PLACES: Final = Decimal("1E-8")
"""Realised P&L is kept to the 8 decimal places storage holds."""


def trade_id_for(client_order_id: str) -> uuid.UUID:
    """Return the trade id of the order placed with ``client_order_id`` (stable across retries)."""
    return uuid.uuid5(_IDS, f"trade:{client_order_id}")


def executed_event_id(trade: TradeExecution) -> uuid.UUID:
    """Return the ``event_id`` of a trade's ``TradeExecuted``: one per (trade, status, fill), so
    publishing it again after a crash is dropped by consumers that already handled it."""
    filled = f"{trade.filled_qty.normalize():f}"  # 20 and 20.00000000 are the same fill
    return uuid.uuid5(_IDS, f"TradeExecuted:{trade.client_order_id}:{trade.status}:{filled}")


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order the risk manager approved, and what it is for.

    ``signal_id`` is the signal the trade answers (None for stop-loss, take-profit and manual
    closes); ``requested_at`` is when the need arose (signal generated, bar closed, command
    sent), the start of the fill latency; ``strategy`` is the strategy the trade is credited
    to, when the caller knows it (``TradeSignal.credited_strategy``; otherwise storage works it
    out from the stored signal).
    """

    client_order_id: str
    decision: Approved
    signal_id: uuid.UUID | None
    requested_at: datetime
    strategy: str | None = None

    def request(self, qty: Decimal | None = None, *, brackets: bool = False) -> OrderRequest:
        """Return the market order to submit (``qty`` overrides the approved size); with
        ``brackets`` its stop-loss and take-profit go along as broker-side legs."""
        decision = self.decision
        return OrderRequest(
            client_order_id=self.client_order_id,
            ticker=decision.ticker,
            side=decision.side,
            qty=qty or decision.qty,
            stop_loss=decision.stop_loss if brackets else None,
            take_profit=decision.take_profit if brackets else None,
            signal_id=self.signal_id,
        )


@dataclass(frozen=True, slots=True)
class _Report:
    """What is known about an order now: the broker's answer, or our refusal to send it."""

    status: OrderStatus
    filled_qty: Decimal = Decimal(0)
    price: Decimal | None = None
    commission: Decimal = Decimal(0)
    reason: str = ""
    broker_order_id: str | None = None
    filled_at: datetime | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None

    @classmethod
    def of(cls, result: OrderResult) -> _Report:
        return cls(
            status=result.status,
            filled_qty=result.filled_qty,
            price=result.filled_avg_price,
            commission=result.commission,
            reason=result.reason,
            broker_order_id=result.broker_order_id,
            filled_at=result.filled_at,
            stop_loss=result.stop_loss,
            take_profit=result.take_profit,
        )


class OrderFlow:
    """Place orders and settle their results (see the module docstring)."""

    def __init__(
        self,
        *,
        broker: Broker,
        trades: TradeRepository,
        signals: SignalRepository,
        positions: PositionRepository,
        risk_state: RiskStateStore,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
        brackets: bool = False,
        concurrency: Concurrency | None = None,
    ) -> None:
        self._broker = broker
        self._concurrency = concurrency or Concurrency()
        self._brackets = brackets
        self._trades = trades
        self._signals = signals
        self._positions = positions
        self._risk_state = risk_state
        self._bus = bus
        self._clock = clock
        self._metrics = metrics
        self._intents: dict[str, OrderIntent] = {}

    async def place(
        self,
        intent: OrderIntent,
        recorded: TradeExecution | None = None,
        *,
        alongside: Awaitable[None] | None = None,
    ) -> TradeExecution:
        """Record the trade PENDING (unless ``recorded`` already is), submit it, settle it.

        ``alongside`` (the decision's record) is awaited together with that write; nothing is
        sent unless both succeeded. A broker refusal ends the trade REJECTED with the broker's
        reason. A ``TemporaryError`` propagates with the trade still PENDING: the caller's
        message is redelivered and finds it, and the broker is asked before anything is sent
        again.
        """
        decision = intent.decision
        trade = recorded
        if trade is not None and alongside is not None:
            await alongside
        if trade is None:
            trade = TradeExecution(
                trade_id=trade_id_for(intent.client_order_id),
                signal_id=intent.signal_id,
                client_order_id=intent.client_order_id,
                ticker=decision.ticker,
                side=decision.side,
                qty=decision.qty,
                status=OrderStatus.PENDING,
                is_exit=decision.is_exit,
                executed_at=self._clock.now(),
            )
            if not await self._concurrency.alongside(
                self._trades.add(trade, strategy=intent.strategy), alongside
            ):
                stored = await self._trades.get_by_client_order_id(intent.client_order_id)
                if stored is not None and stored.status.is_final:
                    await self.resume(stored)
                    return stored
                trade = stored or trade
        self._intents[intent.client_order_id] = intent
        request = intent.request(qty=trade.qty, brackets=self._brackets)
        try:
            result = await self._broker.submit_order(request)
        except DuplicateOrderError:
            found = await self._broker.get_order_by_client_id(request.client_order_id)
            if found is None:
                raise BrokerUnavailableError(
                    f"the broker refused {request.client_order_id} as a duplicate "
                    "but does not return it; retrying later"
                ) from None
            result = found
        except BrokerError as exc:
            log.warning("broker refused the order", client_order_id=request.client_order_id)
            return await self._settle(trade, _Report(OrderStatus.REJECTED, reason=str(exc)[:500]))
        return await self._settle(trade, _Report.of(result))

    async def resume(self, trade: TradeExecution) -> bool:
        """Finish a trade found in storage; return False when the broker never received it.

        A final trade gets its signal outcome and ``TradeExecuted`` again (both idempotent);
        an open one is settled with what the broker says now.
        """
        if trade.status.is_final:
            if trade.signal_id is not None:
                await self._signals.record_outcome(trade.signal_id, trade.status, trade.reason)
            await self._publish_executed(trade)
            return True
        result = await self._broker.get_order_by_client_id(trade.client_order_id)
        if result is None:
            return False
        await self._settle(trade, _Report.of(result))
        return True

    async def adopt(
        self, result: OrderResult, signal_id: uuid.UUID | None, *, is_exit: bool
    ) -> TradeExecution:
        """Record an order the broker holds but storage lost, then settle it."""
        trade = TradeExecution(
            trade_id=trade_id_for(result.client_order_id),
            signal_id=signal_id,
            client_order_id=result.client_order_id,
            broker_order_id=result.broker_order_id,
            ticker=result.ticker,
            side=result.side,
            qty=result.qty,
            status=OrderStatus.PENDING,
            is_exit=is_exit,
            executed_at=self._clock.now(),
        )
        await self._trades.add(trade)
        log.warning("adopted an order storage did not know", client_order_id=result.client_order_id)
        return await self._settle(trade, _Report.of(result))

    async def settle_with(self, trade: TradeExecution, result: OrderResult) -> TradeExecution:
        """Apply what the broker reports about a recorded trade (a poll, a stream update)."""
        return await self._settle(trade, _Report.of(result))

    async def cancel_unsent(self, trade: TradeExecution, reason: str) -> TradeExecution:
        """End a recorded trade that was never sent to the broker as CANCELLED."""
        return await self._settle(trade, _Report(OrderStatus.CANCELLED, reason=reason[:500]))

    async def reconcile_pending(self, stale_after: timedelta) -> int:
        """Bring every open trade up to date with the broker; return how many changed.

        A trade the broker never received is cancelled once it is ``stale_after`` old (its
        message was given up on); younger ones are left to their message's redelivery.
        """
        changed = 0
        for trade in await self._trades.pending():
            result = await self._broker.get_order_by_client_id(trade.client_order_id)
            if result is None:
                if self._clock.now() - trade.executed_at >= stale_after:
                    await self.cancel_unsent(trade, "the order never reached the broker")
                    changed += 1
                continue
            if result.status != trade.status or result.filled_qty != trade.filled_qty:
                await self._settle(trade, _Report.of(result))
                changed += 1
        return changed

    async def _settle(self, trade: TradeExecution, report: _Report) -> TradeExecution:
        """Apply ``report`` to the trade and everything that follows from it; return the trade."""
        intent = self._intents.get(trade.client_order_id)
        now = self._clock.now()
        filled_at = report.filled_at or now
        fill_grew = report.filled_qty > trade.filled_qty
        realized = trade.realized_pnl
        if trade.is_exit and report.filled_qty > 0 and (fill_grew or realized is None):
            realized = await self._realized_pnl(trade, report, filled_at)
        broker_now: tuple[Account, list[Position]] | None = None
        if fill_grew:
            # The broker's state after this fill, asked once: the stored position and the
            # published portfolio both come from it (nothing else trades under the lock).
            broker_now = await self._concurrency.all(
                self._broker.get_account(), self._broker.get_positions()
            )
            if trade.is_exit:
                # Kept before the position goes: a settle cut short finds the P&L by order id.
                await self._risk_state.record_exit(
                    trade.ticker, trade.client_order_id, filled_at, realized
                )
            await self._sync_position(trade, report, intent, broker_now[1])
        settled = trade.model_copy(
            update={
                "status": report.status,
                "filled_qty": report.filled_qty,
                "price": report.price,
                "commission": report.commission,
                "reason": report.reason,
                "broker_order_id": report.broker_order_id or trade.broker_order_id,
                "realized_pnl": realized,
                "executed_at": now,
            }
        )
        if report.status.is_final and trade.signal_id is not None:
            # Two rows of their own: written together, both before anything is published.
            updated = await self._concurrency.alongside(
                self._trades.update(settled),
                self._signals.record_outcome(trade.signal_id, report.status, report.reason),
            )
        else:
            updated = await self._trades.update(settled)
        if report.status is not trade.status:
            await self._count(updated, intent, filled_at)
        if report.status.is_final:
            self._intents.pop(trade.client_order_id, None)
            await self._publish_executed(updated)
            log.info(
                "trade settled",
                ticker=updated.ticker,
                side=updated.side.value,
                status=updated.status.value,
                filled_qty=str(updated.filled_qty),
                price=None if updated.price is None else str(updated.price),
                exit=updated.is_exit,
                realized_pnl=None if realized is None else str(realized),
                reason=updated.reason,
                client_order_id=updated.client_order_id,
            )
        if broker_now is not None:
            await self._publish_portfolio(*broker_now)
        return updated

    async def _publish_portfolio(self, account: Account, positions: list[Position]) -> None:
        """Publish the account and positions the broker reported after a fill."""
        start = await self._risk_state.start_of_day_equity(account.equity)
        now = self._clock.now()
        update = PortfolioUpdate(
            equity=account.equity,
            cash=account.cash,
            buying_power=account.buying_power,
            daily_pnl=account.equity - start,
            positions=tuple(positions),
            as_of=now,
        )
        await self._bus.publish(PortfolioUpdated(occurred_at=now, update=update))

    async def _publish_executed(self, trade: TradeExecution) -> None:
        await self._bus.publish(
            TradeExecuted(
                event_id=executed_event_id(trade), occurred_at=self._clock.now(), execution=trade
            )
        )

    async def _count(
        self, trade: TradeExecution, intent: OrderIntent | None, filled_at: datetime
    ) -> None:
        if trade.status is OrderStatus.PENDING:
            return
        self._metrics.increment(TRADES_EXECUTED, side=trade.side.value, status=trade.status.value)
        if trade.status is not OrderStatus.FILLED:
            return
        requested_at = intent.requested_at if intent is not None else None
        if requested_at is None and trade.signal_id is not None:
            record = await self._signals.get(trade.signal_id)
            requested_at = None if record is None else record.signal.generated_at
        if requested_at is not None:
            latency = max(0.0, (filled_at - requested_at).total_seconds())
            self._metrics.observe(ORDER_FILL_LATENCY, latency, side=trade.side.value)

    async def _realized_pnl(
        self, trade: TradeExecution, report: _Report, filled_at: datetime
    ) -> Decimal | None:
        """Return the exit's P&L net of its commission and its share of the entry's."""
        stored = await self._positions.get(trade.ticker)
        if stored is None or stored.position.qty == 0 or report.price is None:
            # Settled before a crash: the position is gone, the P&L was kept by order id.
            return await self._risk_state.realized_for(
                trading_day(filled_at), trade.client_order_id
            )
        position = stored.position
        direction = 1 if position.qty > 0 else -1
        gross = (report.price - position.avg_entry_price) * report.filled_qty * direction
        entry = await self._trades.latest_entry(trade.ticker, before=filled_at)
        entry_commission = Decimal(0)
        if entry is not None and entry.filled_qty > 0:
            share = min(Decimal(1), report.filled_qty / entry.filled_qty)
            entry_commission = entry.commission * share
        return (gross - report.commission - entry_commission).quantize(_PNL_PLACES)

    async def _sync_position(
        self,
        trade: TradeExecution,
        report: _Report,
        intent: OrderIntent | None,
        at_broker: list[Position],
    ) -> None:
        """Copy the broker's position in the ticker to storage, with its stops and entry."""
        held = next((p for p in at_broker if p.ticker == trade.ticker and p.qty), None)
        if held is None:
            await self._positions.delete(trade.ticker)
            return
        entry_signal_id = None
        if trade.is_exit:
            stored = await self._positions.get(trade.ticker)
            kept = held if stored is None else stored.position
            stop, take = kept.stop_loss, kept.take_profit
        elif intent is not None:
            stop, take = intent.decision.stop_loss, intent.decision.take_profit
            entry_signal_id = trade.signal_id
        else:
            stop, take = report.stop_loss or held.stop_loss, report.take_profit or held.take_profit
            entry_signal_id = trade.signal_id
        opened_at = held.opened_at or report.filled_at or self._clock.now()
        await self._positions.upsert(
            Position(
                ticker=held.ticker,
                qty=held.qty,
                avg_entry_price=held.avg_entry_price,
                market_price=held.market_price or report.price,
                stop_loss=stop,
                take_profit=take,
                opened_at=opened_at,
            ),
            entry_signal_id=entry_signal_id,
        )
