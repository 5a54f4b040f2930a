"""Every repository over one database, built together (for the composition root and tests)."""

from __future__ import annotations

from dataclasses import dataclass

from trading_bot.adapters.storage.articles import SqlArticleRepository
from trading_bot.adapters.storage.audit import SqlAuditRepository
from trading_bot.adapters.storage.backtests import SqlBacktestRunRepository
from trading_bot.adapters.storage.database import Database
from trading_bot.adapters.storage.key_value import SqlKeyValueStore
from trading_bot.adapters.storage.market_data import SqlMarketDataRepository
from trading_bot.adapters.storage.outcomes import SqlOutcomeRepository
from trading_bot.adapters.storage.positions import SqlPositionRepository
from trading_bot.adapters.storage.risk_decisions import SqlRiskDecisionRepository
from trading_bot.adapters.storage.signals import SqlSignalRepository
from trading_bot.adapters.storage.snapshots import SqlSnapshotRepository
from trading_bot.adapters.storage.strategies import SqlStrategyRepository
from trading_bot.adapters.storage.trades import SqlTradeRepository
from trading_bot.core.ports import Clock


@dataclass(frozen=True, slots=True)
class SqlRepositories:
    """The repositories of one database. Build with ``SqlRepositories.create``."""

    strategies: SqlStrategyRepository
    signals: SqlSignalRepository
    trades: SqlTradeRepository
    positions: SqlPositionRepository
    articles: SqlArticleRepository
    market_data: SqlMarketDataRepository
    outcomes: SqlOutcomeRepository
    snapshots: SqlSnapshotRepository
    risk_decisions: SqlRiskDecisionRepository
    key_value: SqlKeyValueStore
    backtests: SqlBacktestRunRepository
    audit: SqlAuditRepository

    @classmethod
    def create(cls, database: Database, clock: Clock) -> SqlRepositories:
        """Return every repository over ``database``, stamping times with ``clock``."""
        return cls(
            strategies=SqlStrategyRepository(database, clock),
            signals=SqlSignalRepository(database),
            trades=SqlTradeRepository(database),
            positions=SqlPositionRepository(database, clock),
            articles=SqlArticleRepository(database, clock),
            market_data=SqlMarketDataRepository(database),
            outcomes=SqlOutcomeRepository(database),
            snapshots=SqlSnapshotRepository(database),
            risk_decisions=SqlRiskDecisionRepository(database),
            key_value=SqlKeyValueStore(database, clock),
            backtests=SqlBacktestRunRepository(database, clock),
            audit=SqlAuditRepository(database, clock),
        )
