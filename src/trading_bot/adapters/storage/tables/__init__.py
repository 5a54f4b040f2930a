"""Every table, mapped; ``metadata`` is what the migrations are checked against."""

from trading_bot.adapters.storage.tables._base import NAMING_CONVENTION, Base
from trading_bot.adapters.storage.tables.auth import (
    ApiTokenRow,
    InvitationRow,
    RefreshTokenRow,
    UserCredentialRow,
    UserRow,
    WebauthnChallengeRow,
)
from trading_bot.adapters.storage.tables.learning import (
    LearningAdjustmentRow,
    TradeOutcomeCreditRow,
    TradeOutcomeRow,
)
from trading_bot.adapters.storage.tables.news import ArticleRow, ArticleSentimentRow
from trading_bot.adapters.storage.tables.operations import AuditRow, BacktestRunRow, KeyValueRow
from trading_bot.adapters.storage.tables.timeseries import (
    MarketDataRow,
    PortfolioSnapshotRow,
    StrategyMetricRow,
)
from trading_bot.adapters.storage.tables.trading import (
    PositionRow,
    RiskDecisionRow,
    SignalRow,
    StrategyRow,
    StrategyWeightHistoryRow,
    TradeRow,
)

metadata = Base.metadata

__all__ = [
    "NAMING_CONVENTION",
    "ApiTokenRow",
    "ArticleRow",
    "ArticleSentimentRow",
    "AuditRow",
    "BacktestRunRow",
    "Base",
    "InvitationRow",
    "KeyValueRow",
    "LearningAdjustmentRow",
    "MarketDataRow",
    "PortfolioSnapshotRow",
    "PositionRow",
    "RefreshTokenRow",
    "RiskDecisionRow",
    "SignalRow",
    "StrategyMetricRow",
    "StrategyRow",
    "StrategyWeightHistoryRow",
    "TradeOutcomeCreditRow",
    "TradeOutcomeRow",
    "TradeRow",
    "UserCredentialRow",
    "UserRow",
    "WebauthnChallengeRow",
    "metadata",
]
