"""The executor's durable risk state: the day's P&L per exit order, the kill switch, cooldowns.

What is stored under the keys is the contract with the API gateway and the learning engine; an
unreadable value must fail closed (no new entries), never open.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.services.execution_state import (
    KILL_SWITCH_FLAG_KEY,
    PAUSED_KEY,
    RiskStateStore,
    daily_pnl_key,
    last_exit_key,
    trading_day,
)
from trading_bot.testing.key_value import MemoryKeyValueStore
from trading_bot.testing.metrics import RecordingMetrics

TUESDAY_NOON_NY = datetime(2024, 3, 5, 17, 0, tzinfo=UTC)
EQUITY = Decimal(100_000)


def store_at(
    at: datetime = TUESDAY_NOON_NY, values: dict[str, str] | None = None
) -> tuple[RiskStateStore, MemoryKeyValueStore, SimulatedClock, RecordingMetrics]:
    clock = SimulatedClock(at)
    values_store = MemoryKeyValueStore(values)
    metrics = RecordingMetrics()
    return RiskStateStore(values_store, clock, metrics), values_store, clock, metrics


def test_trading_day_when_it_is_evening_in_new_york_is_still_that_new_york_date() -> None:
    late_evening_ny = datetime(2024, 3, 6, 3, 30, tzinfo=UTC)  # 22:30 on the 5th in New York

    assert trading_day(late_evening_ny) == date(2024, 3, 5)


async def test_risk_state_when_an_exit_is_recorded_twice_counts_its_pnl_once() -> None:
    state, _, clock, _ = store_at()
    await state.record_exit("AAPL", "tb-1", clock.now(), Decimal("-120.5"))
    await state.record_exit("MSFT", "tb-2", clock.now(), Decimal("20"))

    await state.record_exit("AAPL", "tb-1", clock.now(), Decimal("-120.5"))
    loaded = await state.load("AAPL", EQUITY)

    assert loaded.realized_pnl_today == Decimal("-100.5")
    assert loaded.last_exit_at == {"AAPL": clock.now()}
    assert await state.realized_for(trading_day(clock.now()), "tb-1") == Decimal("-120.5")


async def test_risk_state_when_the_day_changes_starts_the_pnl_and_the_equity_afresh() -> None:
    state, _, clock, _ = store_at()
    await state.record_exit("AAPL", "tb-1", clock.now(), Decimal("-500"))
    await state.load("AAPL", EQUITY)

    await clock.advance(24 * 3600)
    next_day = await state.load("AAPL", Decimal(99_500))

    assert next_day.realized_pnl_today == Decimal(0)
    assert next_day.start_of_day_equity == Decimal(99_500)


async def test_risk_state_when_the_kill_switch_trips_keeps_it_on_until_the_next_day() -> None:
    state, values, clock, _ = store_at()
    await state.load("AAPL", EQUITY)

    await state.trip_kill_switch("lost too much")
    today = await state.load("AAPL", EQUITY)
    await clock.advance(24 * 3600)
    tomorrow = await state.load("AAPL", EQUITY)

    assert today.kill_switch
    assert not tomorrow.kill_switch
    assert values.values[KILL_SWITCH_FLAG_KEY] == "false"


async def test_risk_state_when_the_days_pnl_is_unreadable_fails_closed() -> None:
    day = trading_day(TUESDAY_NOON_NY)
    state, _, _, metrics = store_at(values={daily_pnl_key(day): "12 dollars"})

    loaded = await state.load("AAPL", EQUITY)

    assert loaded.kill_switch
    assert metrics.count("risk_state_errors", key="risk:daily_pnl") == 1


async def test_risk_state_when_an_exit_time_is_unreadable_starts_the_cooldown_now() -> None:
    state, _, clock, metrics = store_at(values={last_exit_key("AAPL"): "yesterday"})

    loaded = await state.load("AAPL", EQUITY)

    assert loaded.last_exit_at == {"AAPL": clock.now()}
    assert metrics.count("risk_state_errors", key="risk:last_exit") == 1


async def test_risk_state_when_paused_by_the_api_says_so_on_the_next_load() -> None:
    state, values, clock, _ = store_at()
    before = await state.load("AAPL", EQUITY)

    await values.set(PAUSED_KEY, "true")
    await clock.advance(1)
    after = await state.load("AAPL", EQUITY)

    assert (before.paused, after.paused) == (False, True)
