"""Which exits a bar or a close command calls for, and the deterministic client order ids they
use, so a redelivered bar or command can never exit a position twice; the trailing stop that
follows each bar."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

import structlog

from trading_bot.core.model import Bar, OrderSide, Position, PositionRecord, client_order_id_for
from trading_bot.core.ports import PositionRepository
from trading_bot.core.risk import ExitReason, protective_exit
from trading_bot.core.trailing import ratchet

log = structlog.stdlib.get_logger(__name__)

_EXIT_IDS: Final = uuid.UUID("b3e9a4c1-7f20-4d6e-9b85-2c1d0e8f6a47")
_PURPOSE: Final = {
    ExitReason.STOP_LOSS: "stop",
    ExitReason.TAKE_PROFIT: "take",
    ExitReason.MANUAL: "close",
    ExitReason.SIGNAL: "signal",
}


@dataclass(frozen=True, slots=True)
class ExitCall:
    """An exit a position needs, and the client order id it must be placed under."""

    reason: ExitReason
    client_order_id: str


def exit_client_order_id(
    ticker: str,
    stored: PositionRecord | None,
    opened_at: datetime | None,
    reason: ExitReason,
    occasion: str,
) -> str:
    """Return the client order id of an exit of ``ticker`` for ``reason`` on ``occasion`` (the
    bar's opening time, the command's id).

    It derives from the position's entry signal, or, for a position opened elsewhere, from the
    ticker and its opening time: the same position and occasion always give the same id.
    """
    if stored is not None and stored.entry_signal_id is not None:
        anchor = stored.entry_signal_id
    else:
        opened = opened_at or (stored.position.opened_at if stored is not None else None)
        anchor = uuid.uuid5(_EXIT_IDS, f"{ticker}:{opened.isoformat() if opened else 'unknown'}")
    return client_order_id_for(anchor, f"{_PURPOSE[reason]}:{occasion}")


def exit_on_bar(
    stored: PositionRecord, price: Decimal, bar_opened: datetime, bar_closed: datetime
) -> ExitCall | None:
    """Return the stop-loss or take-profit exit a bar's close calls for, or None.

    A bar that closed before the position opened cannot trigger its levels.
    """
    position = stored.position
    if position.opened_at is not None and bar_closed <= position.opened_at:
        return None
    reason = protective_exit(position, price)
    if reason is None:
        return None
    client_order_id = exit_client_order_id(
        position.ticker, stored, position.opened_at, reason, bar_opened.isoformat()
    )
    return ExitCall(reason, client_order_id)


def side_closes(side: OrderSide, position_qty: Decimal) -> bool:
    """Return True when an order on ``side`` reduces a position of ``position_qty``."""
    return (position_qty > 0 and side is OrderSide.SELL) or (
        position_qty < 0 and side is OrderSide.BUY
    )


def levels_reached(position: Position, high: float, low: float) -> bool:
    """Return True when a bar trading between ``low`` and ``high`` touched the position's stop
    or target: a broker-side leg at that level may have filled."""
    stop, take = position.stop_loss, position.take_profit
    if position.qty > 0:
        return (stop is not None and low <= stop) or (take is not None and high >= take)
    if position.qty < 0:
        return (stop is not None and high >= stop) or (take is not None and low <= take)
    return False


class TrailingStop:
    """Ratchet a position's stop with each bar and keep it with the position (``core.trailing``);
    with ``pct`` None it leaves stops alone."""

    def __init__(self, pct: Decimal | None, positions: PositionRepository) -> None:
        self._pct = pct
        self._positions = positions

    def moves(self, position: Position, bar: Bar) -> bool:
        """Return True when ``bar`` would move the position's stop (``follow`` moves it)."""
        return self._moved_stop(position, bar) is not None

    async def follow(self, stored: PositionRecord, bar: Bar) -> PositionRecord:
        """Return the position with its stop moved by ``bar`` (stored), or as it was."""
        position = stored.position
        stop = self._moved_stop(position, bar)
        if stop is None:
            return stored
        moved = position.model_copy(update={"stop_loss": stop})
        await self._positions.upsert(moved)
        log.info("trailing stop moved", ticker=position.ticker, stop=str(stop))
        return stored.model_copy(update={"position": moved})

    def _moved_stop(self, position: Position, bar: Bar) -> Decimal | None:
        if self._pct is None or (
            position.opened_at is not None and bar.closes_at <= position.opened_at
        ):
            return None
        return ratchet(position, Decimal(repr(bar.high)), Decimal(repr(bar.low)), self._pct)
