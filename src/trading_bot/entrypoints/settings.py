"""Settings: every tunable of the bot, read from ``TRADING_*`` environment variables and ``.env``.

Each component owns a frozen config section; ``Settings`` nests them, so adding a section is one
line. ``load_settings`` turns any invalid or unsafe value into one ``ConfigurationError`` naming
the environment variable to fix.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.risk import RiskConfig
from trading_bot.entrypoints.settings_adapters import (
    AnalyzerSettings,
    BrokerSettings,
    MarketSettings,
    NewsSourcesSettings,
)
from trading_bot.entrypoints.settings_operations import NotifySettings, OperationsSettings
from trading_bot.services.execution import ExecutionConfig
from trading_bot.services.learning import LearningConfig
from trading_bot.services.news import NewsConfig
from trading_bot.services.sentiment import SentimentConfig
from trading_bot.services.signals import SignalsConfig, StrategiesConfig

ENV_PREFIX = "TRADING_"
ENV_NESTED_DELIMITER = "__"
MIN_JWT_SECRET_CHARS = 32
_SOURCE_FIELD = re.compile(r'field "([^"]+)"')


def _split_list(value: object) -> object:
    """Accept a list from the environment as JSON (``["a","b"]``) or comma-separated (``a,b``)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def _check_origin(origin: str) -> str:
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        raise ValueError(f"{origin!r} must be an origin such as http://localhost:8000 (no path)")
    return origin.rstrip("/")


def _check_origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_check_origin(origin) for origin in origins)


StrList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_list)]
"""A list setting: JSON or comma-separated in the environment."""


class Section(BaseModel):
    """Base of every config section: immutable, and a misspelt key is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Mode(StrEnum):
    """What the bot trades against."""

    DEMO = "demo"
    """Paper broker on a simulated market: nothing leaves the machine."""
    PAPER = "paper"
    """Alpaca's paper-trading account: real market data, play money."""
    LIVE = "live"
    """Alpaca's live account: real money."""


class BusSettings(Section):
    """The event bus: in-memory for one process, Redis Streams for one process per service."""

    kind: Literal["memory", "redis"] = Field(
        default="memory", description="memory (one process) or redis (production topology)"
    )
    url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis URL (kind=redis)")
    prefix: str = Field(
        default="trading-bot:", description="prefix of every Redis key the bus touches"
    )
    claim_idle_ms: int = Field(
        default=30_000,
        gt=0,
        description="a pending message idle this long goes to another consumer",
    )
    max_deliveries: int = Field(
        default=5, ge=1, description="failed deliveries before a message is dead-lettered"
    )
    maxlen: int = Field(
        default=100_000, gt=0, description="approximate maximum length of each stream"
    )


class StorageSettings(Section):
    """Where state is kept: a SQLite file by default, PostgreSQL in production."""

    url: str = Field(
        default="sqlite+aiosqlite:///./data/trading-bot.db",
        description="SQLAlchemy async URL (sqlite+aiosqlite:///... or postgresql+asyncpg://...)",
    )


class ApiSettings(Section):
    """The api-gateway: where it listens and how it authenticates."""

    host: str = Field(default="127.0.0.1", description="interface the HTTP server binds")
    port: int = Field(default=8000, ge=1, le=65_535, description="port the HTTP server binds")
    cors_origins: StrList = Field(
        default=("http://localhost:5173", "http://127.0.0.1:5173"),
        description="origins allowed to call the API from a browser (the Vite dev server)",
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        description=f"HS256 signing key, at least {MIN_JWT_SECRET_CHARS} characters; "
        "required in paper/live mode and with the redis bus",
    )
    rp_id: str = Field(default="localhost", description="WebAuthn relying-party id (a domain)")
    rp_name: str = Field(default="trading-bot", description="relying-party name shown by browsers")
    origin: str = Field(
        default="http://localhost:8000", description="origin the dashboard is served from"
    )
    extra_origins: StrList = Field(
        default=("http://127.0.0.1:8000",),
        description="further origins passkey ceremonies are accepted from",
    )
    access_token_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="lifetime of an access token"
    )
    refresh_token_days: int = Field(
        default=7, ge=1, le=365, description="lifetime of a refresh token"
    )

    @field_validator("origin")
    @classmethod
    def _valid_origin(cls, value: str) -> str:
        return _check_origin(value)

    @field_validator("extra_origins")
    @classmethod
    def _valid_extra_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_origins(value)

    @field_validator("cors_origins")
    @classmethod
    def _valid_cors_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "*" in value:
            raise ValueError("list the origins; '*' would expose authenticated routes")
        return _check_origins(value)

    @property
    def expected_origins(self) -> list[str]:
        """Return every origin a passkey ceremony may come from, the primary one first."""
        return [self.origin.rstrip("/"), *(o.rstrip("/") for o in self.extra_origins)]


