"""The operations journal and the heartbeats: an operational event reaches the operator even when
the audit log or the bus is down, and is written once they are back; heartbeats never fail their
process."""

from __future__ import annotations

from pathlib import Path

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories, upgrade_database
from trading_bot.core.events import HeartbeatSent, Streams, TradingAutoPaused
from trading_bot.core.operations import Notification, NotificationKind
from trading_bot.services.heartbeat import HeartbeatConfig, HeartbeatPublisher
from trading_bot.services.operations_journal import OperationsJournal
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.operations import CollectingNotifier
from trading_bot.testing.signals import DEFAULT_NOW
from trading_bot.testing.storage import sqlite_url
from trading_bot.testing.trading_rigs import read_stream


def paused_event() -> tuple[TradingAutoPaused, Notification]:
    return (
        TradingAutoPaused(occurred_at=DEFAULT_NOW, condition="storage", detail="2 pings failed"),
        Notification(
            kind=NotificationKind.PAUSE_RESUME, title="Paused: storage", occurred_at=DEFAULT_NOW
        ),
    )


async def test_journal_when_storage_is_down_notifies_at_once_and_writes_the_row_once_it_is_back(
    tmp_path: Path,
) -> None:
    clock, metrics, notifier = SimulatedClock(DEFAULT_NOW), RecordingMetrics(), CollectingNotifier()
    url = sqlite_url(tmp_path / "trading.db")  # not migrated yet: no audit table to write to
    database = Database(url)
    bus = MemoryBus(quick_memory_config(), clock=clock)
    audit = SqlRepositories.create(database, clock).audit
    journal = OperationsJournal(bus=bus, metrics=metrics, audit=audit, notifier=notifier)
    event, notification = paused_event()

    await journal.record(
        event,
        actor="health-watch",
        action="trading.auto_pause",
        detail={"condition": "storage"},
        notification=notification,
    )
    kept = journal.pending
    await upgrade_database(url)
    await journal.flush()

    assert notifier.notifications == [notification]
    assert kept == 1
    assert journal.pending == 0
    page = await audit.query(actor="health-watch")
    assert [(e.action, e.detail["condition"]) for e in page.items] == [
        ("trading.auto_pause", "storage")
    ]
    assert metrics.count("operations_write_failures", target="audit") == 1
    await database.dispose()
    await bus.close()


async def test_journal_when_the_bus_is_down_keeps_the_event_within_its_backlog(
    tmp_path: Path,
) -> None:
    clock, metrics = SimulatedClock(DEFAULT_NOW), RecordingMetrics()
    bus = MemoryBus(quick_memory_config(), clock=clock)
    await bus.close()
    journal = OperationsJournal(bus=bus, metrics=metrics, backlog=1)
    event, _ = paused_event()

    for _ in range(2):
        await journal.record(event, actor="health-watch", action="trading.auto_pause", detail={})

    assert journal.pending == 1
    assert metrics.count("operations_backlog_dropped", target="bus") == 1


async def test_heartbeat_publisher_beats_for_every_service_with_its_interval() -> None:
    clock = SimulatedClock(DEFAULT_NOW)
    bus = MemoryBus(quick_memory_config(), clock=clock)
    publisher = HeartbeatPublisher(
        HeartbeatConfig(interval_seconds=5),
        services=["signal-generator", "trade-executor"],
        instance="host-1",
        bus=bus,
        clock=clock,
        metrics=RecordingMetrics(),
    )

    await publisher.beat()

    beats = [m for m in await read_stream(bus, Streams.HEARTBEATS) if isinstance(m, HeartbeatSent)]
    assert [(b.service, b.instance, b.interval_seconds) for b in beats] == [
        ("signal-generator", "host-1", 5.0),
        ("trade-executor", "host-1", 5.0),
    ]
    await bus.close()


async def test_heartbeat_publisher_when_the_bus_is_down_counts_it_and_goes_on() -> None:
    clock, metrics = SimulatedClock(DEFAULT_NOW), RecordingMetrics()
    bus = MemoryBus(quick_memory_config(), clock=clock)
    await bus.close()
    publisher = HeartbeatPublisher(
        HeartbeatConfig(),
        services=["trade-executor"],
        instance="host-1",
        bus=bus,
        clock=clock,
        metrics=metrics,
    )

    await publisher.beat()

    assert metrics.count("heartbeats_failed", service="trade-executor") == 1
