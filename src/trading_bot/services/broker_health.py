"""Counting the broker's failures: a ``Broker`` that remembers how many calls in a row failed.

The health watch pauses new entries once the broker's API has failed too many calls in a row
and resumes them after one succeeds. A call fails when the broker cannot be reached (a
``TemporaryError``: network, 5xx, 429, after the adapter's own retries); a refusal is an answer,
so it counts as the API working.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from trading_bot.core.errors import BrokerError, TemporaryError
from trading_bot.core.model import Account, OrderRequest, OrderResult, Position
from trading_bot.core.ports import Broker

_T = TypeVar("_T")


class BrokerCallHealth:
    """Consecutive failed calls to the broker, and the latest error."""

    def __init__(self) -> None:
        self.consecutive_failures = 0
        self.last_error = ""

    def succeeded(self) -> None:
        """Record a call the broker answered."""
        self.consecutive_failures = 0

    def failed(self, error: str) -> None:
        """Record a call the broker did not answer."""
        self.consecutive_failures += 1
        self.last_error = error


class MonitoredBroker:
    """A ``core.ports.Broker`` that reports every call's outcome to a ``BrokerCallHealth``."""

    def __init__(self, inner: Broker, health: BrokerCallHealth) -> None:
        self.inner = inner
        self.health = health
        self.name = inner.name

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Place ``order`` (see ``Broker.submit_order``)."""
        return await self._call(lambda: self.inner.submit_order(order))

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an order (see ``Broker.cancel_order``)."""
        await self._call(lambda: self.inner.cancel_order(broker_order_id))

    async def get_order(self, broker_order_id: str) -> OrderResult:
        """Return one order (see ``Broker.get_order``)."""
        return await self._call(lambda: self.inner.get_order(broker_order_id))

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None:
        """Return one order by client id (see ``Broker.get_order_by_client_id``)."""
        return await self._call(lambda: self.inner.get_order_by_client_id(client_order_id))

    async def list_open_orders(self) -> list[OrderResult]:
        """Return the open orders (see ``Broker.list_open_orders``)."""
        return await self._call(self.inner.list_open_orders)

    async def get_positions(self) -> list[Position]:
        """Return the positions (see ``Broker.get_positions``)."""
        return await self._call(self.inner.get_positions)

    async def get_account(self) -> Account:
        """Return the account (see ``Broker.get_account``)."""
        return await self._call(self.inner.get_account)

    async def _call(self, call: Callable[[], Awaitable[_T]]) -> _T:
        try:
            result = await call()
        except TemporaryError as exc:
            self.health.failed(str(exc))
            raise
        except BrokerError:
            self.health.succeeded()  # a refusal is an answer: the API works
            raise
        self.health.succeeded()
        return result
