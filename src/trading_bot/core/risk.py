"""The risk manager: every order passes here and comes out Approved (with a size) or Rejected.

Entries must clear the gates (pause, automatic pause, kill switch, market hours, cooldown,
position count, the pattern-day-trader limit) and are sized by the configured method, then capped
by the per-position size, the remaining exposure room and the buying power. Exits (a signal
against a position, stop-loss, take-profit, manual close) are never blocked: the pauses, the kill
switch, the cooldown, market hours and the limits stop new risk, not its removal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from trading_bot.core.model import (
    Account,
    Direction,
    Frozen,
    Money,
    OrderSide,
    Position,
    Price,
    Quantity,
    Ticker,
    TradeSignal,
    UtcDatetime,
)
from trading_bot.core.ports import MarketHours
from trading_bot.core.risk_config import RiskConfig
from trading_bot.core.sizing import (
    ZERO,
    Book,
    SizeLimit,
    TradeStats,
    price_tick,
    size_entry,
)

__all__ = [
    "Approved",
    "Decision",
    "ExitReason",
    "PortfolioView",
    "RejectReason",
    "Rejected",
    "RiskConfig",
    "RiskManager",
    "RiskState",
    "protective_exit",
    "to_price",
]


class PortfolioView(Frozen):
    """The account as the risk manager sees it: cash, equity, buying power, open positions."""

    cash: Money
    equity: Money
    buying_power: Money
    positions: dict[Ticker, Position] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keys_match(self) -> Self:
        for ticker, position in self.positions.items():
            if position.ticker != ticker:
                raise ValueError(f"position {position.ticker} is filed under {ticker}")
        return self

    @classmethod
    def of(cls, account: Account, positions: Iterable[Position]) -> PortfolioView:
        """Build the view from the broker's account and positions (flat positions dropped)."""
        return cls(
            cash=account.cash,
            equity=account.equity,
            buying_power=account.buying_power,
            positions={p.ticker: p for p in positions if p.qty != 0},
        )

    def position(self, ticker: str) -> Position | None:
        """Return the open position in ``ticker``, or None when flat."""
        position = self.positions.get(ticker)
        return position if position is not None and position.qty != 0 else None

    @property
    def open_positions(self) -> int:
        """Return how many positions are open."""
        return sum(1 for p in self.positions.values() if p.qty != 0)

    @property
    def exposure(self) -> Decimal:
        """Return the gross market value of all positions (shorts count positive)."""
        return sum((abs(p.market_value) for p in self.positions.values()), ZERO)


class RiskState(Frozen):
    """What the risk manager must remember between decisions (the executor keeps it)."""

    paused: bool = Field(default=False, description="an operator paused new entries")
    kill_switch: bool = Field(default=False, description="new entries stopped for the day")
    realized_pnl_today: Money = Field(default=Decimal(0), description="closed P&L since the open")
    start_of_day_equity: Money | None = Field(
        default=None, description="equity at the session open; current equity when unknown"
    )
    last_exit_at: dict[Ticker, UtcDatetime] = Field(
        default_factory=dict, description="last exit per ticker, for the cooldown"
    )
    trade_stats: TradeStats | None = Field(default=None, description="for Kelly sizing")
    auto_paused: tuple[str, ...] = Field(
        default=(), description="conditions that paused new entries automatically (sorted)"
    )
    day_trades: int | None = Field(
        default=None,
        ge=0,
        description="day trades in the last five business days; None when not counted",
    )


class RejectReason(StrEnum):
    """Why the risk manager refused a signal."""

    PAUSED = "PAUSED"
    AUTO_PAUSED = "AUTO_PAUSED"
    KILL_SWITCH = "KILL_SWITCH"
    MARKET_CLOSED = "MARKET_CLOSED"
    COOLDOWN = "COOLDOWN"
    MAX_POSITIONS = "MAX_POSITIONS"
    MAX_POSITION_SIZE = "MAX_POSITION_SIZE"
    MAX_EXPOSURE = "MAX_EXPOSURE"
    INSUFFICIENT_BUYING_POWER = "INSUFFICIENT_BUYING_POWER"
    NO_POSITION_TO_EXIT = "NO_POSITION_TO_EXIT"
    SHORTING_DISABLED = "SHORTING_DISABLED"
    SIZE_ZERO = "SIZE_ZERO"
    INVALID_PRICE = "INVALID_PRICE"
    ALREADY_IN_POSITION = "ALREADY_IN_POSITION"
    NO_DIRECTION = "NO_DIRECTION"
    PDT_LIMIT = "PDT_LIMIT"


class ExitReason(StrEnum):
    """Why a position is being closed."""

    SIGNAL = "SIGNAL"
    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"
    MANUAL = "MANUAL"


class Approved(Frozen):
    """An order the risk manager allows, sized and with its protective prices."""

    ticker: Ticker
    side: OrderSide
    qty: Quantity
    price: Price = Field(description="the price the decision was sized at")
    stop_loss: Price | None = None
    take_profit: Price | None = None
    is_exit: bool = False
    exit_reason: ExitReason | None = None
    detail: str = ""


