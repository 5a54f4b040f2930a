"""A quote book of the latest trade price per ticker: the paper broker's ``PriceSource``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from trading_bot.core.model import Bar


class LatestPrices:
    """The last close seen per ticker, fed from bars by whoever consumes ``market:bars``.

    The composition root shares one instance between that consumer and the paper broker.
    """

    def __init__(self, initial: Mapping[str, Decimal] | None = None) -> None:
        # A bar's close is kept as the float it came as and turned into a Decimal when asked:
        # prices are written on every bar and read only when an order or the account needs them.
        self._prices: dict[str, Decimal | float] = {}
        for ticker, price in (initial or {}).items():
            self.update(ticker, price)

    def update(self, ticker: str, price: Decimal | float) -> None:
        """Record ``price`` as the latest for ``ticker``; refuse a non-positive or NaN price.

        A float (a bar's close) reads back as its shortest decimal spelling, not the binary
        float's exact value.
        """
        if isinstance(price, float):
            valid = 0.0 < price < math.inf  # False for NaN too
        else:
            valid = price.is_finite() and price > 0
        if not valid:
            raise ValueError(f"price of {ticker} must be finite and positive, got {price}")
        self._prices[ticker] = price

    def update_from_bar(self, bar: Bar) -> None:
        """Record the close of a bar."""
        self._prices[bar.ticker] = bar.close

    def last_price(self, ticker: str) -> Decimal | None:
        """Return the latest price of ``ticker``, or None before any was seen."""
        price = self._prices.get(ticker)
        if price is None or isinstance(price, Decimal):
            return price
        exact = self._prices[ticker] = Decimal(repr(price))
        return exact

    @property
    def prices(self) -> Mapping[str, Decimal]:
        """Return every known price by ticker, read-only."""
        exact: dict[str, Decimal] = {}
        for ticker in list(self._prices):
            price = self.last_price(ticker)
            if price is not None:
                exact[ticker] = price
        return MappingProxyType(exact)
