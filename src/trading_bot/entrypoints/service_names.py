"""The names of the six services, as `trading-bot service NAME` and the compose file spell them."""

from __future__ import annotations

from typing import Final

NEWS_FETCHER: Final = "news-fetcher"
SENTIMENT_ANALYZER: Final = "sentiment-analyzer"
SIGNAL_GENERATOR: Final = "signal-generator"
TRADE_EXECUTOR: Final = "trade-executor"
LEARNING_ENGINE: Final = "learning-engine"
API_GATEWAY: Final = "api-gateway"

TRADING_SERVICES: Final = (
    NEWS_FETCHER,
    SENTIMENT_ANALYZER,
    SIGNAL_GENERATOR,
    TRADE_EXECUTOR,
    LEARNING_ENGINE,
)
"""The services that trade; the api-gateway is served beside them."""

SERVICE_NAMES: Final = (*TRADING_SERVICES, API_GATEWAY)
