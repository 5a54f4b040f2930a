"""The backtest's storage: every repository the trading services use, in memory.

A backtest makes thousands of decisions, each a dozen repository calls; one SQL round trip
costs more than deciding on a hundred bars, so the services run over these instead of the SQL
repositories. They implement the same ports with the same semantics (checked by running the
golden backtest over both, ``BacktestConfig.storage``), keep what they store as storage would
(``to_exact_decimal``), and break ties by insertion order, never by random ids.

Articles and bars are not among them: the backtester reads its inputs before the run and the
trading services never store either (see ``BacktestRepositories``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from trading_bot.core.errors import DataError
from trading_bot.core.model import (
    DEFAULT_STRATEGY_WEIGHTS,
    LearningAdjustment,
    PortfolioSnapshot,
    Position,
    PositionRecord,
    RiskDecision,
    StrategyMetric,
    StrategyRecord,
    TradeOutcome,
    WeightChange,
    WeightHistoryEntry,
)
from trading_bot.core.ports import ArticleRepository, Clock, MarketDataRepository
from trading_bot.entrypoints.backtest_storage_trades import (
    MemorySignals,
    MemoryTrades,
    stored_decimal,
)

_T = TypeVar("_T")
_STRATEGY_IDS = uuid.UUID("c8a1f0d2-6b3e-4f57-a9d4-1e2b3c4d5f60")


class MemoryKeyValueStore:
    """``core.ports.KeyValueStore`` in memory."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        """Return the value stored under ``key``, or None."""
        return self._values.get(key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Return the values stored under ``keys``; a key never set is left out."""
        return {key: self._values[key] for key in keys if key in self._values}

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        if not key or len(key) > 200:
            raise DataError(f"a state key must have 1 to 200 characters: {key!r}")
        self._values[key] = value


class MemoryStrategies:
    """``core.ports.StrategyRepository`` in memory (strategy ids derive from the names)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._records: dict[str, StrategyRecord] = {}
        self._history: dict[str, list[WeightHistoryEntry]] = {}
        self._adjustments: dict[str, list[LearningAdjustment]] = {}

    def has(self, name: str) -> bool:
        """Return True when a strategy called ``name`` is stored."""
        return name in self._records

    async def seed(self, weights: Mapping[str, float] | None = None) -> list[str]:
        """Create the strategies that do not exist yet; return the names created."""
        chosen = dict(DEFAULT_STRATEGY_WEIGHTS if weights is None else weights)
        for name, weight in chosen.items():
            if not name or len(name) > 64:
                raise DataError(f"strategy name {name!r} must have 1 to 64 characters")
            if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
                raise DataError(f"weight of {name!r} must be within [0, 1], got {weight}")
        now = self._clock.now()
        created = []
        for name, weight in chosen.items():
            if name in self._records:
                continue
            self._records[name] = StrategyRecord(
                strategy_id=uuid.uuid5(_STRATEGY_IDS, name),
                name=name,
                weight=weight,
                created_at=now,
                updated_at=now,
            )
            created.append(name)
        return created

    async def weights(self) -> dict[str, float]:
        """Return the weight of every active strategy, by name."""
        return {name: r.weight for name, r in sorted(self._records.items()) if r.active}

    async def all(self) -> list[StrategyRecord]:
        """Return every strategy, ordered by name."""
        return [record for _, record in sorted(self._records.items())]

    async def get(self, name: str) -> StrategyRecord | None:
        """Return the strategy called ``name``, or None."""
        return self._records.get(name)

    async def apply_weight_changes(
        self, changes: Sequence[WeightChange], *, cycle: int, at: datetime
    ) -> None:
        """Set new weights, recording each in the history and the adjustments, all or none."""
        names = [change.strategy for change in changes]
        if len(names) != len(set(names)):
            raise DataError(f"a strategy appears twice in one weight update: {names}")
        if cycle < 0:
            raise DataError(f"cycle must not be negative, got {cycle}")
        missing = sorted(set(names) - set(self._records))
        if missing:
            raise DataError(f"unknown strategies in weight update: {', '.join(missing)}")
        for change in changes:
            record = self._records[change.strategy]
            self._records[change.strategy] = record.model_copy(
                update={"weight": change.new_weight, "updated_at": at}
            )
            self._history.setdefault(change.strategy, []).append(
                WeightHistoryEntry(
                    strategy=change.strategy,
                    old_weight=record.weight,
                    new_weight=change.new_weight,
                    reason=change.reason,
                    timestamp=at,
                )
            )
            self._adjustments.setdefault(change.strategy, []).append(
                LearningAdjustment(
                    strategy=change.strategy,
                    old_weight=record.weight,
                    new_weight=change.new_weight,
                    reward=change.reward,
                    trades_considered=change.trades_considered,
                    reason=change.reason,
                    cycle=cycle,
                    timestamp=at,
                )
            )

    async def weight_history(self, name: str, *, limit: int = 100) -> list[WeightHistoryEntry]:
        """Return the weight changes of ``name``, newest first."""
        return _newest_first(self._history.get(name, []), limit)

    async def adjustments(self, name: str, *, limit: int = 100) -> list[LearningAdjustment]:
        """Return the learning adjustments of ``name``, newest first."""
        return _newest_first(self._adjustments.get(name, []), limit)


class MemoryPositions:
    """``core.ports.PositionRepository`` in memory."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._records: dict[str, PositionRecord] = {}

    async def all(self) -> list[PositionRecord]:
        """Return every open position, ordered by ticker."""
        return [record for _, record in sorted(self._records.items())]

    async def get(self, ticker: str) -> PositionRecord | None:
        """Return the position in ``ticker``, or None."""
        return self._records.get(ticker)

    async def upsert(self, position: Position, *, entry_signal_id: uuid.UUID | None = None) -> None:
        """Store ``position``; an entry signal or opening time left out keeps the stored one."""
        what = f"position {position.ticker}"
        stored = position.model_copy(
            update={
                name: stored_decimal(getattr(position, name), what)
                for name in ("qty", "avg_entry_price", "market_price", "stop_loss", "take_profit")
            }
        )
        known = self._records.get(position.ticker)
        if known is not None:
            if stored.opened_at is None:
                stored = stored.model_copy(update={"opened_at": known.position.opened_at})
            entry_signal_id = entry_signal_id or known.entry_signal_id
        self._records[position.ticker] = PositionRecord(
            position=stored, entry_signal_id=entry_signal_id, updated_at=self._clock.now()
        )

    async def delete(self, ticker: str) -> bool:
        """Remove the position in ``ticker``; return False when there was none."""
        return self._records.pop(ticker, None) is not None


