"""The ports: Protocols the core and the services depend on; adapters implement them.

Adapters (under adapters/) and their fakes (trading_bot.testing):

- Clock: clocks.WallClock, clocks.SimulatedClock (the simulated one is its own fake)
- EventBus: bus.memory.MemoryBus, bus.redis_streams.RedisStreamsBus
- Broker: brokers.paper.PaperBroker, brokers.alpaca.AlpacaBroker
- OrderUpdates: brokers.alpaca_trade_updates.AlpacaTradeUpdates
- Notifier: notify.dispatcher.NotificationDispatcher
- MarketDataFeed: market_data.replay, market_data.synthetic, market_data.alpaca_stream
- NewsSource: news.rss, news.reddit, news.edgar, news.alpaca_news, news.replay
- SentimentAnalyzer: sentiment.lexicon, sentiment.finbert, sentiment.ollama, sentiment.tiered
- repositories: storage (SQLAlchemy on SQLite or PostgreSQL)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pydantic import JsonValue

from trading_bot.core.events import Message
from trading_bot.core.model import (
    Account,
    AuditEntry,
    BacktestRun,
    BacktestStatus,
    Bar,
    ChallengePurpose,
    Direction,
    LearningAdjustment,
    OrderRequest,
    OrderResult,
    OrderStatus,
    Page,
    PortfolioSnapshot,
    Position,
    PositionRecord,
    RawArticle,
    RiskDecision,
    ScoredArticle,
    SentimentObservation,
    SentimentScore,
    SignalOutcome,
    SignalRecord,
    StrategyMetric,
    StrategyRecord,
    TokenScope,
    TradeExecution,
    TradeOutcome,
    TradeRecord,
    TradeSignal,
    WeightChange,
    WeightHistoryEntry,
)
from trading_bot.core.model.auth import (
    ApiToken,
    Challenge,
    ChallengeState,
    Invitation,
    NewPasskey,
    Passkey,
    PasskeyRemoval,
    RefreshRotation,
    Registration,
    User,
)
from trading_bot.core.operations import Notification
from trading_bot.core.pdt import DayTrade


@runtime_checkable
class Clock(Protocol):
    """The only source of time. Core and services never read the wall clock."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Wait until this clock reads ``when`` (returns at once if it already has)."""
        ...


Handler = Callable[[Message], Awaitable[None]]
"""A message handler. It must be idempotent on ``event_id``: delivery is at least once."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that could not be handled, kept with the reason."""

    stream: str
    message_id: str
    payload: bytes
    error: str
    group: str
    deliveries: int


class EventBus(Protocol):
    """Streams with consumer groups: fan-out across groups, load-balancing within one.

    | method        | contract                                                                   |
    |---------------|----------------------------------------------------------------------------|
    | publish       | append one message to ``stream`` (default ``message.stream``); return its id |
    | publish_many  | append several in one round trip, order kept                               |
    | consume       | run ``handler`` for each message for this group until cancelled; ack only  |
    |               | after the handler returned; skip an ``event_id`` the group already handled;|
    |               | reclaim messages left pending by a dead consumer after the idle timeout;   |
    |               | after N failed deliveries (or a payload that does not decode) move the     |
    |               | message to ``<stream>:dead`` with the error and ack it                     |
    | dead_letters  | read ``<stream>:dead``                                                     |
    | ping          | raise ``BusUnavailableError`` when the bus cannot be reached               |
    | close         | release connections; running ``consume`` calls end                        |
    """

    async def publish(self, message: Message, *, stream: str | None = None) -> str: ...

    async def publish_many(
        self, messages: Sequence[Message], *, stream: str | None = None
    ) -> list[str]: ...

    async def consume(
        self, stream: str, group: str, handler: Handler, *, consumer: str | None = None
    ) -> None: ...

    async def dead_letters(self, stream: str, limit: int = 100) -> list[DeadLetter]: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class PriceSource(Protocol):
    """The latest known trade price per ticker (for simulated fills and marking positions)."""

    def last_price(self, ticker: str) -> Decimal | None: ...


