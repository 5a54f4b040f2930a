"""One exception tree, grouped by what the operator must do.

    TradingBotError
    ├── ConfigurationError        fix a setting and restart
    ├── DataError                 bad input; it was refused, the rest goes on
    │   └── MalformedMessageError     a bus message that does not parse or validate
    ├── TemporaryError            retried with backoff; act only if it persists
    │   ├── BusUnavailableError
    │   ├── StorageUnavailableError
    │   └── BrokerUnavailableError    network error, 5xx or 429 from the broker
    └── BrokerError               the broker refused something; look at the reason
        ├── OrderRejectedError
        │   ├── InsufficientBuyingPowerError
        │   └── MarketClosedError
        └── DuplicateOrderError       the client order id was already used

Expected business outcomes (a risk rejection, a signal below threshold) are values, not
exceptions.
"""

from __future__ import annotations


class TradingBotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigurationError(TradingBotError):
    """A setting is missing or unsafe; the process must not start."""


class DataError(TradingBotError):
    """Input was refused because it is malformed or out of range."""


class MalformedMessageError(DataError):
    """A bus message could not be parsed or validated."""


class TemporaryError(TradingBotError):
    """A dependency is unavailable; the operation may succeed if retried."""


class BusUnavailableError(TemporaryError):
    """The event bus cannot be reached."""


class StorageUnavailableError(TemporaryError):
    """The database cannot be reached."""


class BrokerUnavailableError(TemporaryError):
    """The broker cannot be reached or asked us to slow down."""


class BrokerError(TradingBotError):
    """The broker refused a request."""


class OrderRejectedError(BrokerError):
    """The broker rejected an order."""


class InsufficientBuyingPowerError(OrderRejectedError):
    """The account cannot pay for the order."""


class MarketClosedError(OrderRejectedError):
    """The market is closed for this kind of order."""


class DuplicateOrderError(BrokerError):
    """An order with this client order id already exists."""
