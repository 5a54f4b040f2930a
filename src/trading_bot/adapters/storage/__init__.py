"""Storage: SQLAlchemy 2 async tables and repositories on SQLite or PostgreSQL.

``Database(url)`` opens the engine; ``upgrade_database(url)`` applies the migrations;
``SqlRepositories.create(database, clock)`` builds every repository of ``core.ports``.
"""

from trading_bot.adapters.storage.articles import SqlArticleRepository
from trading_bot.adapters.storage.audit import SqlAuditRepository
from trading_bot.adapters.storage.backtests import SqlBacktestRunRepository
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.key_value import SqlKeyValueStore
from trading_bot.adapters.storage.market_data import SqlMarketDataRepository
from trading_bot.adapters.storage.migrate import (
    current_revision,
    downgrade_database,
    upgrade_database,
)
from trading_bot.adapters.storage.outcomes import SqlOutcomeRepository
from trading_bot.adapters.storage.positions import SqlPositionRepository
from trading_bot.adapters.storage.repositories import SqlRepositories
from trading_bot.adapters.storage.risk_decisions import SqlRiskDecisionRepository
from trading_bot.adapters.storage.signals import SqlSignalRepository
from trading_bot.adapters.storage.snapshots import SqlSnapshotRepository
from trading_bot.adapters.storage.strategies import SqlStrategyRepository
from trading_bot.adapters.storage.trades import SqlTradeRepository

__all__ = [
    "Database",
    "SqlArticleRepository",
    "SqlAuditRepository",
    "SqlBacktestRunRepository",
    "SqlKeyValueStore",
    "SqlMarketDataRepository",
    "SqlOutcomeRepository",
    "SqlPositionRepository",
    "SqlRepositories",
    "SqlRiskDecisionRepository",
    "SqlSignalRepository",
    "SqlSnapshotRepository",
    "SqlStrategyRepository",
    "SqlTradeRepository",
    "current_revision",
    "downgrade_database",
    "upgrade_database",
]