class Broker(Protocol):
    """Where orders go. Vendor errors arrive translated into ``core.errors``.

    | method                  | contract                                                         |
    |-------------------------|------------------------------------------------------------------|
    | submit_order            | place an order; ``DuplicateOrderError`` if the client id exists  |
    | cancel_order            | cancel by broker order id (no error if already final)            |
    | get_order               | one order by broker order id                                     |
    | get_order_by_client_id  | one order by our client order id, or None                        |
    | list_open_orders        | orders not yet final                                             |
    | get_positions           | open positions as the broker sees them (the truth)               |
    | get_account             | cash, equity, buying power                                       |
    """

    name: str

    async def submit_order(self, order: OrderRequest) -> OrderResult: ...

    async def cancel_order(self, broker_order_id: str) -> None: ...

    async def get_order(self, broker_order_id: str) -> OrderResult: ...

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None: ...

    async def list_open_orders(self) -> list[OrderResult]: ...

    async def get_positions(self) -> list[Position]: ...

    async def get_account(self) -> Account: ...


class OrderUpdates(Protocol):
    """A broker's push feed of order changes (Alpaca's trade-updates stream).

    ``order_updates`` yields each order (or bracket leg) as it changes, until cancelled; it
    reconnects by itself. Polling the broker stays the fallback, so an update missed while
    disconnected is found by the next reconciliation.
    """

    def order_updates(self) -> AsyncIterator[OrderResult]: ...


class Notifier(Protocol):
    """Where operator notifications go. ``submit`` never blocks and never raises: a channel that
    is slow or down must not hold up trading. It returns False when the notification was not
    queued (its kind is switched off, or the queue is full: it is dropped and counted)."""

    def submit(self, notification: Notification) -> bool: ...


class MarketDataFeed(Protocol):
    """A source of closed bars. A bar is yielded only once the clock has passed its close."""

    def bars(self) -> AsyncIterator[Bar]: ...


@runtime_checkable
class GroupedMarketDataFeed(MarketDataFeed, Protocol):
    """A feed that also tells which bars arrived together (a stream frame), so a consumer can
    handle them as one batch; a group holds at most ``limit`` bars."""

    def bar_groups(self, limit: int) -> AsyncIterator[list[Bar]]: ...


class NewsSource(Protocol):
    """A place news comes from, polled on its own schedule."""

    name: str
    poll_interval_seconds: float

    async def fetch(self) -> list[RawArticle]:
        """Return articles available now; a failing source raises, the caller logs and goes on."""
        ...


class SentimentAnalyzer(Protocol):
    """Scores a batch of articles; the result is aligned with the input."""

    name: str

    async def analyze(self, articles: Sequence[RawArticle]) -> list[SentimentScore]: ...


class MarketHours(Protocol):
    """When the exchange is open (NYSE by default, with holidays and half days)."""

    def is_open(self, at: datetime) -> bool: ...

    def next_open(self, at: datetime) -> datetime: ...

    def next_close(self, at: datetime) -> datetime: ...


