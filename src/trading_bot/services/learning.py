"""The learning-engine service: scores every closed round trip, moves the strategy weights towards
the strategies that earn them, and snapshots the portfolio and the strategies on the clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import structlog
from pydantic import Field, ValidationError

from trading_bot.core.errors import ConfigurationError, DataError, MalformedMessageError
from trading_bot.core.events import (
    Message,
    PortfolioUpdated,
    Streams,
    TradeExecuted,
    WeightsUpdated,
)
from trading_bot.core.learning import evaluate_round_trip
from trading_bot.core.learning_weights import LearningRules, WeightAdjustment, adjust_weights
from trading_bot.core.metrics_trades import strategy_attribution
from trading_bot.core.model import (
    PortfolioSnapshot,
    PortfolioUpdate,
    StrategyMetric,
    StrategySource,
    TradeExecution,
    TradeOutcome,
    WeightUpdate,
)
from trading_bot.core.ports import (
    Clock,
    EventBus,
    KeyValueStore,
    Metrics,
    OutcomeRepository,
    PositionRepository,
    SignalRepository,
    SnapshotRepository,
    StrategyRepository,
    TradeRepository,
)

log = structlog.stdlib.get_logger(__name__)

OUTCOMES_RECORDED: Final = "learning_outcomes"
"""Counter of round trips evaluated and stored, labelled ``result`` (win, loss, flat)."""
EXITS_DUPLICATE: Final = "learning_exits_duplicate"
"""Counter of exits that already had an outcome (a redelivery), skipped."""
EXITS_UNMATCHED: Final = "learning_exits_unmatched"
"""Counter of exits no stored entry trade was found for (a position opened elsewhere)."""
EXITS_REFUSED: Final = "learning_exits_refused"
"""Counter of exits whose trades did not make a round trip (``DataError``; dead-lettered)."""
MESSAGES_REFUSED: Final = "learning_messages_refused"
"""Counter of messages of the wrong type on a consumed stream (dead-lettered), by ``type``."""
WEIGHT_CYCLES: Final = "learning_weight_cycles"
"""Counter of learning cycles, labelled ``changed`` (true when a weight moved)."""
PUBLISH_ERRORS: Final = "learning_publish_errors"
"""Counter of ``WeightsUpdated`` the bus refused (the weights are stored all the same)."""
SNAPSHOTS_STORED: Final = "learning_snapshots"
"""Counter of snapshot rounds, labelled ``kind`` (portfolio, strategy)."""
SNAPSHOT_ERRORS: Final = "learning_snapshot_errors"
"""Counter of snapshot rounds that failed (retried at the next tick), by ``error``."""

OUTCOMES_SINCE_CYCLE_KEY: Final = "learning:outcomes_since_cycle"
"""Outcomes stored since the last learning cycle (decides when the next one is due)."""
LATEST_PORTFOLIO_KEY: Final = "learning:latest_portfolio"
"""JSON of the newest ``PortfolioUpdate`` consumed, for the snapshot after a restart."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class LearningConfig(LearningRules):
    """Settings of the learning engine: the weight-update rules plus when the service acts."""

    enabled: bool = Field(
        default=True,
        description="adjust strategy weights; off, outcomes and snapshots are still recorded",
    )
    adjust_every: int = Field(
        default=1, ge=1, description="new outcomes between two learning cycles"
    )
    snapshot_interval_seconds: float = Field(
        default=3_600.0,
        ge=1,
        allow_inf_nan=False,
        description="portfolio and strategy snapshots are taken on multiples of this (hourly)",
    )
    metrics_window: int = Field(
        default=5_000,
        ge=1,
        description="newest outcomes per strategy its snapshot's win rate, P&L and Sharpe use",
    )
    group: str = Field(
        default="learning-engine",
        min_length=1,
        max_length=200,
        description="consumer group on trades:executed and portfolio:updates",
    )


