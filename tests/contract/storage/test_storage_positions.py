"""PositionRepository: one position per ticker, replaced on upsert, what opened it remembered."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.storage import SqlRepositories
from trading_bot.core.model import Position
from trading_bot.testing.storage_records import T0, at, make_trade_signal


def _position(
    ticker: str = "AAPL",
    qty: str = "10",
    *,
    market_price: Decimal | None = None,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
    opened_at: datetime | None = None,
) -> Position:
    return Position(
        ticker=ticker,
        qty=Decimal(qty),
        avg_entry_price=Decimal("187.31"),
        market_price=market_price,
        stop_loss=stop_loss,
        take_profit=take_profit,
        opened_at=opened_at,
    )


async def test_upsert_when_new_reads_back_with_entry_signal_and_clock_time(
    repos: SqlRepositories,
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)
    position = _position(
        market_price=Decimal("190.05"),
        stop_loss=Decimal("181.69"),
        take_profit=Decimal("196.68"),
        opened_at=T0,
    )

    await repos.positions.upsert(position, entry_signal_id=signal.signal_id)

    record = await repos.positions.get("AAPL")
    assert record is not None
    assert record.position == position
    assert record.entry_signal_id == signal.signal_id
    assert record.updated_at == T0


async def test_upsert_when_position_grows_replaces_it_and_keeps_what_opened_it(
    repos: SqlRepositories, clock: SimulatedClock
) -> None:
    signal = make_trade_signal()
    await repos.signals.add(signal)
    await repos.positions.upsert(_position(opened_at=T0), entry_signal_id=signal.signal_id)
    await clock.advance_to(at(10))

    await repos.positions.upsert(_position(qty="15", stop_loss=Decimal(180)))

    record = await repos.positions.get("AAPL")
    assert record is not None
    assert record.position.qty == Decimal(15)
    assert record.position.stop_loss == Decimal(180)
    assert record.position.opened_at == T0
    assert record.entry_signal_id == signal.signal_id
    assert record.updated_at == at(10)


async def test_all_when_several_positions_are_open_lists_them_by_ticker(
    repos: SqlRepositories,
) -> None:
    for ticker in ("MSFT", "AAPL", "BRK.B"):
        await repos.positions.upsert(_position(ticker))

    records = await repos.positions.all()

    assert [record.position.ticker for record in records] == ["AAPL", "BRK.B", "MSFT"]


async def test_upsert_when_short_keeps_the_negative_quantity(repos: SqlRepositories) -> None:
    await repos.positions.upsert(_position(qty="-7.5"))

    record = await repos.positions.get("AAPL")

    assert record is not None
    assert record.position.qty == Decimal("-7.5")


async def test_delete_when_position_exists_removes_it_once(repos: SqlRepositories) -> None:
    await repos.positions.upsert(_position())

    first = await repos.positions.delete("AAPL")
    second = await repos.positions.delete("AAPL")

    assert (first, second) == (True, False)
    assert await repos.positions.get("AAPL") is None