class MemoryOutcomes:
    """``core.ports.OutcomeRepository`` in memory; both trades must be stored already."""

    def __init__(self, trades: MemoryTrades) -> None:
        self._trades = trades
        self._by_exit: dict[uuid.UUID, TradeOutcome] = {}
        self._by_trade: dict[uuid.UUID, TradeOutcome] = {}

    async def add(self, outcome: TradeOutcome) -> bool:
        """Store ``outcome``; return False when its exit trade already has one."""
        if outcome.exit_trade_id in self._by_exit:
            return False
        for trade_id in (outcome.entry_trade_id, outcome.exit_trade_id):
            if await self._trades.get(trade_id) is None:
                raise DataError(f"store trade outcome: trade {trade_id} is not stored")
        stored = outcome.model_copy(
            update={"realized_pnl": stored_decimal(outcome.realized_pnl, "trade outcome")}
        )
        self._by_exit[outcome.exit_trade_id] = stored
        self._by_trade[outcome.entry_trade_id] = stored
        self._by_trade[outcome.exit_trade_id] = stored
        return True

    async def recent(self, *, strategy: str | None = None, limit: int = 100) -> list[TradeOutcome]:
        """Return the newest outcomes, only those crediting ``strategy`` when given."""
        chosen = [
            o for o in self._by_exit.values() if strategy is None or strategy in o.strategy_credits
        ]
        return _newest_first(chosen, limit, key=lambda o: o.closed_at)

    async def closed_trade_counts(self) -> dict[str, int]:
        """Return how many outcomes credit each strategy."""
        counts: dict[str, int] = {}
        for outcome in self._by_exit.values():
            for name in outcome.strategy_credits:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))

    async def for_trade(self, trade_id: uuid.UUID) -> TradeOutcome | None:
        """Return the outcome ``trade_id`` opened or closed, or None."""
        return self._by_trade.get(trade_id)

    def all(self) -> list[TradeOutcome]:
        """Return every outcome in the order they were stored."""
        return list(self._by_exit.values())


