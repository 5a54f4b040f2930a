"""The risk manager: each gate and limit on its own, exits never blocked, protective exits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from trading_bot.core.calendar import NyseCalendar
from trading_bot.core.model import Account, Direction, OrderSide, Position, TradeSignal
from trading_bot.core.risk import (
    Approved,
    ExitReason,
    PortfolioView,
    Rejected,
    RejectReason,
    RiskConfig,
    RiskManager,
    RiskState,
    protective_exit,
)
from trading_bot.testing.signals import DEFAULT_NOW, make_signal

CALENDAR = NyseCalendar(date(2024, 1, 1), date(2024, 12, 31))
OPEN = DEFAULT_NOW
SATURDAY = datetime(2024, 3, 9, 15, 0, tzinfo=UTC)
D = Decimal


def position(ticker: str, qty: float, entry: float, mark: float | None = None) -> Position:
    return Position(
        ticker=ticker,
        qty=D(str(qty)),
        avg_entry_price=D(str(entry)),
        market_price=None if mark is None else D(str(mark)),
    )


def portfolio(
    cash: float = 100_000, *positions: Position, buying_power: float | None = None
) -> PortfolioView:
    equity = D(str(cash)) + sum((p.market_value for p in positions), D(0))
    return PortfolioView(
        cash=D(str(cash)),
        equity=equity,
        buying_power=D(str(cash if buying_power is None else buying_power)),
        positions={p.ticker: p for p in positions},
    )


def manager(**config: object) -> RiskManager:
    return RiskManager(RiskConfig.model_validate(config), CALENDAR)


def decide(
    signal: TradeSignal,
    view: PortfolioView | None = None,
    state: RiskState | None = None,
    now: datetime = OPEN,
    **config: object,
) -> Approved | Rejected:
    return manager(**config).evaluate(signal, view or portfolio(), state or RiskState(), now)


def approved(decision: Approved | Rejected) -> Approved:
    assert isinstance(decision, Approved), decision
    return decision


def rejected(decision: Approved | Rejected, reason: RejectReason) -> Rejected:
    assert isinstance(decision, Rejected), decision
    assert decision.reason is reason, decision.detail
    return decision


LONG_AAPL = make_signal("AAPL", Direction.LONG, price=50.0)
SHORT_AAPL = make_signal("AAPL", Direction.SHORT, price=50.0)


def test_risk_manager_approves_a_long_entry_sized_at_two_percent_of_equity() -> None:
    decision = approved(decide(LONG_AAPL))

    assert (decision.side, decision.qty, decision.is_exit) == (OrderSide.BUY, D(40), False)
    assert decision.price == D("50.0")
    assert decision.stop_loss == D("48.50")
    assert decision.take_profit is None


def test_risk_manager_sets_take_profit_above_entry_when_configured() -> None:
    decision = approved(decide(LONG_AAPL, take_profit_pct="0.10"))

    assert decision.take_profit == D("55.00")


def test_risk_manager_with_stop_loss_zero_sets_no_stop() -> None:
    assert approved(decide(LONG_AAPL, stop_loss_pct=0)).stop_loss is None


def test_risk_manager_when_paused_rejects_entries() -> None:
    rejected(decide(LONG_AAPL, state=RiskState(paused=True)), RejectReason.PAUSED)


def test_risk_manager_when_the_kill_switch_is_on_rejects_entries() -> None:
    rejected(decide(LONG_AAPL, state=RiskState(kill_switch=True)), RejectReason.KILL_SWITCH)


def test_risk_manager_when_the_daily_loss_limit_is_reached_rejects_entries() -> None:
    state = RiskState(realized_pnl_today=D(-3_000), start_of_day_equity=D(100_000))

    decision = rejected(decide(LONG_AAPL, state=state), RejectReason.KILL_SWITCH)

    assert "daily limit" in decision.detail


def test_risk_manager_just_short_of_the_daily_loss_limit_still_enters() -> None:
    state = RiskState(realized_pnl_today=D("-2999.99"), start_of_day_equity=D(100_000))

    approved(decide(LONG_AAPL, state=state))


def test_risk_manager_with_the_daily_loss_limit_disabled_ignores_losses() -> None:
    state = RiskState(realized_pnl_today=D(-50_000), start_of_day_equity=D(100_000))

    approved(decide(LONG_AAPL, state=state, daily_loss_limit_pct=None))


def test_risk_manager_when_the_market_is_closed_rejects_entries() -> None:
    rejected(decide(LONG_AAPL, now=SATURDAY), RejectReason.MARKET_CLOSED)


def test_risk_manager_not_enforcing_market_hours_enters_on_a_saturday() -> None:
    approved(decide(LONG_AAPL, now=SATURDAY, enforce_market_hours=False))


def test_risk_manager_within_the_cooldown_after_an_exit_rejects_re_entry() -> None:
    state = RiskState(last_exit_at={"AAPL": OPEN - timedelta(minutes=29)})

    rejected(decide(LONG_AAPL, state=state), RejectReason.COOLDOWN)


def test_risk_manager_once_the_cooldown_has_passed_re_enters() -> None:
    state = RiskState(last_exit_at={"AAPL": OPEN - timedelta(minutes=30)})

    approved(decide(LONG_AAPL, state=state))


def test_risk_manager_cooldown_applies_to_the_exited_ticker_only() -> None:
    state = RiskState(last_exit_at={"MSFT": OPEN - timedelta(minutes=1)})

    approved(decide(LONG_AAPL, state=state))


def test_risk_manager_at_the_position_count_limit_rejects_new_entries() -> None:
    held = [position(f"T{i}", 1, 10.0) for i in range(3)]

    rejected(
        decide(LONG_AAPL, portfolio(100_000, *held), max_positions=3), RejectReason.MAX_POSITIONS
    )


def test_risk_manager_caps_an_entry_at_the_per_position_size() -> None:
    decision = approved(decide(LONG_AAPL, fraction_per_trade="0.10"))

    assert decision.qty == D(100)  # 5 % of 100,000 at 50
    assert "position cap" in decision.detail


def test_risk_manager_when_one_share_exceeds_the_per_position_cap_rejects() -> None:
    signal = make_signal("AAPL", Direction.LONG, price=6_000.0)

    rejected(decide(signal, fixed_qty=1, sizing="fixed_qty"), RejectReason.MAX_POSITION_SIZE)


def test_risk_manager_caps_an_entry_at_the_remaining_exposure_room() -> None:
    held = [position("MSFT", 100, 390.0), position("NVDA", 100, 390.0)]  # 78,000 held
    view = portfolio(22_000, *held)

    decision = approved(decide(LONG_AAPL, view, fraction_per_trade="0.05"))

    assert decision.qty == D(40)  # 80 % of 100,000 - 78,000 = 2,000 of room; 5 % would be 100
    assert "exposure room" in decision.detail


def test_risk_manager_when_exposure_is_at_its_cap_rejects_entries() -> None:
    held = [position("MSFT", 200, 400.0)]  # 80,000 of 100,000
    view = portfolio(20_000, *held)

    rejected(decide(LONG_AAPL, view), RejectReason.MAX_EXPOSURE)


def test_risk_manager_caps_an_entry_at_what_buying_power_pays_for() -> None:
    view = portfolio(100_000, buying_power=1_000)

    decision = approved(decide(LONG_AAPL, view))

    assert decision.qty == D(19)  # 1,000 / (50 x 1.001) = 19.98
    assert "buying power" in decision.detail


def test_risk_manager_without_buying_power_for_one_share_rejects() -> None:
    rejected(
        decide(LONG_AAPL, portfolio(100_000, buying_power=40)),
        RejectReason.INSUFFICIENT_BUYING_POWER,
    )


def test_risk_manager_keeps_the_fixed_commission_of_the_round_trip_out_of_buying_power() -> None:
    view = portfolio(100_000, buying_power=1_000)

    decision = approved(decide(LONG_AAPL, view, commission_per_order=10, cost_reserve_pct=0))

    assert decision.qty == D(19)  # (1,000 - 2 x 10) / 50 = 19.6


def test_risk_manager_when_the_method_sizes_below_one_share_rejects_size_zero() -> None:
    signal = make_signal("AAPL", Direction.LONG, price=2_500.0)  # 2 % = 2,000 buys 0.8

    rejected(decide(signal), RejectReason.SIZE_ZERO)


def test_risk_manager_allowing_fractional_shares_buys_the_fraction() -> None:
    signal = make_signal("AAPL", Direction.LONG, price=2_500.0)

    decision = approved(decide(signal, allow_fractional=True))

    assert decision.qty == D("0.8")


def test_risk_manager_with_fixed_qty_sizing_buys_that_many_shares() -> None:
    assert approved(decide(LONG_AAPL, sizing="fixed_qty", fixed_qty=7)).qty == D(7)


def test_risk_manager_when_long_while_already_long_rejects_rather_than_tops_up() -> None:
    view = portfolio(90_000, position("AAPL", 10, 48.0, 50.0))

    rejected(decide(LONG_AAPL, view), RejectReason.ALREADY_IN_POSITION)


def test_risk_manager_when_short_without_a_position_and_long_only_rejects() -> None:
    rejected(decide(SHORT_AAPL), RejectReason.SHORTING_DISABLED)


def test_risk_manager_allowing_shorts_opens_a_short_with_the_stop_above_entry() -> None:
    decision = approved(decide(SHORT_AAPL, allow_short=True, take_profit_pct="0.1"))

    assert (decision.side, decision.qty) == (OrderSide.SELL, D(40))
    assert (decision.stop_loss, decision.take_profit) == (D("51.50"), D("45.00"))


def test_risk_manager_when_short_against_a_long_position_exits_it_in_full() -> None:
    view = portfolio(90_000, position("AAPL", 25, 48.0, 50.0))

    decision = approved(decide(SHORT_AAPL, view))

    assert (decision.side, decision.qty, decision.is_exit) == (OrderSide.SELL, D(25), True)
    assert decision.exit_reason is ExitReason.SIGNAL


def test_risk_manager_when_long_against_a_short_position_covers_it() -> None:
    view = portfolio(110_000, position("AAPL", -30, 52.0, 50.0))

    decision = approved(decide(LONG_AAPL, view, allow_short=True))

    assert (decision.side, decision.qty, decision.is_exit) == (OrderSide.BUY, D(30), True)


def test_risk_manager_never_blocks_a_signal_exit_whatever_the_state() -> None:
    held = [position("AAPL", 25, 48.0, 50.0), *(position(f"T{i}", 1, 10.0) for i in range(5))]
    view = portfolio(0, *held, buying_power=0)
    state = RiskState(
        paused=True,
        kill_switch=True,
        realized_pnl_today=D(-90_000),
        last_exit_at={"AAPL": SATURDAY - timedelta(minutes=1)},
    )

    decision = decide(SHORT_AAPL, view, state, now=SATURDAY, max_positions=1)

    assert approved(decision).is_exit


def test_risk_manager_evaluate_exit_closes_the_whole_position_for_any_reason() -> None:
    view = portfolio(90_000, position("AAPL", 25, 48.0, 46.0))

    decision = approved(manager().evaluate_exit("AAPL", view, ExitReason.STOP_LOSS))

    assert (decision.side, decision.qty, decision.price) == (OrderSide.SELL, D(25), D(46))
    assert decision.exit_reason is ExitReason.STOP_LOSS


def test_risk_manager_evaluate_exit_without_a_position_rejects_no_position_to_exit() -> None:
    rejected(manager().evaluate_exit("AAPL", portfolio()), RejectReason.NO_POSITION_TO_EXIT)


def test_risk_manager_when_the_signal_is_neutral_rejects_it() -> None:
    rejected(decide(make_signal(direction=Direction.NEUTRAL)), RejectReason.NO_DIRECTION)


def test_risk_manager_when_the_price_is_not_a_finite_positive_number_rejects_it() -> None:
    signal = LONG_AAPL.model_copy(update={"price": float("nan")})

    rejected(decide(signal), RejectReason.INVALID_PRICE)


def test_risk_manager_when_now_is_naive_refuses_to_decide() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(LONG_AAPL, now=datetime(2024, 3, 5, 15, 0))  # noqa: DTZ001 - the point is a naive time


@pytest.mark.parametrize(
    ("qty", "price", "expected"),
    [
        (10, D("48.50"), ExitReason.STOP_LOSS),
        (10, D("48.00"), ExitReason.STOP_LOSS),
        (10, 48.51, None),
        (10, D("55.00"), ExitReason.TAKE_PROFIT),
        (10, 60.0, ExitReason.TAKE_PROFIT),
        (-10, D("51.50"), ExitReason.STOP_LOSS),
        (-10, D("45.00"), ExitReason.TAKE_PROFIT),
        (-10, 50.0, None),
    ],
)
def test_protective_exit_triggers_at_or_beyond_each_level(
    qty: int, price: Decimal | float, expected: ExitReason | None
) -> None:
    stop, take = (D("48.50"), D("55.00")) if qty > 0 else (D("51.50"), D("45.00"))
    held = Position(
        ticker="AAPL", qty=D(qty), avg_entry_price=D(50), stop_loss=stop, take_profit=take
    )

    assert protective_exit(held, price) is expected


def test_protective_exit_without_levels_never_triggers() -> None:
    assert protective_exit(position("AAPL", 10, 50.0), D("0.01")) is None


@pytest.mark.parametrize("price", [float("nan"), float("inf"), 0.0, -1.0, D("NaN")])
def test_protective_exit_when_the_price_is_unusable_refuses_it(price: Decimal | float) -> None:
    with pytest.raises(ValueError, match="finite positive"):
        protective_exit(position("AAPL", 10, 50.0), price)


def test_risk_config_when_one_position_may_exceed_total_exposure_refuses_it() -> None:
    with pytest.raises(ValidationError, match="max_position_pct"):
        RiskConfig(max_position_pct=D("0.5"), max_total_exposure_pct=D("0.4"))


@pytest.mark.parametrize(
    ("field", "value"),
    [("stop_loss_pct", 1), ("max_positions", 0), ("cooldown_minutes", -1), ("sizing", "yolo")],
)
def test_risk_config_when_a_field_is_invalid_names_it(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        RiskConfig.model_validate({field: value})


def test_portfolio_view_of_an_account_drops_flat_positions() -> None:
    account = Account(cash=D(1_000), buying_power=D(1_000), equity=D(1_500))

    view = PortfolioView.of(account, [position("AAPL", 10, 50.0), position("MSFT", 0, 10.0)])

    assert set(view.positions) == {"AAPL"}
    assert (view.exposure, view.open_positions) == (D(500), 1)


def test_portfolio_view_when_a_position_is_filed_under_another_ticker_refuses_it() -> None:
    with pytest.raises(ValidationError, match="filed under"):
        PortfolioView(
            cash=D(0), equity=D(0), buying_power=D(0), positions={"MSFT": position("AAPL", 1, 1)}
        )
