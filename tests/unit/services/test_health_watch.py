"""The health watch on a simulated clock: each condition pauses new entries and resumes them once
it clears, with an audit row, a bus event, a gauge and a notification for every transition; the
executor refuses entries as AUTO_PAUSED:<condition> and still exits; lost heartbeats alarm."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

import pytest

from trading_bot.adapters.brokers.alpaca import AlpacaBroker
from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import (
    BrokerUnavailableError,
    BusUnavailableError,
    StorageUnavailableError,
)
from trading_bot.core.events import (
    ClosePosition,
    HeartbeatSent,
    SignalGenerated,
    Streams,
    TradingAutoPaused,
    TradingAutoResumed,
)
from trading_bot.core.model import OrderStatus
from trading_bot.core.operations import NotificationKind
from trading_bot.services.broker_health import BrokerCallHealth, MonitoredBroker
from trading_bot.services.execution_state import AUTO_PAUSED_KEY, RiskStateStore
from trading_bot.services.health_watch import HealthWatch, HealthWatchConfig
from trading_bot.services.heartbeat import HeartbeatConfig
from trading_bot.services.operations_journal import OperationsJournal
from trading_bot.testing.alpaca_server import LocalAlpacaServer
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.operations import CollectingNotifier, Outage
from trading_bot.testing.signals import DEFAULT_NOW, make_signal
from trading_bot.testing.trading_rigs import (
    TEST_CALENDAR,
    Storage,
    build_executor,
    copy_database,
    read_stream,
    sqlite_template,
)

CONFIG = HealthWatchConfig(
    bar_timeout_minutes=5, broker_failures=3, bus_failures=2, storage_failures=2
)
HEARTBEATS = HeartbeatConfig(interval_seconds=10, stale_after_intervals=3)


@pytest.fixture(scope="module")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@dataclass
class Watched:
    watch: HealthWatch
    clock: SimulatedClock
    storage: Storage
    bus: MemoryBus
    metrics: RecordingMetrics
    notifier: CollectingNotifier
    journal: OperationsJournal
    bus_outage: Outage
    storage_outage: Outage
    broker: BrokerCallHealth


@pytest.fixture
def alpaca() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer() as server:
        server.set_price("AAPL", "100")
        yield server


@pytest.fixture
async def watched(
    database_template: Path, tmp_path: Path, alpaca: LocalAlpacaServer
) -> AsyncIterator[Watched]:
    clock = SimulatedClock(DEFAULT_NOW)
    metrics = RecordingMetrics()
    storage = Storage.open(copy_database(database_template, tmp_path), clock)
    bus = MemoryBus(quick_memory_config(), clock=clock, metrics=metrics)
    notifier = CollectingNotifier()
    journal = OperationsJournal(
        bus=bus, metrics=metrics, audit=storage.repositories.audit, notifier=notifier
    )
    health = BrokerCallHealth()
    alpaca_broker = AlpacaBroker(alpaca.broker_config())
    broker = MonitoredBroker(alpaca_broker, health)

    async def broker_probe() -> None:
        await broker.get_account()

    bus_outage, storage_outage = Outage(BusUnavailableError), Outage(StorageUnavailableError)
    watch = HealthWatch(
        CONFIG,
        HEARTBEATS,
        tickers=("AAPL", "MSFT"),
        market_hours=TEST_CALENDAR,
        clock=clock,
        timer=clock,
        state=RiskStateStore(storage.repositories.key_value, clock, metrics),
        journal=journal,
        bus=bus,
        gauges=metrics,
        metrics=metrics,
        broker=health,
        broker_probe=broker_probe,
        bus_probe=bus_outage.ping,
        storage_probe=storage_outage.ping,
    )
    await watch.start()
    yield Watched(
        watch, clock, storage, bus, metrics, notifier, journal, bus_outage, storage_outage, health
    )
    await alpaca_broker.aclose()
    await bus.close()
    await storage.close()


async def actions(watched: Watched) -> list[tuple[str, str]]:
    page = await watched.storage.repositories.audit.query(actor="health-watch")
    return [(e.action, str(e.detail.get("condition"))) for e in reversed(page.items)]


async def test_watch_when_bars_stop_during_market_hours_pauses_and_resumes_when_they_return(
    watched: Watched,
) -> None:
    watch, clock = watched.watch, watched.clock
    watch.bar_seen("AAPL")
    watch.bar_seen("MSFT")

    await clock.advance(4 * 60)
    assert await watch.check() == {}
    watch.bar_seen("AAPL")
    await clock.advance(2 * 60)
    paused = await watch.check()
    await clock.advance(1)
    watch.bar_seen("MSFT")
    resumed = await watch.check()

    assert "MSFT" in paused["market_data"].detail
    assert "AAPL" not in paused["market_data"].detail
    assert resumed == {}
    assert await actions(watched) == [
        ("trading.auto_pause", "market_data"),
        ("trading.auto_resume", "market_data"),
    ]
    kinds = [type(m) for m in await read_stream(watched.bus, Streams.OPERATIONS)]
    assert kinds == [TradingAutoPaused, TradingAutoResumed]
    titles = [n.title for n in watched.notifier.of_kind(NotificationKind.PAUSE_RESUME)]
    assert titles == [
        "Trading paused automatically: market_data",
        "Trading resumed: market_data cleared",
    ]
    assert watched.metrics.gauge("trading_auto_paused", reason="market_data") == 0.0


async def test_watch_when_the_market_is_closed_does_not_miss_bars(watched: Watched) -> None:
    # Tuesday 16:30 New York: closed; no bar for hours is normal then.
    await watched.clock.advance_to(DEFAULT_NOW.replace(hour=21, minute=30))

    assert await watched.watch.check() == {}


async def test_watch_when_the_market_opens_counts_from_the_open_not_from_yesterday(
    watched: Watched,
) -> None:
    watch, clock = watched.watch, watched.clock
    await clock.advance_to(DEFAULT_NOW.replace(hour=21))
    await watch.check()
    await clock.advance_to(DEFAULT_NOW.replace(day=6, hour=14, minute=30))  # Wednesday's open

    assert await watch.check() == {}
    await clock.advance(6 * 60)
    assert set(await watch.check()) == {"market_data"}


async def test_watch_when_the_broker_fails_three_calls_pauses_and_one_answer_resumes(
    watched: Watched, alpaca: LocalAlpacaServer
) -> None:
    watch = watched.watch
    alpaca.fail_next(3, status=503)
    async with aclosing(AlpacaBroker(alpaca.broker_config())) as alpaca_broker:
        broker_calls = MonitoredBroker(alpaca_broker, watched.broker)
        for _ in range(3):
            with pytest.raises(BrokerUnavailableError):
                await broker_calls.get_account()

    paused = await watch.check()
    await watched.clock.advance(1)
    resumed = await watch.check()  # the watch's own probe now gets an answer

    assert "3 broker calls failed in a row" in paused["broker"].detail
    assert resumed == {}
    assert await actions(watched) == [
        ("trading.auto_pause", "broker"),
        ("trading.auto_resume", "broker"),
    ]


async def test_watch_when_the_bus_stops_answering_pauses_after_two_pings_and_resumes(
    watched: Watched,
) -> None:
    watch = watched.watch
    watched.bus_outage.down = True

    first = await watch.check()
    second = await watch.check()
    watched.bus_outage.down = False
    await watched.clock.advance(1)
    third = await watch.check()

    assert (set(first), set(second), set(third)) == (set(), {"bus"}, set())
    assert watched.metrics.count("health_probe_failures", target="bus") == 2
    assert [a for a, _ in await actions(watched)] == ["trading.auto_pause", "trading.auto_resume"]


async def test_watch_when_storage_is_down_pauses_and_writes_what_it_could_not_once_it_is_back(
    watched: Watched,
) -> None:
    watch, repositories = watched.watch, watched.storage.repositories
    watched.storage_outage.down = True
    await watch.check()
    await watch.check()
    paused_in_storage = await repositories.key_value.get(AUTO_PAUSED_KEY)
    watched.storage_outage.down = False

    await watch.check()

    assert paused_in_storage is not None
    assert "storage" in paused_in_storage
    assert await repositories.key_value.get(AUTO_PAUSED_KEY) == "{}"
    assert watched.notifier.of_kind(NotificationKind.PAUSE_RESUME)[0].fields == {
        "condition": "storage"
    }


async def test_executor_when_auto_paused_refuses_entries_with_the_condition_and_still_exits(
    watched: Watched,
) -> None:
    clock, storage = watched.clock, watched.storage
    rig = await build_executor(
        storage,
        bus=watched.bus,
        clock=clock,
        metrics=watched.metrics,
        on_bar=watched.watch.bar_seen,
    )
    held = make_signal("AAPL", price=100.0, generated_at=clock.now())
    await rig.service.on_signal_generated(SignalGenerated(occurred_at=clock.now(), signal=held))
    await clock.advance(6 * 60)
    await watched.watch.check()

    entry = make_signal("MSFT", price=50.0, generated_at=clock.now())
    await rig.service.on_signal_generated(SignalGenerated(occurred_at=clock.now(), signal=entry))
    await rig.service.on_close_position(
        ClosePosition(occurred_at=clock.now(), ticker="AAPL", requested_by="alice")
    )

    refused = await storage.repositories.signals.get(entry.signal_id)
    assert refused is not None
    assert refused.outcome_reason.startswith("AUTO_PAUSED:market_data")
    assert watched.metrics.count("risk_rejections", reason="AUTO_PAUSED:market_data") == 1
    page = await storage.repositories.trades.query(ticker="AAPL")
    exits = [r.execution for r in page.items if r.execution.is_exit]
    assert [e.status for e in exits] == [OrderStatus.FILLED]


async def test_watch_when_a_service_stops_beating_raises_an_alarm_and_notes_its_return(
    watched: Watched,
) -> None:
    watch, clock = watched.watch, watched.clock

    async def beat() -> None:
        await watch.on_heartbeat(
            HeartbeatSent(occurred_at=clock.now(), service="signal-generator", instance="host-1")
        )

    await beat()
    await clock.advance(29)
    await watch.check()
    await clock.advance(2)
    await watch.check()
    await watch.check()
    await clock.advance(1)
    await beat()

    page = await watched.storage.repositories.audit.query(actor="health-watch")
    assert [e.action for e in reversed(page.items)] == ["heartbeat.lost", "heartbeat.restored"]
    [lost, back] = watched.notifier.of_kind(NotificationKind.HEARTBEAT_ALARM)
    assert lost.title == "Heartbeat lost: signal-generator"
    assert back.title == "Heartbeat back: signal-generator"
    age = watched.metrics.gauge(
        "service_heartbeat_age_seconds", service="signal-generator", instance="host-1"
    )
    assert age == 31.0  # at the last check, before the heartbeat came back


async def test_watch_when_restarted_keeps_a_pause_until_its_condition_clears(
    watched: Watched,
) -> None:
    watched.bus_outage.down = True
    await watched.watch.check()
    await watched.watch.check()
    again = HealthWatch(
        CONFIG,
        HEARTBEATS,
        tickers=(),
        market_hours=TEST_CALENDAR,
        clock=watched.clock,
        timer=watched.clock,
        state=RiskStateStore(
            watched.storage.repositories.key_value, watched.clock, watched.metrics
        ),
        journal=watched.journal,
        bus=watched.bus,
        gauges=watched.metrics,
        metrics=watched.metrics,
    )

    await again.start()
    await watched.clock.advance(1)

    assert set(again.active) == {"bus"}
    assert set(await again.check()) == set()
    assert [a for a, _ in await actions(watched)][-1] == "trading.auto_resume"
