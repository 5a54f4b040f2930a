"""The signal-generator: bars and sentiment in, stored and published signals out.

Strategies are scripted where the test is about the service, and the real news-driven strategy
where it is about sentiment. Bars come from the bus or from a replay file (its own feed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from trading_bot.adapters.bus.memory import MemoryBus
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.market_data.replay import ReplayFeed
from trading_bot.core.errors import ConfigurationError
from trading_bot.core.events import (
    ArticleScored,
    BarClosed,
    SignalGenerated,
    Streams,
    WeightsUpdated,
)
from trading_bot.core.model import Bar, Direction, WeightUpdate
from trading_bot.core.strategies.news_driven import NewsDrivenStrategy
from trading_bot.services.signals import (
    SignalGeneratorService,
    SignalsConfig,
    StrategiesConfig,
)
from trading_bot.testing.bar_series import DEFAULT_START, bars_from_closes
from trading_bot.testing.bus import quick_memory_config
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.signals import ScriptedStrategy, make_opinion
from trading_bot.testing.storage_records import make_raw_article, make_scored_article
from trading_bot.testing.trading_rigs import (
    Storage,
    build_signal_generator,
    copy_database,
    eventually,
    read_stream,
    sqlite_template,
)

FIRST_CLOSE = DEFAULT_START + timedelta(minutes=1)


@pytest.fixture(scope="module")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return asyncio.run(sqlite_template(tmp_path_factory.mktemp("template")))


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(FIRST_CLOSE)


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


def closed(bar: Bar, clock: SimulatedClock) -> BarClosed:
    return BarClosed(occurred_at=clock.now(), bar=bar)


def long_and_short(
    long_strength: float = 0.8, short_strength: float = 0.8
) -> list[ScriptedStrategy]:
    return [
        ScriptedStrategy(
            "momentum", opinion=make_opinion("momentum", Direction.LONG, long_strength)
        ),
        ScriptedStrategy(
            "mean_reversion",
            opinion=make_opinion("mean_reversion", Direction.SHORT, short_strength),
        ),
    ]


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_signal_generator_when_a_bar_closes_stores_and_publishes_the_weighted_signal(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    service = await build_signal_generator(
        storage,
        long_and_short(),
        bus=bus,
        clock=clock,
        metrics=metrics,
        weights={"momentum": 0.8, "mean_reversion": 0.2},
    )
    await service.start()
    [bar] = bars_from_closes([101.5])

    signal = await service.on_bar_closed(closed(bar, clock))

    assert signal is not None
    assert signal.direction is Direction.LONG
    assert signal.strength == pytest.approx(0.48)  # (0.8 x 0.8 - 0.8 x 0.2) / 1.0
    assert (signal.price, signal.generated_at) == (101.5, clock.now())
    assert [(s.strategy, s.direction, s.weight) for s in signal.sources] == [
        ("momentum", Direction.LONG, 0.8),
        ("mean_reversion", Direction.SHORT, 0.2),
    ]
    stored = await storage.repositories.signals.get(signal.signal_id)
    assert stored is not None
    assert stored.signal == signal
    published = await read_stream(bus, Streams.SIGNALS)
    assert [m.signal for m in published if isinstance(m, SignalGenerated)] == [signal]
    assert metrics.count("signals_generated", direction="LONG", trigger="bar") == 1


async def test_signal_generator_when_opinions_cancel_out_publishes_nothing(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    service = await build_signal_generator(
        storage, long_and_short(), bus=bus, clock=clock, metrics=metrics
    )
    await service.start()
    [bar] = bars_from_closes([101.5])

    signal = await service.on_bar_closed(closed(bar, clock))

    assert signal is None
    assert await read_stream(bus, Streams.SIGNALS) == []
    assert metrics.count("bars_received") == 1


async def test_signal_generator_when_a_bar_is_outside_the_universe_ignores_and_counts_it(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    strategy = ScriptedStrategy("momentum", opinion=make_opinion("momentum"))
    service = await build_signal_generator(
        storage, [strategy], bus=bus, clock=clock, metrics=metrics
    )
    [bar] = bars_from_closes([10.0], ticker="ZZZZ")

    signal = await service.on_bar_closed(closed(bar, clock))

    assert signal is None
    assert strategy.calls == []
    assert metrics.count("bars_ignored", reason="unknown_ticker") == 1


async def test_signal_generator_when_a_bar_repeats_or_goes_back_in_time_ignores_it(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    strategy = ScriptedStrategy("momentum")
    service = await build_signal_generator(
        storage, [strategy], bus=bus, clock=clock, metrics=metrics
    )
    first, second = bars_from_closes([100.0, 101.0])
    await service.on_bar_closed(closed(second, clock))

    await service.on_bar_closed(closed(second, clock))
    await service.on_bar_closed(closed(first, clock))

    assert strategy.calls == ["AAPL"]
    assert metrics.count("bars_ignored", reason="out_of_order") == 2


async def test_signal_generator_when_a_strategy_fails_goes_on_with_the_others(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    strategies = [
        ScriptedStrategy("momentum", error=ZeroDivisionError("boom")),
        ScriptedStrategy("news_driven", opinion=make_opinion("news_driven", strength=0.9)),
    ]
    service = await build_signal_generator(
        storage, strategies, bus=bus, clock=clock, metrics=metrics
    )
    [bar] = bars_from_closes([100.0])

    signal = await service.on_bar_closed(closed(bar, clock))

    assert signal is not None
    assert [s.strategy for s in signal.sources] == ["news_driven"]
    assert metrics.count("strategy_failures", strategy="momentum", kind="exception") == 1


async def test_signal_generator_when_weights_change_on_the_bus_uses_them_without_a_restart(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    service = await build_signal_generator(
        storage,
        long_and_short(),
        bus=bus,
        clock=clock,
        metrics=metrics,
        weights={"momentum": 0.9, "mean_reversion": 0.1},
    )
    first, second = bars_from_closes([100.0, 101.0])
    running = asyncio.create_task(service.run())
    await bus.publish(closed(first, clock))
    await eventually(lambda: has_signals(bus, 1))

    update = WeightUpdate(
        weights={"momentum": 0.1, "mean_reversion": 0.9}, cycle=1, updated_at=clock.now()
    )
    await bus.publish(WeightsUpdated(occurred_at=clock.now(), update=update))
    await eventually(lambda: weights_are(service.weights, {"momentum": 0.1}))
    await clock.advance(60)
    await bus.publish(closed(second, clock))
    await eventually(lambda: has_signals(bus, 2))
    await stop(running)

    signals = [
        m.signal for m in await read_stream(bus, Streams.SIGNALS) if isinstance(m, SignalGenerated)
    ]
    assert [s.direction for s in signals] == [Direction.LONG, Direction.SHORT]
    assert {s.strategy: s.weight for s in signals[1].sources} == {
        "momentum": 0.1,
        "mean_reversion": 0.9,
    }


async def has_signals(bus: MemoryBus, count: int) -> bool:
    return len(await read_stream(bus, Streams.SIGNALS)) >= count


async def weights_are(weights: object, expected: dict[str, float]) -> bool:
    return isinstance(weights, dict) and all(weights.get(k) == v for k, v in expected.items())


async def test_signal_generator_when_an_older_weight_update_arrives_keeps_the_newer_weights(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    service = await build_signal_generator(
        storage, long_and_short(), bus=bus, clock=clock, metrics=metrics
    )
    newer = WeightUpdate(weights={"momentum": 0.7}, cycle=2, updated_at=clock.now())
    older = WeightUpdate(
        weights={"momentum": 0.2}, cycle=1, updated_at=clock.now() - timedelta(hours=1)
    )

    await service.on_weights_updated(WeightsUpdated(occurred_at=clock.now(), update=newer))
    await service.on_weights_updated(WeightsUpdated(occurred_at=clock.now(), update=older))

    assert service.weights["momentum"] == 0.7


async def test_signal_generator_when_sentiment_arrives_evaluates_the_tickers_it_mentions(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    service = await build_signal_generator(
        storage, [NewsDrivenStrategy()], bus=bus, clock=clock, metrics=metrics
    )
    [bar] = bars_from_closes([187.0])
    quiet = await service.on_bar_closed(closed(bar, clock))
    article = make_raw_article(
        "Apple and Microsoft beat estimates",
        published_at=clock.now() - timedelta(seconds=30),
        available_at=clock.now(),
    )
    scored = make_scored_article(
        article, score=0.9, confidence=0.9, tickers=[("AAPL", 0.9), ("MSFT", 0.9)]
    )

    signals = await service.on_article_scored(ArticleScored(occurred_at=clock.now(), scored=scored))

    assert quiet is None
    [signal] = signals  # MSFT has no bar yet: nothing to trade at
    assert (signal.ticker, signal.direction, signal.price) == ("AAPL", Direction.LONG, 187.0)
    assert signal.article_ids == (article.article_id,)
    assert signal.sentiment_score == pytest.approx(0.9)
    assert metrics.count("signals_generated", trigger="sentiment") == 1
    assert metrics.count("sentiment_updates") == 2


async def test_signal_generator_when_news_repeats_what_the_bar_said_publishes_it_once(
    storage: Storage, bus: MemoryBus, clock: SimulatedClock, metrics: RecordingMetrics
) -> None:
    strategy = ScriptedStrategy("momentum", opinion=make_opinion("momentum", strength=0.9))
    service = await build_signal_generator(
        storage, [strategy], bus=bus, clock=clock, metrics=metrics
    )
    [bar] = bars_from_closes([100.0])
    scored = make_scored_article(make_raw_article(available_at=clock.now()))
    message = ArticleScored(occurred_at=clock.now(), scored=scored)

    on_bar = await service.on_bar_closed(closed(bar, clock))
    on_news = await service.on_article_scored(message)
    on_same_news_again = await service.on_article_scored(message)

    assert on_bar is not None
    assert on_news == on_same_news_again == []
    assert len(await read_stream(bus, Streams.SIGNALS)) == 1


async def test_signal_generator_when_it_owns_the_feed_publishes_stores_and_evaluates_its_bars(
    storage: Storage,
    bus: MemoryBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
    tmp_path: Path,
) -> None:
    csv = tmp_path / "bars.csv"
    csv.write_text(
        "timestamp,ticker,open,high,low,close,volume\n"
        "2024-03-05T14:30:00Z,AAPL,100,101,99,100.5,1000\n"
        "2024-03-05T14:31:00Z,AAPL,100.5,102,100,101.5,1200\n"
        "2024-03-05T14:32:00Z,AAPL,NaN,102,100,101.5,1200\n"
        "2024-03-05T14:32:00Z,MSFT,400,401,399,400.5,900\n",
        encoding="utf-8",
    )
    start = SimulatedClock(DEFAULT_START)
    feed = ReplayFeed(csv, start, interval_seconds=60)
    strategy = ScriptedStrategy("momentum", opinion=make_opinion("momentum", strength=0.9))
    service = await build_signal_generator(
        storage,
        [strategy],
        bus=bus,
        clock=start,
        metrics=metrics,
        feed=feed,
        config=SignalsConfig(bar_batch_size=2),
    )
    running = asyncio.create_task(service.run())

    async def done() -> bool:
        stored = await storage.repositories.market_data.tickers()
        return len(stored) == 2 and await has_signals(bus, 3)

    await eventually(done)
    await stop(running)

    bars = [m.bar for m in await read_stream(bus, Streams.MARKET_BARS) if isinstance(m, BarClosed)]
    assert [(b.ticker, b.close) for b in bars] == [
        ("AAPL", 100.5),
        ("AAPL", 101.5),
        ("MSFT", 400.5),
    ]
    end = DEFAULT_START + timedelta(minutes=4)
    assert len(await storage.repositories.market_data.bars("AAPL", DEFAULT_START, end)) == 2
    assert len(await storage.repositories.market_data.bars("MSFT", DEFAULT_START, end)) == 1
    signals = [
        m.signal for m in await read_stream(bus, Streams.SIGNALS) if isinstance(m, SignalGenerated)
    ]
    assert [(s.ticker, s.generated_at) for s in signals] == [
        ("AAPL", DEFAULT_START + timedelta(minutes=1)),
        ("AAPL", DEFAULT_START + timedelta(minutes=2)),
        ("MSFT", DEFAULT_START + timedelta(minutes=3)),
    ]
    assert metrics.count("bars_stored") == 3
    assert feed.skipped_by_reason == {"a price is missing or not a number": 1}


async def test_signal_generator_when_given_a_feed_without_bar_storage_refuses_to_start(
    storage: Storage,
    bus: MemoryBus,
    clock: SimulatedClock,
    metrics: RecordingMetrics,
    tmp_path: Path,
) -> None:
    feed = ReplayFeed(tmp_path / "none.csv", clock)

    with pytest.raises(ConfigurationError, match="needs market_data"):
        SignalGeneratorService(
            SignalsConfig(),
            strategies=[ScriptedStrategy("momentum")],
            bus=bus,
            signals=storage.repositories.signals,
            weights=storage.repositories.strategies,
            clock=clock,
            metrics=metrics,
            feed=feed,
        )


def test_strategies_config_when_a_strategy_is_unknown_names_it() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        StrategiesConfig(enabled=["momentum", "nope"])


def test_strategies_config_when_parameters_are_given_builds_the_strategies_with_them() -> None:
    config = StrategiesConfig(enabled=["momentum"], params={"momentum": {"period": 5}})

    [strategy] = config.build()

    assert strategy.name == "momentum"
    assert strategy.params.model_dump()["period"] == 5
