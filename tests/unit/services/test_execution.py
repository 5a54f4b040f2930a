"""The trade-executor on entries: risk, idempotency, pause, kill switch, cooldown, refusals.

Wired as in production with the memory bus, a migrated SQLite file, the paper broker (its
account in that database) and the real NYSE calendar; the simulated clock reads a Tuesday at
10:00 in New York.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage.risk_decisions import SqlRiskDecisionRepository
from trading_bot.core.errors import (
    BrokerUnavailableError,
    MalformedMessageError,
    StorageUnavailableError,
)
from trading_bot.core.events import (
    HeartbeatSent,
    SignalGenerated,
    Streams,
    TradeExecuted,
    encode,
)
from trading_bot.core.model import (
    Direction,
    OrderSide,
    OrderStatus,
    RiskDecision,
    SignalOutcome,
    StrategySource,
    TradeSignal,
    client_order_id_for,
)
from trading_bot.core.risk import RiskConfig
from trading_bot.services.execution import ExecutionConfig
from trading_bot.services.execution_state import KILL_SWITCH_FLAG_KEY, PAUSED_KEY
from trading_bot.testing.broker_faults import FaultyBroker
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.trading_rigs import (
    ExecutorRig,
    Storage,
    build_executor,
    copy_database,
    eventually,
    paper_orders,
    read_stream,
    sqlite_template,
)


@pytest.fixture(scope="module")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(DEFAULT_NOW)


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
async def storage(
    database_template: Path, tmp_path: Path, clock: SimulatedClock
) -> AsyncIterator[Storage]:
    opened = Storage.open(copy_database(database_template, tmp_path), clock)
    yield opened
    await opened.close()


@pytest.fixture
async def bus(clock: SimulatedClock, metrics: RecordingMetrics) -> AsyncIterator[MemoryBus]:
    memory = MemoryBus(quick_memory_config(), clock=clock, metrics=metrics)
    yield memory
    await memory.close()


@pytest.fixture
async def rig(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> ExecutorRig:
    return await build_executor(storage, bus=bus, clock=clock, metrics=metrics)


class Faulty:
    """Wrap the paper broker in a ``FaultyBroker`` and keep it for the assertions."""

    def __init__(self, *, lose_replies: int = 0, refuse_connections: int = 0) -> None:
        self._faults = {"lose_replies": lose_replies, "refuse_connections": refuse_connections}
        self.broker: FaultyBroker | None = None

    def __call__(self, paper: PaperBroker) -> FaultyBroker:
        self.broker = FaultyBroker(paper, **self._faults)
        return self.broker

    @property
    def submitted(self) -> list[str]:
        assert self.broker is not None
        return [order.client_order_id for order in self.broker.submitted]

    @property
    def attempts(self) -> int:
        assert self.broker is not None
        return self.broker.attempts


def signal_message(signal: TradeSignal, clock: SimulatedClock) -> SignalGenerated:
    return SignalGenerated(occurred_at=clock.now(), signal=signal)


def signal_at(
    clock: SimulatedClock,
    ticker: str = "AAPL",
    direction: Direction = Direction.LONG,
    price: float = 100.0,
) -> TradeSignal:
    return make_signal(ticker, direction, price=price, generated_at=clock.now())


async def send(rig: ExecutorRig, signal: TradeSignal, clock: SimulatedClock) -> None:
    await rig.service.on_signal_generated(signal_message(signal, clock))


async def filled(rig: ExecutorRig, signal: TradeSignal) -> bool:
    record = await rig.repositories.signals.get(signal.signal_id)
    return record is not None and record.outcome is SignalOutcome.FILLED


async def outcome_of(rig: ExecutorRig, signal: TradeSignal) -> tuple[SignalOutcome | None, str]:
    record = await rig.repositories.signals.get(signal.signal_id)
    assert record is not None
    return record.outcome, record.outcome_reason


async def test_executor_when_a_long_signal_arrives_fills_a_trade_with_a_position_and_a_stop(
    rig: ExecutorRig, clock: SimulatedClock, bus: MemoryBus, metrics: RecordingMetrics
) -> None:
    signal = make_signal("AAPL", price=100.0, generated_at=clock.now() - timedelta(seconds=2))

    await send(rig, signal, clock)

    trade = await rig.repositories.trades.get_by_client_order_id(
        client_order_id_for(signal.signal_id)
    )
    assert trade is not None
    assert (trade.status, trade.side, trade.is_exit) == (OrderStatus.FILLED, OrderSide.BUY, False)
    assert trade.filled_qty == trade.qty == Decimal(20)
    assert trade.price == Decimal("100.0500")  # the 5 bps of slippage, against the buyer
    stored = await rig.repositories.positions.get("AAPL")
    assert stored is not None
    assert stored.position.qty == Decimal(20)
    assert stored.position.stop_loss == Decimal("97.00")
    assert stored.entry_signal_id == signal.signal_id
    assert await outcome_of(rig, signal) == (SignalOutcome.FILLED, "")
    executed = [m for m in await read_stream(bus, Streams.TRADES) if isinstance(m, TradeExecuted)]
    assert [m.execution.trade_id for m in executed] == [trade.trade_id]
    assert len(await read_stream(bus, Streams.PORTFOLIO)) == 1
    assert metrics.count("signals_received", direction="LONG") == 1
    assert metrics.count("trades_executed", side="BUY", status="FILLED") == 1
    assert metrics.values("order_fill_latency") == [2.0]
    decisions = await rig.repositories.risk_decisions.for_signal(signal.signal_id)
    assert [(d.approved, d.reason_code, d.qty) for d in decisions] == [
        (True, "APPROVED", Decimal(20))
    ]


async def test_executor_when_a_signal_is_filled_credits_the_trade_to_its_strongest_contributor(
    rig: ExecutorRig, clock: SimulatedClock
) -> None:
    signal = make_signal(
        "AAPL",
        sources=(
            StrategySource(strategy="momentum", direction=Direction.LONG, strength=0.5, weight=0.3),
            StrategySource(
                strategy="news_driven", direction=Direction.LONG, strength=0.9, weight=0.3
            ),
            StrategySource(
                strategy="mean_reversion", direction=Direction.SHORT, strength=1.0, weight=0.4
            ),
        ),
        generated_at=clock.now(),
    )
    await rig.repositories.strategies.seed()

    await send(rig, signal, clock)

    trade = await rig.repositories.trades.get_by_client_order_id(
        client_order_id_for(signal.signal_id)
    )
    assert trade is not None
    record = await rig.repositories.trades.record(trade.trade_id)
    assert record is not None
    assert record.strategy == "news_driven"


class DecisionsDownOnce(SqlRiskDecisionRepository):
    """Risk decisions whose first write fails as if the database were unreachable."""

    failed = False

    async def add(self, decision: RiskDecision) -> None:
        if not self.failed:
            self.failed = True
            raise StorageUnavailableError("store risk decision: database unavailable")
        await super().add(decision)


async def test_executor_when_the_decision_cannot_be_stored_sends_nothing_until_redelivered(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    faulty = Faulty()
    repositories = dataclasses.replace(
        storage.repositories, risk_decisions=DecisionsDownOnce(storage.database)
    )
    rig = await build_executor(
        Storage(storage.database, repositories),
        bus=bus,
        clock=clock,
        metrics=metrics,
        wrap_broker=faulty,
    )
    signal = signal_at(clock)

    with pytest.raises(StorageUnavailableError):
        await send(rig, signal, clock)
    sent_before_redelivery = list(faulty.submitted)
    await send(rig, signal, clock)

    assert sent_before_redelivery == []
    assert faulty.submitted == [client_order_id_for(signal.signal_id)]
    trades = await storage.repositories.trades.for_signal(signal.signal_id)
    assert [t.status for t in trades] == [OrderStatus.FILLED]
    decisions = await storage.repositories.risk_decisions.for_signal(signal.signal_id)
    assert [(d.approved, d.reason_code) for d in decisions] == [(True, "APPROVED")]


async def test_executor_when_a_signal_is_redelivered_places_one_order(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    faulty = Faulty()
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, wrap_broker=faulty)
    signal = signal_at(clock)
    first = signal_message(signal, clock)
    again_in_new_envelope = SignalGenerated(occurred_at=clock.now(), signal=signal)

    await rig.service.on_signal_generated(first)
    await rig.service.on_signal_generated(first)
    await rig.service.on_signal_generated(again_in_new_envelope)

    assert faulty.submitted == [client_order_id_for(signal.signal_id)]
    assert len(await paper_orders(storage.repositories.key_value)) == 1
    trades = await storage.repositories.trades.for_signal(signal.signal_id)
    assert [t.status for t in trades] == [OrderStatus.FILLED]
    executed = await read_stream(bus, Streams.TRADES)
    assert len({m.event_id for m in executed}) == 1  # republished under the same event id


async def test_executor_when_the_reply_to_a_submit_is_lost_settles_the_order_without_resending(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    faulty = Faulty(lose_replies=1)
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, wrap_broker=faulty)
    signal = signal_at(clock)
    message = signal_message(signal, clock)
    coid = client_order_id_for(signal.signal_id)

    with pytest.raises(BrokerUnavailableError):
        await rig.service.on_signal_generated(message)
    pending = await storage.repositories.trades.get_by_client_order_id(coid)
    await rig.service.on_signal_generated(message)  # the bus redelivers it

    assert pending is not None
    assert pending.status is OrderStatus.PENDING
    assert faulty.attempts == 1
    trade = await storage.repositories.trades.get_by_client_order_id(coid)
    assert trade is not None
    assert trade.status is OrderStatus.FILLED
    assert await storage.repositories.positions.get("AAPL") is not None


async def test_executor_when_the_broker_was_unreachable_sends_the_order_on_redelivery(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    faulty = Faulty(refuse_connections=1)
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, wrap_broker=faulty)
    signal = signal_at(clock)
    message = signal_message(signal, clock)

    with pytest.raises(BrokerUnavailableError):
        await rig.service.on_signal_generated(message)
    await rig.service.on_signal_generated(message)

    assert (faulty.attempts, len(faulty.submitted)) == (2, 1)
    trades = await storage.repositories.trades.for_signal(signal.signal_id)
    assert [t.status for t in trades] == [OrderStatus.FILLED]


async def test_executor_when_an_unsent_order_is_given_up_on_cancels_it(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    rig = await build_executor(
        storage,
        bus=bus,
        clock=clock,
        metrics=metrics,
        config=ExecutionConfig(stale_order_seconds=60),
        wrap_broker=lambda paper: FaultyBroker(paper, refuse_connections=1),
    )
    signal = signal_at(clock)
    with pytest.raises(BrokerUnavailableError):
        await send(rig, signal, clock)

    young = await rig.service.reconcile_pending()
    await clock.advance(61)
    old = await rig.service.reconcile_pending()

    assert (young, old) == (0, 1)
    assert await outcome_of(rig, signal) == (
        SignalOutcome.CANCELLED,
        "the order never reached the broker",
    )


@pytest.mark.parametrize(
    ("interval", "expected"),
    [(30.0, SignalOutcome.CANCELLED), (None, None)],
    ids=["on a timer", "without one"],
)
async def test_executor_running_gives_up_on_an_unsent_order_by_its_timer_only_if_it_has_one(
    *,
    storage: Storage,
    bus: MemoryBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
    interval: float | None,
    expected: SignalOutcome | None,
) -> None:
    """Live, the timer finds the order nobody will redeliver; a backtest, which reconciles
    after every fill itself, runs without one."""
    rig = await build_executor(
        storage,
        bus=bus,
        clock=clock,
        metrics=metrics,
        config=ExecutionConfig(stale_order_seconds=60, reconcile_interval_seconds=interval),
        wrap_broker=lambda paper: FaultyBroker(paper, refuse_connections=1),
    )
    await rig.service.start()  # the calendars loaded, so run() starts at once
    running = asyncio.create_task(rig.service.run())
    try:
        await asyncio.sleep(0.05)  # listening, and the timer (if any) asleep
        signal = signal_at(clock)
        with pytest.raises(BrokerUnavailableError):
            await send(rig, signal, clock)
        await clock.advance(120)
        await asyncio.sleep(0.05)
        outcome, _ = await outcome_of(rig, signal)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    assert outcome is expected


async def test_executor_when_paused_refuses_entries_but_lets_a_signal_exit_a_position(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    entry = signal_at(clock, "AAPL")
    await send(rig, entry, clock)
    await rig.repositories.key_value.set(PAUSED_KEY, "true")
    blocked = signal_at(clock, "MSFT")
    exit_signal = signal_at(clock, "AAPL", Direction.SHORT, price=101.0)

    await send(rig, blocked, clock)
    await send(rig, exit_signal, clock)

    outcome, reason = await outcome_of(rig, blocked)
    assert outcome is SignalOutcome.REJECTED
    assert reason.startswith("PAUSED")
    assert metrics.count("risk_rejections", reason="PAUSED") == 1
    assert await rig.repositories.trades.for_signal(blocked.signal_id) == []
    [exit_trade] = await rig.repositories.trades.for_signal(exit_signal.signal_id)
    assert (exit_trade.status, exit_trade.side, exit_trade.is_exit) == (
        OrderStatus.FILLED,
        OrderSide.SELL,
        True,
    )
    assert await rig.repositories.positions.get("AAPL") is None


async def test_executor_when_an_exit_realises_a_profit_reports_it_net_of_both_commissions(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    paper = PaperBrokerConfig(slippage_bps=Decimal(0), commission_per_share=Decimal("0.01"))
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, paper=paper)
    await send(rig, signal_at(clock, "AAPL", price=100.0), clock)
    exit_signal = signal_at(clock, "AAPL", Direction.SHORT, price=110.0)

    await send(rig, exit_signal, clock)

    [exit_trade] = await storage.repositories.trades.for_signal(exit_signal.signal_id)
    # 20 shares bought at 100 and sold at 110, less 0.20 commission each way.
    assert exit_trade.realized_pnl == Decimal("199.60")
    executed = [m for m in await read_stream(bus, Streams.TRADES) if isinstance(m, TradeExecuted)]
    assert executed[-1].execution.realized_pnl == Decimal("199.60")


async def test_executor_when_the_days_loss_passes_the_limit_stops_entries_but_not_exits(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    risk = RiskConfig(daily_loss_limit_pct=Decimal("0.001"))  # 100 of 100,000
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, risk=risk)
    await send(rig, signal_at(clock, "AAPL", price=100.0), clock)
    await send(rig, signal_at(clock, "MSFT", price=100.0), clock)
    await send(rig, signal_at(clock, "AAPL", Direction.SHORT, price=90.0), clock)  # loses ~190
    entry = signal_at(clock, "NVDA")
    exit_signal = signal_at(clock, "MSFT", Direction.SHORT)

    await send(rig, entry, clock)
    await send(rig, exit_signal, clock)

    outcome, reason = await outcome_of(rig, entry)
    assert outcome is SignalOutcome.REJECTED
    assert reason.startswith("KILL_SWITCH")
    assert await storage.repositories.key_value.get(KILL_SWITCH_FLAG_KEY) == "true"
    assert (await outcome_of(rig, exit_signal))[0] is SignalOutcome.FILLED
    assert await storage.repositories.positions.get("MSFT") is None


async def test_executor_when_a_ticker_was_just_exited_waits_out_the_cooldown_even_after_a_restart(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics)
    await send(rig, signal_at(clock, "AAPL"), clock)
    await send(rig, signal_at(clock, "AAPL", Direction.SHORT), clock)
    restarted = await build_executor(storage, bus=bus, clock=clock, metrics=metrics)
    await clock.advance(10 * 60)
    too_soon = signal_at(clock, "AAPL")

    await send(restarted, too_soon, clock)
    await clock.advance(21 * 60)
    later = signal_at(clock, "AAPL")
    await send(restarted, later, clock)

    outcome, reason = await outcome_of(restarted, too_soon)
    assert outcome is SignalOutcome.REJECTED
    assert reason.startswith("COOLDOWN")
    assert (await outcome_of(restarted, later))[0] is SignalOutcome.FILLED


async def test_executor_when_the_broker_refuses_an_order_records_it_rejected_with_the_reason(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    paper = PaperBrokerConfig(starting_cash=Decimal(10_000), min_commission=Decimal(9_900))
    rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics, paper=paper)
    signal = signal_at(clock)

    await send(rig, signal, clock)

    [trade] = await storage.repositories.trades.for_signal(signal.signal_id)
    assert trade.status is OrderStatus.REJECTED
    assert "insufficient buying power" in trade.reason
    outcome, reason = await outcome_of(rig, signal)
    assert outcome is SignalOutcome.REJECTED
    assert "insufficient buying power" in reason
    executed = [m for m in await read_stream(bus, Streams.TRADES) if isinstance(m, TradeExecuted)]
    assert [m.execution.status for m in executed] == [OrderStatus.REJECTED]
    assert metrics.count("trades_executed", status="REJECTED") == 1
    assert await storage.repositories.positions.get("AAPL") is None


async def test_executor_when_the_ticker_is_outside_the_universe_rejects_the_signal(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    signal = signal_at(clock, "ZZZZ")

    await send(rig, signal, clock)

    assert await outcome_of(rig, signal) == (
        SignalOutcome.REJECTED,
        "UNKNOWN_TICKER: ZZZZ is not in the trading universe",
    )
    [decision] = await rig.repositories.risk_decisions.for_signal(signal.signal_id)
    assert (decision.approved, decision.reason_code) == (False, "UNKNOWN_TICKER")
    assert metrics.count("risk_rejections", reason="UNKNOWN_TICKER") == 1
    assert await rig.repositories.trades.for_signal(signal.signal_id) == []


async def test_executor_when_a_signal_is_too_old_rejects_it_as_stale(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    backlog = make_signal("AAPL", generated_at=clock.now() - timedelta(minutes=6))

    await send(rig, backlog, clock)

    outcome, reason = await outcome_of(rig, backlog)
    assert outcome is SignalOutcome.REJECTED
    assert reason == "STALE_SIGNAL: generated 360 s ago, more than 300 s"
    assert metrics.count("risk_rejections", reason="STALE_SIGNAL") == 1
    assert await paper_orders(rig.repositories.key_value) == []


async def test_executor_when_the_size_rounds_to_zero_shares_rejects_with_size_zero(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    signal = signal_at(clock, price=1_000_000.0)  # 2% of the equity buys no whole share

    await send(rig, signal, clock)

    outcome, reason = await outcome_of(rig, signal)
    assert outcome is SignalOutcome.REJECTED
    assert reason.startswith("SIZE_ZERO")
    assert metrics.count("risk_rejections", reason="SIZE_ZERO") == 1
    assert await paper_orders(rig.repositories.key_value) == []


async def test_executor_when_a_stream_carries_another_message_type_refuses_it(
    rig: ExecutorRig, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    stray = HeartbeatSent(occurred_at=clock.now(), service="x", instance="y")

    with pytest.raises(MalformedMessageError, match="carries SignalGenerated"):
        await rig.service.on_signal_generated(stray)

    assert metrics.count("executor_messages_refused", type="HeartbeatSent") == 1


async def test_executor_when_running_dead_letters_bad_payloads_and_goes_on_trading(
    rig: ExecutorRig, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    good = signal_at(clock, "AAPL")
    payload = json.loads(encode(signal_message(signal_at(clock, "MSFT"), clock)))
    nan_price = {**payload, "signal": {**payload["signal"], "price": float("nan")}}
    negative_price = {**payload, "signal": {**payload["signal"], "price": -5}}
    running = asyncio.create_task(rig.service.run())

    await bus.publish_raw(Streams.SIGNALS, json.dumps(nan_price).encode())
    await bus.publish_raw(Streams.SIGNALS, json.dumps(negative_price).encode())
    await bus.publish_raw(Streams.SIGNALS, b"{not json")
    await bus.publish(signal_message(good, clock))
    await eventually(lambda: filled(rig, good))
    await bus.drain()

    dead = await bus.dead_letters(Streams.SIGNALS)
    assert len(dead) == 3
    assert "price" in dead[0].error
    assert "price" in dead[1].error
    assert "not valid JSON" in dead[2].error
    assert metrics.count("bus_dead_letters") == 3
    assert not running.done()
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


async def test_executor_when_a_signal_names_no_stored_signal_stores_it_before_the_trade(
    rig: ExecutorRig, clock: SimulatedClock
) -> None:
    signal = signal_at(clock)
    assert await rig.repositories.signals.get(signal.signal_id) is None

    await send(rig, signal, clock)

    record = await rig.repositories.signals.get(signal.signal_id)
    assert record is not None
    assert record.signal == signal
    assert record.acted_on