class KeyValueStore(Protocol):
    """Small durable state (flags, broker snapshots) that must survive a restart."""

    async def get(self, key: str) -> str | None: ...

    async def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the values stored under ``keys`` in one read; a key never set is left out."""
        ...

    async def set(self, key: str, value: str) -> None: ...


class Metrics(Protocol):
    """Counters and histograms a service reports (OpenTelemetry -> Prometheus in production,
    ``trading_bot.testing.metrics.RecordingMetrics`` in tests).

    Names are snake_case nouns (``articles_scored``); durations are observed in seconds.
    """

    def increment(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` (not negative) to the counter ``name`` for these labels."""
        ...

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Record one ``value`` in the histogram ``name`` for these labels."""
        ...


@runtime_checkable
class Gauges(Protocol):
    """Values that go up and down (``trading_auto_paused``), beside the ``Metrics`` port."""

    def set_gauge(self, name: str, value: float, **labels: str) -> None:
        """Set the gauge ``name`` for these labels to ``value``."""
        ...


# Repositories ------------------------------------------------------------------------------------
# Implemented by trading_bot.adapters.storage (SQLAlchemy on SQLite or PostgreSQL). Each method is
# one unit of work that commits its own transaction. Bad input (a reference to a row that does
# not exist, a value too large to store) raises ``DataError`` and changes nothing; an unreachable
# database raises ``StorageUnavailableError``. Times are aware UTC; money is Decimal.


class StrategyRepository(Protocol):
    """Strategies, their weights, and the history of every weight change.

    | method               | contract                                                          |
    |----------------------|-------------------------------------------------------------------|
    | seed                 | create the given strategies (default: the three, 1/3 each) that do |
    |                      | not exist yet; never touch existing ones; return the names created |
    | weights              | current weight of every active strategy, by name                  |
    | all                  | every strategy, by name                                           |
    | get                  | one strategy by name, or None                                     |
    | apply_weight_changes | in ONE transaction: set each weight, append to the weight history |
    |                      | and to the learning adjustments; unknown strategy -> DataError,   |
    |                      | nothing written                                                   |
    | weight_history       | a strategy's weight changes, newest first                         |
    | adjustments          | a strategy's learning adjustments, newest first                   |
    """

    async def seed(self, weights: Mapping[str, float] | None = None) -> list[str]: ...

    async def weights(self) -> dict[str, float]: ...

    async def all(self) -> list[StrategyRecord]: ...

    async def get(self, name: str) -> StrategyRecord | None: ...

    async def apply_weight_changes(
        self, changes: Sequence[WeightChange], *, cycle: int, at: datetime
    ) -> None: ...

    async def weight_history(self, name: str, *, limit: int = 100) -> list[WeightHistoryEntry]: ...

    async def adjustments(self, name: str, *, limit: int = 100) -> list[LearningAdjustment]: ...


class SignalRepository(Protocol):
    """Trade signals with their sources, and the outcome each one ended in.

    | method         | contract                                                                |
    |----------------|-------------------------------------------------------------------------|
    | add            | store a signal; a signal_id already stored is ignored (returns False)   |
    | get            | one signal with its outcome, or None                                    |
    | record_outcome | set FILLED / REJECTED / CANCELLED (a final OrderStatus) and the reason;  |
    |                | acted_on becomes True for FILLED; False if the signal is unknown        |
    | query          | filter by ticker, direction, generated_at in [since, until); newest     |
    |                | first; a page and the total matching                                    |
    """

    async def add(self, signal: TradeSignal) -> bool: ...

    async def get(self, signal_id: uuid.UUID) -> SignalRecord | None: ...

    async def record_outcome(
        self, signal_id: uuid.UUID, outcome: SignalOutcome | OrderStatus, reason: str = ""
    ) -> bool: ...

    async def query(
        self,
        *,
        ticker: str | None = None,
        direction: Direction | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[SignalRecord]: ...


class TradeRepository(Protocol):
    """Orders the executor placed, keyed by their (idempotent) client order id.

    | method                  | contract                                                       |
    |-------------------------|----------------------------------------------------------------|
    | add                     | record a trade; a client_order_id already stored is left as it |
    |                         | is (returns False). ``strategy`` defaults to the strongest     |
    |                         | contributor of the linked signal                               |
    | update                  | overwrite the mutable fields of the trade with this client     |
    |                         | order id (status, fills, price, commission, reason, P&L);      |
    |                         | unknown client order id -> DataError                           |
    | get / get_by_client_order_id / record | one trade, or None                               |
    | pending                 | trades not yet final (PENDING, PARTIALLY_FILLED), oldest first  |
    | for_signal              | trades placed for a signal, oldest first                       |
    | latest_entry            | the newest filled non-exit trade in ``ticker`` at or before    |
    |                         | ``before``: the entry an exit closes                           |
    | day_trades              | round trips opened and closed on the same New York trading day |
    |                         | among trades filled from ``since`` on, oldest first            |
    | query                   | filter by ticker, submitted in [since, until), strategy name,  |
    |                         | profitable (realised P&L > 0, or <= 0 when False), status;     |
    |                         | newest first; a page and the total matching                    |
    """

    async def add(self, execution: TradeExecution, *, strategy: str | None = None) -> bool: ...

    async def update(self, execution: TradeExecution) -> TradeExecution: ...

    async def get(self, trade_id: uuid.UUID) -> TradeExecution | None: ...

    async def get_by_client_order_id(self, client_order_id: str) -> TradeExecution | None: ...

    async def record(self, trade_id: uuid.UUID) -> TradeRecord | None: ...

    async def pending(self) -> list[TradeExecution]: ...

    async def for_signal(self, signal_id: uuid.UUID) -> list[TradeExecution]: ...

    async def latest_entry(self, ticker: str, *, before: datetime) -> TradeExecution | None: ...

    async def day_trades(self, *, since: datetime) -> list[DayTrade]: ...

    async def query(
        self,
        *,
        ticker: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        strategy: str | None = None,
        profitable: bool | None = None,
        status: OrderStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[TradeRecord]: ...


class PositionRepository(Protocol):
    """Open positions, one per ticker, with the signal that opened each.

    ``upsert`` replaces the position; an ``entry_signal_id`` or ``opened_at`` left out keeps the
    stored one. ``delete`` returns False when there was no position.
    """

    async def all(self) -> list[PositionRecord]: ...

    async def get(self, ticker: str) -> PositionRecord | None: ...

    async def upsert(
        self, position: Position, *, entry_signal_id: uuid.UUID | None = None
    ) -> None: ...

    async def delete(self, ticker: str) -> bool: ...


class ArticleRepository(Protocol):
    """Articles (the persisted dedupe: a stored id was seen before) and their sentiment.

    | method            | contract                                                              |
    |-------------------|-----------------------------------------------------------------------|
    | has               | True when the article id is stored                                    |
    | filter_unseen     | the ids not stored yet, in the given order, without repeats           |
    | add_raw           | store an article; an id already stored is ignored (returns False)     |
    | add_scored        | store the article if new and its scores (article level and per       |
    |                   | ticker) by this model; scores already stored are kept (False if none |
    |                   | was new)                                                              |
    | query             | scored articles, newest published first; filter by a ticker it is     |
    |                   | about, source, article score in [min_score, max_score], published in  |
    |                   | [since, until); a page and the total matching                         |
    | recent_for_ticker | a ticker's scored mentions available in [since, until), oldest first  |
    | undispatched      | stored articles not yet marked dispatched, oldest fetched first       |
    | mark_dispatched   | record that these articles reached the bus                            |
    """

    async def has(self, article_id: str) -> bool: ...

    async def filter_unseen(self, article_ids: Sequence[str]) -> list[str]: ...

    async def add_raw(self, article: RawArticle) -> bool: ...

    async def add_scored(self, scored: ScoredArticle) -> bool: ...

    async def query(
        self,
        *,
        ticker: str | None = None,
        source: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ScoredArticle]: ...

    async def recent_for_ticker(
        self, ticker: str, *, since: datetime, until: datetime | None = None
    ) -> list[SentimentObservation]: ...

    async def undispatched(self, *, limit: int = 100) -> list[RawArticle]: ...

    async def mark_dispatched(self, article_ids: Sequence[str], *, at: datetime) -> None: ...


class MarketDataRepository(Protocol):
    """Stored OHLCV bars.

    ``add_bars`` writes a batch in one transaction, ignoring bars already stored (same ticker,
    timestamp and interval), and returns how many were new. ``bars`` returns the bars with
    ``start <= timestamp < end`` in time order.
    """

    async def add_bars(self, bars: Sequence[Bar]) -> int: ...

    async def bars(
        self, ticker: str, start: datetime, end: datetime, *, interval_seconds: int | None = None
    ) -> list[Bar]: ...

    async def tickers(self) -> list[str]: ...


class OutcomeRepository(Protocol):
    """Closed round trips, one per exit trade.

    ``add`` returns False (and stores nothing) when the exit trade already has an outcome;
    ``recent`` is newest closed first, optionally only outcomes crediting ``strategy``;
    ``closed_trade_counts`` counts outcomes per credited strategy; ``for_trade`` finds the
    outcome a trade opened or closed.
    """

    async def add(self, outcome: TradeOutcome) -> bool: ...

    async def recent(
        self, *, strategy: str | None = None, limit: int = 100
    ) -> list[TradeOutcome]: ...

    async def closed_trade_counts(self) -> dict[str, int]: ...

    async def for_trade(self, trade_id: uuid.UUID) -> TradeOutcome | None: ...


class SnapshotRepository(Protocol):
    """Points on the equity curve and strategy metrics over time, oldest first.

    A snapshot (or a strategy's metric) at a timestamp already stored replaces it.
    """

    async def add_portfolio_snapshot(self, snapshot: PortfolioSnapshot) -> None: ...

    async def portfolio_history(
        self, *, since: datetime, until: datetime | None = None
    ) -> list[PortfolioSnapshot]: ...

    async def latest_portfolio_snapshot(self) -> PortfolioSnapshot | None: ...

    async def add_strategy_metric(self, metric: StrategyMetric) -> None: ...

    async def strategy_metrics(
        self, strategy: str, *, since: datetime, until: datetime | None = None
    ) -> list[StrategyMetric]: ...


class RiskDecisionRepository(Protocol):
    """Every approval and rejection of the risk manager.

    ``add`` ignores a decision_id already stored; ``counts_by_reason`` counts rejections per
    reason code (optionally since a time).
    """

    async def add(self, decision: RiskDecision) -> None: ...

    async def counts_by_reason(self, *, since: datetime | None = None) -> dict[str, int]: ...

    async def for_signal(self, signal_id: uuid.UUID) -> list[RiskDecision]: ...


class BacktestRunRepository(Protocol):
    """Backtests requested from the dashboard or the CLI.

    ``update`` changes only the fields given; moving to RUNNING stamps ``started_at``, to a final
    status ``finished_at``; an unknown run id -> DataError.
    """

    async def create(
        self, config: Mapping[str, JsonValue], *, created_by: str | None = None
    ) -> BacktestRun: ...

    async def get(self, run_id: uuid.UUID) -> BacktestRun | None: ...

    async def query(self, *, limit: int = 50, offset: int = 0) -> Page[BacktestRun]: ...

    async def update(
        self,
        run_id: uuid.UUID,
        *,
        status: BacktestStatus | None = None,
        progress: float | None = None,
        metrics: Mapping[str, JsonValue] | None = None,
        result: Mapping[str, JsonValue] | None = None,
        error: str | None = None,
    ) -> BacktestRun: ...


class AuditRepository(Protocol):
    """The audit log: append-only, newest first."""

    async def add(
        self, actor: str, action: str, detail: Mapping[str, JsonValue] | None = None
    ) -> AuditEntry: ...

    async def get(self, entry_id: uuid.UUID) -> AuditEntry | None: ...

    async def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEntry]: ...


# Repositories: auth ------------------------------------------------------------------------------
# Implemented by trading_bot.adapters.storage.auth_repositories. Tokens are handed to storage as
# SHA-256 hashes only; every "now" comes from the caller's clock.


class UserRepository(Protocol):
    """Accounts and their creation.

    | method   | contract                                                                     |
    |----------|------------------------------------------------------------------------------|
    | count    | how many accounts exist                                                      |
    | get      | one account by id, or None                                                   |
    | by_name  | one account by username, or None                                             |
    | all      | every account, oldest first                                                  |
    | register | in ONE transaction: spend the invitation (unused and unexpired at ``now``),  |
    |          | create the account and store its first passkey; any refusal changes nothing  |
    """

    async def count(self) -> int: ...

    async def get(self, user_id: uuid.UUID) -> User | None: ...

    async def by_name(self, username: str) -> User | None: ...

    async def all(self) -> list[User]: ...

    async def register(
        self,
        user: User,
        passkey: NewPasskey,
        *,
        invitation_hash: str,
        now: datetime,
    ) -> Registration: ...


class PasskeyRepository(Protocol):
    """A user's passkeys.

    ``add`` returns None when the credential id is already registered; ``record_use`` stores a
    new signature counter only if the stored one is still ``expected_count`` (False otherwise:
    a concurrent sign-in got there first); ``remove`` never removes a user's last passkey.
    """

    async def add(self, user_id: uuid.UUID, passkey: NewPasskey) -> Passkey | None: ...

    async def by_credential_id(self, credential_id: bytes) -> Passkey | None: ...

    async def for_user(self, user_id: uuid.UUID) -> list[Passkey]: ...

    async def record_use(
        self, passkey_id: uuid.UUID, *, expected_count: int, new_count: int, at: datetime
    ) -> bool: ...

    async def remove(self, user_id: uuid.UUID, passkey_id: uuid.UUID) -> PasskeyRemoval: ...


class ChallengeRepository(Protocol):
    """Single-use WebAuthn challenges.

    ``consume`` marks the challenge used (whatever the verdict, so it can never be tried twice)
    and says whether it was still valid for ``purpose`` at ``now``.
    """

    async def issue(self, challenge: Challenge) -> None: ...

    async def consume(
        self, challenge_id: uuid.UUID, *, purpose: ChallengePurpose, now: datetime
    ) -> tuple[ChallengeState, Challenge | None]: ...

    async def purge_expired(self, *, before: datetime) -> int: ...


class RefreshTokenRepository(Protocol):
    """Rotating refresh tokens, grouped in families (one per sign-in).

    | method        | contract                                                                |
    |---------------|-------------------------------------------------------------------------|
    | issue         | store a new token of ``family_id``                                      |
    | rotate        | atomically spend ``token_hash`` and store ``new_hash`` in its family;   |
    |               | a token already spent revokes the whole family (REUSED)                 |
    | revoke_family | revoke every token of the family ``token_hash`` belongs to; False if    |
    |               | the token is unknown                                                    |
    """

    async def issue(
        self,
        *,
        user_id: uuid.UUID,
        family_id: uuid.UUID,
        token_hash: str,
        expires_at: datetime,
        now: datetime,
    ) -> None: ...

    async def rotate(
        self, token_hash: str, *, new_hash: str, new_expires_at: datetime, now: datetime
    ) -> RefreshRotation: ...

    async def revoke_family(self, token_hash: str, *, now: datetime) -> bool: ...


class InvitationRepository(Protocol):
    """One-time sign-up tokens; ``usable`` finds an unused, unexpired one by its hash."""

    async def create(
        self,
        *,
        token_hash: str,
        expires_at: datetime,
        created_by: uuid.UUID | None,
        is_bootstrap: bool,
        now: datetime,
    ) -> Invitation: ...

    async def usable(self, token_hash: str, *, now: datetime) -> Invitation | None: ...

    async def has_usable_bootstrap(self, *, now: datetime) -> bool: ...


class ApiTokenRepository(Protocol):
    """Named, scoped API tokens for scripts.

    ``authenticate`` returns the token if it is neither revoked nor expired at ``now`` and
    stamps its ``last_used_at``; ``revoke`` (restricted to ``user_id`` when given) returns False
    for an unknown or already revoked token.
    """

    async def create(
        self,
        *,
        user_id: uuid.UUID,
        name: str,
        scope: TokenScope,
        token_hash: str,
        expires_at: datetime | None,
        now: datetime,
    ) -> ApiToken: ...

    async def authenticate(self, token_hash: str, *, now: datetime) -> ApiToken | None: ...

    async def tokens(self, *, user_id: uuid.UUID | None = None) -> list[ApiToken]: ...

    async def revoke(
        self, token_id: uuid.UUID, *, user_id: uuid.UUID | None, now: datetime
    ) -> bool: ...
