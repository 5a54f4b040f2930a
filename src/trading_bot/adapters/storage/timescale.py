"""Whether and how the time-series tables become TimescaleDB hypertables (used by migrations)."""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy import Connection, text

logger = logging.getLogger(__name__)

HYPERTABLES: tuple[tuple[str, str], ...] = (
    ("market_data", "timestamp"),
    ("portfolio_snapshots", "timestamp"),
    ("strategy_metrics", "timestamp"),
)
"""The tables turned into hypertables, with the time column each is partitioned on."""


class TimescaleDecision(StrEnum):
    """What the migration does with the time-series tables."""

    HYPERTABLES = "hypertables"
    PLAIN_NOT_POSTGRES = "plain: the database is not PostgreSQL"
    PLAIN_EXTENSION_MISSING = "plain: the timescaledb extension is not available"


def decide(dialect: str, extension_available: bool) -> TimescaleDecision:
    """Return what to do on a database of ``dialect`` with or without the extension."""
    if dialect != "postgresql":
        return TimescaleDecision.PLAIN_NOT_POSTGRES
    if not extension_available:
        return TimescaleDecision.PLAIN_EXTENSION_MISSING
    return TimescaleDecision.HYPERTABLES


def extension_available(connection: Connection) -> bool:
    """Return True when the PostgreSQL server can load the timescaledb extension."""
    found = connection.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).first()
    return found is not None


def apply(connection: Connection) -> TimescaleDecision:
    """Turn the time-series tables into hypertables when possible; log one line saying which."""
    dialect = connection.dialect.name
    available = dialect == "postgresql" and extension_available(connection)
    decision = decide(dialect, available)
    if decision is TimescaleDecision.HYPERTABLES:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
        for table, column in HYPERTABLES:
            # Identifiers cannot be bound parameters; these come from the constant above.
            statement = (
                f"SELECT create_hypertable('{table}', '{column}', "
                "if_not_exists => TRUE, migrate_data => TRUE)"
            )
            connection.execute(text(statement))
        logger.info("TimescaleDB: %s are hypertables", ", ".join(table for table, _ in HYPERTABLES))
    else:
        logger.info(
            "TimescaleDB not used (%s): %s stay plain tables indexed on their key and time",
            decision.value.removeprefix("plain: "),
            ", ".join(table for table, _ in HYPERTABLES),
        )
    return decision
