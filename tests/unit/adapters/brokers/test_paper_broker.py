"""The paper broker's own rules: slippage, commission, limits, shorts, stops, restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.paper import PaperBroker, PaperBrokerConfig
from trading_bot.adapters.brokers.prices import LatestPrices
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import (
    DataError,
    DuplicateOrderError,
    InsufficientBuyingPowerError,
    OrderRejectedError,
)
from trading_bot.core.model import OrderRequest, OrderSide, OrderStatus, OrderType
from trading_bot.testing.key_value import MemoryKeyValueStore

D = Decimal
START = datetime(2024, 1, 2, 15, tzinfo=UTC)


def make_broker(
    prices: LatestPrices | None = None,
    store: MemoryKeyValueStore | None = None,
    clock: SimulatedClock | None = None,
    **config: object,
) -> PaperBroker:
    return PaperBroker(
        PaperBrokerConfig.model_validate(config),
        prices if prices is not None else LatestPrices({"AAPL": D("100")}),
        clock or SimulatedClock(START),
        store if store is not None else MemoryKeyValueStore(),
    )


def order(cid: str, side: str, qty: str, **extra: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"client_order_id": cid, "ticker": "AAPL", "side": side, "qty": qty, **extra}
    )


async def test_paper_broker_when_buying_pays_the_slippage_above_the_market() -> None:
    broker = make_broker()  # default 5 bps

    result = await broker.submit_order(order("b1", "BUY", "10"))

    assert result.filled_avg_price == D("100.05")
    assert (await broker.get_account()).cash == D("100000") - D("1000.50")


async def test_paper_broker_when_selling_receives_the_slippage_below_the_market() -> None:
    broker = make_broker()
    await broker.submit_order(order("b1", "BUY", "10"))

    result = await broker.submit_order(order("s1", "SELL", "10"))

    assert result.filled_avg_price == D("99.95")
    assert await broker.get_positions() == []


async def test_paper_broker_charges_per_share_and_bps_commission_with_a_minimum() -> None:
    broker = make_broker(
        slippage_bps=0, commission_per_share="0.005", commission_bps="1", min_commission="1.50"
    )

    small = await broker.submit_order(order("c1", "BUY", "10"))
    large = await broker.submit_order(order("c2", "BUY", "500"))

    # 10 x 0.005 + 1000 x 0.0001 = 0.15 -> the minimum 1.50
    assert small.commission == D("1.50")
    # 500 x 0.005 + 50000 x 0.0001 = 2.50 + 5.00
    assert large.commission == D("7.50")
    assert (await broker.get_account()).cash == D("100000") - D("51000") - D("9.00")


async def test_paper_broker_when_a_limit_buy_is_below_the_market_fills_later_at_the_limit() -> None:
    prices = LatestPrices({"AAPL": D("100")})
    broker = make_broker(prices, slippage_bps=10)
    placed = await broker.submit_order(
        order("l1", "BUY", "10", order_type=OrderType.LIMIT, limit_price="95")
    )

    prices.update("AAPL", D("94.99"))
    filled = await broker.process_open_orders()

    assert placed.status is OrderStatus.PENDING
    # the slipped price 95.0850 is worse than the limit, so the limit caps it
    assert [(f.status, f.filled_avg_price) for f in filled] == [(OrderStatus.FILLED, D("95"))]
    assert (await broker.get_order(placed.broker_order_id)).status is OrderStatus.FILLED


async def test_paper_broker_reserves_buying_power_for_an_open_limit_buy() -> None:
    broker = make_broker(slippage_bps=0)
    await broker.submit_order(
        order("l1", "BUY", "900", order_type=OrderType.LIMIT, limit_price="90")
    )

    account = await broker.get_account()

    assert account.cash == D("100000")
    assert account.buying_power == D("19000")
    with pytest.raises(InsufficientBuyingPowerError):
        await broker.submit_order(order("m1", "BUY", "200"))


async def test_paper_broker_when_no_price_is_known_refuses_with_a_clear_reason() -> None:
    broker = make_broker(LatestPrices())

    with pytest.raises(OrderRejectedError, match="no price is known for AAPL"):
        await broker.submit_order(order("n1", "BUY", "1"))

    assert await broker.get_order_by_client_id("n1") is None


async def test_paper_broker_when_shorting_is_allowed_opens_a_short_that_uses_buying_power() -> None:
    broker = make_broker(slippage_bps=0, allow_short=True)

    await broker.submit_order(order("s1", "SELL", "10"))

    positions = await broker.get_positions()
    account = await broker.get_account()
    assert [(p.qty, p.avg_entry_price) for p in positions] == [(D("-10"), D("100"))]
    assert account.cash == D("101000")
    assert account.equity == D("100000")
    assert account.buying_power == D("99000")


async def test_paper_broker_when_open_sells_already_cover_the_position_refuses_another() -> None:
    broker = make_broker(slippage_bps=0)
    await broker.submit_order(order("b1", "BUY", "10"))
    await broker.submit_order(
        order("s1", "SELL", "8", order_type=OrderType.LIMIT, limit_price="120")
    )

    with pytest.raises(OrderRejectedError, match="exceeds the 2 held"):
        await broker.submit_order(order("s2", "SELL", "3"))


async def test_paper_broker_records_stop_and_target_on_the_order_and_the_position() -> None:
    broker = make_broker()

    result = await broker.submit_order(order("p1", "BUY", "5", stop_loss="95", take_profit="112"))

    position = (await broker.get_positions())[0]
    assert (result.stop_loss, result.take_profit) == (D("95"), D("112"))
    assert (position.stop_loss, position.take_profit) == (D("95"), D("112"))
    assert position.opened_at == START


async def test_paper_broker_when_the_position_closes_forgets_its_stops() -> None:
    broker = make_broker()
    await broker.submit_order(order("p1", "BUY", "5", stop_loss="95"))
    await broker.submit_order(order("p2", "SELL", "5"))

    await broker.submit_order(order("p3", "BUY", "1"))

    assert (await broker.get_positions())[0].stop_loss is None


async def test_paper_broker_when_restarted_resumes_cash_positions_and_orders() -> None:
    store = MemoryKeyValueStore()
    prices = LatestPrices({"AAPL": D("100")})
    first = make_broker(prices, store)
    await first.submit_order(order("r1", "BUY", "10", stop_loss="90"))
    pending = await first.submit_order(
        order("r2", "BUY", "1", order_type=OrderType.LIMIT, limit_price="50")
    )

    second = await PaperBroker.restore(PaperBrokerConfig(), prices, SimulatedClock(START), store)

    assert await second.get_account() == await first.get_account()
    assert await second.get_positions() == await first.get_positions()
    assert [o.broker_order_id for o in await second.list_open_orders()] == [pending.broker_order_id]
    with pytest.raises(DuplicateOrderError):
        await second.submit_order(order("r1", "BUY", "1"))


async def test_paper_broker_saves_the_account_after_every_change() -> None:
    store = MemoryKeyValueStore()
    broker = make_broker(store=store)

    await broker.submit_order(order("w1", "BUY", "1"))
    await broker.submit_order(order("w2", "BUY", "1", order_type=OrderType.LIMIT, limit_price="1"))
    await broker.cancel_order((await broker.list_open_orders())[0].broker_order_id)

    assert store.writes == 3
    saved = json.loads(store.values["broker:paper:state"])
    assert [o["result"]["status"] for o in saved["orders"]] == ["FILLED", "CANCELLED"]


async def test_paper_broker_remembers_only_the_newest_finished_orders_and_every_open_one() -> None:
    store = MemoryKeyValueStore()
    broker = make_broker(store=store, max_finished_orders=2)
    waiting = await broker.submit_order(
        order("k0", "BUY", "1", order_type=OrderType.LIMIT, limit_price="1")
    )
    for cid in ("k1", "k2", "k3"):
        await broker.submit_order(order(cid, "BUY", "1"))

    remembered = [await broker.get_order_by_client_id(c) for c in ("k0", "k1", "k2", "k3")]

    assert [r.client_order_id if r else None for r in remembered] == ["k0", None, "k2", "k3"]
    saved = json.loads(store.values["broker:paper:state"])
    assert [o["request"]["client_order_id"] for o in saved["orders"]] == ["k0", "k2", "k3"]
    assert [o.broker_order_id for o in await broker.list_open_orders()] == [waiting.broker_order_id]


@pytest.mark.parametrize(
    "stored",
    ["not json", json.dumps({"version": 1}), json.dumps({"version": 7, "ledger": {}})],
)
async def test_paper_broker_when_the_saved_state_is_malformed_refuses_to_start_and_keeps_it(
    stored: str,
) -> None:
    store = MemoryKeyValueStore({"broker:paper:state": stored})
    broker = make_broker(store=store)

    with pytest.raises(DataError, match="malformed"):
        await broker.start()

    with pytest.raises(DataError):
        await broker.get_account()
    assert store.values["broker:paper:state"] == stored
    assert store.writes == 0


async def test_paper_broker_fill_times_come_from_the_injected_clock() -> None:
    clock = SimulatedClock(START)
    broker = make_broker(clock=clock)
    await clock.advance(90)

    result = await broker.submit_order(order("t1", "BUY", "1"))

    assert result.submitted_at == result.filled_at == datetime(2024, 1, 2, 15, 1, 30, tzinfo=UTC)


async def test_paper_broker_when_shorting_was_turned_off_cancels_an_uncovered_limit_sell() -> None:
    store = MemoryKeyValueStore()
    prices = LatestPrices({"AAPL": D("100")})
    before = make_broker(prices, store, slippage_bps=0, allow_short=True)
    await before.submit_order(order("b1", "BUY", "10"))
    limit_sell = await before.submit_order(
        order("s1", "SELL", "10", order_type=OrderType.LIMIT, limit_price="105")
    )
    await before.submit_order(order("s2", "SELL", "5"))
    after = make_broker(prices, store, slippage_bps=0, allow_short=False)

    prices.update("AAPL", D("106"))

    assert await after.process_open_orders() == []
    cancelled = await after.get_order(limit_sell.broker_order_id)
    assert (cancelled.status, cancelled.reason) == (
        OrderStatus.CANCELLED,
        "the position no longer covers this sell",
    )
    assert [p.qty for p in await after.get_positions()] == [D("5")]


def test_paper_broker_config_refuses_negative_costs() -> None:
    with pytest.raises(ValueError, match="greater than or equal"):
        PaperBrokerConfig(slippage_bps=D(-1))


async def test_paper_broker_order_side_and_ids_are_stable_for_a_client_order_id() -> None:
    first = make_broker()
    second = make_broker()

    a = await first.submit_order(order("same", "BUY", "1"))
    b = await second.submit_order(order("same", "BUY", "1"))

    assert a.broker_order_id == b.broker_order_id
    assert a.side is OrderSide.BUY
