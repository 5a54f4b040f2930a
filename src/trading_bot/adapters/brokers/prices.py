"""A quote book of the latest trade price per ticker: the paper broker's ``PriceSource``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from trading_bot.core.model import Bar


class LatestPrices:
    """The last close seen per ticker, fed from bars by whoever consumes ``market:bars``.

    The composition root shares one instance between that consumer and the paper broker.
    """

    def __init__(self, initial: Mapping[str, Decimal] | None = None) -> None:
        self._prices: dict[str, Decimal] = {}
        for ticker, price in (initial or {}).items():
            self.update(ticker, price)

    def update(self, ticker: str, price: Decimal) -> None:
        """Record ``price`` as the latest for ``ticker``; refuse a non-positive or NaN price."""
        if not price.is_finite() or price <= 0:
            raise ValueError(f"price of {ticker} must be finite and positive, got {price}")
        self._prices[ticker] = price

    def update_from_bar(self, bar: Bar) -> None:
        """Record the close of a bar (its shortest decimal spelling, not the binary float)."""
        self._prices[bar.ticker] = Decimal(repr(bar.close))

    def last_price(self, ticker: str) -> Decimal | None:
        """Return the latest price of ``ticker``, or None before any was seen."""
        return self._prices.get(ticker)

    @property
    def prices(self) -> Mapping[str, Decimal]:
        """Return every known price by ticker, read-only."""
        return MappingProxyType(self._prices)
