"""The learning engine on the memory bus with SQLite storage: outcomes, weights, snapshots."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories, SqlStrategyRepository
from trading_bot.core.errors import DataError, MalformedMessageError, StorageUnavailableError
from trading_bot.core.events import (
    PortfolioUpdated,
    Streams,
    TradeExecuted,
    WeightsUpdated,
)
from trading_bot.core.model import (
    Direction,
    OrderStatus,
    PortfolioUpdate,
    Position,
    StrategySource,
    TradeExecution,
    WeightChange,
)
from trading_bot.core.ports import StrategyRepository
from trading_bot.entrypoints.settings import load_settings
from trading_bot.services.learning import (
    EXITS_DUPLICATE,
    EXITS_REFUSED,
    EXITS_UNMATCHED,
    LATEST_PORTFOLIO_KEY,
    OUTCOMES_RECORDED,
    LearningConfig,
    LearningEngineService,
    next_tick,
)
from trading_bot.testing.bus import RecordingHandler, heartbeat, quick_memory_config
from trading_bot.testing.learning import filled_entry, filled_exit
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.storage import migrated_sqlite, sqlite_url
from trading_bot.testing.storage_records import make_trade_signal

T0 = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
D = Decimal
THIRD = 1 / 3
SOURCES_ALL = ("mean_reversion", "momentum", "news_driven")
WINNING_EXIT = D("110")
SOURCES = (
    StrategySource(strategy="momentum", direction=Direction.LONG, strength=0.6, weight=0.4),
    StrategySource(strategy="mean_reversion", direction=Direction.SHORT, strength=0.2, weight=0.3),
)


@pytest.fixture(scope="module")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per module; each test works on its own copy."""
    directory = tmp_path_factory.mktemp("learning")
    asyncio.run(migrated_sqlite(directory))
    return directory / "trading-bot.db"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture
