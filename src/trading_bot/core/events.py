"""Bus messages: immutable envelopes around the domain objects, one stream each.

Events are named in the past tense (``SignalGenerated``), commands in the imperative
(``ClosePosition``). Every message carries ``event_id`` (consumers deduplicate on it),
``occurred_at`` (from the injected clock, never the wall clock) and ``schema_version``.
On the wire a message is the JSON of the model plus its ``type``; ``decode`` refuses unknown
types, newer schema versions and anything that does not validate.
"""

from __future__ import annotations

import json
import uuid
from typing import ClassVar, Literal

from pydantic import Field, JsonValue, ValidationError

from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.model import (
    Bar,
    Frozen,
    PortfolioUpdate,
    RawArticle,
    ScoredArticle,
    Ticker,
    TradeExecution,
    TradeSignal,
    UtcDatetime,
    WeightUpdate,
)

SCHEMA_VERSION = 1


class Streams:
    """Names of the bus streams (DESIGN.md §5)."""

    NEWS_RAW = "news:raw"
    NEWS_SCORED = "news:scored"
    MARKET_BARS = "market:bars"
    SIGNALS = "signals:generated"
    TRADES = "trades:executed"
    WEIGHTS = "strategy:weights"
    PORTFOLIO = "portfolio:updates"
    COMMANDS = "commands:execution"
    HEARTBEATS = "services:heartbeats"
    OPERATIONS = "operations:events"


class Message(Frozen):
    """Base of every bus message."""

    stream: ClassVar[str]
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: UtcDatetime
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)


class BarClosed(Message):
    """A bar has closed and may now be used."""

    stream: ClassVar[str] = Streams.MARKET_BARS
    type: Literal["BarClosed"] = "BarClosed"
    bar: Bar


class ArticleFetched(Message):
    """A news source delivered an article not seen before."""

    stream: ClassVar[str] = Streams.NEWS_RAW
    type: Literal["ArticleFetched"] = "ArticleFetched"
    article: RawArticle


class ArticleScored(Message):
    """An article has been tagged with tickers and scored for sentiment."""

    stream: ClassVar[str] = Streams.NEWS_SCORED
    type: Literal["ArticleScored"] = "ArticleScored"
    scored: ScoredArticle


class SignalGenerated(Message):
    """The ensemble produced a trade signal."""

    stream: ClassVar[str] = Streams.SIGNALS
    type: Literal["SignalGenerated"] = "SignalGenerated"
    signal: TradeSignal


class TradeExecuted(Message):
    """An order reached a recorded state (filled, rejected or cancelled)."""

    stream: ClassVar[str] = Streams.TRADES
    type: Literal["TradeExecuted"] = "TradeExecuted"
    execution: TradeExecution


class WeightsUpdated(Message):
    """The learning engine changed strategy weights."""

    stream: ClassVar[str] = Streams.WEIGHTS
    type: Literal["WeightsUpdated"] = "WeightsUpdated"
    update: WeightUpdate


class PortfolioUpdated(Message):
    """The portfolio changed (a fill, a price move, a snapshot)."""

    stream: ClassVar[str] = Streams.PORTFOLIO
    type: Literal["PortfolioUpdated"] = "PortfolioUpdated"
    update: PortfolioUpdate


class ClosePosition(Message):
    """Command: close the whole position in a ticker through the executor's normal path."""

    stream: ClassVar[str] = Streams.COMMANDS
    type: Literal["ClosePosition"] = "ClosePosition"
    ticker: Ticker
    requested_by: str = Field(min_length=1, max_length=200)


class HeartbeatSent(Message):
    """A service reports that it is alive."""

    stream: ClassVar[str] = Streams.HEARTBEATS
    type: Literal["HeartbeatSent"] = "HeartbeatSent"
    service: str = Field(min_length=1, max_length=64)
    instance: str = Field(min_length=1, max_length=128)
    interval_seconds: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="how often it beats"
    )


class TradingAutoPaused(Message):
    """A watched condition (no bars, broker failing, bus or storage unreachable) stopped new
    entries; exits still go through."""

    stream: ClassVar[str] = Streams.OPERATIONS
    type: Literal["TradingAutoPaused"] = "TradingAutoPaused"
    condition: str = Field(min_length=1, max_length=64)
    detail: str = Field(default="", max_length=1_000)


class TradingAutoResumed(Message):
    """A condition that paused new entries has cleared."""

    stream: ClassVar[str] = Streams.OPERATIONS
    type: Literal["TradingAutoResumed"] = "TradingAutoResumed"
    condition: str = Field(min_length=1, max_length=64)
    detail: str = Field(default="", max_length=1_000)


class KillSwitchTripped(Message):
    """The day's realised loss reached its limit: no new entries until the next session."""

    stream: ClassVar[str] = Streams.OPERATIONS
    type: Literal["KillSwitchTripped"] = "KillSwitchTripped"
    detail: str = Field(default="", max_length=1_000)


class BrokerReconciled(Message):
    """Storage was brought in line with the broker (the truth): one difference adopted.

    ``kind`` names it (``position_created``, ``order_filled``, ``bracket_exit``...); ``detail``
    holds what storage had and what the broker said.
    """

    stream: ClassVar[str] = Streams.OPERATIONS
    type: Literal["BrokerReconciled"] = "BrokerReconciled"
    kind: str = Field(min_length=1, max_length=64)
    ticker: Ticker | None = None
    client_order_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, JsonValue] = Field(default_factory=dict)


class HeartbeatLost(Message):
    """A service instance stopped sending heartbeats."""

    stream: ClassVar[str] = Streams.OPERATIONS
    type: Literal["HeartbeatLost"] = "HeartbeatLost"
    service: str = Field(min_length=1, max_length=64)
    instance: str = Field(min_length=1, max_length=128)
    last_seen_at: UtcDatetime


class HeartbeatRestored(Message):
    """A service instance that had gone quiet sends heartbeats again."""

    stream: ClassVar[str] = Streams.OPERATIONS
    type: Literal["HeartbeatRestored"] = "HeartbeatRestored"
    service: str = Field(min_length=1, max_length=64)
    instance: str = Field(min_length=1, max_length=128)


MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls
    for cls in (
        BarClosed,
        ArticleFetched,
        ArticleScored,
        SignalGenerated,
        TradeExecuted,
        WeightsUpdated,
        PortfolioUpdated,
        ClosePosition,
        HeartbeatSent,
        TradingAutoPaused,
        TradingAutoResumed,
        KillSwitchTripped,
        BrokerReconciled,
        HeartbeatLost,
        HeartbeatRestored,
    )
}


def encode(message: Message) -> bytes:
    """Serialise a message for the wire."""
    return message.model_dump_json().encode("utf-8")


def decode(payload: bytes | str) -> Message:
    """Parse and validate a message from the wire.

    Raise ``MalformedMessageError`` naming the problem when the payload is not valid JSON, has
    an unknown ``type``, or fails validation.
    """
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessageError(f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedMessageError("not valid JSON: nested too deeply") from exc
    if not isinstance(raw, dict):
        raise MalformedMessageError("message must be a JSON object")
    kind = raw.get("type")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise MalformedMessageError(f"unknown message type {kind!r}")
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise MalformedMessageError(f"invalid {kind}: {exc}") from exc
