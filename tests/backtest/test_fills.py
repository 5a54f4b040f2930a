"""The simulated broker's fill models: next open or close, slippage, commissions, volume cap."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from trading_bot.adapters.brokers.paper_pricing import PaperBrokerConfig
from trading_bot.adapters.brokers.simulated import (
    FillModel,
    Remainder,
    SimulatedBroker,
    SimulatedBrokerConfig,
)
from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.core.errors import (
    DuplicateOrderError,
    InsufficientBuyingPowerError,
    OrderRejectedError,
)
from trading_bot.core.model import Bar, OrderRequest, OrderSide, OrderStatus
from trading_bot.testing.bar_series import DEFAULT_START

T0 = DEFAULT_START


def bar(minute: int, *, open_: float, close: float, volume: float = 10_000.0) -> Bar:
    """Return the AAPL bar opening ``minute`` minutes after T0."""
    return Bar(
        ticker="AAPL",
        timestamp=T0 + timedelta(minutes=minute),
        open=open_,
        high=max(open_, close) + 1,
        low=min(open_, close) - 1,
        close=close,
        volume=volume,
    )


def order(side: OrderSide = OrderSide.BUY, qty: str = "10", key: str = "a") -> OrderRequest:
    return OrderRequest(client_order_id=f"tb-{key}", ticker="AAPL", side=side, qty=Decimal(qty))


def broker(
    fill: FillModel = FillModel.NEXT_OPEN,
    *,
    slippage_bps: str = "0",
    per_share: str = "0",
    bps: str = "0",
    cash: str = "100000",
    volume_cap: str | None = None,
    remainder: Remainder = Remainder.CANCEL,
) -> tuple[SimulatedBroker, SimulatedClock]:
    clock = SimulatedClock(T0)
    config = SimulatedBrokerConfig(
        account=PaperBrokerConfig(
            starting_cash=Decimal(cash),
            slippage_bps=Decimal(slippage_bps),
            commission_per_share=Decimal(per_share),
            commission_bps=Decimal(bps),
        ),
        fill=fill,
        volume_cap=None if volume_cap is None else Decimal(volume_cap),
        remainder=remainder,
    )
    return SimulatedBroker(config, clock), clock


async def closed(sim: SimulatedBroker, clock: SimulatedClock, item: Bar) -> None:
    """Open and close ``item`` as the replay does, the clock at each moment."""
    await clock.advance_to(max(clock.now(), item.timestamp))
    sim.on_bar_open(item)
    await clock.advance_to(item.closes_at)
    sim.on_bar_close(item)


async def test_next_open_fill_when_the_next_bar_opens_fills_at_its_open() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN)
    await closed(sim, clock, bar(0, open_=100.0, close=101.0))

    placed = await sim.submit_order(order())
    await clock.advance_to(T0 + timedelta(minutes=1))
    changed = sim.on_bar_open(bar(1, open_=103.0, close=99.0))

    assert placed.status is OrderStatus.PENDING
    assert [r.status for r in changed] == [OrderStatus.FILLED]
    assert changed[0].filled_avg_price == Decimal("103")
    assert changed[0].filled_at == T0 + timedelta(minutes=1)
    assert sim.ledger.position_qty("AAPL") == Decimal(10)


async def test_next_open_fill_when_another_ticker_opens_leaves_the_order_waiting() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN)
    await closed(sim, clock, bar(0, open_=100.0, close=101.0))
    await sim.submit_order(order())

    other = bar(1, open_=50.0, close=51.0).model_copy(update={"ticker": "MSFT"})
    changed = sim.on_bar_open(other)

    assert changed == []
    assert [o.status for o in await sim.list_open_orders()] == [OrderStatus.PENDING]


async def test_close_fill_when_an_order_arrives_fills_at_once_at_the_latest_close() -> None:
    sim, clock = broker(FillModel.CLOSE)
    await closed(sim, clock, bar(0, open_=100.0, close=101.5))

    placed = await sim.submit_order(order())

    assert placed.status is OrderStatus.FILLED
    assert placed.filled_avg_price == Decimal("101.5")
    assert placed.filled_at == bar(0, open_=100.0, close=101.5).closes_at


@pytest.mark.parametrize(
    ("side", "expected"),
    [(OrderSide.BUY, Decimal("100.1000")), (OrderSide.SELL, Decimal("99.9000"))],
)
async def test_slippage_when_filling_moves_the_price_against_the_trader(
    side: OrderSide, expected: Decimal
) -> None:
    sim, clock = broker(FillModel.CLOSE, slippage_bps="10")
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    if side is OrderSide.SELL:
        await sim.submit_order(order(OrderSide.BUY, key="entry"))

    result = await sim.submit_order(order(side, key="test"))

    assert result.filled_avg_price == expected


async def test_commissions_when_a_round_trip_closes_are_charged_on_entry_and_exit() -> None:
    sim, clock = broker(FillModel.CLOSE, per_share="0.01", bps="10")
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    entry = await sim.submit_order(order(OrderSide.BUY, key="in"))
    await closed(sim, clock, bar(1, open_=110.0, close=110.0))

    exit_ = await sim.submit_order(order(OrderSide.SELL, key="out"))

    # 10 shares x 0.01 + 10 x 100 x 10 bps; then the same at 110.
    assert entry.commission == Decimal("1.10")
    assert exit_.commission == Decimal("1.20")
    assert sim.ledger.cash == Decimal("100000") - 1000 - Decimal("1.10") + 1100 - Decimal("1.20")
    assert sim.ledger.commission_paid == Decimal("2.30")


async def test_volume_cap_when_remainder_is_cancelled_fills_the_cap_and_cancels_the_rest() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN, volume_cap="0.1", remainder=Remainder.CANCEL)
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    await sim.submit_order(order(qty="250"))

    changed = sim.on_bar_open(bar(1, open_=100.0, close=100.0, volume=1_000.0))

    assert changed[0].status is OrderStatus.CANCELLED
    assert changed[0].filled_qty == Decimal(100)
    assert "volume cap" in changed[0].reason
    assert sim.ledger.position_qty("AAPL") == Decimal(100)


async def test_volume_cap_when_remainder_is_kept_fills_over_the_following_bars() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN, volume_cap="0.1", remainder=Remainder.KEEP)
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    await sim.submit_order(order(qty="250"))

    first = sim.on_bar_open(bar(1, open_=100.0, close=100.0, volume=1_000.0))
    second = sim.on_bar_open(bar(2, open_=102.0, close=100.0, volume=1_000.0))
    third = sim.on_bar_open(bar(3, open_=104.0, close=100.0, volume=1_000.0))

    assert [r.status for r in (*first, *second, *third)] == [
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ]
    assert third[0].filled_qty == Decimal(250)
    assert third[0].filled_avg_price == Decimal("101.6")  # (100 x 100 + 100 x 102 + 50 x 104)


async def test_next_open_fill_when_the_price_gapped_beyond_the_cash_fills_what_it_pays_for() -> (
    None
):
    sim, clock = broker(FillModel.NEXT_OPEN, cash="1000")
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    await sim.submit_order(order(qty="9"))

    changed = sim.on_bar_open(bar(1, open_=200.0, close=200.0))

    assert changed[0].status is OrderStatus.CANCELLED
    assert changed[0].filled_qty == Decimal(5)
    assert "insufficient cash" in changed[0].reason
    assert sim.ledger.cash == Decimal(0)


async def test_submit_order_when_it_cannot_be_paid_is_refused_and_leaves_no_order() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN, cash="500")
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))

    with pytest.raises(InsufficientBuyingPowerError):
        await sim.submit_order(order(qty="10"))

    assert await sim.list_open_orders() == []


async def test_submit_order_when_a_waiting_buy_holds_the_cash_refuses_a_second_one() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN, cash="1500")
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    await sim.submit_order(order(qty="10", key="first"))

    with pytest.raises(InsufficientBuyingPowerError):
        await sim.submit_order(order(qty="10", key="second"))


async def test_submit_order_when_selling_more_than_held_is_refused_without_shorting() -> None:
    sim, clock = broker(FillModel.CLOSE)
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))

    with pytest.raises(OrderRejectedError, match="shorting is disabled"):
        await sim.submit_order(order(OrderSide.SELL))


async def test_submit_order_before_any_price_is_refused() -> None:
    sim, _ = broker()

    with pytest.raises(OrderRejectedError, match="no price"):
        await sim.submit_order(order())


async def test_submit_order_when_the_client_id_was_used_raises_duplicate() -> None:
    sim, clock = broker(FillModel.CLOSE)
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    await sim.submit_order(order())

    with pytest.raises(DuplicateOrderError):
        await sim.submit_order(order())


async def test_account_when_holding_marks_the_position_at_the_latest_price() -> None:
    sim, clock = broker(FillModel.CLOSE)
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    await sim.submit_order(order())
    await closed(sim, clock, bar(1, open_=100.0, close=105.0))

    account = await sim.get_account()
    positions = await sim.get_positions()

    assert account.equity == Decimal(100_050)
    assert sim.equity_value() == pytest.approx(100_050.0)
    assert positions[0].market_price == Decimal(105)
    assert positions[0].unrealized_pnl == Decimal(50)


async def test_cancel_order_when_waiting_ends_it_cancelled_and_frees_its_cash() -> None:
    sim, clock = broker(FillModel.NEXT_OPEN, cash="1500")
    await closed(sim, clock, bar(0, open_=100.0, close=100.0))
    placed = await sim.submit_order(order(qty="10"))

    await sim.cancel_order(placed.broker_order_id)

    assert (await sim.get_order(placed.broker_order_id)).status is OrderStatus.CANCELLED
    assert (await sim.get_account()).buying_power == Decimal(1500)


async def test_volume_cap_under_close_fills_the_kept_remainder_at_the_next_close() -> None:
    sim, clock = broker(FillModel.CLOSE, volume_cap="0.1", remainder=Remainder.KEEP)
    await closed(sim, clock, bar(0, open_=100.0, close=100.0, volume=500.0))

    placed = await sim.submit_order(order(qty="80"))
    await clock.advance_to(T0 + timedelta(minutes=1))
    opened = sim.on_bar_open(bar(1, open_=101.0, close=103.0, volume=500.0))
    await clock.advance_to(T0 + timedelta(minutes=2))
    closes = sim.on_bar_close(bar(1, open_=101.0, close=103.0, volume=500.0))

    assert (placed.status, placed.filled_qty) == (OrderStatus.PARTIALLY_FILLED, Decimal(50))
    assert opened == [], "under close nothing fills at an open"
    assert closes[0].status is OrderStatus.FILLED
    assert closes[0].filled_avg_price == Decimal("101.125")  # (50 x 100 + 30 x 103) / 80
