"""The TimescaleDB decision: hypertables only on PostgreSQL with the extension, one log line."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine

from trading_bot.adapters.storage.timescale import TimescaleDecision, apply, decide


@pytest.mark.parametrize(
    ("dialect", "available", "expected"),
    [
        ("postgresql", True, TimescaleDecision.HYPERTABLES),
        ("postgresql", False, TimescaleDecision.PLAIN_EXTENSION_MISSING),
        ("sqlite", False, TimescaleDecision.PLAIN_NOT_POSTGRES),
        ("sqlite", True, TimescaleDecision.PLAIN_NOT_POSTGRES),
    ],
)
def test_decide_when_dialect_and_extension_vary_picks_hypertables_only_for_timescale(
    dialect: str, available: bool, expected: TimescaleDecision
) -> None:
    assert decide(dialect, available) is expected


def test_apply_when_database_is_sqlite_keeps_plain_tables_and_logs_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = create_engine("sqlite://")
    caplog.set_level(logging.INFO, logger="trading_bot.adapters.storage.timescale")

    with engine.connect() as connection:
        decision = apply(connection)

    assert decision is TimescaleDecision.PLAIN_NOT_POSTGRES
    [record] = caplog.records
    assert "not PostgreSQL" in record.getMessage()
    assert "market_data" in record.getMessage()
