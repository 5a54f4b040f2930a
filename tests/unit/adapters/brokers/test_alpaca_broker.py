"""The Alpaca broker against the local Alpaca server: retries, error mapping, order shapes."""

from __future__ import annotations

import asyncio
import gc
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from decimal import Decimal

import pytest
from pydantic import SecretStr

from trading_bot.adapters.brokers.alpaca import AlpacaBroker, AlpacaConfig
from trading_bot.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    ConfigurationError,
    MarketClosedError,
    OrderRejectedError,
)
from trading_bot.core.model import OrderRequest, OrderSide, OrderStatus, OrderType
from trading_bot.testing.alpaca_server import LocalAlpacaServer

D = Decimal


def config_for(url: str, **overrides: object) -> AlpacaConfig:
    settings: dict[str, object] = {
        "api_key": SecretStr("test-key"),
        "secret_key": SecretStr("test-secret"),
        "url_override": url,
        "backoff_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "jitter_seconds": 0.001,
        **overrides,
    }
    return AlpacaConfig.model_validate(settings)


@pytest.fixture
def server() -> Iterator[LocalAlpacaServer]:
    with LocalAlpacaServer() as running:
        running.set_price("AAPL", "100")
        yield running


@pytest.fixture
async def broker(server: LocalAlpacaServer) -> AsyncIterator[AlpacaBroker]:
    async with aclosing(AlpacaBroker(config_for(server.url))) as opened:
        yield opened


def buy(cid: str = "tb-a-1", qty: str = "10", **extra: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"client_order_id": cid, "ticker": "AAPL", "side": "BUY", "qty": qty, **extra}
    )


def order_posts(server: LocalAlpacaServer) -> int:
    return server.requests.count(("POST", "/v2/orders"))