class LogSettings(Section):
    """Logging: JSON lines in production, a readable console in a terminal."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="DEBUG | INFO | WARNING | ERROR | CRITICAL"
    )
    format: Literal["json", "console", "auto"] = Field(
        default="auto",
        description="json | console | auto (json with the redis bus or without a terminal)",
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class TelemetrySettings(Section):
    """OpenTelemetry metrics, exposed in the Prometheus format on /metrics."""

    service_name: str = Field(
        default="trading-bot", min_length=1, description="service.name of the metrics"
    )
    enabled: bool = Field(default=True, description="collect metrics (off: /metrics is empty)")
    host: str = Field(
        default="127.0.0.1",
        description="interface of /health and /metrics of a service run without the API",
    )
    port: int = Field(
        default=9464, ge=0, le=65_535, description="port of /health and /metrics of such a service"
    )


class AlpacaSettings(Section):
    """The Alpaca account (modes paper and live)."""

    api_key: SecretStr | None = Field(default=None, description="Alpaca API key id")
    secret_key: SecretStr | None = Field(default=None, description="Alpaca API secret key")
    paper: bool = Field(
        default=True, description="use the paper-trading endpoint; false only in live mode"
    )
    base_url: str | None = Field(default=None, description="override of the trading API URL")
    data_url: str | None = Field(default=None, description="override of the market-data API URL")
    stream_url: str | None = Field(default=None, description="override of the data stream URL")
    trade_stream_url: str | None = Field(
        default=None, description="override of the trade-updates stream URL"
    )
    feed: Literal["iex", "sip"] = Field(
        default="iex", description="iex (free) or sip (paid subscription)"
    )


def _unsafe(variable: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(
        "unsafe_setting", "{variable}: {message}", {"variable": variable, "message": message}
    )


class Settings(BaseSettings):
    """The effective configuration of one process. Build it with ``load_settings``.

    To add a component's section, nest its frozen config model in one line, e.g.
    ``news: NewsConfig = NewsConfig()``; it is then read from ``TRADING_NEWS__<FIELD>``.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        frozen=True,
        extra="ignore",
    )

    mode: Mode = Field(default=Mode.DEMO, description="demo | paper | live")
    data_dir: Path = Field(default=Path("./data"), description="directory for local state")
    bus: BusSettings = BusSettings()
    storage: StorageSettings = StorageSettings()
    api: ApiSettings = ApiSettings()
    log: LogSettings = LogSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    alpaca: AlpacaSettings = AlpacaSettings()
    learning: LearningConfig = LearningConfig()
    signals: SignalsConfig = SignalsConfig()
    strategies: StrategiesConfig = StrategiesConfig()
    execution: ExecutionConfig = ExecutionConfig()
    risk: RiskConfig = RiskConfig()
    news: NewsConfig = NewsConfig()
    sentiment: SentimentConfig = SentimentConfig()
    market: MarketSettings = MarketSettings()
    broker: BrokerSettings = BrokerSettings()
    sources: NewsSourcesSettings = NewsSourcesSettings()
    analyzer: AnalyzerSettings = AnalyzerSettings()
    notify: NotifySettings = NotifySettings()
    operations: OperationsSettings = OperationsSettings()

    @property
    def production(self) -> bool:
        """Return True in the production topology (services talk through Redis)."""
        return self.bus.kind == "redis"

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        secret = self.api.jwt_secret
        if secret is None and (self.mode is not Mode.DEMO or self.production):
            reason = "with the redis bus" if self.mode is Mode.DEMO else f"in {self.mode} mode"
            raise _unsafe(
                "TRADING_API__JWT_SECRET",
                f"required {reason}; set it to at least {MIN_JWT_SECRET_CHARS} random characters",
            )
        if secret is not None and len(secret.get_secret_value()) < MIN_JWT_SECRET_CHARS:
            raise _unsafe(
                "TRADING_API__JWT_SECRET", f"must be at least {MIN_JWT_SECRET_CHARS} characters"
            )
        if self.mode is Mode.PAPER and not self.alpaca.paper:
            raise _unsafe("TRADING_ALPACA__PAPER", "must be true in paper mode")
        if self.mode is Mode.LIVE and self.alpaca.paper:
            raise _unsafe("TRADING_ALPACA__PAPER", "set it to false to confirm live trading")
        if self.mode is not Mode.DEMO:
            for name in ("api_key", "secret_key"):
                if getattr(self.alpaca, name) is None:
                    raise _unsafe(
                        f"TRADING_ALPACA__{name.upper()}", f"required in {self.mode} mode"
                    )
        return self


def env_var_name(loc: tuple[int | str, ...], model: type[BaseModel] = Settings) -> str:
    """Return the environment variable behind an error location, e.g. ``TRADING_API__PORT``."""
    names: list[str] = []
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or not isinstance(part, str):
            break
        names.append(part.upper())
        if part not in current.model_fields:
            break  # a misspelt key: name it as the user wrote it
        annotation = current.model_fields[part].annotation
        current = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(names)


def describe_validation_error(error: ValidationError) -> str:
    """Return a validation error as one line, each problem prefixed by its environment variable."""
    problems = []
    for item in error.errors(include_url=False):
        if item["type"] == "unsafe_setting":
            problems.append(item["msg"])
            continue
        message = (
            "unknown setting; check the spelling"
            if item["type"] == "extra_forbidden"
            else item["msg"].removeprefix("Value error, ")
        )
        problems.append(f"{env_var_name(item['loc'])}: {message}")
    return "; ".join(problems)


def describe_settings_error(error: SettingsError) -> str:
    """Return a value pydantic-settings could not even parse (e.g. bad JSON) as one line."""
    field = _SOURCE_FIELD.search(str(error))
    cause = f": {error.__cause__}" if error.__cause__ else ""
    if field is None:
        return " ".join(f"{error}{cause}".split())
    return " ".join(f"{env_var_name((field.group(1),))}: cannot parse the value{cause}".split())


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Read the settings from the environment and ``env_file`` (ignored if absent).

    Raise ``ConfigurationError`` with a one-line message naming the variable when a value is
    invalid or unsafe.
    """
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from exc
    except SettingsError as exc:
        raise ConfigurationError(describe_settings_error(exc)) from exc
