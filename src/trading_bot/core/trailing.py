"""Trailing-stop arithmetic: the stop follows the best price since entry and never gives back.

For a long position the stop sits ``pct`` below the highest price seen since entry; for a short,
``pct`` above the lowest. The stop is kept with the position (storage), so it is the running
high-water mark itself and survives a restart.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from trading_bot.core.model import Position
from trading_bot.core.sizing import price_tick


def trailing_level(best_price: Decimal, pct: Decimal, *, long: bool) -> Decimal:
    """Return the stop ``pct`` away from ``best_price``, rounded to the tick away from the price.

    Raises:
        ValueError: ``best_price`` is not positive or ``pct`` is not in (0, 1).
    """
    if not (best_price.is_finite() and best_price > 0):
        raise ValueError(f"price {best_price} must be finite and positive")
    if not 0 < pct < 1:
        raise ValueError(f"trailing distance {pct} must be between 0 and 1")
    tick = price_tick(best_price)
    if long:
        return (best_price * (1 - pct)).quantize(tick, rounding=ROUND_FLOOR)
    return (best_price * (1 + pct)).quantize(tick, rounding=ROUND_CEILING)


def ratchet(position: Position, high: Decimal, low: Decimal, pct: Decimal) -> Decimal | None:
    """Return the position's new stop after a bar that traded between ``low`` and ``high``, or
    None when the stop does not move (it only ever tightens: up for a long, down for a short).

    A flat position has no stop to move.
    """
    if position.qty == 0:
        return None
    long = position.qty > 0
    candidate = trailing_level(high if long else low, pct, long=long)
    current = position.stop_loss
    if current is None:
        return candidate
    if (long and candidate > current) or (not long and candidate < current):
        return candidate
    return None