class Rejected(Frozen):
    """A refused signal: a reason code for machines and a sentence for people."""

    ticker: Ticker
    reason: RejectReason
    detail: str
    condition: str | None = Field(default=None, description="what paused trading (AUTO_PAUSED)")

    @property
    def code(self) -> str:
        """Return the reason code to record: ``AUTO_PAUSED:market_data``, ``PDT_LIMIT``..."""
        return self.reason.value if self.condition is None else f"{self.reason}:{self.condition}"


Decision = Approved | Rejected

_REJECT_FOR_LIMIT = {
    SizeLimit.EXPOSURE: RejectReason.MAX_EXPOSURE,
    SizeLimit.BUYING_POWER: RejectReason.INSUFFICIENT_BUYING_POWER,
    SizeLimit.POSITION_CAP: RejectReason.MAX_POSITION_SIZE,
    SizeLimit.METHOD: RejectReason.SIZE_ZERO,
}


def protective_exit(position: Position, price: Decimal | float) -> ExitReason | None:
    """Return STOP_LOSS or TAKE_PROFIT when ``price`` reaches the position's levels, else None.

    For a long, the stop triggers at or below the stop price and the take-profit at or above
    its price; mirrored for a short.

    Raises:
        ValueError: ``price`` is not a finite positive number.
    """
    if not (isinstance(price, Decimal | float | int) and _finite_positive(price)):
        raise ValueError(f"price {price!r} must be a finite positive number")
    if position.qty > 0:
        if position.stop_loss is not None and price <= position.stop_loss:
            return ExitReason.STOP_LOSS
        if position.take_profit is not None and price >= position.take_profit:
            return ExitReason.TAKE_PROFIT
    elif position.qty < 0:
        if position.stop_loss is not None and price >= position.stop_loss:
            return ExitReason.STOP_LOSS
        if position.take_profit is not None and price <= position.take_profit:
            return ExitReason.TAKE_PROFIT
    return None


def _finite_positive(value: Decimal | float) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite() and value > 0
    return value > 0 and value != float("inf")


def to_price(value: float) -> Decimal | None:
    """Return a market-data float as a Decimal (its shortest repr), or None if unusable."""
    if not _finite_positive(value):
        return None
    return Decimal(repr(float(value)))


