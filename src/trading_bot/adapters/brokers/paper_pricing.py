"""How the paper broker prices a fill: its configuration, slippage, commission, marketability."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.core.model import OrderRequest, OrderSide, OrderType

PRICE_TICK = Decimal("0.0001")
"""Fill prices are kept to four decimal places, rounded against the trader."""

CENT = Decimal("0.01")
BPS = Decimal(10_000)


class PaperBrokerConfig(BaseModel):
    """How the paper broker simulates an account. Every amount is in the account currency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    starting_cash: Decimal = Field(
        default=Decimal(100_000),
        ge=0,
        allow_inf_nan=False,
        description="cash of a new account (a restored account keeps its own); default 100 000",
    )
    slippage_bps: Decimal = Field(
        default=Decimal(5),
        ge=0,
        le=1_000,
        allow_inf_nan=False,
        description="price moved against the trader on every fill, in basis points; default 5",
    )
    commission_per_share: Decimal = Field(
        default=Decimal(0),
        ge=0,
        allow_inf_nan=False,
        description="commission charged per share filled; default 0",
    )
    commission_bps: Decimal = Field(
        default=Decimal(0),
        ge=0,
        allow_inf_nan=False,
        description="commission charged on the notional of a fill, in basis points; default 0",
    )
    min_commission: Decimal = Field(
        default=Decimal(0),
        ge=0,
        allow_inf_nan=False,
        description="the least commission charged on any fill; default 0",
    )
    allow_short: bool = Field(
        default=False,
        description="accept sells larger than the long position (opening a short); default no",
    )
    max_finished_orders: int = Field(
        default=200,
        ge=0,
        description="finished orders remembered besides the open ones (the newest); an older "
        "order is forgotten with its client order id; default 200",
    )
    state_key: str = Field(
        default="broker:paper:state",
        min_length=1,
        description="key of the account snapshot in the key-value store",
    )

    def fill_price(self, side: OrderSide, market: Decimal) -> Decimal:
        """Return the price a market order fills at: ``market`` moved by the slippage."""
        factor = self.slippage_bps / BPS
        if side is OrderSide.BUY:
            return (market * (1 + factor)).quantize(PRICE_TICK, rounding=ROUND_CEILING)
        return (market * (1 - factor)).quantize(PRICE_TICK, rounding=ROUND_FLOOR)

    def commission(self, qty: Decimal, price: Decimal) -> Decimal:
        """Return the commission on a fill of ``qty`` at ``price``, in cents."""
        charged = qty * self.commission_per_share + qty * price * self.commission_bps / BPS
        return max(charged, self.min_commission).quantize(CENT, rounding=ROUND_HALF_UP)


def execution_price(
    config: PaperBrokerConfig, order: OrderRequest, market: Decimal
) -> Decimal | None:
    """Return the price ``order`` fills at now, or None when a limit order is not marketable.

    A limit order fills when the market has reached its limit, at the slipped market price but
    never worse than the limit.
    """
    slipped = config.fill_price(order.side, market)
    if order.order_type is OrderType.MARKET:
        return slipped
    limit = order.limit_price
    if limit is None:
        raise ValueError("a LIMIT order needs limit_price")
    if order.side is OrderSide.BUY:
        return min(slipped, limit) if market <= limit else None
    return max(slipped, limit) if market >= limit else None
