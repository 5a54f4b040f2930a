"""A local HTTP server that speaks Alpaca's v2 trading REST API, and its historical bars, for tests.

alpaca-py's ``TradingClient`` and ``StockHistoricalDataClient`` talk to it over real HTTP when
given ``url_override=server.url``. Behind it is a small cash account (``alpaca_account``) that
fills market orders at once at prices the test sets; it checks the API key headers, and can be
told to hold orders open, to answer the next requests with 5xx or 429, or to mangle their
answers::

    with LocalAlpacaServer() as server:
        server.set_price("AAPL", "187.50")
        client = TradingClient("test-key", "test-secret", url_override=server.url)
        ...
        assert server.received_orders[0]["client_order_id"] == "tb-1"
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from trading_bot.adapters.brokers.alpaca import AlpacaConfig
from trading_bot.adapters.clocks import WallClock
from trading_bot.core.model import Bar
from trading_bot.core.ports import Clock, MarketHours
from trading_bot.testing import alpaca_shapes as shapes
from trading_bot.testing.alpaca_account import (
    ORDER_NOT_FOUND,
    Reply,
    SimulatedAlpacaAccount,
    UpdateListener,
)
from trading_bot.testing.alpaca_shapes import OPEN_STATUSES

__all__ = ["LocalAlpacaServer"]

Query = dict[str, list[str]]
Route = Callable[[re.Match[str], Query, dict[str, Any]], Reply]

UNAUTHORIZED = shapes.error(40110000, "request is not authorized")


@dataclass(frozen=True, slots=True)
class _Failure:
    status: int
    body: dict[str, Any]
    retry_after: int | None
    after_handling: bool
    raw: bytes | None = None
    """Bytes sent instead of ``body`` (a mangled answer)."""


class LocalAlpacaServer:
    """An Alpaca account on 127.0.0.1 with a free port, served from a background thread."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        secret_key: str = "test-secret",  # noqa: S107 - a fixture key for a local test server
        cash: Decimal = Decimal(100_000),
        shorting_enabled: bool = False,
        clock: Clock | None = None,
        hours: MarketHours | None = None,
        bars_page_size: int = 10_000,
    ) -> None:
        self.api_key = api_key
        self.secret_key = secret_key
        self.bars_page_size = bars_page_size
        self._clock = clock or WallClock()
        self._hours = hours
        self._account = SimulatedAlpacaAccount(cash, self._clock, shorting_enabled=shorting_enabled)
        self._market_open = True
        self._bars: list[Bar] = []
        self._failures: list[_Failure] = []
        self._received_orders: list[dict[str, Any]] = []
        self._requests: list[tuple[str, str, Query]] = []
        self._lock = threading.Lock()
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern[str], Route]] = [
            ("GET", re.compile(r"/v2/account"), self._get_account),
            ("GET", re.compile(r"/v2/clock"), self._get_clock),
            ("POST", re.compile(r"/v2/orders"), self._post_order),
            ("GET", re.compile(r"/v2/orders"), self._list_orders),
            ("GET", re.compile(r"/v2/orders:by_client_order_id"), self._get_by_client_id),
            ("GET", re.compile(r"/v2/orders/(?P<id>[^/]+)"), self._get_order),
            ("DELETE", re.compile(r"/v2/orders/(?P<id>[^/]+)"), self._cancel_order),
            ("GET", re.compile(r"/v2/positions"), self._list_positions),
            ("GET", re.compile(r"/v2/positions/(?P<symbol>[^/]+)"), self._get_position),
            ("GET", re.compile(r"/v2/stocks/bars"), self._get_bars),
        ]

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalAlpacaServer:
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        self._http = _HttpServer(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.02},  # how soon stop() is noticed
            name="local-alpaca",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalAlpacaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the base URL to pass as alpaca-py's ``url_override``."""
        if self._http is None:
            raise RuntimeError("the server is not started")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def broker_config(self, **overrides: Any) -> AlpacaConfig:
        """Return an ``AlpacaBroker`` configuration for this server: its keys and URL, and no
        retries unless ``overrides`` (any other ``AlpacaConfig`` field) say otherwise."""
        settings: dict[str, Any] = {
            "api_key": SecretStr(self.api_key),
            "secret_key": SecretStr(self.secret_key),
            "url_override": self.url,
            "max_retries": 0,
            **overrides,
        }
        return AlpacaConfig.model_validate(settings)

    # -- what a test sets up ---------------------------------------------------------------

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        """Set the price orders in ``symbol`` fill at; open limit orders it reaches fill now."""
        with self._lock:
            self._account.set_price(symbol, Decimal(price))

    def hold_orders(self, hold: bool = True) -> None:
        """Leave new orders ``accepted`` instead of filling them, for pending scenarios."""
        with self._lock:
            self._account.hold = hold

    def set_market_open(self, is_open: bool) -> None:
        """Say whether ``/v2/clock`` reports the market open (when no calendar was given)."""
        with self._lock:
            self._market_open = is_open

    def add_position(self, symbol: str, qty: Decimal | str, avg_entry_price: Decimal | str) -> None:
        """Pre-load a position (negative ``qty`` for a short); cash moves as if it were traded."""
        with self._lock:
            self._account.add_position(symbol, Decimal(qty), Decimal(avg_entry_price))

    def add_order(
        self,
        symbol: str,
        side: str,
        qty: Decimal | str,
        *,
        limit_price: Decimal | str | None = None,
        client_order_id: str | None = None,
        status: str = "new",
    ) -> dict[str, Any]:
        """Pre-load an order as if it had been placed earlier; return its JSON."""
        body: dict[str, Any] = {
            "symbol": symbol,
            "side": side,
            "qty": str(qty),
            "type": "market" if limit_price is None else "limit",
            "time_in_force": "day",
            "limit_price": None if limit_price is None else str(limit_price),
            "client_order_id": client_order_id,
        }
        with self._lock:
            return copy.deepcopy(self._account.add_order(body, status))

    def fill_order(
        self, order_id: str, qty: Decimal | str | None = None, price: Decimal | str | None = None
    ) -> dict[str, Any]:
        """Fill ``qty`` more of an open order (the rest by default) at ``price`` or the set one."""
        with self._lock:
            order = self._account.fill(
                order_id,
                None if qty is None else Decimal(qty),
                None if price is None else Decimal(price),
            )
            return copy.deepcopy(order)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        code: int | None = None,
        message: str = "internal server error",
        retry_after: int | None = None,
        after_handling: bool = False,
    ) -> None:
        """Answer the next ``count`` authenticated requests with ``status`` and an error body.

        With ``after_handling`` each request is carried out first and only its answer is lost,
        as when a connection drops after the server acted.
        """
        body = shapes.error(code if code is not None else status * 100_000, message)
        failure = _Failure(status, body, retry_after, after_handling)
        with self._lock:
            self._failures.extend(failure for _ in range(count))

    def garble_next(self, count: int = 1) -> None:
        """Carry out the next ``count`` authenticated requests but answer each with a 200 whose
        body is cut short (not JSON), as a proxy that mangles answers would."""
        failure = _Failure(200, {}, None, after_handling=True, raw=b'{"id": "cut sho')
        with self._lock:
            self._failures.extend(failure for _ in range(count))

    def on_trade_update(self, listener: UpdateListener | None) -> None:
        """Tell ``listener`` every order change, as the trade-updates stream reports it (it is
        called on the server's thread: ``alpaca_trade_stream`` hands it to its event loop)."""
        with self._lock:
            self._account.on_update = listener

    def add_bars(self, bars: Iterable[Bar]) -> None:
        """Serve ``bars`` from ``/v2/stocks/bars``."""
        with self._lock:
            self._bars.extend(bars)
            self._bars.sort(key=lambda b: (b.ticker, b.timestamp))

    # -- what a test inspects --------------------------------------------------------------

    @property
    def received_orders(self) -> list[dict[str, Any]]:
        """Return the bodies of every order POSTed, in arrival order (refused ones included)."""
        with self._lock:
            return copy.deepcopy(self._received_orders)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Return (method, path) of every request received, failed ones included."""
        with self._lock:
            return [(method, path) for method, path, _ in self._requests]

    @property
    def queries(self) -> list[tuple[str, str, Query]]:
        """Return (method, path, query parameters as parsed) of every request received."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def orders(self) -> list[dict[str, Any]]:
        """Return every order the account holds, as Alpaca would send it, each followed by the
        bracket legs of it that filled (orders executed at the broker in their own right)."""
        with self._lock:
            executed = []
            for order in self._account.orders.values():
                executed.append(order)
                executed.extend(leg for leg in order["legs"] or [] if leg["status"] == "filled")
            return copy.deepcopy(executed)

    @property
    def cash(self) -> Decimal:
        """Return the account's cash."""
        with self._lock:
            return self._account.ledger.cash

    # -- request handling ------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: Query, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: (status, JSON body, bytes to send as they are, or None; extra
        headers)."""
        with self._lock:
            self._requests.append((method, path, query))
            if (
                headers.get("apca-api-key-id") != self.api_key
                or headers.get("apca-api-secret-key") != self.secret_key
            ):
                return 401, UNAUTHORIZED, {}
            failure = self._failures.pop(0) if self._failures else None
            if failure is None or failure.after_handling:
                status, reply = self._route(method, path, query, body)
                if failure is None:
                    return status, copy.deepcopy(reply), {}
            extra = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
            return failure.status, failure.body if failure.raw is None else failure.raw, extra

    def _route(self, method: str, path: str, query: Query, body: bytes) -> Reply:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, shapes.error(40010000, "request body format is invalid")
        for route_method, pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if route_method == method and match:
                return route(match, query, payload)
        return 404, shapes.error(40410000, "endpoint not found")

    def _get_account(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        return 200, self._account.account()

    def _get_clock(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        now = self._clock.now()
        if self._hours is None:
            return 200, shapes.clock(now, is_open=self._market_open, next_open=now, next_close=now)
        return 200, shapes.clock(
            now,
            is_open=self._hours.is_open(now),
            next_open=self._hours.next_open(now),
            next_close=self._hours.next_close(now),
        )

    def _post_order(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        self._received_orders.append(copy.deepcopy(body))
        return self._account.submit(body)

    def _list_orders(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        wanted = _first(query, "status", "open")
        symbols = set(_first(query, "symbols", "").split(",")) - {""}
        orders = [
            o
            for o in self._account.orders.values()
            if (wanted == "all" or (o["status"] in OPEN_STATUSES) == (wanted == "open"))
            and (not symbols or o["symbol"] in symbols)
        ]
        if _first(query, "direction", "desc") == "desc":
            orders.reverse()
        return 200, orders[: int(_first(query, "limit", "50"))]

    def _get_by_client_id(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        return self._account.by_client_id(_first(query, "client_order_id", ""))

    def _get_order(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        order = self._account.find(match["id"])
        return (200, order) if order else (404, ORDER_NOT_FOUND)

    def _cancel_order(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        return self._account.cancel(match["id"])

    def _list_positions(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        return 200, self._account.positions()

    def _get_position(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        position = self._account.position(match["symbol"])
        if position is None:
            return 404, shapes.error(40410000, "position does not exist")
        return 200, position

    def _get_bars(self, match: re.Match[str], query: Query, body: dict[str, Any]) -> Reply:
        symbols = set(_first(query, "symbols", "").split(",")) - {""}
        start = _time(_first(query, "start", ""))
        end = _time(_first(query, "end", ""))
        selected = [
            b
            for b in self._bars
            if b.ticker in symbols
            and (start is None or b.timestamp >= start)
            and (end is None or b.timestamp <= end)
        ]
        offset = int(_first(query, "page_token", "0"))
        limit = min(int(_first(query, "limit", "10000")), self.bars_page_size)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for item in selected[offset : offset + limit]:
            grouped.setdefault(item.ticker, []).append(shapes.bar(item))
        more = offset + limit < len(selected)
        return 200, {"bars": grouped, "next_page_token": str(offset + limit) if more else None}


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], app: LocalAlpacaServer
    ) -> None:
        super().__init__(address, handler)
        self.app = app


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    # Keep-alive, as Alpaca's API answers: a client reuses its connection between requests.
    # Headers and body go out in separate writes, so without TCP_NODELAY each answer on a
    # kept-alive connection would wait for the client's delayed ACK (Nagle's algorithm).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, extra = self.server.app.handle(
            method, parts.path, parse_qs(parts.query), headers, body
        )
        if isinstance(payload, bytes):
            data = payload
        else:
            data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; ``LocalAlpacaServer.requests`` records what arrived."""


def _first(query: Query, name: str, default: str) -> str:
    values = query.get(name)
    return values[0] if values else default


def _time(text: str) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
