"""The executor's risk desk: the portfolio as the risk manager sees it, the decision on each
signal or exit, and the record of every decision (stored, counted, the signal's outcome)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Final, Protocol

import structlog

from trading_bot.core.model import OrderStatus, RiskDecision, TradeSignal
from trading_bot.core.pdt import TradingDays, count_in_window, pdt_window, window_start
from trading_bot.core.ports import (
    Broker,
    Clock,
    Metrics,
    OutcomeRepository,
    PriceSource,
    RiskDecisionRepository,
    SignalRepository,
    TradeRepository,
)
from trading_bot.core.risk import (
    Approved,
    Decision,
    ExitReason,
    PortfolioView,
    Rejected,
    RejectReason,
    RiskManager,
)
from trading_bot.core.sizing import SizingMethod, TradeStats
from trading_bot.services.concurrency import Concurrency
from trading_bot.services.execution_state import RiskStateStore, trade_stats, trading_day

log = structlog.stdlib.get_logger(__name__)

RISK_REJECTIONS: Final = "risk_rejections"
"""Counter of refused orders by reason code (label ``reason``), UNKNOWN_TICKER included."""
UNKNOWN_TICKER: Final = "UNKNOWN_TICKER"
"""Reason code of a signal for a ticker outside the configured universe."""
_MAX_DETAIL: Final = 1_000

KillSwitchHook = Callable[[str], Awaitable[None]]
"""Told the detail when the kill switch trips (to record and notify it)."""


class QuoteBook(PriceSource, Protocol):
    """The latest price per ticker, shared with the paper broker (``brokers.prices.LatestPrices``).

    The executor writes it from the bars it consumes; the paper broker fills at it.
    """

    def update(self, ticker: str, price: Decimal | float) -> None:
        """Record ``price`` (a float: a bar's close) as the latest for ``ticker``."""
        ...


class RiskDesk:
    """Ask the risk manager, and keep a record of every answer."""

    def __init__(
        self,
        *,
        risk: RiskManager,
        risk_state: RiskStateStore,
        broker: Broker,
        prices: QuoteBook,
        decisions: RiskDecisionRepository,
        signals: SignalRepository,
        clock: Clock,
        metrics: Metrics,
        outcomes: OutcomeRepository | None = None,
        trades: TradeRepository | None = None,
        trading_days: TradingDays | None = None,
        on_kill_switch: KillSwitchHook | None = None,
        concurrency: Concurrency | None = None,
    ) -> None:
        self._risk = risk
        self._concurrency = concurrency or Concurrency()
        self._risk_state = risk_state
        self._broker = broker
        self._prices = prices
        self._decisions = decisions
        self._signals = signals
        self._outcomes = outcomes
        self._clock = clock
        self._metrics = metrics
        self._trades = trades
        self._trading_days = trading_days
        self._on_kill_switch = on_kill_switch

    async def portfolio(self) -> PortfolioView:
        """Return the broker's account and positions, marked at the latest known prices."""
        account, held = await self._concurrency.all(
            self._broker.get_account(), self._broker.get_positions()
        )
        positions = []
        for position in held:
            price = self._prices.last_price(position.ticker)
            positions.append(
                position if price is None else position.model_copy(update={"market_price": price})
            )
        return PortfolioView.of(account, positions)

    async def evaluate_signal(self, signal: TradeSignal, portfolio: PortfolioView) -> Decision:
        """Return the risk manager's decision on ``signal`` with the stored risk state.

        The first KILL_SWITCH rejection of a day records that the kill switch tripped.
        """
        state = await self._risk_state.load(
            signal.ticker,
            portfolio.equity,
            await self._trade_stats(),
            await self._day_trades(portfolio.equity),
        )
        decision = self._risk.evaluate(signal, portfolio, state, self._clock.now())
        if (
            isinstance(decision, Rejected)
            and decision.reason is RejectReason.KILL_SWITCH
            and not state.kill_switch
        ):
            await self._risk_state.trip_kill_switch(decision.detail)
            if self._on_kill_switch is not None:
                await self._on_kill_switch(decision.detail)
        return decision

    def evaluate_exit(
        self,
        ticker: str,
        portfolio: PortfolioView,
        reason: ExitReason,
        price: Decimal | None = None,
    ) -> Decision:
        """Return the order closing the whole position in ``ticker`` (never blocked by limits)."""
        return self._risk.evaluate_exit(ticker, portfolio, reason, price)

    async def record(self, decision: Decision, signal_id: uuid.UUID | None) -> None:
        """Store the decision; a rejection is also counted and becomes the signal's outcome."""
        if isinstance(decision, Approved):
            code = f"EXIT_{decision.exit_reason.value}" if decision.exit_reason else "APPROVED"
            await self._decisions.add(
                RiskDecision(
                    signal_id=signal_id,
                    ticker=decision.ticker,
                    approved=True,
                    reason_code=code,
                    detail=decision.detail[:_MAX_DETAIL],
                    qty=decision.qty,
                    timestamp=self._clock.now(),
                )
            )
            return
        await self.refuse(signal_id, decision.ticker, decision.code, decision.detail)

    async def refuse(
        self, signal_id: uuid.UUID | None, ticker: str, reason: str, detail: str
    ) -> None:
        """Store, count and log a refusal; it becomes the signal's outcome (REJECTED)."""
        await self._decisions.add(
            RiskDecision(
                signal_id=signal_id,
                ticker=ticker,
                approved=False,
                reason_code=reason,
                detail=detail[:_MAX_DETAIL],
                timestamp=self._clock.now(),
            )
        )
        self._metrics.increment(RISK_REJECTIONS, reason=reason)
        log.info(
            "order refused",
            ticker=ticker,
            reason=reason,
            detail=detail,
            signal_id=None if signal_id is None else str(signal_id),
        )
        if signal_id is not None:
            await self._signals.record_outcome(
                signal_id, OrderStatus.REJECTED, f"{reason}: {detail}"
            )

    async def _day_trades(self, equity: Decimal) -> int | None:
        """Return the day trades of the last five business days, when the limit applies."""
        if self._trades is None or self._trading_days is None:
            return None
        if not self._risk.config.pdt_applies(equity):
            return None
        days = pdt_window(self._trading_days, trading_day(self._clock.now()))
        return count_in_window(await self._trades.day_trades(since=window_start(days)), days)

    async def _trade_stats(self) -> TradeStats | None:
        config = self._risk.config
        if self._outcomes is None or config.sizing is not SizingMethod.KELLY:
            return None
        return trade_stats(await self._outcomes.recent(limit=config.kelly_min_trades * 5))
