"""Trading notifications: fills and closed positions as they happen, the daily summary at the
session close (13:00 New York on a half day), and a dead channel that holds up nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.notify.dispatcher import DeliveryConfig, NotificationDispatcher
from trading_bot.adapters.notify.webhook import WebhookChannel, WebhookConfig
from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import HeartbeatSent, SignalGenerated, TradeExecuted
from trading_bot.core.model import OrderSide, OrderStatus, SignalOutcome
from trading_bot.core.operations import NotificationKind
from trading_bot.core.ports import Notifier
from trading_bot.services.execution_state import RiskStateStore
from trading_bot.services.notifications import NotificationsConfig, NotificationService
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.key_value import MemoryKeyValueStore
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.notify_servers import LocalNotifyServer
from trading_bot.testing.operations import CollectingNotifier
from trading_bot.testing.signals import make_signal
from trading_bot.testing.storage_records import make_execution
from trading_bot.testing.trading_rigs import (
    TEST_CALENDAR,
    Storage,
    build_executor,
    copy_database,
    eventually,
    sqlite_template,
)

HALF_DAY = datetime(2024, 7, 3, 14, 0, tzinfo=UTC)
"""10:00 New York on Wednesday 2024-07-03, a half day: the session closes at 17:00 UTC."""
D = Decimal


@pytest.fixture(scope="module")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(HALF_DAY)


@pytest.fixture
async def storage(
    database_template: Path, tmp_path: Path, clock: SimulatedClock
) -> AsyncIterator[Storage]:
    opened = Storage.open(copy_database(database_template, tmp_path), clock)
    yield opened
    await opened.close()


async def service(
    storage: Storage, clock: SimulatedClock, notifier: Notifier, bus: MemoryBus
) -> tuple[NotificationService, PaperBroker]:
    prices = LatestPrices({"AAPL": D(100)})
    store = MemoryKeyValueStore()
    broker = PaperBroker(PaperBrokerConfig(), prices, clock, store)
    metrics = RecordingMetrics()
    notifications = NotificationService(
        NotificationsConfig(),
        bus=bus,
        notifier=notifier,
        broker=broker,
        trades=storage.repositories.trades,
        state=RiskStateStore(store, clock, metrics),
        market_hours=TEST_CALENDAR,
        clock=clock,
        metrics=metrics,
    )
    return notifications, broker


async def test_notifications_when_an_entry_and_an_exit_fill_tell_the_trade_and_the_pnl(
    storage: Storage, clock: SimulatedClock
) -> None:
    notifier = CollectingNotifier()
    notifications, _ = await service(storage, clock, notifier, MemoryBus(clock=clock))
    entry = make_execution(
        status=OrderStatus.FILLED, filled_qty=D(10), price=D("187.30"), executed_at=HALF_DAY
    )
    exit_ = make_execution(
        side=OrderSide.SELL,
        status=OrderStatus.FILLED,
        filled_qty=D(10),
        price=D("190.10"),
        is_exit=True,
        realized_pnl=D("27.65"),
        executed_at=HALF_DAY,
    )
    rejected = make_execution(status=OrderStatus.REJECTED, executed_at=HALF_DAY)

    for trade in (entry, exit_, rejected):
        await notifications.on_trade_executed(TradeExecuted(occurred_at=HALF_DAY, execution=trade))

    executed, closed = notifier.notifications
    assert (executed.kind, executed.title) == (
        NotificationKind.TRADE_EXECUTED,
        "Bought 10 AAPL at 187.30",
    )
    assert (closed.kind, closed.title) == (
        NotificationKind.POSITION_CLOSED,
        "Closed AAPL: P&L +27.65",
    )
    assert closed.fields["realized_pnl"] == "27.65"


async def test_notifications_when_another_message_arrives_refuse_it(
    storage: Storage, clock: SimulatedClock
) -> None:
    notifications, _ = await service(storage, clock, CollectingNotifier(), MemoryBus(clock=clock))
    heartbeat = HeartbeatSent(occurred_at=HALF_DAY, service="x", instance="y")

    with pytest.raises(MalformedMessageError, match="TradeExecuted only"):
        await notifications.on_trade_executed(heartbeat)


async def test_daily_summary_on_a_half_day_goes_out_at_the_1300_new_york_close(
    storage: Storage, clock: SimulatedClock
) -> None:
    notifier = CollectingNotifier()
    bus = MemoryBus(quick_memory_config(), clock=clock)
    notifications, _ = await service(storage, clock, notifier, bus)
    running = asyncio.create_task(notifications.run())
    await eventually(lambda: _asleep(clock))

    await clock.advance_to(datetime(2024, 7, 3, 16, 59, tzinfo=UTC))
    before_close = list(notifier.notifications)
    await clock.advance_to(datetime(2024, 7, 3, 17, 0, 30, tzinfo=UTC))
    await eventually(lambda: _summaries(notifier))
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)

    assert before_close == []
    [summary] = notifier.of_kind(NotificationKind.DAILY_SUMMARY)
    assert summary.occurred_at == datetime(2024, 7, 3, 17, 0, tzinfo=UTC)
    assert summary.title == "Daily summary 2024-07-03: +0.00"
    assert summary.fields["equity"] == "100000.00"
    assert summary.fields["trades"] == "0"
    await bus.close()


async def test_a_channel_that_stays_down_never_holds_up_the_executor(
    storage: Storage, clock: SimulatedClock
) -> None:
    metrics = RecordingMetrics()
    bus = MemoryBus(quick_memory_config(), clock=clock, metrics=metrics)
    async with LocalNotifyServer() as down:
        down.fail_always(503)
        slow_retries = DeliveryConfig(queue_size=2, max_attempts=10, backoff_seconds=30)
        dispatcher = NotificationDispatcher(
            [WebhookChannel(WebhookConfig(url=down.webhook_url(), secret=SecretStr("s")), clock)],
            slow_retries,
            metrics,
        )
        notifications, _ = await service(storage, clock, dispatcher, bus)
        rig = await build_executor(storage, bus=bus, clock=clock, metrics=metrics)
        tasks = [asyncio.create_task(t.run()) for t in (dispatcher, notifications)]
        try:
            signals = [
                make_signal(ticker, price=100.0, generated_at=clock.now())
                for ticker in ("AAPL", "MSFT", "NVDA", "TSLA", "AMZN")
            ]
            for signal in signals:
                await rig.service.on_signal_generated(
                    SignalGenerated(occurred_at=clock.now(), signal=signal)
                )
            await bus.drain()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await dispatcher.aclose()
    outcomes = [await storage.repositories.signals.get(s.signal_id) for s in signals]
    assert [o.outcome if o else None for o in outcomes] == [SignalOutcome.FILLED] * 5
    assert metrics.count("notifications_dropped", reason="queue_full") >= 2
    assert metrics.count("notifications_sent") == 0
    await bus.close()


async def _asleep(clock: SimulatedClock) -> bool:
    await asyncio.sleep(0)
    return clock.next_wakeup is not None


async def _summaries(notifier: CollectingNotifier) -> bool:
    return bool(notifier.of_kind(NotificationKind.DAILY_SUMMARY))