def next_tick(now: datetime, interval_seconds: float) -> datetime:
    """Return the first multiple of ``interval_seconds`` since the Unix epoch after ``now``."""
    step = timedelta(seconds=interval_seconds)
    return _EPOCH + step * ((now - _EPOCH) // step + 1)


class LearningEngineService:
    """Turn exits into outcomes and outcomes into strategy weights; snapshot on the clock.

    On each exit that reached a final state with a fill (``trades:executed``), the entry it
    closes is found in storage (the open position's entry signal, else the latest filled entry
    in the ticker before the exit), its signal's sources give the credit, and the outcome is
    stored once per exit trade: a redelivered exit finds its outcome and is skipped. Every
    ``adjust_every`` stored outcomes (counted in the key-value store, so a restart keeps the
    count) a learning cycle runs: the weights are moved within the guardrails
    (``core.learning_weights``), stored with their reasons in one transaction and published as
    ``WeightsUpdated`` on ``strategy:weights``.

    On every multiple of ``snapshot_interval_seconds`` it stores a ``PortfolioSnapshot`` of the
    newest ``PortfolioUpdated`` consumed (kept in the key-value store too) and one
    ``StrategyMetric`` per active strategy.

    The day's realised P&L and the cooldowns are the executor's: it keeps them under
    ``risk:daily_pnl:<day>`` and ``risk:last_exit:<TICKER>`` (``services.execution_state``) and
    this service does not write them.
    """

    name = "learning-engine"

    def __init__(
        self,
        config: LearningConfig,
        *,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
        strategies: StrategyRepository,
        signals: SignalRepository,
        trades: TradeRepository,
        positions: PositionRepository,
        outcomes: OutcomeRepository,
        snapshots: SnapshotRepository,
        state: KeyValueStore,
    ) -> None:
        self._config = config
        self._bus = bus
        self._clock = clock
        self._metrics = metrics
        self._strategies = strategies
        self._signals = signals
        self._trades = trades
        self._positions = positions
        self._outcomes = outcomes
        self._snapshots = snapshots
        self._state = state
        self._latest_portfolio: PortfolioUpdate | None = None

    @property
    def config(self) -> LearningConfig:
        """Return the configuration the service runs with."""
        return self._config

    async def run(self) -> None:
        """Consume ``trades:executed`` and ``portfolio:updates`` and snapshot until cancelled."""
        group = self._config.group
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                self._bus.consume(Streams.TRADES, group, self.on_trade_executed),
                name="learning-trades",
            )
            tasks.create_task(
                self._bus.consume(Streams.PORTFOLIO, group, self.on_portfolio_updated),
                name="learning-portfolio",
            )
            tasks.create_task(self._snapshot_forever(), name="learning-snapshots")

    async def on_trade_executed(self, message: Message) -> None:
        """Evaluate an exit and, when a cycle is due and learning is on, adjust the weights."""
        if not isinstance(message, TradeExecuted):
            raise self._refuse(Streams.TRADES, "TradeExecuted", message)
        execution = message.execution
        if not _is_closing_fill(execution):
            return
        await self.evaluate(execution)
        if self._config.enabled and await self._cycle_due():
            await self.run_cycle()
            await self._state.set(OUTCOMES_SINCE_CYCLE_KEY, "0")

    async def evaluate(self, exit_: TradeExecution) -> TradeOutcome | None:
        """Store the outcome of the round trip ``exit_`` closes; return it.

        Return None when the exit has an outcome already (counted as a duplicate) or no stored
        entry matches it (counted as unmatched). Raise ``DataError`` when the two trades do not
        make a round trip (a fill missing, sides or tickers that do not match).
        """
        known = await self._outcomes.for_trade(exit_.trade_id)
        if known is not None and known.exit_trade_id == exit_.trade_id:
            self._metrics.increment(EXITS_DUPLICATE)
            return None
        entry = await self._entry_for(exit_)
        if entry is None:
            self._metrics.increment(EXITS_UNMATCHED)
            log.warning(
                "learning_exit_unmatched",
                ticker=exit_.ticker,
                client_order_id=exit_.client_order_id,
            )
            return None
        try:
            outcome = evaluate_round_trip(entry, exit_, await self._sources_of(entry), self._config)
        except DataError as exc:
            self._metrics.increment(EXITS_REFUSED)
            log.warning(
                "learning_exit_refused", client_order_id=exit_.client_order_id, error=str(exc)
            )
            raise
        if not await self._outcomes.add(outcome):
            self._metrics.increment(EXITS_DUPLICATE)
            return None
        await self._count_toward_cycle()
        result = (
            "win" if outcome.realized_pnl > 0 else "loss" if outcome.realized_pnl < 0 else "flat"
        )
        self._metrics.increment(OUTCOMES_RECORDED, result=result)
        log.info(
            "learning_outcome",
            ticker=outcome.ticker,
            realized_pnl=str(outcome.realized_pnl),
            roi_pct=round(outcome.roi_pct, 4),
            credits=outcome.strategy_credits,
        )
        return outcome

    async def run_cycle(self) -> WeightAdjustment:
        """Adjust the weights from the stored outcomes; store and publish what changed."""
        weights = await self._strategies.weights()
        pool: dict[str, TradeOutcome] = {}
        for name in sorted(weights):
            recent = await self._outcomes.recent(strategy=name, limit=self._config.window_trades)
            pool.update((str(o.outcome_id), o) for o in recent)
        adjustment = adjust_weights(weights, pool.values(), self._config)
        changed = bool(adjustment.changes)
        self._metrics.increment(WEIGHT_CYCLES, changed=str(changed).lower())
        if not changed:
            return adjustment
        cycle = await self._next_cycle(adjustment.weights)
        at = self._clock.now()
        await self._strategies.apply_weight_changes(adjustment.changes, cycle=cycle, at=at)
        log.info("learning_weights_changed", cycle=cycle, reasons=adjustment.reasons)
        update = WeightUpdate(
            weights=adjustment.weights, reasons=adjustment.reasons, cycle=cycle, updated_at=at
        )
        try:
            await self._bus.publish(WeightsUpdated(occurred_at=at, update=update))
        except Exception as exc:  # any bus failure: the weights are stored; readers reload them
            self._metrics.increment(PUBLISH_ERRORS, error=type(exc).__name__)
            log.warning("learning_weights_publish_failed", cycle=cycle, error=str(exc))
        return adjustment

    async def on_portfolio_updated(self, message: Message) -> None:
        """Remember the newest portfolio summary (in memory and in the key-value store)."""
        if not isinstance(message, PortfolioUpdated):
            raise self._refuse(Streams.PORTFOLIO, "PortfolioUpdated", message)
        update = message.update
        latest = self._latest_portfolio or await self._stored_portfolio()
        if latest is not None and latest.as_of > update.as_of:
            return
        await self._state.set(LATEST_PORTFOLIO_KEY, update.model_dump_json())
        self._latest_portfolio = update

    async def take_snapshot(self, at: datetime) -> None:
        """Store the portfolio (if any summary is known) and every active strategy's metric."""
        portfolio = self._latest_portfolio or await self._stored_portfolio()
        if portfolio is not None:
            await self._snapshots.add_portfolio_snapshot(_snapshot_of(portfolio, at))
            self._metrics.increment(SNAPSHOTS_STORED, kind="portfolio")
        counts = await self._outcomes.closed_trade_counts()
        for record in await self._strategies.all():
            if not record.active:
                continue
            recent = await self._outcomes.recent(
                strategy=record.name, limit=self._config.metrics_window
            )
            attribution = strategy_attribution(recent).get(record.name)
            await self._snapshots.add_strategy_metric(
                StrategyMetric(
                    strategy=record.name,
                    timestamp=at,
                    weight=record.weight,
                    trades=counts.get(record.name, 0),
                    win_rate=None if attribution is None else attribution.win_rate,
                    total_pnl=Decimal(0) if attribution is None else attribution.pnl,
                    sharpe=None if attribution is None else attribution.sharpe,
                )
            )
            self._metrics.increment(SNAPSHOTS_STORED, kind="strategy")

    async def _snapshot_forever(self) -> None:
        interval = self._config.snapshot_interval_seconds
        while True:
            due = next_tick(self._clock.now(), interval)
            await self._clock.sleep_until(due)
            try:
                await self.take_snapshot(due)
            except ConfigurationError:
                raise
            except Exception as exc:  # any storage failure: the next tick tries again
                self._metrics.increment(SNAPSHOT_ERRORS, error=type(exc).__name__)
                log.warning("learning_snapshot_failed", at=due.isoformat(), error=str(exc))

    async def _entry_for(self, exit_: TradeExecution) -> TradeExecution | None:
        """Return the filled entry ``exit_`` closes, its ``executed_at`` set to its fill time."""
        entry: TradeExecution | None = None
        stored = await self._positions.get(exit_.ticker)
        if stored is not None and stored.entry_signal_id is not None:
            candidates = [
                trade
                for trade in await self._trades.for_signal(stored.entry_signal_id)
                if _is_entry_of(trade, exit_)
            ]
            entry = candidates[-1] if candidates else None
        if entry is None:
            entry = await self._trades.latest_entry(exit_.ticker, before=exit_.executed_at)
        if entry is None:
            return None
        record = await self._trades.record(entry.trade_id)
        if record is not None and record.filled_at is not None:
            entry = entry.model_copy(update={"executed_at": record.filled_at})
        return entry

    async def _sources_of(self, entry: TradeExecution) -> tuple[StrategySource, ...]:
        if entry.signal_id is None:
            return ()
        record = await self._signals.get(entry.signal_id)
        return () if record is None else record.signal.sources

    async def _count_toward_cycle(self) -> None:
        await self._state.set(OUTCOMES_SINCE_CYCLE_KEY, str(await self._outcomes_since_cycle() + 1))

    async def _cycle_due(self) -> bool:
        # Read from storage rather than decided at evaluation time, so an exit redelivered
        # after its cycle failed still runs the cycle it owes.
        return await self._outcomes_since_cycle() >= self._config.adjust_every

    async def _outcomes_since_cycle(self) -> int:
        raw = await self._state.get(OUTCOMES_SINCE_CYCLE_KEY)
        if raw is None or not raw.isdigit():
            if raw is not None:
                log.warning("learning_cycle_counter_unreadable", value=raw[:50])
            return 0
        return int(raw)

    async def _next_cycle(self, weights: dict[str, float]) -> int:
        latest = 0
        for name in sorted(weights):
            adjustments = await self._strategies.adjustments(name, limit=1)
            if adjustments:
                latest = max(latest, adjustments[0].cycle)
        return latest + 1

    async def _stored_portfolio(self) -> PortfolioUpdate | None:
        raw = await self._state.get(LATEST_PORTFOLIO_KEY)
        if raw is None:
            return None
        try:
            return PortfolioUpdate.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("learning_stored_portfolio_unreadable", error=str(exc))
            return None

    def _refuse(self, stream: str, expected: str, message: Message) -> MalformedMessageError:
        self._metrics.increment(MESSAGES_REFUSED, type=type(message).__name__)
        return MalformedMessageError(f"{stream} carries {expected}, not {type(message).__name__}")


def _is_closing_fill(execution: TradeExecution) -> bool:
    """Return True for an exit in its final state with something filled."""
    return (
        execution.is_exit
        and execution.status.is_final
        and execution.filled_qty > 0
        and execution.price is not None
    )


def _is_entry_of(trade: TradeExecution, exit_: TradeExecution) -> bool:
    return (
        not trade.is_exit
        and trade.ticker == exit_.ticker
        and trade.side is not exit_.side
        and trade.filled_qty > 0
        and trade.executed_at <= exit_.executed_at
    )


def _snapshot_of(portfolio: PortfolioUpdate, at: datetime) -> PortfolioSnapshot:
    open_positions = [p for p in portfolio.positions if p.qty != 0]
    return PortfolioSnapshot(
        timestamp=at,
        equity=portfolio.equity,
        cash=portfolio.cash,
        buying_power=portfolio.buying_power,
        daily_pnl=portfolio.daily_pnl,
        positions_value=sum((p.market_value for p in open_positions), Decimal(0)),
        open_positions=len(open_positions),
    )
