"""Orders as the executor asks for them and as the broker reports them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from trading_bot.core.model._types import Frozen, Money, Price, Quantity, Ticker, UtcDatetime


class OrderSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"


class OrderStatus(StrEnum):
    """Lifecycle of an order. Every signal that reaches the executor ends FILLED, REJECTED or
    CANCELLED; PENDING and PARTIALLY_FILLED are the states in between."""

    PENDING = "PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"

    @property
    def is_final(self) -> bool:
        """Return True when the order can no longer change."""
        return self in {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}


_ORDER_NAMESPACE = uuid.UUID("0b1c6a57-5d3e-4f0e-9a57-7a2f3c9d1e42")


def client_order_id_for(signal_id: uuid.UUID, purpose: str = "entry") -> str:
    """Return the broker client order id for a signal: stable, so a retry cannot double-submit."""
    return f"tb-{uuid.uuid5(_ORDER_NAMESPACE, f'{signal_id}:{purpose}').hex[:28]}"


class OrderRequest(Frozen):
    """An order the executor has decided to place (after risk approval)."""

    client_order_id: str = Field(min_length=1, max_length=48)
    ticker: Ticker
    side: OrderSide
    qty: Quantity
    order_type: OrderType = OrderType.MARKET
    limit_price: Price | None = None
    stop_loss: Price | None = None
    take_profit: Price | None = None
    signal_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _limit_has_price(self) -> Self:
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            raise ValueError("a LIMIT order needs limit_price")
        return self


class OrderResult(Frozen):
    """The broker's view of an order."""

    broker_order_id: str = Field(min_length=1)
    client_order_id: str = Field(min_length=1, max_length=48)
    ticker: Ticker
    side: OrderSide
    qty: Quantity
    status: OrderStatus
    filled_qty: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    filled_avg_price: Price | None = None
    commission: Money = Decimal(0)
    reason: str = ""
    submitted_at: UtcDatetime
    filled_at: UtcDatetime | None = None
    stop_loss: Price | None = Field(default=None, description="protective stop recorded with it")
    take_profit: Price | None = Field(default=None, description="profit target recorded with it")
    legs: tuple[OrderResult, ...] = Field(
        default=(),
        description="the broker-side exit legs of a bracket entry (stop-loss, take-profit) as "
        "they stand now; empty for a simple order",
    )
