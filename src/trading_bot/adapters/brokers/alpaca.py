"""The Alpaca broker: alpaca-py's ``TradingClient`` behind the ``Broker`` port, paper or live.

alpaca-py is synchronous, so every call runs in a worker thread. Network errors, timeouts, 5xx
and 429 are retried with exponential backoff and jitter, then raised as
``BrokerUnavailableError``; Alpaca's refusals become the matching ``core.errors``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.models import Order as AlpacaOrder
from alpaca.trading.models import Position as AlpacaPosition
from alpaca.trading.models import TradeAccount
from alpaca.trading.requests import GetOrdersRequest
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from trading_bot.adapters.brokers.alpaca_mapping import (
    NotFoundError,
    is_transient,
    to_account,
    to_alpaca_order,
    to_order_result,
    to_position,
    translate_error,
)
from trading_bot.core.errors import BrokerError, BrokerUnavailableError, DuplicateOrderError
from trading_bot.core.model import Account, OrderRequest, OrderResult, Position

__all__ = ["AlpacaBroker", "AlpacaConfig"]

_log = structlog.stdlib.get_logger(__name__)
_T = TypeVar("_T")


class AlpacaConfig(BaseModel):
    """How to reach the Alpaca trading API and how hard to try."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr = Field(description="Alpaca API key id")
    secret_key: SecretStr = Field(description="Alpaca API secret key")
    paper: bool = Field(default=True, description="use the paper-trading endpoint; default yes")
    url_override: str | None = Field(
        default=None, description="base URL instead of Alpaca's (a proxy or a local test server)"
    )
    max_retries: int = Field(
        default=4, ge=0, le=10, description="retries after a network error, 5xx or 429; default 4"
    )
    backoff_seconds: float = Field(
        default=0.5, gt=0, description="first wait before a retry, doubled each time; default 0.5"
    )
    backoff_max_seconds: float = Field(
        default=8.0, gt=0, description="longest wait between two retries; default 8"
    )
    jitter_seconds: float = Field(
        default=0.5, ge=0, description="random extra wait added to each retry; default 0.5"
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, description="a request taking longer counts as failed; default 10"
    )


class _TransientError(Exception):
    """A failure worth retrying (network, timeout, 5xx, 429)."""


@dataclass(slots=True)
class _Attempts:
    count: int = 0


class AlpacaBroker:
    """A ``core.ports.Broker`` on Alpaca's trading API."""

    name = "alpaca"

    def __init__(self, config: AlpacaConfig) -> None:
        self._config = config
        self._client = TradingClient(
            api_key=config.api_key.get_secret_value(),
            secret_key=config.secret_key.get_secret_value(),
            paper=config.paper,
            url_override=config.url_override,
        )
        # alpaca-py retries 429 itself, sleeping 3 s in the worker thread between tries; ours is
        # the one retry policy (backoff with jitter, bounded), so its own is switched off.
        self._client._retry = 0

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Place ``order``; a retry that finds its own earlier attempt placed returns that order."""
        request = to_alpaca_order(order)
        attempts = _Attempts()
        try:
            placed = await self._call(
                "submit an order",
                lambda: self._client.submit_order(request),
                submitting=True,
                attempts=attempts,
            )
        except DuplicateOrderError:
            if attempts.count > 1:
                # An earlier attempt reached Alpaca although its answer was lost.
                existing = await self.get_order_by_client_id(order.client_order_id)
                if existing is not None:
                    return existing
            raise
        result = to_order_result(_expect(placed, AlpacaOrder))
        _log.info(
            "alpaca order placed",
            client_order_id=order.client_order_id,
            broker_order_id=result.broker_order_id,
            status=result.status,
        )
        return result

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order; an order already final is left as it is."""
        try:
            await self._call(
                "cancel an order", lambda: self._client.cancel_order_by_id(broker_order_id)
            )
        except NotFoundError:
            raise
        except BrokerError:
            current = await self.get_order(broker_order_id)
            if not current.status.is_final:
                raise

    async def get_order(self, broker_order_id: str) -> OrderResult:
        """Return one order by Alpaca's id."""
        found = await self._call(
            "get an order", lambda: self._client.get_order_by_id(broker_order_id)
        )
        return to_order_result(_expect(found, AlpacaOrder))

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None:
        """Return the order placed with ``client_order_id``, or None."""
        try:
            found = await self._call(
                "find an order", lambda: self._client.get_order_by_client_id(client_order_id)
            )
        except NotFoundError:
            return None
        return to_order_result(_expect(found, AlpacaOrder))

    async def list_open_orders(self) -> list[OrderResult]:
        """Return the orders Alpaca still works on (up to 500, newest first)."""
        query = GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500, nested=True)
        found = await self._call("list open orders", lambda: self._client.get_orders(query))
        results = []
        for order in _expect(found, list):
            try:
                results.append(to_order_result(_expect(order, AlpacaOrder)))
            except (BrokerError, ValidationError) as exc:
                _log.warning("alpaca order skipped", reason=str(exc))
        return results

    async def get_positions(self) -> list[Position]:
        """Return the open positions as Alpaca reports them."""
        found = await self._call("list positions", self._client.get_all_positions)
        positions = []
        for position in _expect(found, list):
            try:
                positions.append(to_position(_expect(position, AlpacaPosition)))
            except (BrokerError, ValidationError, ArithmeticError) as exc:
                _log.warning("alpaca position skipped", reason=str(exc))
        return positions

    async def get_account(self) -> Account:
        """Return cash, equity and buying power."""
        found = await self._call("read the account", self._client.get_account)
        return to_account(_expect(found, TradeAccount))

    async def _call(
        self,
        what: str,
        call: Callable[[], _T],
        *,
        submitting: bool = False,
        attempts: _Attempts | None = None,
    ) -> _T:
        counter = attempts or _Attempts()

        async def attempt() -> _T:
            counter.count += 1
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(call), timeout=self._config.timeout_seconds
                )
            except APIError as exc:
                if is_transient(exc):
                    raise _TransientError(f"HTTP {exc.status_code}: {exc}") from exc
                raise translate_error(exc, submitting=submitting) from exc
            except (TimeoutError, OSError) as exc:
                raise _TransientError(f"{type(exc).__name__}: {exc}") from exc

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.max_retries + 1),
            wait=wait_exponential_jitter(
                multiplier=self._config.backoff_seconds,
                max=self._config.backoff_max_seconds,
                jitter=self._config.jitter_seconds,
            ),
            retry=retry_if_exception_type(_TransientError),
            before_sleep=_log_retry(what),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _TransientError as exc:
            raise BrokerUnavailableError(
                f"Alpaca did not answer to {what} after {counter.count} attempts: {exc}"
            ) from exc


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        _log.warning(
            "alpaca call failed, retrying",
            call=what,
            attempt=state.attempt_number,
            error=str(state.outcome.exception()) if state.outcome else "",
        )

    return log


def _expect(value: Any, kind: type[_T]) -> _T:
    if not isinstance(value, kind):
        raise BrokerError(f"Alpaca answered {type(value).__name__}, expected {kind.__name__}")
    return value
