"""Risk decisions, key-value state, backtest runs and the audit log."""

from __future__ import annotations

import uuid

import pytest

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlKeyValueStore, SqlRepositories
from trading_bot.core.errors import DataError
from trading_bot.core.model import BacktestStatus
from trading_bot.testing.storage_records import T0, at, make_risk_decision, make_trade_signal


async def test_risk_decisions_when_approved_and_rejected_are_all_kept_and_rejections_counted(
    repos: SqlRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)
    approved = make_risk_decision(signal, approved=True)
    decisions = [
        approved,
        make_risk_decision(reason_code="COOLDOWN", timestamp=at(1)),
        make_risk_decision(reason_code="COOLDOWN", timestamp=at(2)),
        make_risk_decision(reason_code="MARKET_CLOSED", timestamp=at(3)),
    ]
    for decision in decisions:
        await repos.risk_decisions.add(decision)
    await repos.risk_decisions.add(approved)

    assert await repos.risk_decisions.counts_by_reason() == {"COOLDOWN": 2, "MARKET_CLOSED": 1}
    assert await repos.risk_decisions.counts_by_reason(since=at(2)) == {
        "COOLDOWN": 1,
        "MARKET_CLOSED": 1,
    }
    assert await repos.risk_decisions.for_signal(signal.signal_id) == [approved]


async def test_key_value_when_set_twice_reads_the_latest_value(repos: SqlRepositories) -> None:
    await repos.key_value.set("control:paused", "true")

    await repos.key_value.set("control:paused", "false")

    assert await repos.key_value.get("control:paused") == "false"
    assert await repos.key_value.get("never:written") is None


async def test_key_value_get_many_reads_several_keys_at_once(repos: SqlRepositories) -> None:
    await repos.key_value.set("control:paused", "true")
    await repos.key_value.set("risk:last_exit:AAPL", T0.isoformat())

    values = await repos.key_value.get_many(
        ["control:paused", "risk:last_exit:AAPL", "never:written", "control:paused"]
    )

    assert values == {"control:paused": "true", "risk:last_exit:AAPL": T0.isoformat()}
    assert await repos.key_value.get_many([]) == {}


async def test_key_value_when_the_process_restarts_still_holds_the_value(
    database: Database, clock: SimulatedClock
) -> None:
    snapshot = '{"cash": "100000.00", "positions": {}}'
    await SqlKeyValueStore(database, clock).set("broker:paper:snapshot", snapshot)
    await database.dispose()

    restarted = Database(str(database.url.render_as_string(hide_password=False)))
    value = await SqlKeyValueStore(restarted, clock).get("broker:paper:snapshot")
    await restarted.dispose()

    assert value == snapshot


async def test_key_value_when_deleted_is_gone(repos: SqlRepositories) -> None:
    await repos.key_value.set("risk:last_exit:AAPL", T0.isoformat())

    deleted = await repos.key_value.delete("risk:last_exit:AAPL")

    assert deleted is True
    assert await repos.key_value.get("risk:last_exit:AAPL") is None


async def test_key_value_when_key_is_too_long_is_refused(repos: SqlRepositories) -> None:
    with pytest.raises(DataError, match="key"):
        await repos.key_value.set("k" * 201, "v")


async def test_backtest_run_when_it_runs_and_succeeds_records_each_step(
    repos: SqlRepositories, clock: SimulatedClock
) -> None:
    run = await repos.backtests.create(
        {"start": "2024-01-02", "capital": 100_000, "strategies": ["momentum"]}, created_by="ana"
    )
    await clock.advance_to(at(1))
    await repos.backtests.update(run.run_id, status=BacktestStatus.RUNNING, progress=0.25)
    await clock.advance_to(at(5))

    finished = await repos.backtests.update(
        run.run_id,
        status=BacktestStatus.SUCCEEDED,
        metrics={"sharpe": 1.2, "max_drawdown": -0.08},
        result={"equity_curve": [[T0.isoformat(), "100000"]], "trades": []},
    )

    assert run.status is BacktestStatus.QUEUED
    assert await repos.backtests.get(run.run_id) == finished
    assert (finished.started_at, finished.finished_at) == (at(1), at(5))
    assert finished.progress == 1.0
    assert finished.metrics == {"sharpe": 1.2, "max_drawdown": -0.08}
    assert finished.config["capital"] == 100_000


async def test_backtest_run_when_it_fails_keeps_the_error(repos: SqlRepositories) -> None:
    run = await repos.backtests.create({})

    failed = await repos.backtests.update(
        run.run_id, status=BacktestStatus.FAILED, error="no bars in range"
    )

    assert (failed.status, failed.error, failed.finished_at) == (
        BacktestStatus.FAILED,
        "no bars in range",
        T0,
    )


async def test_backtest_update_when_run_is_unknown_is_refused(repos: SqlRepositories) -> None:
    with pytest.raises(DataError, match="no backtest run"):
        await repos.backtests.update(uuid.uuid4(), progress=0.5)


async def test_backtest_query_when_several_runs_exist_pages_newest_first(
    repos: SqlRepositories, clock: SimulatedClock
) -> None:
    runs = []
    for minute in range(3):
        await clock.advance_to(at(minute))
        runs.append(await repos.backtests.create({"n": minute}))

    page = await repos.backtests.query(limit=2)

    assert page.total == 3
    assert [run.run_id for run in page.items] == [runs[2].run_id, runs[1].run_id]


async def test_audit_log_when_actions_are_recorded_filters_them_newest_first(
    repos: SqlRepositories, clock: SimulatedClock
) -> None:
    paused = await repos.audit.add("ana", "pause", {"reason": "earnings day"})
    await clock.advance_to(at(5))
    resumed = await repos.audit.add("ana", "resume")
    await clock.advance_to(at(9))
    await repos.audit.add("ben", "close_position", {"ticker": "AAPL"})

    by_ana = await repos.audit.query(actor="ana")
    recent = await repos.audit.query(since=at(5))

    assert by_ana.items == [resumed, paused]
    assert [entry.action for entry in recent.items] == ["close_position", "resume"]
    assert await repos.audit.get(paused.entry_id) == paused
    assert paused.detail == {"reason": "earnings day"}


async def test_audit_log_when_actor_is_empty_is_refused(repos: SqlRepositories) -> None:
    with pytest.raises(DataError):
        await repos.audit.add("", "pause")

    assert (await repos.audit.query()).total == 0