async def test_alpaca_broker_when_a_500_precedes_success_retries_and_fills(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.fail_next(1, status=500)

    result = await broker.submit_order(buy())

    assert result.status is OrderStatus.FILLED
    assert order_posts(server) == 2


async def test_alpaca_broker_when_rate_limited_retries_after_429(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.fail_next(2, status=429, message="too many requests", retry_after=1)

    account = await broker.get_account()

    assert account.cash == D("100000")
    assert server.requests.count(("GET", "/v2/account")) == 3


async def test_alpaca_broker_when_503_persists_gives_up_with_broker_unavailable(
    server: LocalAlpacaServer,
) -> None:
    server.fail_next(10, status=503, message="service unavailable")

    async with aclosing(AlpacaBroker(config_for(server.url, max_retries=2))) as broker:
        with pytest.raises(BrokerUnavailableError, match="after 3 attempts"):
            await broker.submit_order(buy())

    assert order_posts(server) == 3


async def test_alpaca_broker_when_nothing_listens_raises_broker_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = config_for(f"http://127.0.0.1:{closed_port}", max_retries=1)

    async with aclosing(AlpacaBroker(config)) as broker:
        with pytest.raises(
            BrokerUnavailableError,
            match=rf"after 2 attempts: .*Cannot connect to host 127\.0\.0\.1:{closed_port}",
        ):
            await broker.get_account()


async def test_alpaca_broker_when_the_answer_to_a_submit_was_lost_returns_the_placed_order(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.fail_next(1, status=502, after_handling=True)

    result = await broker.submit_order(buy("tb-lost"))

    assert result.client_order_id == "tb-lost"
    assert result.status is OrderStatus.FILLED
    assert len(server.orders) == 1


async def test_alpaca_broker_when_the_keys_are_wrong_raises_a_configuration_error(
    server: LocalAlpacaServer,
) -> None:
    async with aclosing(
        AlpacaBroker(config_for(server.url, secret_key=SecretStr("wrong")))
    ) as broker:
        with pytest.raises(ConfigurationError, match="TRADING_ALPACA__API_KEY"):
            await broker.get_account()

    assert server.requests == [("GET", "/v2/account")]


async def test_alpaca_broker_when_the_market_is_closed_raises_market_closed(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.fail_next(1, status=403, code=40310000, message="market is closed")

    with pytest.raises(MarketClosedError, match="market is closed"):
        await broker.submit_order(buy())


async def test_alpaca_broker_when_alpaca_rejects_an_order_keeps_its_message(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    with pytest.raises(OrderRejectedError, match='asset "ZZZZ" not found'):
        await broker.submit_order(buy().model_copy(update={"ticker": "ZZZZ"}))

    assert order_posts(server) == 1


async def test_alpaca_broker_sends_a_day_order_with_our_client_order_id(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    await broker.submit_order(buy("tb-shape", "2.5"))

    sent = server.received_orders[0]
    assert sent["client_order_id"] == "tb-shape"
    assert (sent["symbol"], sent["side"], sent["type"], sent["time_in_force"]) == (
        "AAPL",
        "buy",
        "market",
        "day",
    )
    assert D(str(sent["qty"])) == D("2.5")
    assert "order_class" not in sent


async def test_alpaca_broker_with_stop_and_target_sends_a_bracket_rounded_to_cents(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    result = await broker.submit_order(buy(stop_loss="94.996", take_profit="110.004"))

    sent = server.received_orders[0]
    assert sent["order_class"] == "bracket"
    assert sent["stop_loss"] == {"stop_price": 95.0}
    assert sent["take_profit"] == {"limit_price": 110.0}
    assert (result.stop_loss, result.take_profit) == (D("95"), D("110"))


async def test_alpaca_broker_with_only_a_stop_sends_a_one_triggers_other_order(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    await broker.submit_order(buy(stop_loss="90"))

    assert server.received_orders[0]["order_class"] == "oto"


async def test_alpaca_broker_maps_a_limit_order_to_alpaca_limit_which_waits_for_its_price(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    placed = await broker.submit_order(buy(order_type=OrderType.LIMIT, limit_price="99.5"))
    server.set_price("AAPL", "99")

    later = await broker.get_order(placed.broker_order_id)

    sent = server.received_orders[0]
    assert (sent["type"], sent["limit_price"]) == ("limit", 99.5)
    assert placed.status is OrderStatus.PENDING
    assert (later.status, later.filled_avg_price) == (OrderStatus.FILLED, D("99"))


async def test_alpaca_broker_reports_a_partial_fill_as_partially_filled(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.hold_orders()
    placed = await broker.submit_order(buy(qty="10"))

    server.fill_order(placed.broker_order_id, qty="4", price="101")
    partial = await broker.get_order(placed.broker_order_id)

    assert placed.status is OrderStatus.PENDING
    assert (partial.status, partial.filled_qty, partial.filled_avg_price) == (
        OrderStatus.PARTIALLY_FILLED,
        D("4"),
        D("101"),
    )


async def test_alpaca_broker_cancel_of_a_filled_order_is_harmless(broker: AlpacaBroker) -> None:
    placed = await broker.submit_order(buy())

    await broker.cancel_order(placed.broker_order_id)

    assert (await broker.get_order(placed.broker_order_id)).status is OrderStatus.FILLED


async def test_alpaca_broker_when_an_order_id_is_unknown_raises_a_broker_error(
    broker: AlpacaBroker,
) -> None:
    with pytest.raises(BrokerError, match="order not found"):
        await broker.get_order("9b2f8d4e-0c61-4d7a-8e5f-3a1b2c4d5e6f")


async def test_alpaca_broker_reads_a_short_position_with_a_negative_quantity(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.add_position("TSLA", "-3", "250")
    server.set_price("TSLA", "240")

    positions = await broker.get_positions()

    assert [(p.ticker, p.qty, p.avg_entry_price, p.market_price) for p in positions] == [
        ("TSLA", D("-3"), D("250"), D("240"))
    ]


async def test_alpaca_broker_lists_only_open_orders_including_preloaded_ones(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    preloaded = server.add_order("AAPL", "buy", "1", limit_price="50", client_order_id="old")
    await broker.submit_order(buy("tb-filled"))

    open_orders = await broker.list_open_orders()

    assert [(o.broker_order_id, o.client_order_id, o.side) for o in open_orders] == [
        (preloaded["id"], "old", OrderSide.BUY)
    ]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel completes them) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_alpaca_broker_when_no_answer_comes_in_time_gives_up_with_broker_unavailable(
    silent_port: int,
) -> None:
    config = config_for(f"http://127.0.0.1:{silent_port}", max_retries=1, timeout_seconds=0.2)
    started = time.monotonic()

    async with aclosing(AlpacaBroker(config)) as broker:
        with pytest.raises(
            BrokerUnavailableError, match=r"after 2 attempts: TimeoutError: no answer within 0.2 s"
        ):
            await broker.get_account()

    assert time.monotonic() - started >= 0.4  # each attempt waited its full timeout


async def test_alpaca_broker_when_the_answer_to_a_submit_is_mangled_returns_the_placed_order(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    server.garble_next(1)

    result = await broker.submit_order(buy("tb-garbled"))

    assert (result.client_order_id, result.status) == ("tb-garbled", OrderStatus.FILLED)
    assert len(server.orders) == 1  # the retry found the order placed, and placed no other
    assert order_posts(server) == 2


async def test_alpaca_broker_when_every_answer_is_mangled_says_the_body_is_not_json(
    server: LocalAlpacaServer,
) -> None:
    server.garble_next(10)

    async with aclosing(AlpacaBroker(config_for(server.url, max_retries=1))) as broker:
        with pytest.raises(
            BrokerUnavailableError,
            match=r"read the account after 2 attempts: Alpaca answered 200 with a body that is "
            r"not JSON .*'\{\"id\": \"cut sho'",
        ):
            await broker.get_account()


async def test_alpaca_broker_after_aclose_opens_a_new_session_on_the_next_call(
    broker: AlpacaBroker,
) -> None:
    before = await broker.get_account()

    await broker.aclose()
    await broker.aclose()  # closing twice is harmless
    after = await broker.get_account()

    assert after == before


# The first loop ends with the session open: its connection could only have been closed on that
# loop, so its socket is left to the garbage collector, which warns about it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_alpaca_broker_used_from_a_second_event_loop_opens_a_session_there(
    server: LocalAlpacaServer,
) -> None:
    broker = AlpacaBroker(config_for(server.url))

    async def read_cash(*, then_close: bool) -> Decimal:
        cash = (await broker.get_account()).cash
        if then_close:
            await broker.aclose()
        return cash

    first = asyncio.run(read_cash(then_close=False))
    second = asyncio.run(read_cash(then_close=True))
    gc.collect()  # the first loop's socket, warned about here rather than in a later test

    assert first == second == D("100000")
    assert server.requests.count(("GET", "/v2/account")) == 2


async def test_alpaca_broker_asks_alpaca_for_open_orders_with_nested_legs(
    server: LocalAlpacaServer, broker: AlpacaBroker
) -> None:
    await broker.list_open_orders()
    await broker.get_order_by_client_id("tb-q 1")

    assert server.queries == [
        ("GET", "/v2/orders", {"status": ["open"], "limit": ["500"], "nested": ["true"]}),
        ("GET", "/v2/orders:by_client_order_id", {"client_order_id": ["tb-q 1"]}),
    ]


def test_alpaca_broker_with_an_empty_key_refuses_to_be_built() -> None:
    with pytest.raises(ConfigurationError, match="API key id and a secret key"):
        AlpacaBroker(config_for("http://127.0.0.1:9", api_key=SecretStr("")))
