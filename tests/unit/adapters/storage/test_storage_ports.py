"""The SQL repositories satisfy the repository Protocols of core.ports (checked by mypy too)."""

from __future__ import annotations

from pathlib import Path

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import Database, SqlRepositories
from trading_bot.core import ports
from trading_bot.testing.storage import sqlite_url
from trading_bot.testing.storage_records import T0


def test_sql_repositories_when_built_provide_every_repository_port(tmp_path: Path) -> None:
    repos = SqlRepositories.create(Database(sqlite_url(tmp_path / "x.db")), SimulatedClock(T0))

    # Typed assignments: mypy proves each implementation matches its Protocol.
    strategies: ports.StrategyRepository = repos.strategies
    signals: ports.SignalRepository = repos.signals
    trades: ports.TradeRepository = repos.trades
    positions: ports.PositionRepository = repos.positions
    articles: ports.ArticleRepository = repos.articles
    market_data: ports.MarketDataRepository = repos.market_data
    outcomes: ports.OutcomeRepository = repos.outcomes
    snapshots: ports.SnapshotRepository = repos.snapshots
    risk_decisions: ports.RiskDecisionRepository = repos.risk_decisions
    key_value: ports.KeyValueStore = repos.key_value
    backtests: ports.BacktestRunRepository = repos.backtests
    audit: ports.AuditRepository = repos.audit
    implementations = (
        (ports.StrategyRepository, strategies),
        (ports.SignalRepository, signals),
        (ports.TradeRepository, trades),
        (ports.PositionRepository, positions),
        (ports.ArticleRepository, articles),
        (ports.MarketDataRepository, market_data),
        (ports.OutcomeRepository, outcomes),
        (ports.SnapshotRepository, snapshots),
        (ports.RiskDecisionRepository, risk_decisions),
        (ports.KeyValueStore, key_value),
        (ports.BacktestRunRepository, backtests),
        (ports.AuditRepository, audit),
    )

    for protocol, implementation in implementations:
        required = {name for name in vars(protocol) if not name.startswith("_")}
        assert required <= set(dir(implementation)), protocol.__name__