class MemorySnapshots:
    """``core.ports.SnapshotRepository`` in memory; a repeated timestamp replaces the point."""

    def __init__(self, strategies: MemoryStrategies) -> None:
        self._strategies = strategies
        self._portfolio: dict[datetime, PortfolioSnapshot] = {}
        self._metrics: dict[tuple[str, datetime], StrategyMetric] = {}

    async def add_portfolio_snapshot(self, snapshot: PortfolioSnapshot) -> None:
        """Store ``snapshot``, replacing one at the same timestamp."""
        self._portfolio[snapshot.timestamp] = snapshot

    async def portfolio_history(
        self, *, since: datetime, until: datetime | None = None
    ) -> list[PortfolioSnapshot]:
        """Return the snapshots taken in [since, until), oldest first."""
        return [
            s
            for at, s in sorted(self._portfolio.items())
            if at >= since and (until is None or at < until)
        ]

    async def latest_portfolio_snapshot(self) -> PortfolioSnapshot | None:
        """Return the newest snapshot, or None."""
        return self._portfolio[max(self._portfolio)] if self._portfolio else None

    async def add_strategy_metric(self, metric: StrategyMetric) -> None:
        """Store ``metric``; an unknown strategy raises ``DataError``."""
        if await self._strategies.get(metric.strategy) is None:
            raise DataError(f"unknown strategy {metric.strategy!r}")
        self._metrics[(metric.strategy, metric.timestamp)] = metric

    async def strategy_metrics(
        self, strategy: str, *, since: datetime, until: datetime | None = None
    ) -> list[StrategyMetric]:
        """Return the metrics of ``strategy`` in [since, until), oldest first."""
        return [
            m
            for (name, at), m in sorted(self._metrics.items())
            if name == strategy and at >= since and (until is None or at < until)
        ]


class MemoryRiskDecisions:
    """``core.ports.RiskDecisionRepository`` in memory."""

    def __init__(self) -> None:
        self._decisions: dict[uuid.UUID, RiskDecision] = {}

    async def add(self, decision: RiskDecision) -> None:
        """Store ``decision``; a decision id already stored is ignored."""
        if decision.decision_id in self._decisions:
            return
        # A decision is immutable, so only one with a quantity, which storage keeps at its own
        # precision, needs a copy; a refusal, the most common decision, has none.
        if decision.qty is not None:
            qty = stored_decimal(decision.qty, "risk decision")
            decision = decision.model_copy(update={"qty": qty})
        self._decisions[decision.decision_id] = decision

    async def counts_by_reason(self, *, since: datetime | None = None) -> dict[str, int]:
        """Return how many orders were rejected for each reason code (since ``since``)."""
        counts: dict[str, int] = {}
        for decision in self._decisions.values():
            if not decision.approved and (since is None or decision.timestamp >= since):
                counts[decision.reason_code] = counts.get(decision.reason_code, 0) + 1
        return dict(sorted(counts.items()))

    async def for_signal(self, signal_id: uuid.UUID) -> list[RiskDecision]:
        """Return the decisions taken about ``signal_id``, oldest first."""
        found = [d for d in self._decisions.values() if d.signal_id == signal_id]
        return sorted(found, key=lambda d: d.timestamp)

    def all(self) -> list[RiskDecision]:
        """Return every decision in the order it was taken."""
        return list(self._decisions.values())


@dataclass(frozen=True, slots=True)
class BacktestRepositories:
    """Every repository the trading services are built from (``container.Repositories``).

    ``articles`` and ``market_data`` are the throwaway database's own: the signal-generator,
    the trade-executor and the learning engine never call them in a backtest (bars are handed
    to the services and scored news is published on the bus).
    """

    strategies: MemoryStrategies
    signals: MemorySignals
    trades: MemoryTrades
    positions: MemoryPositions
    outcomes: MemoryOutcomes
    snapshots: MemorySnapshots
    risk_decisions: MemoryRiskDecisions
    key_value: MemoryKeyValueStore
    articles: ArticleRepository
    market_data: MarketDataRepository

    @classmethod
    def create(
        cls, clock: Clock, *, articles: ArticleRepository, market_data: MarketDataRepository
    ) -> BacktestRepositories:
        """Return empty repositories stamping times with ``clock``."""
        strategies = MemoryStrategies(clock)
        signals = MemorySignals()
        trades = MemoryTrades(signals, strategies.has)
        return cls(
            strategies=strategies,
            signals=signals,
            trades=trades,
            positions=MemoryPositions(clock),
            outcomes=MemoryOutcomes(trades),
            snapshots=MemorySnapshots(strategies),
            risk_decisions=MemoryRiskDecisions(),
            key_value=MemoryKeyValueStore(),
            articles=articles,
            market_data=market_data,
        )


def _newest_first(
    items: Sequence[_T], limit: int, key: Callable[[_T], datetime] | None = None
) -> list[_T]:
    """Return the newest ``limit`` of ``items`` (stored oldest first), by ``key`` when given;
    ties go to the one stored last."""
    ordered = list(reversed(items))
    if key is not None:
        ordered.sort(key=key, reverse=True)
    return ordered[: max(limit, 0)]
