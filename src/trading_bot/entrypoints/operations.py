"""Operations wired beside the services a process runs: heartbeats, and where the trade-executor
runs, the operations journal, the health watch (automatic pause), the notification channels and
the trading notifications.

``build_operations`` is called by the node after ``build_ports`` and before ``build_services``
(the executor is then built with the journal and the health watch's bar hook); the backtester
never calls it, so a replay has no heartbeats, no watch and sends no notifications.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection

from trading_bot.adapters.notify.channel import Channel
from trading_bot.adapters.notify.discord import DiscordChannel
from trading_bot.adapters.notify.dispatcher import NotificationDispatcher
from trading_bot.adapters.notify.telegram import TelegramChannel
from trading_bot.adapters.notify.webhook import WebhookChannel
from trading_bot.adapters.storage.repositories import SqlRepositories
from trading_bot.core.ports import Gauges
from trading_bot.entrypoints.container import Ports, Service
from trading_bot.entrypoints.service_names import TRADE_EXECUTOR
from trading_bot.entrypoints.settings import Settings
from trading_bot.services.execution_state import RiskStateStore
from trading_bot.services.health_watch import HealthWatch
from trading_bot.services.heartbeat import HeartbeatPublisher
from trading_bot.services.notifications import NotificationService
from trading_bot.services.operations_journal import OperationsJournal

HEARTBEAT_TASK = "heartbeat"
HEALTH_WATCH_TASK = "health-watch"
NOTIFY_TASK = "notify"
NOTIFIER_TASK = "notifier"


def instance_name() -> str:
    """Return this process's name in heartbeats: ``<host>-<pid>``."""
    return f"{socket.gethostname()}-{os.getpid()}"


def build_channels(settings: Settings, ports: Ports) -> list[Channel]:
    """Return the notification channels the settings turn on."""
    notify = settings.notify
    channels: list[Channel] = []
    if notify.webhook is not None:
        channels.append(WebhookChannel(notify.webhook, ports.wall_clock))
    if notify.discord is not None:
        channels.append(DiscordChannel(notify.discord))
    if notify.telegram is not None:
        channels.append(TelegramChannel(notify.telegram))
    return channels


def build_operations(
    settings: Settings, ports: Ports, services: Collection[str]
) -> dict[str, Service]:
    """Return the operations tasks of a process running ``services``, by task name.

    Where the trade-executor runs, ``ports.journal`` and ``ports.health_watch`` are set, for
    ``build_services`` to hand to the executor.
    """
    operations = settings.operations
    tasks: dict[str, Service] = {
        HEARTBEAT_TASK: HeartbeatPublisher(
            operations.heartbeat,
            services=sorted(services),
            instance=instance_name(),
            bus=ports.bus,
            clock=ports.wall_clock,
            metrics=ports.metrics,
        )
    }
    if TRADE_EXECUTOR not in services or ports.broker is None:
        return tasks
    dispatcher = NotificationDispatcher(
        build_channels(settings, ports), settings.notify.delivery, ports.metrics
    )
    ports.on_close(dispatcher.aclose)
    repos = ports.repos
    journal = OperationsJournal(
        bus=ports.bus,
        metrics=ports.metrics,
        audit=repos.audit if isinstance(repos, SqlRepositories) else None,
        notifier=dispatcher,
    )
    broker = ports.broker

    async def broker_answers() -> None:
        await broker.get_account()

    state = RiskStateStore(repos.key_value, ports.clock, ports.metrics)
    watch = HealthWatch(
        operations.health_watch,
        operations.heartbeat,
        tickers=settings.execution.universe,
        market_hours=ports.market_hours,
        clock=ports.clock,
        timer=ports.wall_clock,
        state=state,
        journal=journal,
        bus=ports.bus,
        gauges=ports.metrics if isinstance(ports.metrics, Gauges) else _NoGauges(),
        metrics=ports.metrics,
        broker=ports.broker_health,
        broker_probe=broker_answers,
        bus_probe=ports.bus.ping,
        storage_probe=ports.database.ping,
    )
    ports.journal, ports.health_watch = journal, watch
    tasks[HEALTH_WATCH_TASK] = watch
    if dispatcher.channels:
        tasks[NOTIFY_TASK] = dispatcher
        tasks[NOTIFIER_TASK] = NotificationService(
            settings.notify.trading,
            bus=ports.bus,
            notifier=dispatcher,
            broker=broker,
            trades=repos.trades,
            state=state,
            market_hours=ports.market_hours,
            clock=ports.clock,
            metrics=ports.metrics,
        )
    return tasks


class _NoGauges:
    """Gauges for metrics that keep none (a test's counters): set values go nowhere."""

    def set_gauge(self, name: str, value: float, **labels: str) -> None:
        """Drop the value."""
