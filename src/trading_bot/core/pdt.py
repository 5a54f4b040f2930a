"""Pattern-day-trader arithmetic: which round trips were day trades, over which business days.

FINRA calls an account that makes four or more day trades (a position opened and closed on the
same trading day) within five business days a pattern day trader; a margin account under
$25,000 is then restricted. The risk manager refuses an entry once three day trades are on the
books, since closing the new position the same day (a stop, say) would make the fourth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol, runtime_checkable

from trading_bot.core.calendar import NEW_YORK

PDT_WINDOW_DAYS = 5
"""Business days the pattern-day-trader rule looks back over, today included."""


@runtime_checkable
class TradingDays(Protocol):
    """Which days the exchange trades (``core.calendar.NyseCalendar``)."""

    def is_trading_day(self, day: date) -> bool: ...

    def trading_days_back(self, day: date, count: int) -> list[date]: ...


@dataclass(frozen=True, slots=True)
class Fill:
    """A filled order as the day-trade count sees it: an entry or an exit, and when it filled."""

    ticker: str
    is_exit: bool
    filled_at: datetime


@dataclass(frozen=True, slots=True)
class DayTrade:
    """A position opened and closed on the same New York trading day."""

    ticker: str
    day: date
    opened_at: datetime
    closed_at: datetime


def trading_date(at: datetime) -> date:
    """Return the New York date ``at`` (aware) falls on: the day a fill counts for."""
    if at.tzinfo is None:
        raise ValueError(f"{at!r} must be timezone-aware")
    return at.astimezone(NEW_YORK).date()


def find_day_trades(fills: Iterable[Fill]) -> list[DayTrade]:
    """Return the day trades among ``fills``, oldest first.

    Each exit is matched with the latest entry in its ticker filled before it; the pair is a day
    trade when both filled on the same New York date. Fills are taken in time order whatever
    order they come in.
    """
    latest_entry: dict[str, datetime] = {}
    found: list[DayTrade] = []
    for fill in sorted(fills, key=lambda f: f.filled_at):
        if not fill.is_exit:
            latest_entry[fill.ticker] = fill.filled_at
            continue
        opened = latest_entry.pop(fill.ticker, None)
        day = trading_date(fill.filled_at)
        if opened is not None and trading_date(opened) == day:
            found.append(DayTrade(fill.ticker, day, opened, fill.filled_at))
    return found


def pdt_window(calendar: TradingDays, today: date) -> list[date]:
    """Return the five business days the rule counts on ``today``, oldest first.

    On a trading day that is today and the four before it; on a weekend or holiday, the five
    trading days before it.
    """
    if calendar.is_trading_day(today):
        return [*calendar.trading_days_back(today, PDT_WINDOW_DAYS - 1), today]
    return calendar.trading_days_back(today, PDT_WINDOW_DAYS)


def window_start(days: Sequence[date]) -> datetime:
    """Return the UTC instant the first of ``days`` begins in New York: fills from then count."""
    if not days:
        raise ValueError("the window has no days")
    return datetime.combine(days[0], time(0), tzinfo=NEW_YORK).astimezone(UTC)


def count_in_window(trades: Iterable[DayTrade], days: Sequence[date]) -> int:
    """Return how many of ``trades`` were made on one of ``days``."""
    wanted = set(days)
    return sum(1 for trade in trades if trade.day in wanted)
