"""trading-bot: news sentiment and technical strategies, weighted, risk-managed, learning."""

__version__ = "0.1.0"
