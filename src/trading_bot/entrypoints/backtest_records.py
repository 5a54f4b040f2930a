"""What a backtest's services recorded, read back for the report from either storage.

Over the in-memory repositories the records are read as they are; over the SQL repositories
through the ports' queries, with the risk decisions kept on the way by ``RecordingDecisions``
(no query of the port lists the decisions about exits that answer no signal).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from trading_bot.core.model import (
    Page,
    RiskDecision,
    SignalRecord,
    TradeOutcome,
    TradeRecord,
    WeightHistoryEntry,
)
from trading_bot.core.ports import (
    ArticleRepository,
    KeyValueStore,
    MarketDataRepository,
    OutcomeRepository,
    PositionRepository,
    RiskDecisionRepository,
    SignalRepository,
    SnapshotRepository,
    StrategyRepository,
    TradeRepository,
)
from trading_bot.entrypoints.backtest_storage import BacktestRepositories

_T = TypeVar("_T")


class RecordingDecisions:
    """A ``RiskDecisionRepository`` that keeps a copy of every decision it stores.

    Over the SQL repositories it gives the report what no query of the port returns: the
    decisions about exits that answer no signal (stops, targets), which name their reason.
    """

    def __init__(self, inner: RiskDecisionRepository) -> None:
        self._inner = inner
        self._kept: dict[uuid.UUID, RiskDecision] = {}

    async def add(self, decision: RiskDecision) -> None:
        """Store ``decision`` and keep a copy."""
        await self._inner.add(decision)
        self._kept.setdefault(decision.decision_id, decision)

    async def counts_by_reason(self, *, since: datetime | None = None) -> dict[str, int]:
        """Return the stored rejection counts."""
        return await self._inner.counts_by_reason(since=since)

    async def for_signal(self, signal_id: uuid.UUID) -> list[RiskDecision]:
        """Return the stored decisions about ``signal_id``."""
        return await self._inner.for_signal(signal_id)

    def all(self) -> list[RiskDecision]:
        """Return every decision stored through this repository, in order."""
        return list(self._kept.values())


@dataclass(frozen=True, slots=True)
class SqlBackedRepositories:
    """The SQL repositories of the throwaway database, decisions recorded on the way."""

    strategies: StrategyRepository
    signals: SignalRepository
    trades: TradeRepository
    positions: PositionRepository
    outcomes: OutcomeRepository
    snapshots: SnapshotRepository
    risk_decisions: RecordingDecisions
    key_value: KeyValueStore
    articles: ArticleRepository
    market_data: MarketDataRepository


@dataclass(frozen=True, slots=True)
class RunRecords:
    """What the services recorded during a run, oldest first."""

    trades: list[TradeRecord]
    signals: list[SignalRecord]
    outcomes: list[TradeOutcome]
    decisions: list[RiskDecision]
    weight_history: list[WeightHistoryEntry]


async def read_records(
    repos: BacktestRepositories | SqlBackedRepositories, strategies: Sequence[str]
) -> RunRecords:
    """Return everything the run recorded, read from memory or through the SQL ports."""
    history: list[WeightHistoryEntry] = []
    for name in sorted(strategies):
        history.extend(reversed(await repos.strategies.weight_history(name, limit=_EVERYTHING)))
    history.sort(key=lambda entry: entry.timestamp)
    if isinstance(repos, BacktestRepositories):
        return RunRecords(
            trades=repos.trades.records(),
            signals=repos.signals.all(),
            outcomes=repos.outcomes.all(),
            decisions=repos.risk_decisions.all(),
            weight_history=history,
        )
    trades = await _all_pages(repos.trades.query)
    trades.sort(key=lambda r: (r.submitted_at, r.execution.ticker, r.execution.side))
    signals = await _all_pages(repos.signals.query)
    signals.sort(key=lambda r: (r.signal.generated_at, r.signal.ticker))
    outcomes = await repos.outcomes.recent(limit=_EVERYTHING)
    outcomes.sort(key=lambda o: (o.closed_at, o.ticker))
    return RunRecords(trades, signals, outcomes, repos.risk_decisions.all(), history)


_EVERYTHING = 1 << 40
_PAGE = 1_000


async def _all_pages(query: Callable[..., Awaitable[Page[_T]]]) -> list[_T]:
    found: list[_T] = []
    while True:
        page = await query(limit=_PAGE, offset=len(found))
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            return found