class RiskManager:
    """Decide whether a signal becomes an order, and how large (see the module docstring)."""

    def __init__(self, config: RiskConfig, market_hours: MarketHours) -> None:
        self.config = config
        self._market_hours = market_hours

    def evaluate(
        self, signal: TradeSignal, portfolio: PortfolioView, state: RiskState, now: datetime
    ) -> Decision:
        """Return the decision on ``signal`` given the portfolio and the risk state at ``now``.

        A LONG against a short position or a SHORT against a long one is an exit and always
        approved in full. A signal in the direction of an open position is rejected
        (ALREADY_IN_POSITION: no top-ups). Anything else is an entry.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        ticker = signal.ticker
        price = to_price(signal.price)
        if price is None:
            return Rejected(
                ticker=ticker, reason=RejectReason.INVALID_PRICE, detail=f"price {signal.price!r}"
            )
        if signal.direction is Direction.NEUTRAL:
            return Rejected(
                ticker=ticker, reason=RejectReason.NO_DIRECTION, detail="a NEUTRAL signal"
            )
        position = portfolio.position(ticker)
        if position is not None:
            if (position.qty > 0) != (signal.direction is Direction.LONG):
                return self.evaluate_exit(ticker, portfolio, ExitReason.SIGNAL, price)
            return Rejected(
                ticker=ticker,
                reason=RejectReason.ALREADY_IN_POSITION,
                detail=f"already holding {position.qty} {ticker}; no top-ups",
            )
        if signal.direction is Direction.SHORT and not self.config.allow_short:
            return Rejected(
                ticker=ticker,
                reason=RejectReason.SHORTING_DISABLED,
                detail=f"no long {ticker} position to exit and shorting is disabled",
            )
        return self._entry(signal, price, portfolio, state, now)

    def evaluate_exit(
        self,
        ticker: str,
        portfolio: PortfolioView,
        reason: ExitReason = ExitReason.MANUAL,
        price: Decimal | None = None,
    ) -> Decision:
        """Return the order closing the whole position in ``ticker``; never blocked by limits.

        ``price`` defaults to the position's market price (else its entry price).
        """
        position = portfolio.position(ticker)
        if position is None:
            return Rejected(
                ticker=ticker,
                reason=RejectReason.NO_POSITION_TO_EXIT,
                detail=f"no open {ticker} position to close ({reason.value})",
            )
        return Approved(
            ticker=ticker,
            side=OrderSide.SELL if position.qty > 0 else OrderSide.BUY,
            qty=abs(position.qty),
            price=price or position.market_price or position.avg_entry_price,
            is_exit=True,
            exit_reason=reason,
            detail=f"close {position.qty} {ticker} ({reason.value})",
        )

    def _entry(
        self,
        signal: TradeSignal,
        price: Decimal,
        portfolio: PortfolioView,
        state: RiskState,
        now: datetime,
    ) -> Decision:
        rejection = self._gate(signal.ticker, portfolio, state, now)
        if rejection is not None:
            return rejection
        sized = self._size(signal.ticker, price, portfolio, state)
        if isinstance(sized, Rejected):
            return sized
        qty, detail = sized
        long = signal.direction is Direction.LONG
        stop, take = self._protective_prices(price, long=long)
        return Approved(
            ticker=signal.ticker,
            side=OrderSide.BUY if long else OrderSide.SELL,
            qty=qty,
            price=price,
            stop_loss=stop,
            take_profit=take,
            detail=detail,
        )

    def _gate(
        self, ticker: str, portfolio: PortfolioView, state: RiskState, now: datetime
    ) -> Rejected | None:
        config = self.config
        reason: RejectReason | None = None
        detail = ""
        condition: str | None = None
        if state.paused:
            reason, detail = RejectReason.PAUSED, "trading is paused"
        elif state.auto_paused:
            reason, condition = RejectReason.AUTO_PAUSED, state.auto_paused[0]
            detail = f"new entries paused automatically ({', '.join(state.auto_paused)})"
        elif state.kill_switch:
            reason, detail = RejectReason.KILL_SWITCH, "the kill switch is on"
        elif (loss := self._daily_loss_reached(portfolio, state)) is not None:
            reason, detail = RejectReason.KILL_SWITCH, loss
        elif config.enforce_market_hours and not self._market_hours.is_open(now):
            reason, detail = RejectReason.MARKET_CLOSED, f"the market is closed at {now}"
        elif (until := self._cooldown_until(ticker, state, now)) is not None:
            reason, detail = (
                RejectReason.COOLDOWN,
                f"{ticker} was exited recently; wait until {until}",
            )
        elif portfolio.open_positions >= config.max_positions:
            reason = RejectReason.MAX_POSITIONS
            detail = f"{portfolio.open_positions} positions open, at most {config.max_positions}"
        elif (pdt := self._day_trades_exhausted(portfolio, state)) is not None:
            reason, detail = RejectReason.PDT_LIMIT, pdt
        if reason is None:
            return None
        return Rejected(ticker=ticker, reason=reason, detail=detail, condition=condition)

    def _day_trades_exhausted(self, portfolio: PortfolioView, state: RiskState) -> str | None:
        config = self.config
        if state.day_trades is None or not config.pdt_applies(portfolio.equity):
            return None
        if state.day_trades < config.pdt_max_day_trades:
            return None
        return (
            f"{state.day_trades} day trades in five business days and equity {portfolio.equity} "
            f"under {config.pdt_equity_threshold}: closing a new position today would make one "
            "too many"
        )

    def _daily_loss_reached(self, portfolio: PortfolioView, state: RiskState) -> str | None:
        limit_pct = self.config.daily_loss_limit_pct
        if limit_pct is None:
            return None
        start = portfolio.equity if state.start_of_day_equity is None else state.start_of_day_equity
        limit = limit_pct * start
        loss = -state.realized_pnl_today
        if start <= 0 or loss < limit:
            return None
        return f"realised loss today {loss} reached the daily limit {limit:.2f}"

    def _cooldown_until(self, ticker: str, state: RiskState, now: datetime) -> datetime | None:
        last_exit = state.last_exit_at.get(ticker)
        if last_exit is None:
            return None
        until = last_exit + timedelta(minutes=self.config.cooldown_minutes)
        return until if now < until else None

    def _size(
        self, ticker: str, price: Decimal, portfolio: PortfolioView, state: RiskState
    ) -> tuple[Decimal, str] | Rejected:
        book = Book(
            equity=portfolio.equity,
            buying_power=portfolio.buying_power,
            exposure=portfolio.exposure,
            open_positions=portfolio.open_positions,
        )
        size = size_entry(self.config, price, book, state.trade_stats)
        if size.qty <= 0:
            return Rejected(
                ticker=ticker,
                reason=_REJECT_FOR_LIMIT[size.limit],
                detail=f"{size.detail} buys less than one tradable unit of {ticker} at {price}",
            )
        return size.qty, f"{size.qty} {ticker} at {price}, limited by {size.detail}"

    def _protective_prices(
        self, price: Decimal, *, long: bool
    ) -> tuple[Decimal | None, Decimal | None]:
        """Return (stop-loss, take-profit) for an entry at ``price``, rounded to the tick."""
        config = self.config
        below, above = (-1, 1) if long else (1, -1)
        stop = _level(price, below * config.stop_loss_pct) if config.stop_loss_pct else None
        take = (
            _level(price, above * config.take_profit_pct)
            if config.take_profit_pct is not None
            else None
        )
        return stop, take


def _level(price: Decimal, offset: Decimal) -> Decimal | None:
    level = (price * (1 + offset)).quantize(price_tick(price))
    return level if level > 0 else None
