"""The trade-executor service: signals, stops and close commands in; risk-checked, idempotent
orders out, each recorded from PENDING to FILLED, REJECTED or CANCELLED.

It consumes ``signals:generated`` (entries, and exits when a signal turns against a position),
``market:bars`` (quotes for the paper broker, stop-loss, take-profit and trailing-stop watching)
and ``commands:execution`` (``ClosePosition``). Every order, exits included, goes through the risk
manager and ``execution_orders.OrderFlow``. The pause flag, the automatic pause and the kill
switch stop new entries, never exits. A signal is handled once whatever the redeliveries: its
client order id is derived from its id, and storage and the broker are asked before anything is
sent. Before consuming anything it reconciles storage with the broker (``reconciliation``).

With ``RiskConfig.bracket_orders`` the stop-loss and take-profit travel with the entry as
broker-side legs: the broker enforces them (even while the bot is down) and the executor, instead
of exiting on them itself, records a leg's fill as the position's exit when it sees one (a bar
reaching a level, an order update, a reconciliation round). A trailing stop stays the executor's:
it cancels the legs, then exits through the normal path.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.errors import MalformedMessageError, TemporaryError
from trading_bot.core.events import (
    BarClosed,
    ClosePosition,
    Message,
    SignalGenerated,
    Streams,
)
from trading_bot.core.model import (
    Bar,
    PositionRecord,
    TradeExecution,
    TradeSignal,
    client_order_id_for,
)
from trading_bot.core.pdt import TradingDays
from trading_bot.core.ports import (
    Broker,
    Clock,
    EventBus,
    KeyValueStore,
    MarketHours,
    Metrics,
    OrderUpdates,
    OutcomeRepository,
    PositionRepository,
    RiskDecisionRepository,
    SignalRepository,
    TradeRepository,
)
from trading_bot.core.risk import (
    Approved,
    Decision,
    ExitReason,
    Rejected,
    RejectReason,
    RiskConfig,
    RiskManager,
    to_price,
)
from trading_bot.services.concurrency import Concurrency
from trading_bot.services.execution_config import ExecutionConfig
from trading_bot.services.execution_decisions import (
    RISK_REJECTIONS,
    UNKNOWN_TICKER,
    QuoteBook,
    RiskDesk,
)
from trading_bot.services.execution_orders import OrderFlow, OrderIntent
from trading_bot.services.execution_state import RiskStateStore
from trading_bot.services.operations_journal import OperationsJournal, record_kill_switch
from trading_bot.services.position_cache import CachedPositions
from trading_bot.services.protective_exits import (
    TrailingStop,
    exit_client_order_id,
    exit_on_bar,
    levels_reached,
    side_closes,
)
from trading_bot.services.reconciliation import BrokerReconciler

__all__ = [
    "RISK_REJECTIONS",
    "STALE_SIGNAL",
    "UNKNOWN_TICKER",
    "BarObserver",
    "ExecutionConfig",
    "QuoteBook",
    "TradeExecutorService",
]

log = structlog.stdlib.get_logger(__name__)

SIGNALS_RECEIVED: Final = "signals_received"
"""Counter of signals handled (label ``direction``)."""
BARS_IGNORED: Final = "executor_bars_ignored"
"""Counter of bars for tickers outside the universe (label ``reason``)."""
MESSAGES_REFUSED: Final = "executor_messages_refused"
"""Counter of messages of the wrong type on a consumed stream (dead-lettered by the bus)."""
RECONCILE_FAILURES: Final = "executor_reconcile_failures"
"""Counter of reconciliation rounds a temporary error cut short (retried next round)."""
ORDER_UPDATES_FAILED: Final = "executor_order_updates_failed"
"""Counter of pushed order updates that could not be applied (polling catches them up)."""

BarObserver = Callable[[str], None]
"""Told the ticker of every bar of the universe the executor receives (the health watch)."""
STALE_SIGNAL: Final = "STALE_SIGNAL"
"""Reason code of a signal older than ``ExecutionConfig.signal_max_age_seconds``."""


class TradeExecutorService:
    """Turn signals, stops and close commands into orders (see the module docstring).

    Decisions are taken one at a time (an asyncio lock), so two orders never see the same
    portfolio: run one instance per consumer group.
    """

    name = "trade-executor"

    def __init__(
        self,
        config: ExecutionConfig,
        *,
        risk: RiskConfig,
        market_hours: MarketHours,
        bus: EventBus,
        broker: Broker,
        prices: QuoteBook,
        trades: TradeRepository,
        signals: SignalRepository,
        positions: PositionRepository,
        risk_decisions: RiskDecisionRepository,
        state: KeyValueStore,
        clock: Clock,
        metrics: Metrics,
        outcomes: OutcomeRepository | None = None,
        journal: OperationsJournal | None = None,
        order_updates: OrderUpdates | None = None,
        on_bar: BarObserver | None = None,
    ) -> None:
        # Every bar asks whether its ticker is held: answered from memory, not storage.
        positions = CachedPositions(positions)
        self._config = config
        self._risk = risk
        self._brackets = bool(risk.bracket_orders)
        self._universe = frozenset(config.universe)
        self._bus = bus
        self._broker = broker
        self._prices = prices
        self._trades = trades
        self._signals = signals
        self._positions = positions
        self._clock = clock
        self._metrics = metrics
        self._journal = journal
        self._order_updates = order_updates
        self._on_bar = on_bar
        self._trailing = TrailingStop(risk.trailing_stop_pct, positions)
        risk_state = RiskStateStore(state, clock, metrics)
        trading_days: TradingDays = (
            market_hours if isinstance(market_hours, TradingDays) else NyseCalendar()
        )
        self._calendars = tuple(
            {id(c): c for c in (market_hours, trading_days) if isinstance(c, NyseCalendar)}.values()
        )
        self._concurrency = Concurrency(concurrent=config.concurrent_reads)
        self._desk = RiskDesk(
            risk=RiskManager(risk, market_hours),
            risk_state=risk_state,
            broker=broker,
            prices=prices,
            decisions=risk_decisions,
            signals=signals,
            clock=clock,
            metrics=metrics,
            outcomes=outcomes,
            trades=trades,
            trading_days=trading_days,
            on_kill_switch=self._kill_switch_tripped,
            concurrency=self._concurrency,
        )
        self._orders = OrderFlow(
            broker=broker,
            trades=trades,
            signals=signals,
            positions=positions,
            risk_state=risk_state,
            bus=bus,
            clock=clock,
            metrics=metrics,
            brackets=self._brackets,
            concurrency=self._concurrency,
        )
        self.reconciler = BrokerReconciler(
            broker=broker,
            orders=self._orders,
            trades=trades,
            positions=positions,
            clock=clock,
            metrics=metrics,
            journal=journal,
        )
        self._lock = asyncio.Lock()
        self._price_as_of: dict[str, datetime] = {}
        self._last_bar_close: dict[str, datetime] = {}

    async def start(self) -> None:
        """Reconcile storage with the broker (positions, open and pending orders) before any
        signal is consumed."""
        for calendar in self._calendars:
            # Off the event loop, and not on the first signal's path.
            await asyncio.to_thread(calendar.load)
        async with self._lock:
            await self.reconciler.reconcile()

    async def run(self) -> None:
        """Consume signals, bars and commands, and reconcile open orders, until cancelled."""
        await self.start()
        handlers: tuple[tuple[str, Callable[[Message], Awaitable[None]]], ...] = (
            (Streams.SIGNALS, self.on_signal_generated),
            (Streams.MARKET_BARS, self.on_bar_closed),
            (Streams.COMMANDS, self.on_close_position),
        )
        async with asyncio.TaskGroup() as tasks:
            for stream, handler in handlers:
                tasks.create_task(
                    self._bus.consume(
                        stream, self._config.group, handler, consumer=self._config.consumer
                    ),
                    name=f"{self.name}:{stream}",
                )
            interval = self._config.reconcile_interval_seconds
            if interval is not None:
                tasks.create_task(self._reconcile_every(interval), name=f"{self.name}:reconcile")
            if self._order_updates is not None:
                tasks.create_task(self._follow_order_updates(), name=f"{self.name}:updates")

    async def reconcile_pending(self) -> int:
        """Settle open orders with what the broker reports (and, with bracket orders, record
        the legs the broker filled); return how many changed."""
        stale = timedelta(seconds=self._config.stale_order_seconds)
        async with self._lock:
            changed = await self._orders.reconcile_pending(stale)
            if self._brackets:
                changed += len(await self.reconciler.sync_positions())
            return changed

    async def on_signal_generated(self, message: Message) -> None:
        """Decide and, if approved, place the order for one signal (once, however redelivered).

        Raise ``MalformedMessageError`` for another message type (the bus dead-letters it) and
        ``TemporaryError`` when the broker or storage is unreachable (it is redelivered).
        """
        if not isinstance(message, SignalGenerated):
            raise self._refuse(Streams.SIGNALS, "SignalGenerated", message)
        signal = message.signal
        self._metrics.increment(SIGNALS_RECEIVED, direction=signal.direction.value)
        price = to_price(signal.price)
        if price is not None:
            self._observe_price(signal.ticker, price, signal.generated_at)
        async with self._lock:
            await self._handle_signal(signal)

    async def on_bar_closed(self, message: Message) -> None:
        """Handle the bar of a ``BarClosed`` (``on_bar``)."""
        if not isinstance(message, BarClosed):
            raise self._refuse(Streams.MARKET_BARS, "BarClosed", message)
        await self.on_bar(message.bar)

    async def on_bar(self, bar: Bar) -> None:
        """Update the quote book and exit a held position whose stop or target the bar reached."""
        if self.observe_bar(bar):
            await self.watch_stops(bar)

    def observe_bar(self, bar: Bar, closes_at: datetime | None = None) -> bool:
        """The part of ``on_bar`` that waits for nothing: update the quote book from ``bar``
        and return True when ``watch_stops`` may have something to do: a position in its
        ticker may be held, and the bar may act on its stops (or the positions are not in
        memory yet). ``closes_at`` is ``bar.closes_at``, when the caller has it at hand.

        Most bars of a held ticker change nothing, and they are found so here, from memory and
        without the lock: a bar waiting behind every decision in flight would hold up the bars
        behind it, those of tickers not held included.
        """
        ticker = bar.ticker
        if ticker not in self._universe:
            self._metrics.increment(BARS_IGNORED, reason="unknown_ticker")
            return False
        if closes_at is None:
            closes_at = bar.closes_at
        self._observe_price(ticker, bar.close, closes_at)
        last = self._last_bar_close.get(ticker)
        if last is not None and closes_at < last:
            self._metrics.increment(BARS_IGNORED, reason="out_of_order")
            return False
        self._last_bar_close[ticker] = closes_at
        if self._on_bar is not None:
            self._on_bar(ticker)
        # A ticker memory knows is not held has nothing to watch, and need not wait for the
        # lock: a position a decision in flight is about to open cannot be triggered by a bar
        # that closed before it.
        positions = self._positions
        if positions.known_unheld(ticker):
            return False
        stored = positions.remembered(ticker)
        return stored is None or self._stops_may_act(stored, bar, closes_at)

    async def watch_stops(self, bar: Bar) -> None:
        """Exit the position in ``bar``'s ticker if the bar reached its stop or target (once
        ``observe_bar`` returned True for it).

        What the bar changes is decided again under the lock, and so is every bar while the
        positions are not in memory yet (reading them from storage is for one task at a time).
        """
        async with self._lock:
            await self._watch_stops(bar)

    def _stops_may_act(self, stored: PositionRecord, bar: Bar, closes_at: datetime) -> bool:
        """Return True when ``bar`` may move the position's trailing stop, reach a bracket
        leg's level, or call for a protective exit: ``_watch_stops`` has something to do."""
        position = stored.position
        if self._trailing.moves(position, bar):
            return True
        if self._brackets:
            return levels_reached(position, bar.high, bar.low)
        call = exit_on_bar(stored, Decimal(repr(bar.close)), bar.timestamp, closes_at)
        return call is not None

    async def on_close_position(self, message: Message) -> None:
        """Close the whole position in the command's ticker through the normal order path."""
        if not isinstance(message, ClosePosition):
            raise self._refuse(Streams.COMMANDS, "ClosePosition", message)
        async with self._lock:
            ticker = message.ticker
            portfolio = await self._desk.portfolio()
            held = portfolio.position(ticker)
            stored = await self._positions.get(ticker)
            client_order_id = exit_client_order_id(
                ticker,
                stored,
                held.opened_at if held else None,
                ExitReason.MANUAL,
                str(message.event_id),
            )
            if await self._resumed(client_order_id) or await self._exit_in_flight(ticker):
                return
            decision = self._desk.evaluate_exit(ticker, portfolio, ExitReason.MANUAL)
            log.info("close requested", ticker=ticker, by=message.requested_by)
            await self._act(decision, client_order_id, None, message.occurred_at)

    # -- signals ------------------------------------------------------------------------------

    async def _handle_signal(self, signal: TradeSignal) -> None:
        client_order_id = client_order_id_for(signal.signal_id)
        # Everything a first delivery needs, read together (at once, live): this is the path
        # from a bar to its order. (A redelivery, the rare case, may not need the broker's
        # answers.)
        recorded, stored, known, portfolio = await self._concurrency.all(
            self._trades.get_by_client_order_id(client_order_id),
            self._signals.get(signal.signal_id),
            self._broker.get_order_by_client_id(client_order_id),
            self._desk.portfolio(),
        )
        if recorded is not None:
            if await self._orders.resume(recorded):
                return
            log.warning(
                "recorded order never reached the broker; deciding again",
                client_order_id=client_order_id,
            )
        else:
            if stored is None:
                # Normally stored by the signal-generator; trades and decisions refer to it.
                await self._signals.add(signal)
            elif stored.outcome is not None:
                return  # decided before; a redelivery changes nothing
            if known is not None:
                position = await self._positions.get(signal.ticker)
                is_exit = position is not None and side_closes(known.side, position.position.qty)
                await self._orders.adopt(known, signal.signal_id, is_exit=is_exit)
                return
        refusal = self._refusal(signal)
        if refusal is not None:
            reason, detail = refusal
            await self._desk.refuse(signal.signal_id, signal.ticker, reason, detail)
            if recorded is not None:
                await self._orders.cancel_unsent(recorded, f"{reason}: {detail}")
            return
        decision = await self._desk.evaluate_signal(signal, portfolio)
        if recorded is not None and not (
            isinstance(decision, Approved) and decision.side is recorded.side
        ):
            await self._desk.record(decision, signal.signal_id)
            await self._orders.cancel_unsent(recorded, f"not sent: {_describe(decision)}")
            return
        await self._act(
            decision,
            client_order_id,
            signal.signal_id,
            signal.generated_at,
            recorded,
            strategy=signal.credited_strategy,
        )

    def _refusal(self, signal: TradeSignal) -> tuple[str, str] | None:
        """Return why a signal is refused before the risk manager sees it, or None."""
        if signal.ticker not in self._universe:
            return UNKNOWN_TICKER, f"{signal.ticker} is not in the trading universe"
        max_age = self._config.signal_max_age_seconds
        age = (self._clock.now() - signal.generated_at).total_seconds()
        if max_age is not None and age > max_age:
            return STALE_SIGNAL, f"generated {age:.0f} s ago, more than {max_age:.0f} s"
        return None

    # -- stops --------------------------------------------------------------------------------

    async def _watch_stops(self, bar: Bar) -> None:
        ticker, bar_opened, bar_closed = bar.ticker, bar.timestamp, bar.closes_at
        stored = await self._positions.get(ticker)
        if stored is None:
            return
        price = Decimal(repr(bar.close))
        stored = await self._trailing.follow(stored, bar)
        if self._brackets:
            if not levels_reached(stored.position, bar.high, bar.low):
                return
            # The broker's legs may have filled: record that first, so nothing exits twice.
            await self.reconciler.sync_positions([ticker])
            if self._risk.trailing_stop_pct is None:
                return
            stored = await self._positions.get(ticker)
            if stored is None:
                return
        call = exit_on_bar(stored, price, bar_opened, bar_closed)
        if call is None:
            return
        client_order_id = call.client_order_id
        if await self._resumed(client_order_id) or await self._exit_in_flight(ticker):
            return
        portfolio = await self._desk.portfolio()
        decision = self._desk.evaluate_exit(ticker, portfolio, call.reason, price)
        if isinstance(decision, Rejected) and decision.reason is RejectReason.NO_POSITION_TO_EXIT:
            # Storage still lists a position the broker no longer holds: the broker is right.
            log.warning("stored position not held at the broker; removed", ticker=ticker)
            await self._positions.delete(ticker)
        await self._act(decision, client_order_id, None, bar_closed)

    # -- shared -------------------------------------------------------------------------------

    async def _act(
        self,
        decision: Decision,
        client_order_id: str,
        signal_id: uuid.UUID | None,
        requested_at: datetime,
        recorded: TradeExecution | None = None,
        *,
        strategy: str | None = None,
    ) -> None:
        """Record the decision, then place the order if it was approved (credited to
        ``strategy`` when given).

        With bracket orders, an exit first cancels the legs still protecting the position: the
        broker would refuse shares its legs hold, or sell them twice.
        """
        record = self._desk.record(decision, signal_id)
        if not isinstance(decision, Approved):
            await record
            return
        intent = OrderIntent(client_order_id, decision, signal_id, requested_at, strategy)
        if decision.is_exit and self._brackets:
            await record
            await self.reconciler.cancel_legs(decision.ticker)
            await self._orders.place(intent, recorded)
            return
        # The decision and the PENDING trade are rows of their own, both written before the
        # order is sent; written concurrently, the order waits for one write instead of two.
        # A crash or a failure between them leaves one without the other, as it did when they
        # were written in turn: the redelivered signal finds the trade never sent, decides
        # again (recording that decision) and sends the recorded trade.
        await self._orders.place(intent, recorded, alongside=record)

    async def _resumed(self, client_order_id: str) -> bool:
        recorded = await self._trades.get_by_client_order_id(client_order_id)
        return recorded is not None and await self._orders.resume(recorded)

    async def _exit_in_flight(self, ticker: str) -> bool:
        return any(t.ticker == ticker and t.is_exit for t in await self._trades.pending())

    def _observe_price(self, ticker: str, price: Decimal | float, as_of: datetime) -> None:
        """Update the quote book unless it already holds a newer price."""
        known = self._price_as_of.get(ticker)
        if known is not None and as_of < known:
            return
        self._price_as_of[ticker] = as_of
        self._prices.update(ticker, price)

    async def _reconcile_every(self, interval: float) -> None:
        while True:
            await self._clock.sleep(interval)
            try:
                await self.reconcile_pending()
            except TemporaryError as exc:
                self._metrics.increment(RECONCILE_FAILURES)
                log.warning("reconciling open orders failed; retrying next round", error=str(exc))

    async def _follow_order_updates(self) -> None:
        if self._order_updates is None:
            return
        async for result in self._order_updates.order_updates():
            try:
                async with self._lock:
                    await self.reconciler.on_order_update(result)
            except TemporaryError as exc:
                self._metrics.increment(ORDER_UPDATES_FAILED)
                log.warning("order update not applied; polling will", error=str(exc))

    async def _kill_switch_tripped(self, detail: str) -> None:
        if self._journal is not None:
            await record_kill_switch(self._journal, detail, self._clock.now())

    def _refuse(self, stream: str, expected: str, message: Message) -> MalformedMessageError:
        self._metrics.increment(MESSAGES_REFUSED, type=type(message).__name__)
        return MalformedMessageError(f"{stream} carries {expected}, not {type(message).__name__}")


def _describe(decision: Decision) -> str:
    if isinstance(decision, Approved):
        return f"approved {decision.side} instead of the recorded side"
    return f"{decision.reason.value}: {decision.detail}"
