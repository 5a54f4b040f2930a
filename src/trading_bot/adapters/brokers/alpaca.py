"""The Alpaca broker: Alpaca's trading API behind the ``Broker`` port, paper or live.

alpaca-py's ``TradingClient`` is synchronous (requests): run in a worker thread, each call cost
about 1 ms of CPU, and the trade executor makes some seven calls per order. So requests go out
on our own event loop through one aiohttp session with keep-alive (``alpaca_http``), at about a
quarter of that. alpaca-py still shapes both ends: its request models write the bodies and
queries, and its response models parse every answer, so the mapping reads alpaca-py's ``Order``,
``Position`` and ``TradeAccount`` as before.

Network errors, timeouts, a mangled answer, 5xx and 429 are retried with exponential backoff and
jitter, then raised as ``BrokerUnavailableError``; Alpaca's refusals become the matching
``core.errors``. ``aclose()`` closes the session (whoever builds the broker calls it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import aiohttp
import structlog
from alpaca.common.utils import validate_uuid_id_param
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.models import Order as AlpacaOrder
from alpaca.trading.models import Position as AlpacaPosition
from alpaca.trading.models import TradeAccount
from alpaca.trading.requests import GetOrdersRequest
from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from trading_bot.adapters.brokers.alpaca_http import (
    AlpacaBodyError,
    AlpacaHttp,
    AlpacaHttpError,
    query_params,
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
from trading_bot.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    ConfigurationError,
    DuplicateOrderError,
)
from trading_bot.core.model import Account, OrderRequest, OrderResult, Position

__all__ = ["AlpacaBroker", "AlpacaConfig"]

_log = structlog.stdlib.get_logger(__name__)
_T = TypeVar("_T")

_ORDERS: Final = TypeAdapter(list[AlpacaOrder])
_POSITIONS: Final = TypeAdapter(list[AlpacaPosition])
_OPEN_ORDERS: Final = query_params(
    GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500, nested=True).to_request_fields()
)
"""The query of ``list_open_orders``: up to 500 open orders, bracket legs nested in theirs."""


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
    """A failure worth retrying (network, timeout, a mangled answer, 5xx, 429)."""


@dataclass(slots=True)
class _Attempts:
    count: int = 0


class AlpacaBroker:
    """A ``core.ports.Broker`` on Alpaca's trading API; ``aclose()`` it when done (or open it
    with ``contextlib.aclosing``)."""

    name = "alpaca"

    def __init__(self, config: AlpacaConfig) -> None:
        if not config.api_key.get_secret_value() or not config.secret_key.get_secret_value():
            # alpaca-py's TradingClient refused empty keys when built; so does the broker.
            raise ConfigurationError("Alpaca needs both an API key id and a secret key")
        self._config = config
        self._http = AlpacaHttp(
            api_key=config.api_key.get_secret_value(),
            secret_key=config.secret_key.get_secret_value(),
            paper=config.paper,
            url_override=config.url_override,
            timeout_seconds=config.timeout_seconds,
        )

    async def aclose(self) -> None:
        """Close the HTTP session; a call made afterwards opens a new one."""
        await self._http.aclose()

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Place ``order``; a retry that finds its own earlier attempt placed returns that order."""
        # alpaca-py's body, as ``TradingClient.submit_order`` sends it.
        body = to_alpaca_order(order).to_request_fields()
        attempts = _Attempts()
        try:
            placed = await self._call(
                "submit an order",
                lambda: self._http.request("POST", "/orders", body=body),
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
        result = to_order_result(AlpacaOrder(**_expect(placed, dict)))
        _log.info(
            "alpaca order placed",
            client_order_id=order.client_order_id,
            broker_order_id=result.broker_order_id,
            status=result.status,
        )
        return result

    async def cancel_order(self, broker_order_id: str) -> None:
        """Cancel an open order; an order already final is left as it is."""
        path = _order_path(broker_order_id)
        try:
            await self._call("cancel an order", lambda: self._http.request("DELETE", path))
        except NotFoundError:
            raise
        except BrokerError:
            current = await self.get_order(broker_order_id)
            if not current.status.is_final:
                raise

    async def get_order(self, broker_order_id: str) -> OrderResult:
        """Return one order by Alpaca's id."""
        path = _order_path(broker_order_id)
        found = await self._call("get an order", lambda: self._http.request("GET", path))
        return to_order_result(AlpacaOrder(**_expect(found, dict)))

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None:
        """Return the order placed with ``client_order_id``, or None."""
        params = {"client_order_id": client_order_id}
        try:
            found = await self._call(
                "find an order",
                lambda: self._http.request("GET", "/orders:by_client_order_id", params=params),
            )
        except NotFoundError:
            return None
        return to_order_result(AlpacaOrder(**_expect(found, dict)))

    async def list_open_orders(self) -> list[OrderResult]:
        """Return the orders Alpaca still works on (up to 500, newest first)."""
        found = await self._call(
            "list open orders", lambda: self._http.request("GET", "/orders", params=_OPEN_ORDERS)
        )
        results = []
        for order in _ORDERS.validate_python(found):
            try:
                results.append(to_order_result(order))
            except (BrokerError, ValidationError) as exc:
                _log.warning("alpaca order skipped", reason=str(exc))
        return results

    async def get_positions(self) -> list[Position]:
        """Return the open positions as Alpaca reports them."""
        found = await self._call("list positions", lambda: self._http.request("GET", "/positions"))
        positions = []
        for position in _POSITIONS.validate_python(found):
            try:
                positions.append(to_position(position))
            except (BrokerError, ValidationError, ArithmeticError) as exc:
                _log.warning("alpaca position skipped", reason=str(exc))
        return positions

    async def get_account(self) -> Account:
        """Return cash, equity and buying power."""
        found = await self._call("read the account", lambda: self._http.request("GET", "/account"))
        return to_account(TradeAccount(**_expect(found, dict)))

    async def _call(
        self,
        what: str,
        call: Callable[[], Awaitable[Any]],
        *,
        submitting: bool = False,
        attempts: _Attempts | None = None,
    ) -> Any:
        counter = attempts or _Attempts()

        async def attempt() -> Any:
            counter.count += 1
            try:
                return await call()
            except AlpacaHttpError as exc:
                if is_transient(exc.status):
                    raise _TransientError(str(exc)) from exc
                raise translate_error(exc.status, exc.body, submitting=submitting) from exc
            except AlpacaBodyError as exc:
                # A mangled answer is a lost one: asking again is safe, and a submit that did
                # reach Alpaca is found again through the duplicate client order id.
                raise _TransientError(str(exc)) from exc
            except TimeoutError as exc:
                raise _TransientError(
                    f"TimeoutError: no answer within {self._config.timeout_seconds:g} s"
                ) from exc
            except (aiohttp.ClientError, OSError) as exc:
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


def _order_path(broker_order_id: str) -> str:
    # alpaca-py's check: an id that is no UUID raises ValueError before anything is sent, and
    # nothing but a UUID ends up in the path.
    return f"/orders/{validate_uuid_id_param(broker_order_id, 'order_id')}"


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
