"""The health watch: pause new entries on its own while the bot trades blind, resume once it
sees again, and raise an alarm when a service stops sending heartbeats.

Conditions (``core.operations.AutoPauseCondition``), checked every ``check_interval_seconds``:

| condition     | active while                                                                  |
|---------------|-------------------------------------------------------------------------------|
| market_data   | the market is open (calendar) and a subscribed ticker had no bar for          |
|               | ``bar_timeout_minutes`` (counted from the bar, or from the open if later)     |
| broker        | the broker's API failed ``broker_failures`` calls in a row (probed while it   |
|               | lasts, so one answer resumes)                                                 |
| bus           | the bus failed ``bus_failures`` pings in a row                                |
| storage       | the database failed ``storage_failures`` pings in a row                       |

The active conditions are kept in ``control:auto_paused`` (``execution_state``), which the
executor reads on every decision: entries are refused with ``AUTO_PAUSED:<condition>``, exits
still go through. Each transition is recorded by the operations journal (audit log, bus,
notification) and sets the gauge ``trading_auto_paused{reason}`` to 1 or 0. Liveness (bars,
heartbeats) is timed on ``timer`` (the wall clock in production and in a demo, whose market clock
stops when its feed does); whether the market is open is asked at ``clock``'s time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Final

import structlog
from pydantic import BaseModel, ConfigDict, Field

from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import (
    HeartbeatLost,
    HeartbeatRestored,
    HeartbeatSent,
    Message,
    Streams,
    TradingAutoPaused,
    TradingAutoResumed,
)
from trading_bot.core.operations import (
    AutoPauseCondition,
    Notification,
    NotificationKind,
    Severity,
)
from trading_bot.core.ports import Clock, EventBus, Gauges, MarketHours, Metrics
from trading_bot.services.broker_health import BrokerCallHealth
from trading_bot.services.execution_state import AutoPause, RiskStateStore
from trading_bot.services.heartbeat import HeartbeatConfig
from trading_bot.services.operations_journal import OperationsJournal

log = structlog.stdlib.get_logger(__name__)

AUTO_PAUSED_GAUGE: Final = "trading_auto_paused"
"""Gauge: 1 while ``reason`` (a condition) pauses new entries, else 0."""
HEARTBEAT_AGE_GAUGE: Final = "service_heartbeat_age_seconds"
"""Gauge: seconds since a service instance's last heartbeat (labels ``service``, ``instance``)."""
PROBE_FAILURES: Final = "health_probe_failures"
"""Counter of failed probes (label ``target``: bus, storage, broker)."""
WATCH: Final = "health-watch"
"""The audit log's actor for automatic pauses and heartbeat alarms."""

Probe = Callable[[], Awaitable[None]]
"""Return when a dependency answers; raise when it does not."""


