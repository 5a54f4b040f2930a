"""Settings sections that choose and tune adapters: market data, broker, news sources, analyzer.

Each field that is ``None`` by default means "decided by the mode": the demo mode runs offline on
a synthetic market, the paper broker, the bundled news replay and the lexicon; paper and live
modes use Alpaca, the feeds and whichever analyzer is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from trading_bot.adapters.brokers.paper_pricing import PaperBrokerConfig
from trading_bot.adapters.market_data.synthetic import SyntheticMarketConfig
from trading_bot.adapters.news.rss import RssConfig

DEMO_NEWS_FILE = (
    Path(__file__).resolve().parents[1] / "adapters" / "news" / "data" / "demo_news.jsonl"
)
"""The bundled news replay that pairs with the default synthetic market."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class MarketSettings(_Section):
    """Where bars come from and how fast simulated time runs."""

    source: Literal["synthetic", "replay", "alpaca"] | None = Field(
        default=None, description="synthetic | replay | alpaca; default synthetic in demo mode"
    )
    replay_files: tuple[Path, ...] = Field(
        default=(), description="CSV/Parquet bar files for source=replay"
    )
    speed: float = Field(
        default=120.0,
        gt=0,
        description="simulated seconds per real second (120: a 6.5-hour session in ~3 minutes)",
    )
    max_pause_seconds: float = Field(
        default=1.0, gt=0, description="longest real pause between two bars (nights pass fast)"
    )
    synthetic: SyntheticMarketConfig = Field(
        default_factory=SyntheticMarketConfig, description="shape of the synthetic market"
    )


class BrokerSettings(_Section):
    """Where orders go."""

    kind: Literal["paper", "alpaca"] | None = Field(
        default=None, description="paper | alpaca; default paper in demo mode, alpaca otherwise"
    )
    paper: PaperBrokerConfig = Field(
        default_factory=PaperBrokerConfig, description="the simulated account"
    )


class NewsSourcesSettings(_Section):
    """Which news sources the news-fetcher polls."""

    replay_file: Path | None = Field(
        default=None,
        description="JSONL news replay; default the bundled demo file in demo mode, none otherwise",
    )
    replay_latency_seconds: float = Field(
        default=60.0, ge=0, description="delay before a replayed article without available_at"
    )
    rss: bool | None = Field(
        default=None, description="poll the RSS/Atom feeds; default off in demo mode, on otherwise"
    )
    rss_feeds: RssConfig = Field(default_factory=RssConfig, description="feeds and timeouts")
    edgar_user_agent: str | None = Field(
        default=None,
        description="'Company contact@example.com'; SEC EDGAR filings are polled when set",
    )
    reddit_client_id: SecretStr | None = Field(default=None, description="Reddit app id")
    reddit_client_secret: SecretStr | None = Field(default=None, description="Reddit app secret")
    reddit_user_agent: str = Field(
        default="trading-bot/0.1", description="User-Agent Reddit requires"
    )
    alpaca_news: bool = Field(
        default=True, description="stream Alpaca News when Alpaca keys are configured"
    )


class AnalyzerSettings(_Section):
    """Which sentiment analyzer scores the news."""

    kind: Literal["lexicon", "finbert", "tiered"] = Field(
        default="lexicon",
        description="lexicon (offline) | finbert | tiered (FinBERT, Ollama when unsure)",
    )
    finbert_model: str = Field(
        default="ProsusAI/finbert", description="hub id or local directory of the FinBERT model"
    )
    finbert_backend: Literal["onnx-int8", "onnx", "torch-int8", "torch"] = Field(
        default="onnx-int8", description="how FinBERT runs on the CPU"
    )
    ollama_host: str = Field(default="http://127.0.0.1:11434", description="the Ollama server")
    ollama_model: str = Field(default="llama3.1", description="the model Ollama answers with")
    confidence_threshold: float = Field(
        default=0.6, ge=0, le=1, description="tiered: below this FinBERT asks Ollama"
    )
