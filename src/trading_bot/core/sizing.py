"""Position sizing: how many shares an entry takes, by method and within the size limits.

    qty = round_down(min(method, per-position cap, exposure room, buying power) / price)

``SizingConfig`` holds the fields that decide it; ``RiskConfig`` (core.risk) extends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from trading_bot.core.model import Frozen, Money, Quantity

ZERO = Decimal(0)


class SizingMethod(StrEnum):
    """How the size of a new position is chosen."""

    FIXED_FRACTIONAL = "fixed_fractional"
    """Spend a fixed fraction of equity on each entry."""
    KELLY = "kelly"
    """Spend the (fractional, capped) Kelly fraction of equity, from past trades' statistics."""
    FIXED_QTY = "fixed_qty"
    """Buy the same number of shares every time (like-for-like backtest comparisons)."""


class TradeStats(Frozen):
    """What past closed trades say about the edge, for Kelly sizing."""

    trades: int = Field(ge=0, description="closed trades the figures come from")
    win_rate: Decimal = Field(ge=0, le=1, allow_inf_nan=False, description="share of winners")
    payoff_ratio: Decimal = Field(
        gt=0, allow_inf_nan=False, description="average win / average loss (both positive)"
    )


class SizingConfig(Frozen):
    """How entries are sized and how large they may get. Fractions are of current equity."""

    sizing: SizingMethod = Field(
        default=SizingMethod.FIXED_FRACTIONAL, description="how an entry is sized"
    )
    fraction_per_trade: Decimal = Field(
        default=Decimal("0.02"), gt=0, le=1, description="fixed_fractional: equity per entry"
    )
    kelly_multiplier: Decimal = Field(
        default=Decimal("0.5"), gt=0, le=1, description="kelly: share of full Kelly (half-Kelly)"
    )
    kelly_cap: Decimal = Field(
        default=Decimal("0.25"), gt=0, le=1, description="kelly: most equity one entry may take"
    )
    kelly_min_trades: int = Field(
        default=20, ge=1, description="kelly: closed trades needed before their stats are used"
    )
    kelly_fallback: TradeStats = Field(
        default=TradeStats(trades=0, win_rate=Decimal("0.5"), payoff_ratio=Decimal("1.5")),
        description="kelly: statistics assumed until enough trades exist",
    )
    fixed_qty: Quantity = Field(default=Decimal(1), description="fixed_qty: shares per entry")
    max_position_pct: Decimal = Field(
        default=Decimal("0.05"), gt=0, le=1, description="most equity in one position"
    )
    max_total_exposure_pct: Decimal = Field(
        default=Decimal("0.80"), gt=0, le=1, description="most equity across all positions"
    )
    allow_fractional: bool = Field(default=False, description="fractional shares, else whole")
    fractional_decimals: int = Field(
        default=6, ge=1, le=9, description="decimal places of a fractional quantity"
    )
    commission_per_order: Money = Field(
        default=Decimal(0),
        ge=0,
        description=(
            "the broker's fixed commission; an entry keeps enough cash for its own round trip "
            "and one exit of every open position, so commissions cannot overdraw the account"
        ),
    )
    cost_reserve_pct: Decimal = Field(
        default=Decimal("0.001"),
        ge=0,
        lt=1,
        description="share of the notional set aside for percentage commission and slippage",
    )

    @model_validator(mode="after")
    def _position_fits_in_exposure(self) -> Self:
        if self.max_position_pct > self.max_total_exposure_pct:
            raise ValueError(
                f"max_position_pct ({self.max_position_pct}) exceeds max_total_exposure_pct "
                f"({self.max_total_exposure_pct})"
            )
        return self


class SizeLimit(StrEnum):
    """What bounded an entry's size."""

    EXPOSURE = "exposure room"
    BUYING_POWER = "buying power"
    POSITION_CAP = "position cap"
    METHOD = "sizing method"


@dataclass(frozen=True, slots=True)
class EntrySize:
    """The size of an entry (0 when it cannot be made) and the limit that bound it."""

    qty: Decimal
    limit: SizeLimit
    detail: str


@dataclass(frozen=True, slots=True)
class Book:
    """The figures of the account sizing needs."""

    equity: Decimal
    buying_power: Decimal
    exposure: Decimal
    open_positions: int


def kelly_fraction(win_rate: Decimal, payoff_ratio: Decimal) -> Decimal:
    """Return the full Kelly fraction W - (1 - W) / R; zero or negative means no edge."""
    return win_rate - (1 - win_rate) / payoff_ratio


def kelly_notional_fraction(config: SizingConfig, stats: TradeStats | None) -> Decimal:
    """Return the share of equity Kelly sizing bets: multiplier x Kelly, within [0, cap].

    ``stats`` with fewer than ``kelly_min_trades`` trades (or none) are not trusted; the
    configured fallback is used instead.
    """
    trusted = stats is not None and stats.trades >= config.kelly_min_trades
    used = stats if trusted and stats is not None else config.kelly_fallback
    fraction = config.kelly_multiplier * kelly_fraction(used.win_rate, used.payoff_ratio)
    return max(ZERO, min(config.kelly_cap, fraction))


def floor_qty(qty: Decimal, *, fractional: bool, decimals: int) -> Decimal:
    """Round ``qty`` down to whole shares, or to ``decimals`` places when fractional."""
    if qty <= 0:
        return ZERO
    step = Decimal(1).scaleb(-decimals) if fractional else Decimal(1)
    return qty.quantize(step, rounding=ROUND_DOWN)


def price_tick(price: Decimal) -> Decimal:
    """Return the price increment US equities quote in: a cent, or 0.0001 below one dollar."""
    return Decimal("0.01") if price >= 1 else Decimal("0.0001")


def size_entry(
    config: SizingConfig, price: Decimal, book: Book, stats: TradeStats | None = None
) -> EntrySize:
    """Return how many shares a new position at ``price`` may take.

    The smallest of the method's size, the per-position cap, the room left under the exposure
    cap and what the buying power pays for (after the commission and cost reserves), rounded
    down; ``limit`` names the one that bound it. On a tie the order above decides in reverse:
    exposure, buying power, position cap, method.
    """
    equity = max(ZERO, book.equity)
    if config.sizing is SizingMethod.FIXED_QTY:
        wanted = config.fixed_qty
    elif config.sizing is SizingMethod.KELLY:
        wanted = equity * kelly_notional_fraction(config, stats) / price
    else:
        wanted = equity * config.fraction_per_trade / price
    room = config.max_total_exposure_pct * equity - book.exposure
    reserved = config.commission_per_order * (book.open_positions + 2)
    candidates = (
        (SizeLimit.EXPOSURE, room / price, f"exposure room {room:.2f}"),
        (
            SizeLimit.BUYING_POWER,
            (book.buying_power - reserved) / (price * (1 + config.cost_reserve_pct)),
            f"buying power {book.buying_power:.2f}",
        ),
        (
            SizeLimit.POSITION_CAP,
            config.max_position_pct * equity / price,
            f"position cap {config.max_position_pct:%} of equity {equity:.2f}",
        ),
        (SizeLimit.METHOD, wanted, f"{config.sizing.value} sizing"),
    )
    limit, raw, why = min(candidates, key=lambda candidate: candidate[1])
    qty = floor_qty(raw, fractional=config.allow_fractional, decimals=config.fractional_decimals)
    return EntrySize(qty=qty, limit=limit, detail=why)
