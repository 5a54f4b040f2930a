"""TradeRepository.day_trades: same-day round trips among filled trades (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.model import OrderSide, OrderStatus
from trading_bot.testing.storage_records import make_execution


async def _filled(
    repos: SqlRepositories, ticker: str, at: datetime, *, is_exit: bool, filled: bool = True
) -> None:
    trade = make_execution(
        ticker=ticker,
        side=OrderSide.SELL if is_exit else OrderSide.BUY,
        status=OrderStatus.FILLED if filled else OrderStatus.CANCELLED,
        filled_qty=Decimal(10) if filled else Decimal(0),
        price=Decimal(100) if filled else None,
        is_exit=is_exit,
        executed_at=at,
    )
    await repos.trades.add(trade)


def at(day: int, hour: int) -> datetime:
    return datetime(2024, 7, day, hour, tzinfo=UTC)


async def test_day_trades_when_positions_open_and_close_the_same_day_are_found(
    repos: SqlRepositories,
) -> None:
    await _filled(repos, "AAPL", at(1, 14), is_exit=False)
    await _filled(repos, "AAPL", at(1, 18), is_exit=True)  # Monday round trip
    await _filled(repos, "MSFT", at(2, 14), is_exit=False)
    await _filled(repos, "MSFT", at(3, 15), is_exit=True)  # held overnight
    await _filled(repos, "NVDA", at(5, 14), is_exit=False)
    await _filled(repos, "NVDA", at(5, 15), is_exit=True, filled=False)  # never filled

    trades = await repos.trades.day_trades(since=at(1, 4))

    assert [(t.ticker, t.day) for t in trades] == [("AAPL", date(2024, 7, 1))]


async def test_day_trades_leave_out_fills_before_since(repos: SqlRepositories) -> None:
    await _filled(repos, "AAPL", at(1, 14), is_exit=False)
    await _filled(repos, "AAPL", at(1, 18), is_exit=True)

    assert await repos.trades.day_trades(since=at(2, 4)) == []