async def database(template_database: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "learning.db"
    shutil.copy(template_database, path)
    db = Database(sqlite_url(path))
    yield db
    await db.dispose()


@pytest.fixture
async def repos(database: Database, clock: SimulatedClock) -> SqlRepositories:
    repositories = SqlRepositories.create(database, clock)
    await repositories.strategies.seed()
    return repositories


@pytest.fixture
async def bus(clock: SimulatedClock) -> AsyncIterator[MemoryBus]:
    memory_bus = MemoryBus(quick_memory_config(), clock=clock)
    yield memory_bus
    await memory_bus.close()


@dataclass
class Engine:
    service: LearningEngineService
    metrics: RecordingMetrics
    repos: SqlRepositories


def engine(
    repos: SqlRepositories,
    bus: MemoryBus,
    clock: SimulatedClock,
    *,
    strategies: StrategyRepository | None = None,
    **config: object,
) -> Engine:
    metrics = RecordingMetrics()
    service = LearningEngineService(
        LearningConfig.model_validate({"min_trades": 4, **config}),
        bus=bus,
        clock=clock,
        metrics=metrics,
        strategies=strategies or repos.strategies,
        signals=repos.signals,
        trades=repos.trades,
        positions=repos.positions,
        outcomes=repos.outcomes,
        snapshots=repos.snapshots,
        state=repos.key_value,
    )
    return Engine(service, metrics, repos)


@contextlib.asynccontextmanager
async def running(service: LearningEngineService) -> AsyncIterator[None]:
    task = asyncio.create_task(service.run())
    for _ in range(5):
        await asyncio.sleep(0)  # let the consumers join their groups
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def round_trip(
    repos: SqlRepositories,
    at: datetime,
    *,
    exit_price: Decimal = WINNING_EXIT,
    sources: Sequence[StrategySource] = SOURCES,
    ticker: str = "AAPL",
) -> tuple[TradeExecution, TradeExecution]:
    """Store a signal, its filled entry at 100 and the filled exit two hours later."""
    signal = make_trade_signal(ticker, sources=sources, generated_at=at)
    await repos.signals.add(signal)
    entry = filled_entry(signal, price=D("100"), commission=D("1"), at=at)
    await repos.trades.add(entry)
    exit_ = filled_exit(entry, price=exit_price, commission=D("1"), at=at + timedelta(hours=2))
    await repos.trades.add(exit_)
    return entry, exit_


def executed(execution: TradeExecution) -> TradeExecuted:
    """Return the event the executor publishes (a fresh event id each time, as a republish)."""
    return TradeExecuted(occurred_at=execution.executed_at, execution=execution)


def portfolio(at: datetime, equity: str = "100500") -> PortfolioUpdated:
    position = Position(
        ticker="AAPL", qty=D("10"), avg_entry_price=D("100"), market_price=D("105"), opened_at=at
    )
    update = PortfolioUpdate(
        equity=D(equity),
        cash=D("99450"),
        buying_power=D("99450"),
        daily_pnl=D("12.5"),
        positions=(position,),
        as_of=at,
    )
    return PortfolioUpdated(occurred_at=at, update=update)


# Outcomes --------------------------------------------------------------------------------------


async def test_learning_service_when_entry_then_exit_execute_stores_one_outcome_with_credits(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    entry, exit_ = await round_trip(repos, T0)

    async with running(learning.service):
        await bus.publish_many([executed(entry), executed(exit_)])
        await bus.drain()

    [outcome] = await repos.outcomes.recent()
    # 10 x (110 - 100) less 1 + 1 commission; credit by strength 0.6 : 0.2, the SHORT blamed.
    assert (outcome.entry_trade_id, outcome.exit_trade_id) == (entry.trade_id, exit_.trade_id)
    assert outcome.realized_pnl == D("98")
    assert outcome.hold_seconds == 7_200
    assert outcome.strategy_credits == pytest.approx({"mean_reversion": -0.25, "momentum": 0.75})
    assert await repos.outcomes.closed_trade_counts() == {"mean_reversion": 1, "momentum": 1}
    assert learning.metrics.count(OUTCOMES_RECORDED, result="win") == 1


async def test_learning_service_when_exit_is_redelivered_does_not_count_it_twice(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock, min_trades=1)
    _, exit_ = await round_trip(repos, T0)

    async with running(learning.service):
        await bus.publish(executed(exit_))
        await bus.drain()
        await bus.publish(executed(exit_))
        await bus.drain()

    assert len(await repos.outcomes.recent()) == 1
    assert await repos.outcomes.closed_trade_counts() == {"mean_reversion": 1, "momentum": 1}
    assert len(await repos.strategies.adjustments("momentum")) == 1
    assert learning.metrics.count(EXITS_DUPLICATE) == 1


async def test_learning_service_when_position_is_still_open_uses_its_entry_signal(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    entry, _ = await round_trip(repos, T0)
    # A later entry in the same ticker that this exit does not close: the newest by time.
    other = make_trade_signal("AAPL", generated_at=T0 + timedelta(minutes=30))
    await repos.signals.add(other)
    await repos.trades.add(filled_entry(other, price=D("150"), at=other.generated_at))
    partial = filled_exit(
        entry, price=D("105"), qty=D("4"), at=T0 + timedelta(hours=1), purpose="partial"
    )
    await repos.trades.add(partial)
    held = Position(ticker="AAPL", qty=D("6"), avg_entry_price=D("100"), opened_at=T0)
    await repos.positions.upsert(held, entry_signal_id=entry.signal_id)

    outcome = await learning.service.evaluate(partial)

    assert outcome is not None
    assert outcome.entry_trade_id == entry.trade_id
    # 4 x 5 = 20 gross, less 1 x 4/10 of the entry's commission.
    assert outcome.realized_pnl == D("19.6")


async def test_learning_service_when_no_entry_is_stored_skips_the_exit_and_counts_it(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    signal = make_trade_signal("MSFT", generated_at=T0)
    orphan = filled_exit(
        filled_entry(signal, price=D("10"), at=T0), price=D("11"), at=T0 + timedelta(hours=1)
    )
    await repos.trades.add(orphan)

    outcome = await learning.service.evaluate(orphan)

    assert outcome is None
    assert await repos.outcomes.recent() == []
    assert learning.metrics.count(EXITS_UNMATCHED) == 1


async def test_learning_service_when_entries_and_unfilled_exits_arrive_ignores_them(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    entry, exit_ = await round_trip(repos, T0)
    partly = exit_.model_copy(update={"status": OrderStatus.PARTIALLY_FILLED})

    await learning.service.on_trade_executed(executed(entry))
    await learning.service.on_trade_executed(executed(partly))

    assert await repos.outcomes.recent() == []


async def test_learning_service_when_trades_do_not_make_a_round_trip_refuses_and_stores_nothing(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    entry, exit_ = await round_trip(repos, T0)
    same_side = exit_.model_copy(update={"side": entry.side})

    with pytest.raises(DataError, match="must trade against the entry"):
        await learning.service.on_trade_executed(executed(same_side))

    assert await repos.outcomes.recent() == []
    assert learning.metrics.count(EXITS_REFUSED) == 1


async def test_learning_service_when_a_stream_carries_the_wrong_message_dead_letters_it(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    _, exit_ = await round_trip(repos, T0)

    async with running(learning.service):
        await bus.publish(heartbeat(), stream=Streams.TRADES)
        await bus.publish(executed(exit_))
        for _ in range(3):  # the bus redelivers a failing message until it gives up
            await bus.drain()
            await clock.advance(1)
        await bus.drain()

    [letter] = await bus.dead_letters(Streams.TRADES)
    assert "trades:executed carries TradeExecuted, not HeartbeatSent" in letter.error
    assert len(await repos.outcomes.recent()) == 1  # the next message was handled all the same
    with pytest.raises(MalformedMessageError):
        await learning.service.on_portfolio_updated(heartbeat())


# Weights ---------------------------------------------------------------------------------------


async def test_learning_service_when_min_trades_outcomes_closed_changes_weights_everywhere(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock, min_trades=4)
    observer = RecordingHandler()
    exits = [(await round_trip(repos, T0 + timedelta(hours=3 * i)))[1] for i in range(4)]
    watcher = asyncio.create_task(bus.consume(Streams.WEIGHTS, "observer", observer))

    async with running(learning.service):
        await bus.publish_many([executed(e) for e in exits[:3]])
        await bus.drain()
        before = await repos.strategies.weights()
        await bus.publish(executed(exits[3]))
        await bus.drain()
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher

    assert before == pytest.approx({n: THIRD for n in before})
    after = await repos.strategies.weights()
    assert after["momentum"] > THIRD > after["mean_reversion"]
    assert after["news_driven"] == pytest.approx(THIRD)  # never credited: below min_trades
    [history] = await repos.strategies.weight_history("momentum")
    assert history.new_weight == pytest.approx(after["momentum"])
    assert history.reason.startswith("momentum: 4 trades, reward ")
    [adjustment] = await repos.strategies.adjustments("mean_reversion")
    assert (adjustment.cycle, adjustment.trades_considered) == (1, 4)
    assert adjustment.reward is not None
    assert adjustment.reward < 0.5
    assert await repos.strategies.adjustments("news_driven") == []
    [published] = observer.handled
    assert isinstance(published, WeightsUpdated)
    assert published.update.weights == pytest.approx(after)
    assert published.update.cycle == 1
    assert published.update.reasons["news_driven"].endswith("unchanged")


async def test_learning_service_when_learning_is_off_records_outcomes_but_keeps_weights(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock, min_trades=1, enabled=False)
    exits = [(await round_trip(repos, T0 + timedelta(hours=3 * i)))[1] for i in range(3)]

    async with running(learning.service):
        await bus.publish_many([executed(e) for e in exits])
        await bus.drain()

    assert len(await repos.outcomes.recent()) == 3
    assert await repos.strategies.weights() == pytest.approx({n: THIRD for n in SOURCES_ALL})
    assert await repos.strategies.adjustments("momentum") == []


async def test_learning_service_when_cadence_is_two_outcomes_adjusts_every_second_one(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock, min_trades=1, adjust_every=2)
    exits = [(await round_trip(repos, T0 + timedelta(hours=3 * i)))[1] for i in range(3)]

    for exit_ in exits:
        await learning.service.on_trade_executed(executed(exit_))

    assert [a.cycle for a in await repos.strategies.adjustments("momentum")] == [1]


class FailingOnce(SqlStrategyRepository):
    """The real strategy repository, whose first weight update fails as if the database were
    restarting."""

    failed = False

    async def apply_weight_changes(
        self, changes: Sequence[WeightChange], *, cycle: int, at: datetime
    ) -> None:
        if not self.failed:
            self.failed = True
            raise StorageUnavailableError("database restarting")
        await super().apply_weight_changes(changes, cycle=cycle, at=at)


async def test_learning_service_when_the_cycle_fails_the_redelivered_exit_runs_it(
    database: Database, repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    flaky = FailingOnce(database, clock)
    learning = engine(repos, bus, clock, strategies=flaky, min_trades=1)
    _, exit_ = await round_trip(repos, T0)
    message = executed(exit_)

    with pytest.raises(StorageUnavailableError):
        await learning.service.on_trade_executed(message)
    await learning.service.on_trade_executed(message)

    assert flaky.failed
    assert len(await repos.outcomes.recent()) == 1
    assert [a.cycle for a in await repos.strategies.adjustments("momentum")] == [1]


# Snapshots -------------------------------------------------------------------------------------


async def test_learning_service_when_the_hour_strikes_stores_portfolio_and_strategy_snapshots(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    await clock.advance_to(T0 + timedelta(minutes=20))
    learning = engine(repos, bus, clock)
    hour = T0 + timedelta(hours=1)

    async with running(learning.service):
        await bus.publish(portfolio(clock.now()))
        await bus.drain()
        await clock.advance_to(hour + timedelta(minutes=5))
        async with asyncio.timeout(5):
            # The snapshot is written through aiosqlite's thread: nothing in-process to await.
            while not await repos.snapshots.strategy_metrics("news_driven", since=T0):  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    [snapshot] = await repos.snapshots.portfolio_history(since=T0)
    assert snapshot.timestamp == hour
    assert (snapshot.equity, snapshot.cash, snapshot.daily_pnl) == (
        D("100500"),
        D("99450"),
        D("12.5"),
    )
    assert (snapshot.positions_value, snapshot.open_positions) == (D("1050"), 1)
    for name in SOURCES_ALL:
        [metric] = await repos.snapshots.strategy_metrics(name, since=T0)
        assert (metric.timestamp, metric.trades, metric.win_rate) == (hour, 0, None)
        assert metric.weight == pytest.approx(THIRD)


async def test_learning_service_when_outcomes_exist_snapshots_each_strategys_record(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    learning = engine(repos, bus, clock)
    for i, price in enumerate(["110", "95"]):
        _, exit_ = await round_trip(repos, T0 + timedelta(hours=3 * i), exit_price=D(price))
        await learning.service.on_trade_executed(executed(exit_))

    await learning.service.take_snapshot(T0 + timedelta(hours=6))

    [momentum] = await repos.snapshots.strategy_metrics("momentum", since=T0)
    [reversion] = await repos.snapshots.strategy_metrics("mean_reversion", since=T0)
    # P&L 98 then -52: momentum gets 0.75 of each, mean reversion -0.25 of each.
    assert (momentum.trades, momentum.win_rate, momentum.total_pnl) == (2, 0.5, D("34.5"))
    assert (reversion.trades, reversion.win_rate, reversion.total_pnl) == (2, 0.5, D("-11.5"))
    assert momentum.sharpe is not None
    assert await repos.snapshots.portfolio_history(since=T0) == []  # no portfolio known yet


async def test_learning_service_when_restarted_snapshots_the_portfolio_it_kept(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    await engine(repos, bus, clock).service.on_portfolio_updated(portfolio(T0, "100500"))
    restarted = engine(repos, bus, clock).service

    await restarted.on_portfolio_updated(portfolio(T0 - timedelta(minutes=1), "1"))  # stale
    await restarted.take_snapshot(T0 + timedelta(hours=1))

    [snapshot] = await repos.snapshots.portfolio_history(since=T0)
    assert snapshot.equity == D("100500")


async def test_learning_service_when_kept_portfolio_is_unreadable_skips_the_portfolio(
    repos: SqlRepositories, bus: MemoryBus, clock: SimulatedClock
) -> None:
    await repos.key_value.set(LATEST_PORTFOLIO_KEY, "{not json")

    await engine(repos, bus, clock).service.take_snapshot(T0)

    assert await repos.snapshots.portfolio_history(since=T0) == []
    assert len(await repos.snapshots.strategy_metrics("momentum", since=T0)) == 1


@pytest.mark.parametrize(
    ("now", "interval", "expected"),
    [
        (T0 + timedelta(minutes=20), 3_600, T0 + timedelta(hours=1)),
        (T0, 3_600, T0 + timedelta(hours=1)),
        (T0 + timedelta(seconds=10), 90, T0 + timedelta(seconds=90)),
    ],
)
def test_next_tick_when_asked_is_the_next_multiple_of_the_interval(
    now: datetime, interval: float, expected: datetime
) -> None:
    assert next_tick(now, interval) == expected


def test_learning_config_when_set_from_the_environment_is_read_into_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRADING_LEARNING__ENABLED", "false")
    monkeypatch.setenv("TRADING_LEARNING__MIN_TRADES", "30")

    settings = load_settings(env_file=None)

    assert (settings.learning.enabled, settings.learning.min_trades) == (False, 30)
    assert settings.learning.snapshot_interval_seconds == 3_600