class HealthWatchConfig(BaseModel):
    """When the health watch pauses new entries, and how often it looks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    check_interval_seconds: float = Field(
        default=5.0, gt=0, le=600, description="how often the conditions are checked; default 5"
    )
    bar_timeout_minutes: float | None = Field(
        default=10.0,
        gt=0,
        description="a subscribed ticker without a bar this long while the market is open "
        "pauses entries; None: never; default 10",
    )
    broker_failures: int = Field(
        default=3, ge=1, description="failed broker calls in a row that pause entries; default 3"
    )
    bus_failures: int = Field(
        default=2, ge=1, description="failed bus pings in a row that pause entries; default 2"
    )
    storage_failures: int = Field(
        default=2, ge=1, description="failed database pings in a row that pause entries; default 2"
    )
    probe_timeout_seconds: float = Field(
        default=5.0, gt=0, description="a probe slower than this counts as failed; default 5"
    )
    group: str = Field(
        default="health-watch", min_length=1, description="consumer group on the heartbeats"
    )


class HealthWatch:
    """Watch the conditions and the heartbeats (see the module docstring)."""

    name = WATCH

    def __init__(
        self,
        config: HealthWatchConfig,
        heartbeats: HeartbeatConfig,
        *,
        tickers: Collection[str],
        market_hours: MarketHours,
        clock: Clock,
        timer: Clock,
        state: RiskStateStore,
        journal: OperationsJournal,
        bus: EventBus,
        gauges: Gauges,
        metrics: Metrics,
        broker: BrokerCallHealth | None = None,
        broker_probe: Probe | None = None,
        bus_probe: Probe | None = None,
        storage_probe: Probe | None = None,
    ) -> None:
        self._config = config
        self._heartbeats = heartbeats
        self._tickers = tuple(sorted(tickers))
        self._market_hours = market_hours
        self._clock = clock
        self._timer = timer
        self._state = state
        self._journal = journal
        self._bus = bus
        self._gauges = gauges
        self._metrics = metrics
        self._broker = broker
        self._broker_probe = broker_probe
        self._probes: dict[AutoPauseCondition, Probe] = {}
        if bus_probe is not None:
            self._probes[AutoPauseCondition.BUS] = bus_probe
        if storage_probe is not None:
            self._probes[AutoPauseCondition.STORAGE] = storage_probe
        self._failures: dict[AutoPauseCondition, int] = dict.fromkeys(self._probes, 0)
        self._started = timer.now()
        self._bars: dict[str, datetime] = {}
        self._open_since: datetime | None = None
        self._was_open: bool | None = None
        self._active: dict[str, AutoPause] = {}
        self._saved = False
        self._seen: dict[tuple[str, str], datetime] = {}
        self._lost: set[tuple[str, str]] = set()

    @property
    def active(self) -> dict[str, AutoPause]:
        """Return the conditions pausing new entries now."""
        return dict(self._active)

    async def start(self) -> None:
        """Take over the pauses an earlier run left (they hold until their check clears)."""
        try:
            self._active = await self._state.auto_pauses()
            self._saved = True
        except Exception as exc:  # storage may be down: start from nothing, save later
            log.warning("automatic pauses not read; starting from none", error=str(exc))
        for condition in AutoPauseCondition:
            self._gauge(condition.value)

    async def run(self) -> None:
        """Follow the heartbeats and check the conditions every interval, until cancelled."""
        await self.start()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                self._bus.consume(Streams.HEARTBEATS, self._config.group, self.on_heartbeat),
                name=f"{WATCH}:heartbeats",
            )
            tasks.create_task(self._check_forever(), name=f"{WATCH}:checks")

    def bar_seen(self, ticker: str) -> None:
        """Note that a bar for ``ticker`` arrived now (the executor calls it for every bar)."""
        self._bars[ticker] = self._timer.now()

    async def on_heartbeat(self, message: Message) -> None:
        """Note a heartbeat; a service that had gone quiet is restored."""
        if not isinstance(message, HeartbeatSent):
            raise MalformedMessageError(f"{Streams.HEARTBEATS} carries HeartbeatSent only")
        key = (message.service, message.instance)
        known = self._seen.get(key)
        if known is None or message.occurred_at > known:
            self._seen[key] = message.occurred_at
        if key in self._lost and self._age(key) <= self._heartbeats.stale_after_seconds:
            self._lost.discard(key)
            await self._heartbeat_restored(*key)

    async def check(self) -> dict[str, AutoPause]:
        """Evaluate every condition now, record each transition; return the active ones."""
        await self._journal.flush()
        found: dict[str, str] = {}
        if (stale := self._stale_market_data()) is not None:
            found[AutoPauseCondition.MARKET_DATA.value] = stale
        if (broker := await self._broker_down()) is not None:
            found[AutoPauseCondition.BROKER.value] = broker
        for condition, probe in self._probes.items():
            if (down := await self._probe(condition, probe)) is not None:
                found[condition.value] = down
        await self._apply(found)
        await self._watch_heartbeats()
        return self.active

    # -- conditions ---------------------------------------------------------------------------

    def _stale_market_data(self) -> str | None:
        timeout = self._config.bar_timeout_minutes
        if timeout is None or not self._tickers:
            return None
        now = self._timer.now()
        is_open = self._market_hours.is_open(self._clock.now())
        if is_open and not self._was_open:
            # Opened since the last check, or open when the watch started (counted from then).
            self._open_since = self._started if self._was_open is None else now
        self._was_open = is_open
        if not is_open or self._open_since is None:
            return None
        since = self._open_since
        limit = timedelta(minutes=timeout)
        stale = [t for t in self._tickers if now - max(self._bars.get(t, since), since) > limit]
        if not stale:
            return None
        return f"no bar for {', '.join(stale)} for over {timeout:g} min while the market is open"

    async def _broker_down(self) -> str | None:
        health = self._broker
        if health is None:
            return None
        paused = AutoPauseCondition.BROKER.value in self._active
        if paused and self._broker_probe is not None:
            # Entries are refused meanwhile, so the executor may make no call that could succeed.
            try:
                async with asyncio.timeout(self._config.probe_timeout_seconds):
                    await self._broker_probe()
            except Exception as exc:  # any failure of the probe is the condition going on
                self._metrics.increment(PROBE_FAILURES, target="broker")
                log.info("broker still failing", error=str(exc))
        if health.consecutive_failures < self._config.broker_failures:
            return None
        return f"{health.consecutive_failures} broker calls failed in a row: {health.last_error}"

    async def _probe(self, condition: AutoPauseCondition, probe: Probe) -> str | None:
        try:
            async with asyncio.timeout(self._config.probe_timeout_seconds):
                await probe()
        except Exception as exc:  # any failure of the probe counts
            self._failures[condition] += 1
            self._metrics.increment(PROBE_FAILURES, target=condition.value)
            error = f"{type(exc).__name__}: {exc}"[:300]
        else:
            self._failures[condition] = 0
            return None
        limit = {
            AutoPauseCondition.BUS: self._config.bus_failures,
            AutoPauseCondition.STORAGE: self._config.storage_failures,
        }[condition]
        failures = self._failures[condition]
        return None if failures < limit else f"{failures} pings failed in a row: {error}"

    # -- transitions --------------------------------------------------------------------------

    async def _apply(self, found: Mapping[str, str]) -> None:
        now = self._clock.now()
        started = sorted(set(found) - set(self._active))
        cleared = sorted(set(self._active) - set(found))
        for condition in started:
            self._active[condition] = AutoPause(now, found[condition])
        for condition in cleared:
            del self._active[condition]
        if started or cleared:
            self._saved = False
        await self._save()
        for condition in started:
            await self._paused(condition, found[condition])
        for condition in cleared:
            await self._resumed(condition)
        for condition in AutoPauseCondition:
            self._gauge(condition.value)

    async def _save(self) -> None:
        if self._saved:
            return
        try:
            await self._state.set_auto_pauses(self._active)
        except Exception as exc:  # storage may be the condition; saved by a later check
            log.warning("automatic pauses not saved yet", error=str(exc))
            return
        self._saved = True

    async def _paused(self, condition: str, detail: str) -> None:
        now = self._clock.now()
        log.warning("new entries paused automatically", condition=condition, detail=detail)
        await self._journal.record(
            TradingAutoPaused(occurred_at=now, condition=condition, detail=detail[:1_000]),
            actor=WATCH,
            action="trading.auto_pause",
            detail={"condition": condition, "detail": detail},
            notification=Notification(
                kind=NotificationKind.PAUSE_RESUME,
                title=f"Trading paused automatically: {condition}",
                text=f"{detail}. New entries are refused; exits still go through.",
                severity=Severity.WARNING,
                fields={"condition": condition},
                occurred_at=now,
            ),
        )

    async def _resumed(self, condition: str) -> None:
        now = self._clock.now()
        detail = f"{condition} is healthy again"
        log.info("new entries resumed", condition=condition)
        await self._journal.record(
            TradingAutoResumed(occurred_at=now, condition=condition, detail=detail),
            actor=WATCH,
            action="trading.auto_resume",
            detail={"condition": condition, "detail": detail},
            notification=Notification(
                kind=NotificationKind.PAUSE_RESUME,
                title=f"Trading resumed: {condition} cleared",
                text=detail,
                fields={"condition": condition},
                occurred_at=now,
            ),
        )

    def _gauge(self, condition: str) -> None:
        self._gauges.set_gauge(
            AUTO_PAUSED_GAUGE, 1.0 if condition in self._active else 0.0, reason=condition
        )

    # -- heartbeats ---------------------------------------------------------------------------

    async def _watch_heartbeats(self) -> None:
        stale_after = self._heartbeats.stale_after_seconds
        for key in sorted(self._seen):
            age = self._age(key)
            service, instance = key
            self._gauges.set_gauge(HEARTBEAT_AGE_GAUGE, age, service=service, instance=instance)
            if age > stale_after and key not in self._lost:
                self._lost.add(key)
                await self._heartbeat_lost(service, instance, self._seen[key])

    def _age(self, key: tuple[str, str]) -> float:
        return max(0.0, (self._timer.now() - self._seen[key]).total_seconds())

    async def _heartbeat_lost(self, service: str, instance: str, last_seen: datetime) -> None:
        now = self._clock.now()
        await self._journal.record(
            HeartbeatLost(
                occurred_at=now, service=service, instance=instance, last_seen_at=last_seen
            ),
            actor=WATCH,
            action="heartbeat.lost",
            detail={"service": service, "instance": instance, "last_seen": last_seen.isoformat()},
            notification=Notification(
                kind=NotificationKind.HEARTBEAT_ALARM,
                title=f"Heartbeat lost: {service}",
                text=f"{service} ({instance}) has been silent since {last_seen.isoformat()}.",
                severity=Severity.CRITICAL,
                fields={"service": service, "instance": instance},
                occurred_at=now,
            ),
        )

    async def _heartbeat_restored(self, service: str, instance: str) -> None:
        now = self._clock.now()
        await self._journal.record(
            HeartbeatRestored(occurred_at=now, service=service, instance=instance),
            actor=WATCH,
            action="heartbeat.restored",
            detail={"service": service, "instance": instance},
            notification=Notification(
                kind=NotificationKind.HEARTBEAT_ALARM,
                title=f"Heartbeat back: {service}",
                text=f"{service} ({instance}) sends heartbeats again.",
                fields={"service": service, "instance": instance},
                occurred_at=now,
            ),
        )

    async def _check_forever(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the watch must outlive any one failed check
                log.exception("health check round failed")
            await self._timer.sleep(self._config.check_interval_seconds)
